"""Command output writes Decimals as exact JSON numbers: no float ever rounds them."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from app.core.jsonout import dumps


def test_decimals_are_written_exactly_as_printed():
    text = dumps({"nps": Decimal("35.0"), "big": Decimal("1234567890123456.78"), "none": None, "n": 120})
    assert text == '{"nps": 35.0, "big": 1234567890123456.78, "none": null, "n": 120}'
    assert json.loads(text, parse_float=Decimal)["big"] == Decimal("1234567890123456.78")


def test_nested_data_and_text_follow_json_rules():
    text = dumps({"périodes": ["2026-Q3", {"v": Decimal("-0.05")}], "ok": True, "q": 'a "b"'})
    assert json.loads(text) == {"périodes": ["2026-Q3", {"v": -0.05}], "ok": True, "q": 'a "b"'}


def test_a_non_finite_decimal_is_refused():
    with pytest.raises(ValueError):
        dumps({"x": Decimal("NaN")})
