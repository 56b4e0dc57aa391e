"""Bonus schemes and their versions, published objectives, runs, lines, adjustments and questions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from app.dbtypes import Money, UTCDateTime, utcnow
from app.extensions import db
from app.org.models import Employee, Store


class RunStatus(StrEnum):
    """Where a bonus run stands; the moves between them are `runs.TRANSITIONS`."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    EXPORTED = "exported"


# Runs whose amounts are owed to employees: payroll, statements, reports and questions read only these.
PAID_STATUSES: tuple[RunStatus, ...] = (RunStatus.APPROVED, RunStatus.EXPORTED)


class AdjustmentKind(StrEnum):
    """A manual adjustment (HR, with a reason), or what earlier runs already paid, taken back by a corrective run."""

    MANUAL = "manual"
    ALREADY_PAID = "already_paid"


class Scheme(db.Model):
    __tablename__ = "schemes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    versions: Mapped[list[SchemeVersion]] = relationship(
        back_populates="scheme", order_by="SchemeVersion.version", cascade="all, delete-orphan"
    )

    @property
    def latest(self) -> SchemeVersion:
        return self.versions[-1]


class SchemeVersion(db.Model):
    """One version of a scheme: its whole document, frozen once a non-draft run has used it."""

    __tablename__ = "scheme_versions"
    __table_args__ = (sa.UniqueConstraint("scheme_id", "version", name="uq_scheme_versions_scheme_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(sa.ForeignKey("schemes.id", ondelete="CASCADE"))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(200))
    period_type: Mapped[str] = mapped_column(sa.String(10))
    pay_code: Mapped[str] = mapped_column(sa.String(40))
    # The scheme document as written by scheme_format.write_document (decimals as strings).
    document: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    frozen: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(sa.String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    scheme: Mapped[Scheme] = relationship(back_populates="versions")


class ObjectivePublication(db.Model):
    """A scheme version published to its eligible employees for one period (objectives known in advance)."""

    __tablename__ = "objective_publications"
    __table_args__ = (sa.UniqueConstraint("version_id", "period", name="uq_objective_publications_version_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("scheme_versions.id"))
    period: Mapped[str] = mapped_column(sa.String(10))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by: Mapped[str] = mapped_column(sa.String(254), default="")

    version: Mapped[SchemeVersion] = relationship()


class ObjectiveAck(db.Model):
    """When an employee acknowledged the objectives published to them."""

    __tablename__ = "objective_acks"
    __table_args__ = (
        sa.UniqueConstraint("publication_id", "employee_id", name="uq_objective_acks_publication_employee"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(sa.ForeignKey("objective_publications.id", ondelete="CASCADE"))
    employee_id: Mapped[int] = mapped_column(sa.ForeignKey("employees.id"))
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BonusRun(db.Model):
    """One scheme version × one period: draft → submitted → approved → exported.

    A corrective run (`corrects_run_id` set, with HR's written reason) recomputes a period already paid and pays
    only the difference: its lines are the full amounts due now, and adjustments of kind `already_paid` take back
    what the earlier paid runs of the scheme and period (`corrective_basis`) paid.
    """

    __tablename__ = "bonus_runs"
    __table_args__ = (sa.CheckConstraint("status IN ('draft', 'submitted', 'approved', 'exported')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("scheme_versions.id"), index=True)
    period: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(12), default=RunStatus.DRAFT)
    total: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    created_by: Mapped[str] = mapped_column(sa.String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by: Mapped[str | None] = mapped_column(sa.String(254))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(sa.String(254))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reject_comment: Mapped[str | None] = mapped_column(sa.Text)
    corrects_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bonus_runs.id"))
    corrective_reason: Mapped[str | None] = mapped_column(sa.Text)
    # The paid runs (ids) a corrective run's difference was computed against; approval needs them unchanged.
    corrective_basis: Mapped[list[int] | None] = mapped_column(sa.JSON)
    # Approved before its period ended (PRIMO_ALLOW_ADVANCE_RUNS): an advance on the period's bonus.
    advance: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    version: Mapped[SchemeVersion] = relationship()
    corrected_run: Mapped[BonusRun | None] = relationship(remote_side=[id])
    lines: Mapped[list[RunLine]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="RunLine.id"
    )
    adjustments: Mapped[list[RunAdjustment]] = relationship(
        back_populates="run",
        cascade="all, delete-orphan",
        order_by="RunAdjustment.id",
        foreign_keys="RunAdjustment.run_id",
    )
    events: Mapped[list[RunEvent]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="RunEvent.id"
    )

    @property
    def corrective(self) -> bool:
        return self.corrects_run_id is not None


class RunLine(db.Model):
    """One employee × store part of a run, with the full trace it was computed from."""

    __tablename__ = "run_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("bonus_runs.id", ondelete="CASCADE"), index=True)
    employee_id: Mapped[int] = mapped_column(sa.ForeignKey("employees.id"), index=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"))
    amount: Mapped[Decimal] = mapped_column(Money())
    trace: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    objectives_late: Mapped[bool] = mapped_column(default=False)

    run: Mapped[BonusRun] = relationship(back_populates="lines")
    employee: Mapped[Employee] = relationship()
    store: Mapped[Store] = relationship()


class RunAdjustment(db.Model):
    """A signed amount on a run, with its reason; a correction names the line of an earlier run.

    Manual adjustments are HR's; `already_paid` ones are written by the computation of a corrective run, on the pay
    code the earlier run paid with (`pay_code`; None means the run's own).
    """

    __tablename__ = "run_adjustments"
    __table_args__ = (sa.CheckConstraint("kind IN ('manual', 'already_paid')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("bonus_runs.id", ondelete="CASCADE"), index=True)
    employee_id: Mapped[int] = mapped_column(sa.ForeignKey("employees.id"))
    amount: Mapped[Decimal] = mapped_column(Money())
    reason: Mapped[str] = mapped_column(sa.String(500))
    corrects_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("run_lines.id"))
    kind: Mapped[str] = mapped_column(sa.String(20), default=AdjustmentKind.MANUAL, server_default="manual")
    pay_code: Mapped[str | None] = mapped_column(sa.String(40))
    created_by: Mapped[str] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    run: Mapped[BonusRun] = relationship(back_populates="adjustments", foreign_keys=[run_id])
    employee: Mapped[Employee] = relationship()

    @property
    def manual(self) -> bool:
        return self.kind == AdjustmentKind.MANUAL


class RunEvent(db.Model):
    """One step in a run's history (created, computed, submitted, rejected, approved, exported), with its comment."""

    __tablename__ = "run_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("bonus_runs.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(sa.String(20))
    actor: Mapped[str] = mapped_column(sa.String(254))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    comment: Mapped[str | None] = mapped_column(sa.Text)

    run: Mapped[BonusRun] = relationship(back_populates="events")


class LineQuestion(db.Model):
    """An employee's question about their statement, and HR's answer."""

    __tablename__ = "line_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("bonus_runs.id", ondelete="CASCADE"), index=True)
    employee_id: Mapped[int] = mapped_column(sa.ForeignKey("employees.id"))
    line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("run_lines.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(sa.Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_by: Mapped[str | None] = mapped_column(sa.String(254))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class GrossPay(db.Model):
    """An employee's gross pay for one period, as payroll reports it: the base of intéressement's salary sub-pool
    and of its 20 % cap."""

    __tablename__ = "gross_pay"
    __table_args__ = (
        sa.UniqueConstraint("employee_id", "period", name="uq_gross_pay_employee_period"),
        sa.CheckConstraint("amount >= 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(sa.ForeignKey("employees.id"), index=True)
    period: Mapped[str] = mapped_column(sa.String(10), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    employee: Mapped[Employee] = relationship()


# Load a run with its scheme version and scheme in the same query: every page of a run names them.
RUN_WITH_SCHEME = (joinedload(BonusRun.version).joinedload(SchemeVersion.scheme),)
