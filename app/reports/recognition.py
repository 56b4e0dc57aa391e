"""Recognition figures for statements and reports, read through one narrow door so that statements still render
(with an empty recognition box) when the recognition tables are missing or hold nothing yet."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.org.models import Employee
from app.periods import Period
from app.reports.statements.data import BadgeView, RecognitionView


def recognition_for(employee_id: int, start: date, end: date) -> RecognitionView:
    """Points earned and badges received from `start` to `end`, and the balance at `end` (empty when unavailable)."""
    return recognition_for_many([employee_id], start, end).get(employee_id, RecognitionView())


def recognition_for_many(employee_ids: Iterable[int], start: date, end: date) -> dict[int, RecognitionView]:
    """The same for several employees, in a constant number of queries (plus one ledger replay each)."""
    ids = sorted(set(employee_ids))
    try:
        from app.recognition.account import Leaving, account_summary
        from app.recognition.ledger import Entry
        from app.recognition.models import Badge, BadgeGrant, PointsEntry
        from app.recognition.settings import load_settings
    except ImportError:  # recognition not installed in this build
        return {}
    if not ids:
        return {}
    entries = db.session.execute(
        sa.select(
            PointsEntry.employee_id,
            PointsEntry.id,
            PointsEntry.kind,
            PointsEntry.points,
            PointsEntry.on_date,
            PointsEntry.batch_id,
            PointsEntry.ref,
        )
        .where(PointsEntry.employee_id.in_(ids), PointsEntry.on_date <= end)
        .order_by(PointsEntry.on_date, PointsEntry.id)
    ).all()
    grants = db.session.execute(
        sa.select(BadgeGrant.employee_id, Badge.name, BadgeGrant.granted_on)
        .join(Badge, Badge.id == BadgeGrant.badge_id)
        .where(BadgeGrant.employee_id.in_(ids), BadgeGrant.granted_on.between(start, end))
        .order_by(BadgeGrant.granted_on, BadgeGrant.id)
    ).all()
    settings = load_settings()
    # The leavers' policy applies here as in `flask points balance`, so a statement shows the same balance.
    exits = dict(db.session.execute(sa.select(Employee.id, Employee.exit_date).where(Employee.id.in_(ids))).all())
    by_employee: dict[int, list] = {i: [] for i in ids}
    for row in entries:
        by_employee[row.employee_id].append(row)
    badges: dict[int, list[BadgeView]] = {i: [] for i in ids}
    for row in grants:
        badges[row.employee_id].append(BadgeView(row.name, row.granted_on))
    result = {}
    for employee_id in ids:
        rows = by_employee[employee_id]
        if not rows and not badges[employee_id]:
            result[employee_id] = RecognitionView(available=True, balance=0, balance_on=end)
            continue
        earned = sum(r.points for r in rows if r.kind == "earn" and start <= r.on_date <= end)
        ledger = [Entry(r.id, r.kind, r.points, r.on_date, batch_id=r.batch_id, ref=r.ref) for r in rows]
        leaving = Leaving(exits.get(employee_id), settings.forfeit_on_exit)
        summary = account_summary(ledger, end, settings.expiry_months, settings.tier_list, leaving)
        result[employee_id] = RecognitionView(
            available=True,
            points=earned,
            badges=tuple(badges[employee_id]),
            balance=summary.balance,
            balance_on=end,
        )
    return result


@dataclass(frozen=True)
class ManagerUse:
    """How one manager used recognition in a period."""

    manager_id: int
    number: str
    name: str
    awards: int
    points_given: int
    badges_given: int
    allowance: int
    people: int


def recognition_use(period: Period) -> list[ManagerUse] | None:
    """Awards, points and badges given and allowance per manager over a period; None if unavailable."""
    try:
        from app.recognition.models import Award, Budget, BudgetEntry
    except ImportError:
        return None

    months = [str(month) for month in period.month_periods()]
    given = db.session.execute(
        sa.select(
            Award.giver_id,
            sa.func.count(Award.id),
            sa.func.coalesce(sa.func.sum(Award.points), 0),
            sa.func.count(Award.badge_id),
            sa.func.count(sa.distinct(Award.employee_id)),
        )
        .where(Award.awarded_on.between(period.start, period.end))
        .group_by(Award.giver_id)
    ).all()
    allowances = db.session.execute(
        sa.select(Budget.manager_id, sa.func.coalesce(sa.func.sum(BudgetEntry.points), 0))
        .join(BudgetEntry, BudgetEntry.budget_id == Budget.id)
        .where(Budget.month.in_(months), BudgetEntry.kind == "allowance")
        .group_by(Budget.manager_id)
    ).all()
    ids = {r[0] for r in given} | {r[0] for r in allowances}
    people = {e.id: e for e in db.session.scalars(sa.select(Employee).where(Employee.id.in_(ids)))} if ids else {}
    allowance = {manager_id: int(points) for manager_id, points in allowances}
    stats = {r[0]: r for r in given}
    rows = []
    for manager_id in ids:
        e = people.get(manager_id)
        g = stats.get(manager_id)
        rows.append(
            ManagerUse(
                manager_id=manager_id,
                number=e.number if e else str(manager_id),
                name=e.full_name if e else "",
                awards=int(g[1]) if g else 0,
                points_given=int(g[2]) if g else 0,
                badges_given=int(g[3]) if g else 0,
                allowance=allowance.get(manager_id, 0),
                people=int(g[4]) if g else 0,
            )
        )
    return sorted(rows, key=lambda r: (-r.points_given, r.number))
