"""Survey responses and their import batches, feedback sources, other KPIs, and follow-up cases."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dbtypes import ExactDecimal, UTCDateTime, utcnow
from app.extensions import db
from app.org.models import Employee, Store

SOURCE_FORMATS = ("generic", "typeform")
CASE_STATUSES = ("open", "contacted", "resolved", "unreachable")
KPI_DIRECTIONS = ("higher", "lower")
KPI_AGGREGATES = ("mean", "sum", "last")


def _identifier(length: int) -> sa.types.TypeEngine[str]:
    """Text compared byte by byte on both databases (SQLite's default; COLLATE "C" on PostgreSQL)."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


class FeedbackSource(db.Model):
    """Where responses come from: a file import name, or a webhook with its signing secret."""

    __tablename__ = "feedback_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    format: Mapped[str] = mapped_column(sa.String(20), default="generic")
    secret: Mapped[str] = mapped_column(sa.String(128), default=lambda: secrets.token_hex(32))
    # Typeform: which question ref holds the NPS, CSAT and CES answers.
    question_refs: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ImportBatch(db.Model):
    """One file import: HR can undo it as a whole (webhook responses belong to no batch)."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(80))
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    created_by: Mapped[str] = mapped_column(sa.String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    rows_inserted: Mapped[int] = mapped_column(default=0)
    rows_skipped: Mapped[int] = mapped_column(default=0)
    first_day: Mapped[date | None]
    last_day: Mapped[date | None]
    # The batch's responses have ids in this range (other sources' rows may sit between them on PostgreSQL):
    # with batch_id it finds them through the primary key, so survey_responses needs no batch_id index.
    first_response_id: Mapped[int | None]
    last_response_id: Mapped[int | None]

    def responses(self) -> sa.ColumnElement[bool]:
        """The condition that picks this batch's responses, through the primary key."""
        if self.first_response_id is None or self.last_response_id is None:
            return sa.false()
        return sa.and_(
            SurveyResponse.id.between(self.first_response_id, self.last_response_id),
            SurveyResponse.batch_id == self.id,
        )

    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    undone_by: Mapped[str | None] = mapped_column(sa.String(254))


class SurveyResponse(db.Model):
    """One customer's answer.

    Its store must exist and cannot be deleted while it has answers; deleting its employee leaves the answer
    unattributed; deleting the response deletes its contact and follow-up case, and unlinks a recognition given
    for it (ON DELETE rules, on both databases). Batches find their rows through an id range (see ImportBatch),
    so batch_id has no index of its own; the employee index covers attributed answers only.
    """

    __tablename__ = "survey_responses"
    __table_args__ = (
        sa.UniqueConstraint("source", "external_id", name="uq_survey_responses_source_external_id"),
        sa.CheckConstraint("nps IS NULL OR (nps >= 0 AND nps <= 10)", name="nps_range"),
        sa.CheckConstraint("csat IS NULL OR (csat >= 1 AND csat <= 5)", name="csat_range"),
        sa.CheckConstraint("ces IS NULL OR (ces >= 1 AND ces <= 7)", name="ces_range"),
        sa.CheckConstraint("nps IS NOT NULL OR csat IS NOT NULL OR ces IS NOT NULL", name="some_score"),
        sa.Index("ix_survey_responses_store_month", "store_id", "local_month"),
        sa.Index(
            "ix_survey_responses_employee_id",
            "employee_id",
            postgresql_where=sa.text("employee_id IS NOT NULL"),
            sqlite_where=sa.text("employee_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Compared byte by byte, as SQLite does: these are opaque identifiers, and PostgreSQL's linguistic collation
    # made each insert into the unique key a quarter dearer.
    source: Mapped[str] = mapped_column(_identifier(80))
    external_id: Mapped[str] = mapped_column(_identifier(120))
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_batches.id", ondelete="RESTRICT"))
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="RESTRICT"))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The answer's calendar day and month (yyyymm) in the company time zone, fixed at ingest, so that
    # SQLite (no time-zone database) and PostgreSQL group by the same columns.
    local_date: Mapped[date]
    local_month: Mapped[int] = mapped_column(sa.Integer)
    channel: Mapped[str] = mapped_column(sa.String(40), default="")
    nps: Mapped[int | None] = mapped_column(sa.SmallInteger)
    csat: Mapped[int | None] = mapped_column(sa.SmallInteger)
    ces: Mapped[int | None] = mapped_column(sa.SmallInteger)
    comment: Mapped[str | None] = mapped_column(sa.Text)
    employee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employees.id", ondelete="SET NULL"))
    contact_consent: Mapped[bool] = mapped_column(default=False)
    excluded: Mapped[bool] = mapped_column(default=False)
    excluded_reason: Mapped[str | None] = mapped_column(sa.String(500))
    excluded_by: Mapped[str | None] = mapped_column(sa.String(254))
    excluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    store: Mapped[Store] = relationship()
    employee: Mapped[Employee | None] = relationship()
    contact: Mapped[ResponseContact | None] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def category(self) -> str | None:
        if self.nps is None:
            return None
        return "promoter" if self.nps >= 9 else "passive" if self.nps >= 7 else "detractor"


class ResponseContact(db.Model):
    """A customer's name and contact, kept only with consent and erased after the retention period."""

    __tablename__ = "response_contacts"

    # One contact per response, keyed by it: a single index to keep up.
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_responses.id", ondelete="CASCADE"), primary_key=True)
    customer_name: Mapped[str | None] = mapped_column(sa.String(200))
    customer_contact: Mapped[str | None] = mapped_column(sa.String(254))
    purge_after: Mapped[date]

    response: Mapped[SurveyResponse] = relationship(back_populates="contact")


class KpiDefinition(db.Model):
    """A KPI other than NPS/CSAT/CES, with its unit, direction and how months make a quarter or a year."""

    __tablename__ = "kpi_definitions"
    __table_args__ = (
        sa.CheckConstraint("direction IN ('higher', 'lower')", name="direction"),
        sa.CheckConstraint("aggregate IN ('mean', 'sum', 'last')", name="aggregate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    unit: Mapped[str] = mapped_column(sa.String(20), default="")
    direction: Mapped[str] = mapped_column(sa.String(10), default="higher")
    aggregate: Mapped[str] = mapped_column(sa.String(10), default="mean")


class KpiValue(db.Model):
    """A KPI value for one store and one period (usually a month)."""

    __tablename__ = "kpi_values"
    __table_args__ = (sa.UniqueConstraint("kpi_id", "store_id", "period", name="uq_kpi_values_kpi_store_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(sa.ForeignKey("kpi_definitions.id", ondelete="CASCADE"))
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), index=True)
    period: Mapped[str] = mapped_column(sa.String(10))
    value: Mapped[Decimal] = mapped_column(ExactDecimal(16, 4))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    kpi: Mapped[KpiDefinition] = relationship()
    store: Mapped[Store] = relationship()


class FollowUpCase(db.Model):
    """A detractor who agreed to be contacted: the store calls them back within 48 hours."""

    __tablename__ = "followup_cases"
    __table_args__ = (
        sa.CheckConstraint("status IN ('open', 'contacted', 'resolved', 'unreachable')", name="status"),
        sa.Index("ix_followup_cases_store_status", "store_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_responses.id", ondelete="CASCADE"), unique=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="RESTRICT"))  # the response's store
    status: Mapped[str] = mapped_column(sa.String(20), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employees.id"))
    contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome_code: Mapped[str | None] = mapped_column(sa.String(40))
    notes: Mapped[str | None] = mapped_column(sa.Text)

    response: Mapped[SurveyResponse] = relationship()
    store: Mapped[Store] = relationship()
    assignee: Mapped[Employee | None] = relationship()


class PeriodLock(db.Model):
    """A month of feedback that a bonus run has read (or paid on): its responses can no longer move.

    Runs write one row per month they read, including previous and last-year months they compared with;
    `paid` is set once the run is approved. Undoing an import is refused on any lock, excluding a response
    only once the month is paid.
    """

    __tablename__ = "period_locks"
    __table_args__ = (sa.UniqueConstraint("month", "holder", name="uq_period_locks_month_holder"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[int] = mapped_column(sa.Integer, index=True)  # yyyymm, like SurveyResponse.local_month
    holder: Mapped[str] = mapped_column(sa.String(80))  # e.g. "run:12"
    paid: Mapped[bool] = mapped_column(default=False)


class EngagementFigure(db.Model):
    """HR's engagement figures for one store and period (usually a month): headcount, leavers, absence."""

    __tablename__ = "engagement_figures"
    __table_args__ = (
        sa.UniqueConstraint("store_id", "period", name="uq_engagement_figures_store_period"),
        sa.CheckConstraint("headcount >= 0 AND leavers >= 0", name="counts"),
        sa.CheckConstraint("absence_days >= 0 AND worked_days >= 0", name="days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), index=True)
    period: Mapped[str] = mapped_column(sa.String(10))  # a Period label: "2026-07", "2026-Q3"
    headcount: Mapped[Decimal] = mapped_column(ExactDecimal(12, 2))  # an average over the period may be fractional
    leavers: Mapped[int] = mapped_column(sa.Integer)
    absence_days: Mapped[Decimal] = mapped_column(ExactDecimal(12, 2))
    worked_days: Mapped[Decimal] = mapped_column(ExactDecimal(12, 2))  # days that should have been worked
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    store: Mapped[Store] = relationship()


class SurveyInvitations(db.Model):
    """How many customers of a store were invited to answer the survey during a period."""

    __tablename__ = "survey_invitations"
    __table_args__ = (
        sa.UniqueConstraint("store_id", "period", name="uq_survey_invitations_store_period"),
        sa.CheckConstraint("invitations >= 0", name="invitations"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), index=True)
    period: Mapped[str] = mapped_column(sa.String(10))
    invitations: Mapped[int] = mapped_column(sa.Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    store: Mapped[Store] = relationship()


class ResponseFingerprint(db.Model):
    """A one-way hash of the device or address a webhook response came from (never the address itself)."""

    __tablename__ = "response_fingerprints"

    response_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # no foreign key: see above
    fingerprint: Mapped[str] = mapped_column(sa.String(64), index=True)


class ResponseFlag(db.Model):
    """A sign of gaming found among a store's responses of one month: the rule, the responses and the evidence.

    Flags are recomputed whole for a store and month whenever responses arrive there; a flag excludes nothing by
    itself, HR decides.
    """

    __tablename__ = "response_flags"
    __table_args__ = (sa.Index("ix_response_flags_store_month", "store_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(sa.String(20))
    store_id: Mapped[int] = mapped_column(sa.Integer)
    month: Mapped[int] = mapped_column(sa.Integer, index=True)  # yyyymm, like SurveyResponse.local_month
    response_ids: Mapped[list[int]] = mapped_column(sa.JSON)
    evidence: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    store: Mapped[Store] = relationship(primaryjoin="foreign(ResponseFlag.store_id) == Store.id")
