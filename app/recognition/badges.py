"""Badges: HR's catalogue of badges, and the rules that grant some of them (`flask badges evaluate`).

Rules, each granting its badge at most once per employee and period (a unique constraint backs the check):

* ``detractors_recovered`` -- per month: whoever held at least five follow-up cases resolved that month (the
  assignee, or the store's managers for a case nobody was assigned).
* ``promoter_compliment`` -- per month: an employee named by a promoter (9-10) who left a comment.
* ``nps_progression`` -- per period: in each region, the store whose NPS rose most against the previous period,
  among stores with at least 30 answers in both; the badge goes to its team on the period's last day.

A rule badge with points credits them (company-funded, not from a manager's budget).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.audit.services import record
from app.core import clock
from app.extensions import db
from app.feedback.aggregate import nps_category_condition
from app.feedback.models import FollowUpCase, SurveyResponse
from app.org.models import Employee, ManagerScope, Store
from app.org.scope import team_condition
from app.periods import Period
from app.recognition import points
from app.recognition.models import BADGE_RULES, Badge, BadgeGrant
from app.recognition.row_locks import lock_employees

RECOVERED_CASES = 5
PROGRESSION_MIN_ANSWERS = 30
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class BadgeError(ValueError):
    """A badge that cannot be saved or evaluated; `field` names the field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def icons() -> list[str]:
    """Return the icon files shipped under app/static/badges."""
    folder = Path(current_app.static_folder or "") / "badges"
    return sorted(path.name for path in folder.glob("*.svg"))


def badge_by_code(code: str) -> Badge | None:
    return db.session.scalar(sa.select(Badge).where(Badge.code == code.strip().lower()))


def active_badges(manual_only: bool = False) -> list[Badge]:
    query = sa.select(Badge).where(Badge.active.is_(True))
    if manual_only:
        query = query.where(Badge.rule.is_(None))
    return list(db.session.scalars(query.order_by(Badge.name)))


def save_badge(
    badge: Badge | None,
    *,
    code: str,
    name: str,
    icon: str,
    description: str = "",
    criteria: str = "",
    points_given: int | None = None,
    rule: str | None = None,
    active: bool = True,
) -> Badge:
    """Create or change a badge (audited)."""
    code = code.strip().lower()
    if not CODE.match(code):
        raise BadgeError(_("a code is 1 to 40 lower-case letters, digits, - or _"), "code")
    other = badge_by_code(code)
    if other is not None and other is not badge:
        raise BadgeError(_("the code %(code)s is taken", code=code), "code")
    if not name.strip():
        raise BadgeError(_("a badge needs a name"), "name")
    if icon not in icons():
        raise BadgeError(_("no icon %(name)s in app/static/badges", name=repr(icon)), "icon")
    if points_given is not None and points_given <= 0:
        raise BadgeError(_("points, when given, are a positive whole number"), "points")
    rule = rule or None
    if rule is not None:
        if rule not in BADGE_RULES:
            raise BadgeError(_("unknown rule %(rule)s", rule=repr(rule)), "rule")
        holder = db.session.scalar(sa.select(Badge).where(Badge.rule == rule))
        if holder is not None and holder is not badge:
            raise BadgeError(_("the badge %(name)s already has this rule", name=holder.name), "rule")
    before = _badge_dict(badge) if badge is not None else None
    if badge is None:
        badge = Badge()
        db.session.add(badge)
    badge.code, badge.name, badge.icon = code, name.strip(), icon
    badge.description, badge.criteria = description.strip(), criteria.strip()
    badge.points, badge.rule, badge.active = points_given, rule, active
    db.session.flush()
    record("badge.save", "badge", badge.id, summary=f"badge {code}", before=before, after=_badge_dict(badge))
    return badge


def _badge_dict(badge: Badge) -> dict[str, object]:
    return {
        "code": badge.code,
        "name": badge.name,
        "icon": badge.icon,
        "points": badge.points,
        "rule": badge.rule,
        "active": badge.active,
    }


# --- rules ----------------------------------------------------------------------------------------------------------


@dataclass
class Evaluation:
    """What `evaluate` granted, and the rules it could not apply with why."""

    granted: list[BadgeGrant] = field(default_factory=list)
    already: int = 0
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Candidate:
    employee_id: int
    store_id: int | None
    reason: str


def _utc_bounds(period: Period) -> tuple[datetime, datetime]:
    zone = clock.zone()
    start = datetime.combine(period.start, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(period.end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def recovered_detractors(month: Period) -> list[Candidate]:
    """Whoever held five or more follow-up cases resolved in the month."""
    start, end = _utc_bounds(month)
    cases = db.session.execute(
        sa.select(FollowUpCase.store_id, FollowUpCase.assignee_id, FollowUpCase.closed_at).where(
            FollowUpCase.status == "resolved", FollowUpCase.closed_at >= start, FollowUpCase.closed_at < end
        )
    ).all()
    managers: dict[int, list[int]] = defaultdict(list)
    for store_id, employee_id, exit_date in db.session.execute(
        sa.select(ManagerScope.store_id, ManagerScope.employee_id, Employee.exit_date)
        .join(Employee, Employee.id == ManagerScope.employee_id)
        .where(ManagerScope.store_id.is_not(None))
    ):
        if exit_date is None or exit_date >= month.start:
            managers[store_id].append(employee_id)
    counts: Counter[int] = Counter()
    stores: dict[int, Counter[int]] = defaultdict(Counter)
    for store_id, assignee_id, _closed in cases:
        for employee_id in [assignee_id] if assignee_id else managers.get(store_id, []):
            counts[employee_id] += 1
            stores[employee_id][store_id] += 1
    return [
        Candidate(employee_id, stores[employee_id].most_common(1)[0][0], f"{count} detractors recovered in {month}")
        for employee_id, count in sorted(counts.items())
        if count >= RECOVERED_CASES
    ]


def promoter_compliments(month: Period) -> list[Candidate]:
    """Employees named by a promoter who left a comment in the month."""
    rows = db.session.execute(
        sa.select(SurveyResponse.employee_id, SurveyResponse.store_id, sa.func.count())
        .where(
            nps_category_condition("promoter"),
            SurveyResponse.employee_id.is_not(None),
            SurveyResponse.comment.is_not(None),
            sa.func.length(sa.func.trim(SurveyResponse.comment)) > 0,
            SurveyResponse.excluded.is_(False),
            SurveyResponse.local_month == month.month_key,
        )
        .group_by(SurveyResponse.employee_id, SurveyResponse.store_id)
        .order_by(SurveyResponse.employee_id, sa.func.count().desc(), SurveyResponse.store_id)
    ).all()
    best: dict[int, tuple[int, int]] = {}
    totals: Counter[int] = Counter()
    for employee_id, store_id, count in rows:
        totals[employee_id] += count
        best.setdefault(employee_id, (store_id, count))
    return [
        Candidate(employee_id, best[employee_id][0], f"{totals[employee_id]} promoter compliment(s) in {month}")
        for employee_id in sorted(totals)
    ]


def nps_progression(period: Period) -> list[Candidate]:
    """The team of each region's store whose NPS rose most against the previous period (≥ 30 answers in both)."""
    from app.feedback.aggregate import tallies_by_store

    current, previous = tallies_by_store(period), tallies_by_store(period.previous())
    gains: dict[int, list[tuple[Decimal, Store]]] = defaultdict(list)
    stores = {s.id: s for s in db.session.scalars(sa.select(Store).where(Store.id.in_(current.keys() or {-1})))}
    for store_id, tally in current.items():
        before = previous.get(store_id)
        if before is None or tally.nps_n < PROGRESSION_MIN_ANSWERS or before.nps_n < PROGRESSION_MIN_ANSWERS:
            continue
        now_nps, then_nps = tally.summary().nps, before.summary().nps
        if now_nps is None or then_nps is None or now_nps.nps is None or then_nps.nps is None:
            continue
        gain = now_nps.nps - then_nps.nps
        if gain > 0:
            store = stores[store_id]
            gains[store.region_id].append((gain, store))
    candidates: list[Candidate] = []
    for region_id in sorted(gains):
        top = max(gain for gain, _store in gains[region_id])
        for gain, store in sorted(gains[region_id], key=lambda item: item[1].code):
            if gain != top:
                continue
            team = db.session.scalars(
                sa.select(Employee.id).where(team_condition({store.id}, period.end)).order_by(Employee.id)
            )
            reason = f"{store.code}: NPS +{gain} in {period} against {period.previous()}"
            candidates += [Candidate(employee_id, store.id, reason) for employee_id in team]
    return candidates


def _grant_all(badge: Badge, candidates: list[Candidate], rule: str, period: Period, on: date) -> list[BadgeGrant]:
    """Grant a rule's badge to the candidates who do not hold it for the period yet (their rows locked first)."""
    candidates = list({c.employee_id: c for c in reversed(candidates)}.values())[::-1]  # one per employee
    if not candidates:
        return []
    lock_employees(c.employee_id for c in candidates)
    holders = set(
        db.session.scalars(
            sa.select(BadgeGrant.employee_id).where(
                BadgeGrant.rule == rule,
                BadgeGrant.period == str(period),
                BadgeGrant.employee_id.in_({c.employee_id for c in candidates}),
            )
        )
    )
    grants = [
        BadgeGrant(
            badge_id=badge.id,
            employee_id=c.employee_id,
            rule=rule,
            period=str(period),
            store_id=c.store_id,
            points=badge.points or 0,
            reason=c.reason[:500],
            granted_on=on,
        )
        for c in candidates
        if c.employee_id not in holders
    ]
    db.session.add_all(grants)
    db.session.flush()
    if badge.points:
        for grant in grants:
            points.append(
                grant.employee_id,
                points.plan_earn(badge.points, on),
                grant_id=grant.id,
                store_id=grant.store_id,
                note=badge.name,
                flush=False,
            )
        db.session.flush()
    return grants


def evaluate(period: Period, on: date | None = None) -> Evaluation:
    """Grant the rule badges earned in `period`; running it again grants nothing new."""
    on = on or clock.today()
    if period.start > on:
        raise BadgeError(_("%(period)s has not started yet", period=str(period)))
    result = Evaluation()
    rules = {badge.rule: badge for badge in active_badges() if badge.rule}
    plans: list[tuple[str, Period, list[Candidate]]] = []
    for rule in BADGE_RULES:
        if rule not in rules:
            result.skipped.append(f"{rule}: no active badge has this rule")
            continue
        if rule == "nps_progression":
            if period.end >= on:
                result.skipped.append(f"{rule}: {period} is not over yet")
                continue
            plans.append((rule, period, nps_progression(period)))
            continue
        finder = recovered_detractors if rule == "detractors_recovered" else promoter_compliments
        for month in period.month_periods():
            if month.start <= on:
                plans.append((rule, month, finder(month)))
    for rule, label_period, candidates in plans:
        grants = _grant_all(rules[rule], candidates, rule, label_period, on)
        result.granted += grants
        result.already += len(candidates) - len(grants)
    if result.granted:
        record(
            "badges.evaluate",
            "badge",
            str(period),
            summary=f"{len(result.granted)} rule badges granted for {period}",
            after={"granted": len(result.granted), "already": result.already},
        )
    return result
