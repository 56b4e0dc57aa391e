"""JSON text for command output: Decimals are written as exact JSON numbers, never through a float."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal


def dumps(value: object) -> str:
    """Serialise plain data like `json.dumps`, writing each Decimal as the number it prints as (86.25 stays 86.25)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} has no JSON form")
        return format(value, "f")
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)
