"""Saved column mappings, one per tool's export, named and audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db

MAPPING_KINDS = ("surveys", "employees")


class ImportMapping(db.Model):
    """How one tool's export maps onto an import's columns (the spec of app.mappings.columns.Mapping)."""

    __tablename__ = "import_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    # Surveys: the source whose external ids the tool's files carry (the default source of an import).
    source: Mapped[str | None] = mapped_column(sa.String(80))
    spec: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(sa.String(254), default="")
