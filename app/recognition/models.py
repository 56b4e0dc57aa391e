"""Recognition tables: manager budgets, awards, badges and their grants, the points ledger, rewards, redemptions.

The points ledger and the budget ledger are append-only: the ORM refuses to update or delete their rows, and
balances, budgets left and tiers are always sums over them (see `ledger.py`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dbtypes import ExactDecimal, Money, UTCDateTime, utcnow
from app.extensions import db
from app.org.models import Employee, Region, Store

ENTRY_KINDS = ("earn", "hold", "release", "redeem", "refund", "expire", "adjust")
BUDGET_KINDS = ("allowance", "spend")
REWARD_KINDS = ("goods", "gift_card", "day_off", "donation")
BADGE_RULES = ("detractors_recovered", "promoter_compliment", "nps_progression")
# What automatic points rules listen to (see app/recognition/rules.py).
POINT_EVENTS = (
    "promoter_named",
    "case_closed_fast",
    "store_kpi",
    "objectives_acknowledged",
    "work_anniversary",
    "pulse_answered",
)
CHALLENGE_KPIS = ("nps", "csat", "ces", "followup")
CHALLENGE_STATUSES = ("running", "met", "missed")


class RedemptionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    FULFILLED = "fulfilled"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Budget(db.Model):
    """A manager's points allowance for one month; what it holds is the sum of its entries."""

    __tablename__ = "recognition_budgets"
    __table_args__ = (sa.UniqueConstraint("manager_id", "month", name="uq_recognition_budgets_manager_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manager_id: Mapped[int] = mapped_column(sa.ForeignKey("employees.id"), index=True)
    month: Mapped[str] = mapped_column(sa.String(7))  # "2026-07"
    # What is left at the end of this month carries into the next one.
    rollover: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    manager: Mapped[Employee] = relationship()
    entries: Mapped[list[BudgetEntry]] = relationship(back_populates="budget", order_by="BudgetEntry.id")


class BudgetEntry(db.Model):
    """One movement of a monthly budget: HR's allowance changes (signed) and awards spent (negative)."""

    __tablename__ = "recognition_budget_entries"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", BUDGET_KINDS), name="kind"),
        sa.CheckConstraint(
            "(kind = 'spend' AND points < 0) OR (kind = 'allowance' AND points <> 0)", name="points_sign"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(sa.ForeignKey("recognition_budgets.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    points: Mapped[int]
    award_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recognition_awards.id"), unique=True)
    created_by: Mapped[str] = mapped_column(sa.String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    budget: Mapped[Budget] = relationship(back_populates="entries")


class Badge(db.Model):
    """A badge HR defines; `rule` names the automatic rule that grants it, if any."""

    __tablename__ = "recognition_badges"
    __table_args__ = (
        sa.CheckConstraint("points IS NULL OR points > 0", name="points_positive"),
        sa.CheckConstraint("rule IS NULL OR " + _in("rule", BADGE_RULES), name="rule"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    icon: Mapped[str] = mapped_column(sa.String(120))  # a file name under app/static/badges
    description: Mapped[str] = mapped_column(sa.Text, default="")
    criteria: Mapped[str] = mapped_column(sa.Text, default="")
    points: Mapped[int | None]
    rule: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Award(db.Model):
    """Points (and perhaps a badge) a manager gives an employee of their team, with a message."""

    __tablename__ = "recognition_awards"
    __table_args__ = (
        sa.CheckConstraint("points >= 0", name="points_not_negative"),
        sa.CheckConstraint("points > 0 OR badge_id IS NOT NULL", name="points_or_badge"),
        sa.CheckConstraint("giver_id <> employee_id", name="not_to_oneself"),
        sa.Index("ix_recognition_awards_store_on", "store_id", "awarded_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    giver_id: Mapped[int] = mapped_column(sa.ForeignKey("employees.id"), index=True)
    giver_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    employee_id: Mapped[int] = mapped_column(sa.ForeignKey("employees.id"), index=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"))
    points: Mapped[int]
    message: Mapped[str] = mapped_column(sa.Text)
    badge_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recognition_badges.id"))
    public: Mapped[bool] = mapped_column(default=True)
    awarded_on: Mapped[date]
    # The promoter comment this award thanks for, at most once.
    response_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("survey_responses.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    giver: Mapped[Employee] = relationship(foreign_keys=[giver_id])
    employee: Mapped[Employee] = relationship(foreign_keys=[employee_id])
    store: Mapped[Store] = relationship()
    badge: Mapped[Badge | None] = relationship()


class BadgeGrant(db.Model):
    """A badge an employee holds: with a manager's award, or by a rule once per rule, employee and period."""

    __tablename__ = "recognition_badge_grants"
    __table_args__ = (
        sa.UniqueConstraint("rule", "employee_id", "period", name="uq_recognition_badge_grants_rule_employee_period"),
        sa.CheckConstraint("points >= 0", name="points_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    badge_id: Mapped[int] = mapped_column(sa.ForeignKey("recognition_badges.id"), index=True)
    employee_id: Mapped[int] = mapped_column(sa.ForeignKey("employees.id"), index=True)
    award_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recognition_awards.id"), unique=True)
    rule: Mapped[str | None] = mapped_column(sa.String(40))
    period: Mapped[str | None] = mapped_column(sa.String(10))
    store_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stores.id"))
    points: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    granted_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    badge: Mapped[Badge] = relationship()
    employee: Mapped[Employee] = relationship()


class Reward(db.Model):
    """An item of the catalogue: its cost in points, stock (None: unlimited), yearly limit and euro value."""

    __tablename__ = "recognition_rewards"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", REWARD_KINDS), name="kind"),
        sa.CheckConstraint("cost > 0", name="cost_positive"),
        sa.CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
        sa.CheckConstraint("limit_per_year IS NULL OR limit_per_year > 0", name="limit_positive"),
        sa.CheckConstraint("euro_value IS NULL OR euro_value >= 0", name="euro_value_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    cost: Mapped[int]
    # A counter, decremented only by `UPDATE … WHERE stock > 0` so that it can never go below zero.
    stock: Mapped[int | None]
    limit_per_year: Mapped[int | None]
    euro_value: Mapped[Decimal | None] = mapped_column(Money())
    icon: Mapped[str] = mapped_column(sa.String(120), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Redemption(db.Model):
    """An employee's request for a reward: points held, then approved and fulfilled, or rejected or cancelled."""

    __tablename__ = "recognition_redemptions"
    __table_args__ = (
        sa.CheckConstraint(_in("status", tuple(s.value for s in RedemptionStatus)), name="status"),
        sa.CheckConstraint("points > 0", name="points_positive"),
        sa.CheckConstraint("euro_value IS NULL OR euro_value >= 0", name="euro_value_not_negative"),
        sa.Index("ix_recognition_redemptions_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(sa.ForeignKey("employees.id"), index=True)
    reward_id: Mapped[int] = mapped_column(sa.ForeignKey("recognition_rewards.id"), index=True)
    points: Mapped[int]
    euro_value: Mapped[Decimal | None] = mapped_column(Money())
    status: Mapped[str] = mapped_column(sa.String(12), default=RedemptionStatus.PENDING.value)
    requested_on: Mapped[date]
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(sa.String(254))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fulfilled_on: Mapped[date | None]
    refunded_on: Mapped[date | None]
    closed_on: Mapped[date | None]  # rejected or cancelled
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    employee: Mapped[Employee] = relationship()
    reward: Mapped[Reward] = relationship()

    @property
    def ref(self) -> str:
        return f"redemption:{self.id}"


class PointsEntry(db.Model):
    """One line of an employee's points ledger (signs as in `ledger.py`); never updated, never deleted."""

    __tablename__ = "recognition_points_entries"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", ENTRY_KINDS), name="kind"),
        sa.CheckConstraint(
            "(kind IN ('earn', 'release', 'refund') AND points > 0) OR (kind IN ('hold', 'expire') AND points < 0)"
            " OR (kind = 'redeem' AND points = 0) OR (kind = 'adjust' AND points <> 0)",
            name="points_sign",
        ),
        sa.Index("ix_recognition_points_entries_employee_on", "employee_id", "on_date"),
        sa.Index("ix_recognition_points_entries_store_on", "store_id", "on_date"),
        # The same event never pays the same employee twice under one rule, nor one challenge twice.
        sa.UniqueConstraint("rule_id", "event", "employee_id", name="uq_recognition_points_entries_rule_event"),
        sa.UniqueConstraint("challenge_id", "employee_id", name="uq_recognition_points_entries_challenge"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(sa.ForeignKey("employees.id"))
    kind: Mapped[str] = mapped_column(sa.String(8))
    points: Mapped[int]
    on_date: Mapped[date]
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recognition_points_entries.id"))
    ref: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    award_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recognition_awards.id"))
    grant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recognition_badge_grants.id"))
    redemption_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recognition_redemptions.id"))
    # Where the points were earned (earn entries of awards and badges): leaderboards count them per store.
    store_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stores.id"))
    # One per row of an opening-balance file, so that importing the same file again adds nothing.
    import_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # Automatic points: the rule that paid them and the event that triggered it ("response:12", "case:7", …),
    # or the challenge they reward. Company-funded: no manager's budget is spent.
    rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recognition_point_rules.id"))
    event: Mapped[str | None] = mapped_column(sa.String(80))
    challenge_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recognition_challenges.id"))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by: Mapped[str] = mapped_column(sa.String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    award: Mapped[Award | None] = relationship()
    grant: Mapped[BadgeGrant | None] = relationship()
    redemption: Mapped[Redemption | None] = relationship()
    rule: Mapped[PointsRule | None] = relationship()
    challenge: Mapped[Challenge | None] = relationship()


class PointsRule(db.Model):
    """HR's rule "when EVENT, award N points (and perhaps a badge)", capped per employee and month, on or off."""

    __tablename__ = "recognition_point_rules"
    __table_args__ = (
        sa.CheckConstraint(_in("event", POINT_EVENTS), name="event"),
        sa.CheckConstraint("points > 0", name="points_positive"),
        sa.CheckConstraint("cap_per_month IS NULL OR cap_per_month > 0", name="cap_positive"),
        sa.CheckConstraint("kpi IS NULL OR " + _in("kpi", CHALLENGE_KPIS), name="kpi"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(sa.String(40))
    points: Mapped[int]
    badge_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recognition_badges.id"))
    cap_per_month: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    # Only for "store_kpi": the KPI, the threshold a month's figure must reach, and the answers it needs.
    kpi: Mapped[str | None] = mapped_column(sa.String(20))
    threshold: Mapped[Decimal | None] = mapped_column(ExactDecimal(8, 2))
    min_answers: Mapped[int] = mapped_column(default=30)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    badge: Mapped[Badge | None] = relationship()


class Challenge(db.Model):
    """A team's goal on a KPI over some days, rewarded in points per member or a team reward; settled at its end."""

    __tablename__ = "recognition_challenges"
    __table_args__ = (
        sa.CheckConstraint("(store_id IS NULL) <> (region_id IS NULL)", name="one_team"),
        sa.CheckConstraint(_in("kpi", CHALLENGE_KPIS), name="kpi"),
        sa.CheckConstraint(_in("status", CHALLENGE_STATUSES), name="status"),
        sa.CheckConstraint("ends_on >= starts_on", name="dates"),
        sa.CheckConstraint("points IS NULL OR points > 0", name="points_positive"),
        sa.CheckConstraint("points IS NOT NULL OR reward_id IS NOT NULL", name="some_reward"),
        sa.CheckConstraint("min_answers >= 0", name="min_answers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    store_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stores.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    kpi: Mapped[str] = mapped_column(sa.String(20))
    goal: Mapped[Decimal] = mapped_column(ExactDecimal(8, 2))
    min_answers: Mapped[int] = mapped_column(default=30)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    points: Mapped[int | None]
    reward_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recognition_rewards.id"))
    status: Mapped[str] = mapped_column(sa.String(12), default="running")
    # What settlement measured: the KPI, its answers and margin, and when.
    result: Mapped[Decimal | None] = mapped_column(ExactDecimal(8, 2))
    result_n: Mapped[int | None]
    result_moe: Mapped[Decimal | None] = mapped_column(ExactDecimal(8, 2))
    settled_on: Mapped[date | None]
    created_by: Mapped[str] = mapped_column(sa.String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    store: Mapped[Store | None] = relationship()
    region: Mapped[Region | None] = relationship()
    reward: Mapped[Reward | None] = relationship()


class RecognitionPreference(db.Model):
    """An employee's choice to appear as "anonymous" on leaderboards."""

    __tablename__ = "recognition_preferences"

    employee_id: Mapped[int] = mapped_column(sa.ForeignKey("employees.id", ondelete="CASCADE"), primary_key=True)
    hide_name: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class AppendOnlyError(RuntimeError):
    """Someone tried to change or remove a ledger line: corrections are new entries."""


def _refuse(mapper: object, connection: object, target: object) -> None:
    raise AppendOnlyError(f"{type(target).__name__} rows are append-only: add a correcting entry instead")


for _model in (PointsEntry, BudgetEntry):
    event.listen(_model, "before_update", _refuse)
    event.listen(_model, "before_delete", _refuse)
