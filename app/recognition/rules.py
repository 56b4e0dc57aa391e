"""Automatic points: HR's rules "when EVENT, award N points (and perhaps a badge)", and the events that fire them.

Each payment is an ordinary ledger entry naming its rule and its event (``response:12``, ``case:7``,
``store:3:2026-07``, ``ack:5``, ``anniversary:2026``, ``pulse:9`` for survey 9); a unique key on rule, event and
employee means an event never pays twice, whatever re-imports, retries or concurrent webhooks do. The employee's
row is locked before the monthly cap is summed (row_locks.py), so concurrent events cannot pay past it either.
The points are company-funded: no manager's budget is spent, and when HR sets a monthly company budget for
automatic points (recognition settings) the rules together pay no more than it in a month (what is left, then nothing).

Events and where they come from:

* ``promoter_named`` -- a promoter (9-10) named an employee (`employee_number`): the webhook and every survey import.
* ``case_closed_fast`` -- a follow-up case resolved within 48 h of its opening: to whoever resolved it (case page).
* ``store_kpi`` -- a store's KPI reached the rule's threshold in a month, with enough answers: its team, pro-rata of
  presence (`flask points rules apply`, after the month).
* ``objectives_acknowledged`` -- an employee acknowledged the objectives published to them.
* ``work_anniversary`` -- each year since the hire date (`flask points rules apply`, daily).
* ``pulse_answered`` -- an employee answered a pulse survey for the first time (app/pulse/services.py): the entry
  names the survey, never the answer, so the ledger says who answered (as the participation table does) but not what.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.audit.services import record
from app.core import clock
from app.extensions import db
from app.feedback.kpi import PROMOTER_MIN
from app.feedback.models import FollowUpCase, SurveyResponse
from app.org.models import Employee, Store
from app.periods import Period
from app.recognition import points
from app.recognition.badges import badge_by_code
from app.recognition.goals import judge, within_cap
from app.recognition.models import CHALLENGE_KPIS, POINT_EVENTS, BadgeGrant, PointsEntry, PointsRule
from app.recognition.row_locks import lock_company_budget, lock_employees
from app.recognition.settings import load_settings
from app.recognition.teams import measure, team_shares

EVENT_LABELS = {
    "promoter_named": _l("Named by a promoter"),
    "case_closed_fast": _l("Follow-up case closed within 48 h"),
    "store_kpi": _l("Store reached a KPI threshold"),
    "objectives_acknowledged": _l("Objectives acknowledged"),
    "work_anniversary": _l("Work anniversary"),
    "pulse_answered": _l("Pulse survey answered"),
}
KPI_LABELS = {"nps": "NPS", "csat": "CSAT", "ces": "CES", "followup": _l("follow-up rate")}
# How far back `apply` looks for events a hook may have missed (a webhook that failed after storing, say).
CATCH_UP_DAYS = 31


class RuleError(ValueError):
    """A rule that cannot be saved; `field` names the option or form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def rule_dict(rule: PointsRule) -> dict[str, object]:
    """Return a rule as `flask points rules list --json` prints it."""
    return {
        "id": rule.id,
        "event": rule.event,
        "points": rule.points,
        "badge": rule.badge.code if rule.badge else None,
        "cap_per_month": rule.cap_per_month,
        "active": rule.active,
        "kpi": rule.kpi,
        "threshold": rule.threshold,
        "min_answers": rule.min_answers,
    }


def all_rules() -> list[PointsRule]:
    return list(db.session.scalars(sa.select(PointsRule).order_by(PointsRule.event, PointsRule.id)))


def parse_decimal(text: str | Decimal | None, name: str) -> Decimal | None:
    """Read a threshold or goal such as 90 or 4,5; None when empty."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        value = Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation:
        raise RuleError(_("%(name)s: %(value)s is not a number", name=name, value=repr(text)), name) from None
    if not value.is_finite() or abs(value) >= 1000000:
        raise RuleError(_("%(name)s: %(value)s is not a number", name=name, value=repr(text)), name)
    return value.quantize(Decimal("0.01"))


def add_rule(
    event: str,
    points_given: int,
    *,
    badge_code: str | None = None,
    cap_per_month: int | None = None,
    kpi: str | None = None,
    threshold: str | Decimal | None = None,
    min_answers: int = 30,
    active: bool = True,
) -> PointsRule:
    """Create a rule (audited); raise RuleError naming the field at fault."""
    if event not in POINT_EVENTS:
        raise RuleError(
            _("unknown event %(event)s; one of %(events)s", event=repr(event), events=", ".join(POINT_EVENTS)), "event"
        )
    if type(points_given) is not int or points_given <= 0:
        raise RuleError(_("points must be a positive whole number"), "points")
    if cap_per_month is not None and cap_per_month <= 0:
        raise RuleError(_("the monthly cap, when given, is a positive whole number"), "cap_per_month")
    badge = None
    if badge_code:
        badge = badge_by_code(badge_code)
        if badge is None or not badge.active:
            raise RuleError(_("no badge %(code)s", code=repr(badge_code)), "badge")
    value = parse_decimal(threshold, "threshold")
    if event == "store_kpi":
        if kpi not in CHALLENGE_KPIS:
            raise RuleError(_("a store KPI rule needs a KPI: one of %(kpis)s", kpis=", ".join(CHALLENGE_KPIS)), "kpi")
        if value is None:
            raise RuleError(_("a store KPI rule needs a threshold"), "threshold")
        if min_answers < 0:
            raise RuleError(_("the answers needed cannot be negative"), "min_answers")
    elif kpi or value is not None:
        raise RuleError(_("only a store KPI rule takes a KPI and a threshold"), "kpi")
    rule = PointsRule(
        event=event,
        points=points_given,
        badge_id=badge.id if badge else None,
        cap_per_month=cap_per_month,
        kpi=kpi if event == "store_kpi" else None,
        threshold=value,
        min_answers=min_answers,
        active=active,
    )
    db.session.add(rule)
    db.session.flush()
    record(
        "points_rule.add", "points_rule", rule.id, summary=f"when {event}, {points_given} points", after=rule_dict(rule)
    )
    return rule


def set_active(rule: PointsRule, active: bool) -> None:
    """Switch a rule on or off (audited); a rule switched off pays nothing until switched on again."""
    if rule.active == active:
        return
    rule.active = active
    db.session.flush()
    record(
        "points_rule.switch",
        "points_rule",
        rule.id,
        summary=f"rule {rule.id} {'on' if active else 'off'}",
        before={"active": not active},
        after={"active": active},
    )


# --- paying ---------------------------------------------------------------------------------------------------------


def _paid_this_month(rule: PointsRule, employee_id: int, on: date) -> int:
    month = Period.containing(on, "month")
    return (
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(PointsEntry.points), 0)).where(
                PointsEntry.rule_id == rule.id,
                PointsEntry.employee_id == employee_id,
                PointsEntry.kind == "earn",
                PointsEntry.on_date.between(month.start, month.end),
            )
        )
        or 0
    )


def _company_spent(on: date) -> int:
    """Return the points every rule has paid in the month of `on` (what the company's budget has spent)."""
    month = Period.containing(on, "month")
    return (
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(PointsEntry.points), 0)).where(
                PointsEntry.rule_id.is_not(None),
                PointsEntry.kind == "earn",
                PointsEntry.on_date.between(month.start, month.end),
            )
        )
        or 0
    )


def pay(
    rule: PointsRule, employee_id: int, event: str, on: date, *, store_id: int | None, points_due: int | None = None
) -> PointsEntry | None:
    """Pay a rule's points for an event to an employee, within the monthly cap; None if paid before or capped out.

    Locks the employee's row first (and the company's budget before it, when there is one), so that the check for
    an earlier payment and the sums of the caps stay true until the caller commits; the unique key on rule, event
    and employee backs it.
    """
    budget = load_settings().automatic_points_per_month
    if budget:
        lock_company_budget()
    lock_employees([employee_id])
    already = db.session.scalar(
        sa.select(PointsEntry.id).where(
            PointsEntry.rule_id == rule.id, PointsEntry.event == event, PointsEntry.employee_id == employee_id
        )
    )
    if already is not None:
        return None
    due = rule.points if points_due is None else points_due
    amount = within_cap(due, _paid_this_month(rule, employee_id, on), rule.cap_per_month)
    if budget:
        amount = within_cap(amount, _company_spent(on), budget)
    if amount <= 0:
        return None
    note = f"rule {rule.id}: {rule.event} ({event})"
    grant_id = None
    if rule.badge is not None:
        grant = BadgeGrant(
            badge_id=rule.badge.id,
            employee_id=employee_id,
            store_id=store_id,
            points=amount,
            reason=note,
            granted_on=on,
        )
        db.session.add(grant)
        db.session.flush()
        grant_id = grant.id
    entry = points.earn(
        employee_id, amount, on, note=note, store_id=store_id, grant_id=grant_id, rule_id=rule.id, event=event
    )
    record(
        "points.rule",
        "points_rule",
        rule.id,
        summary=f"{amount} points to employee {employee_id} for {event}",
        after={"employee_id": employee_id, "event": event, "points": amount, "on": on},
    )
    return entry


def _active(event: str) -> list[PointsRule]:
    return list(
        db.session.scalars(
            sa.select(PointsRule).where(PointsRule.event == event, PointsRule.active.is_(True)).order_by(PointsRule.id)
        )
    )


def fire(event: str, key: str, employee_id: int, on: date, store_id: int | None = None) -> int:
    """Pay every active rule of `event` for one occurrence (`key`) to an employee; return the points paid."""
    paid = 0
    for rule in _active(event):
        entry = pay(rule, employee_id, key, on, store_id=store_id)
        paid += entry.points if entry else 0
    return paid


# --- the events -----------------------------------------------------------------------------------------------------


def _promoter_named() -> sa.ColumnElement[bool]:
    return sa.and_(
        SurveyResponse.nps >= PROMOTER_MIN, SurveyResponse.employee_id.is_not(None), SurveyResponse.excluded.is_(False)
    )


def on_responses(condition: sa.ColumnElement[bool]) -> int:
    """Pay the promoter rules for the responses matching `condition` that name an employee; return the points."""
    if not _active("promoter_named"):
        return 0
    rows = db.session.execute(
        sa.select(SurveyResponse.id, SurveyResponse.employee_id, SurveyResponse.store_id, SurveyResponse.local_date)
        .where(condition, _promoter_named())
        .order_by(SurveyResponse.id)
    ).all()
    return sum(fire("promoter_named", f"response:{r.id}", r.employee_id, r.local_date, r.store_id) for r in rows)


def on_response(response_id: int) -> int:
    """Pay the promoter rules for one stored response (the webhook)."""
    return on_responses(SurveyResponse.id == response_id)


def on_case_closed(case: FollowUpCase, closer_employee_id: int | None) -> int:
    """Pay the fast-follow-up rules to whoever resolved a case within 48 h of its opening.

    Only a resolved case counts: paying for "unreachable" would reward closing cases without calling.
    """
    if closer_employee_id is None or case.status != "resolved" or case.closed_at is None:
        return 0
    if case.closed_at > case.due_at:
        return 0
    return fire(
        "case_closed_fast", f"case:{case.id}", closer_employee_id, clock.local(case.closed_at).date(), case.store_id
    )


def on_objectives_acknowledged(ack_id: int, employee_id: int, on: date) -> int:
    """Pay the acknowledgement rules once per publication acknowledged."""
    return fire("objectives_acknowledged", f"ack:{ack_id}", employee_id, on)


def on_pulse_answered(survey_id: int, employee_id: int, on: date) -> int:
    """Pay the pulse rules once per survey an employee answers.

    The event is the survey, not the answer: answers are anonymous, and a ledger entry naming one would tie it to
    the employee.
    """
    return fire("pulse_answered", f"pulse:{survey_id}", employee_id, on)


def anniversaries(first: date, last: date) -> int:
    """Pay the anniversary rules for every work anniversary from `first` to `last`, to employees still there."""
    if not _active("work_anniversary"):
        return 0
    paid = 0
    employees = db.session.scalars(
        sa.select(Employee).where(
            Employee.hire_date < first - timedelta(days=300),
            sa.or_(Employee.exit_date.is_(None), Employee.exit_date >= first),
        )
    )
    for employee in employees:
        for year in range(first.year, last.year + 1):
            hired = employee.hire_date
            day = date(year, hired.month, 28) if (hired.month, hired.day) == (2, 29) else hired.replace(year=year)
            if first <= day <= last and year > hired.year and (employee.exit_date is None or employee.exit_date >= day):
                paid += fire("work_anniversary", f"anniversary:{year}", employee.id, day)
    return paid


def store_kpi_month(month: Period) -> int:
    """Pay the store KPI rules for a month that is over: each store that reached a threshold, its team pro-rata."""
    paid = 0
    rules = _active("store_kpi")
    if not rules:
        return 0
    stores = list(db.session.scalars(sa.select(Store).order_by(Store.code)))
    for rule in rules:
        assert rule.kpi is not None and rule.threshold is not None
        for store in stores:
            figure = measure(rule.kpi, store.id, None, month.start, month.end)
            if not judge(rule.kpi, figure.value, figure.n, figure.moe, rule.threshold, rule.min_answers).met:
                continue
            for share in team_shares([store.id], month.start, month.end, rule.points):
                entry = pay(
                    rule,
                    share.employee_id,
                    f"store:{store.id}:{month}",
                    month.end,
                    store_id=share.store_id,
                    points_due=share.points,
                )
                paid += entry.points if entry else 0
    return paid


@dataclass
class Applied:
    """What `apply` paid, per event."""

    points: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.points.values())


def apply(as_of: date | None = None) -> Applied:
    """Pay what the rules owe up to `as_of`: anniversaries, last month's store KPIs, and any missed promoter.

    Idempotent: run it daily; an event already paid is never paid again.
    """
    as_of = as_of or clock.today()
    first = as_of - timedelta(days=CATCH_UP_DAYS)
    result = Applied()
    result.points["promoter_named"] = on_responses(SurveyResponse.local_date.between(first, as_of))
    result.points["work_anniversary"] = anniversaries(first, as_of)
    last_month = Period.containing(as_of, "month").previous()
    result.points["store_kpi"] = store_kpi_month(last_month)
    if result.total:
        record(
            "points.rules_apply",
            "points_rule",
            as_of.isoformat(),
            summary=f"{result.total} points paid by rules",
            after=result.points,
        )
    return result


def spent_by_month(months: int = 6) -> list[tuple[str, int]]:
    """Return the company-funded points the rules and challenges paid in the last months, newest first."""
    today = clock.today()
    out = []
    month = Period.containing(today, "month")
    for _i in range(months):
        total = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(PointsEntry.points), 0)).where(
                sa.or_(PointsEntry.rule_id.is_not(None), PointsEntry.challenge_id.is_not(None)),
                PointsEntry.kind == "earn",
                PointsEntry.on_date.between(month.start, month.end),
            )
        )
        out.append((str(month), int(total or 0)))
        month = month.previous()
    return out
