"""Access lines for the column mapping pages (HR only)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.mappings.models import ImportMapping
from tests.access import Case, fixed, only


def _mapping_path(world: dict[str, Any], role: str) -> str:
    mapping = db.session.scalar(sa.select(ImportMapping).where(ImportMapping.name == "access-test"))
    if mapping is None:
        mapping = ImportMapping(name="access-test", kind="surveys", spec={"columns": [["id", "external_id"]]})
        db.session.add(mapping)
        db.session.commit()
    return f"/import/mappings/{mapping.id}"


TABLE: dict[str, Case] = {
    "mappings.index": Case("GET", fixed("/import/mappings"), only({"hr": 200})),
    "mappings.new": Case("GET", fixed("/import/mappings/new/abc"), only({"hr": 404})),  # nobody's sample
    "mappings.edit": Case("GET", _mapping_path, only({"hr": 200})),
}
