"""The rewards catalogue and redemptions: points held on request, then fulfilled, or rejected or cancelled.

Life of a redemption (`TRANSITIONS`): pending → approved → fulfilled → refunded; pending or approved → rejected;
pending → cancelled (by the employee). Holding, releasing, redeeming and refunding are ledger entries; a limited
stock is a counter taken with `UPDATE … WHERE stock > 0` and put back on rejection or cancellation. Every step
first locks the employee's row, so that balance, stock and yearly limit are checked and changed together.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.audit.services import current_actor, record
from app.core import clock
from app.dbtypes import utcnow
from app.extensions import db
from app.money import MoneyError, to_decimal
from app.org.models import Employee
from app.recognition import points
from app.recognition.account import (
    effective_entries,
    plan_hold,
    plan_redeem,
    plan_refund,
    plan_release,
)
from app.recognition.badges import icons
from app.recognition.ledger import InsufficientPoints
from app.recognition.models import REWARD_KINDS, Redemption, RedemptionStatus, Reward
from app.recognition.row_locks import lock_employees, put_back_in_stock, take_from_stock
from app.recognition.settings import load_settings
from app.webhooks import events as webhook_events

S = RedemptionStatus
TRANSITIONS: dict[RedemptionStatus, dict[str, RedemptionStatus]] = {
    S.PENDING: {"approve": S.APPROVED, "reject": S.REJECTED, "cancel": S.CANCELLED},
    S.APPROVED: {"fulfil": S.FULFILLED, "reject": S.REJECTED},
    S.FULFILLED: {"refund": S.REFUNDED},
    S.REJECTED: {},
    S.CANCELLED: {},
    S.REFUNDED: {},
}
HR_ACTIONS = ("approve", "fulfil", "reject", "refund")
NEEDS_REASON = ("reject", "refund")
COUNTS_TOWARDS_LIMIT = (S.PENDING, S.APPROVED, S.FULFILLED)


class CatalogueError(ValueError):
    """A reward or redemption request that cannot be done; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class RedemptionRefused(CatalogueError):
    """Not enough points, no stock left, yearly limit reached, reward withdrawn: a 409."""


class RedemptionStateError(CatalogueError):
    """A step the redemption's status does not allow: a 409."""


def next_status(current: str, action: str) -> RedemptionStatus:
    """Return the status an action leads to, or raise RedemptionStateError."""
    target = TRANSITIONS[RedemptionStatus(current)].get(action)
    if target is None:
        raise RedemptionStateError(
            _(
                "a redemption that is %(status)s cannot be %(action)s",
                status=_past_status(current),
                action=_past(action),
            )
        )
    return target


def _past_status(status: str) -> str:
    return {
        "pending": _("pending"),
        "approved": _("approved"),
        "fulfilled": _("fulfilled"),
        "rejected": _("rejected"),
        "cancelled": _("cancelled"),
        "refunded": _("refunded"),
    }[status]


def _past(action: str) -> str:
    return {
        "approve": _("approved"),
        "fulfil": _("fulfilled"),
        "reject": _("rejected"),
        "cancel": _("cancelled"),
    }.get(action, _("refunded"))


# --- rewards --------------------------------------------------------------------------------------------------------


def parse_euro_value(text: str | None) -> Decimal | None:
    """Read an optional euro amount (two decimals at most, not negative)."""
    text = (text or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = to_decimal(text)
    except (MoneyError, ValueError, ArithmeticError):
        raise CatalogueError(_("%(text)s is not an amount", text=repr(text)), "euro_value") from None
    if value < 0 or value != value.quantize(Decimal("0.01")):
        raise CatalogueError(_("an amount of euros, 0 or more, with at most two decimals"), "euro_value")
    return value.quantize(Decimal("0.01"))


def save_reward(
    reward: Reward | None,
    *,
    name: str,
    kind: str,
    cost: int,
    description: str = "",
    stock: int | None = None,
    limit_per_year: int | None = None,
    euro_value: Decimal | None = None,
    icon: str = "",
    active: bool = True,
) -> Reward:
    """Create or change a reward of the catalogue (audited)."""
    if not name.strip():
        raise CatalogueError(_("a reward needs a name"), "name")
    if kind not in REWARD_KINDS:
        raise CatalogueError(_("the kind is one of %(kinds)s", kinds=", ".join(REWARD_KINDS)), "kind")
    if type(cost) is not int or cost <= 0:
        raise CatalogueError(_("the cost is a positive whole number of points"), "cost")
    if stock is not None and stock < 0:
        raise CatalogueError(_("the stock cannot be negative"), "stock")
    if limit_per_year is not None and limit_per_year <= 0:
        raise CatalogueError(_("the yearly limit, when given, is at least 1"), "limit_per_year")
    if euro_value is not None and euro_value < 0:
        raise CatalogueError(_("the euro value cannot be negative"), "euro_value")
    if icon and icon not in icons():
        raise CatalogueError(_("no image %(name)s in app/static/badges", name=repr(icon)), "icon")
    before = _reward_dict(reward) if reward is not None else None
    if reward is None:
        reward = Reward()
        db.session.add(reward)
    reward.name, reward.kind, reward.cost, reward.description = name.strip(), kind, cost, description.strip()
    reward.stock, reward.limit_per_year, reward.euro_value = stock, limit_per_year, euro_value
    reward.icon, reward.active = icon, active
    db.session.flush()
    record(
        "reward.save", "reward", reward.id, summary=f"reward {reward.name}", before=before, after=_reward_dict(reward)
    )
    return reward


def _reward_dict(reward: Reward) -> dict[str, object]:
    return {
        "name": reward.name,
        "kind": reward.kind,
        "cost": reward.cost,
        "stock": reward.stock,
        "limit_per_year": reward.limit_per_year,
        "euro_value": reward.euro_value,
        "active": reward.active,
    }


def catalogue(include_inactive: bool = False) -> list[Reward]:
    query = sa.select(Reward)
    if not include_inactive:
        query = query.where(Reward.active.is_(True))
    return list(db.session.scalars(query.order_by(Reward.cost, Reward.name)))


# --- redemptions ----------------------------------------------------------------------------------------------------


def redeemed_this_year(employee_id: int, reward_id: int, on: date) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Redemption)
            .where(
                Redemption.employee_id == employee_id,
                Redemption.reward_id == reward_id,
                Redemption.requested_on >= date(on.year, 1, 1),
                Redemption.requested_on <= date(on.year, 12, 31),
                Redemption.status.in_([s.value for s in COUNTS_TOWARDS_LIMIT]),
            )
        )
        or 0
    )


def request_redemption(employee: Employee, reward: Reward, on: date | None = None) -> Redemption:
    """Hold a reward's cost from the employee's points and take one from its stock (flushed, not committed)."""
    settings = load_settings()
    on = on or clock.today()
    lock_employees([employee.id])
    db.session.refresh(reward)
    if not reward.active:
        raise RedemptionRefused(_("%(name)s is no longer in the catalogue", name=reward.name))
    if reward.limit_per_year is not None and redeemed_this_year(employee.id, reward.id, on) >= reward.limit_per_year:
        raise RedemptionRefused(
            _("%(name)s can be redeemed %(n)d time(s) a year", name=reward.name, n=reward.limit_per_year)
        )
    entries = effective_entries(
        points.entries_of(employee.id), on, settings.expiry_months, points.leaving_of(employee, settings)
    )
    # Every check comes before the first write, so a refusal leaves nothing behind even without a rollback.
    try:
        holds = plan_hold(entries, reward.cost, on, "redemption:new", settings.expiry_months)
    except InsufficientPoints as exc:
        raise RedemptionRefused(
            _(
                "%(name)s costs %(cost)d points; %(balance)d are available",
                name=reward.name,
                cost=reward.cost,
                balance=exc.balance,
            )
        ) from None
    if not take_from_stock(reward):
        raise RedemptionRefused(_("%(name)s is out of stock", name=reward.name))
    redemption = Redemption(
        employee_id=employee.id,
        reward_id=reward.id,
        points=reward.cost,
        euro_value=reward.euro_value,
        status=S.PENDING.value,
        requested_on=on,
    )
    db.session.add(redemption)
    db.session.flush()
    holds = [replace(hold, ref=redemption.ref) for hold in holds]
    points.append(employee.id, holds, redemption_id=redemption.id, note=reward.name)
    record(
        "redemption.request",
        "redemption",
        redemption.id,
        summary=f"{employee.number} asked for {reward.name} ({reward.cost} points)",
        after={"reward": reward.id, "points": reward.cost, "status": redemption.status},
    )
    webhook_events.points_redeemed(redemption, employee.number)
    return redemption


def change_redemption(redemption: Redemption, action: str, note: str = "", on: date | None = None) -> Redemption:
    """Move a redemption on (approve, fulfil, reject, cancel, refund) with its ledger and stock effects."""
    on = on or clock.today()
    note = (note or "").strip()
    if action in NEEDS_REASON and len(note) < 3:
        raise CatalogueError(_("say why"), "note")
    lock_employees([redemption.employee_id])
    db.session.refresh(redemption)
    before = redemption.status
    target = next_status(before, action)
    entries = points.entries_of(redemption.employee_id)
    reward = redemption.reward
    if action in ("reject", "cancel"):
        points.append(
            redemption.employee_id,
            plan_release(entries, redemption.ref, on),
            redemption_id=redemption.id,
            note=note or reward.name,
        )
        put_back_in_stock(reward)
        redemption.closed_on = on
    elif action == "fulfil":
        points.append(
            redemption.employee_id,
            plan_redeem(entries, redemption.ref, on),
            redemption_id=redemption.id,
            note=reward.name,
        )
        redemption.fulfilled_on = on
    elif action == "refund":
        points.append(
            redemption.employee_id, plan_refund(entries, redemption.ref, on), redemption_id=redemption.id, note=note
        )
        redemption.refunded_on = on
    _actor_id, actor = current_actor()
    redemption.status = target.value
    if action != "cancel":
        redemption.decided_by, redemption.decided_at = actor, utcnow()
    if note:
        redemption.note = note[:500]
    db.session.flush()
    record(
        f"redemption.{action}",
        "redemption",
        redemption.id,
        summary=f"{reward.name} for employee #{redemption.employee_id}: {before} → {target.value}",
        before={"status": before},
        after={"status": target.value, "note": note},
    )
    return redemption


def redemptions_of(employee_id: int) -> list[Redemption]:
    return list(
        db.session.scalars(
            sa.select(Redemption)
            .where(Redemption.employee_id == employee_id)
            .order_by(Redemption.requested_on.desc(), Redemption.id.desc())
        )
    )
