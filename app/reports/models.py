"""Stored statements (rendered once for approved runs), payroll export log, and rendering jobs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.dbtypes import Money, UTCDateTime, utcnow
from app.extensions import db


class StatementDocument(db.Model):
    """The bytes of one employee's statement for one run, in one format, with their SHA-256."""

    __tablename__ = "statement_documents"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "employee_id", "format", name="uq_statement_documents_run_employee_format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("bonus_runs.id", ondelete="CASCADE"), index=True)
    employee_id: Mapped[int] = mapped_column(sa.ForeignKey("employees.id"))
    format: Mapped[str] = mapped_column(sa.String(8))  # pdf | xlsx
    language: Mapped[str] = mapped_column(sa.String(2))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PayrollExport(db.Model):
    """One download of a payroll file: who, when, which run (or benefits period), and the file's hash."""

    __tablename__ = "payroll_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(12))  # run | benefits
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bonus_runs.id"), index=True)
    period: Mapped[str] = mapped_column(sa.String(10))
    format: Mapped[str] = mapped_column(sa.String(8))  # xlsx | csv
    rows: Mapped[int]
    total: Mapped[Decimal] = mapped_column(Money())
    rows_sha256: Mapped[str] = mapped_column(sa.String(64))  # of the data rows, as on the control sheet
    file_sha256: Mapped[str] = mapped_column(sa.String(64))
    exported_by: Mapped[str] = mapped_column(sa.String(254))
    exported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RenderJob(db.Model):
    """Background rendering of a run's statements (bulk ZIP/PDF, or storing them after approval)."""

    __tablename__ = "render_jobs"
    __table_args__ = (sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("bonus_runs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))  # store | zip | pdf
    store_code: Mapped[str | None] = mapped_column(sa.String(40))  # the one store asked for, if one was
    # The stores whose statements it renders; None: the whole run (HR and payroll only, or storing after approval).
    store_codes: Mapped[list[str] | None] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(10), default="queued")
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    result: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    error: Mapped[str | None] = mapped_column(sa.Text)
    requested_by: Mapped[str] = mapped_column(sa.String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
