"""The social side of recognition: the feed of public awards, leaderboards, HR's report on how awards are spread."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from app.audit.services import record
from app.auth.models import User
from app.core import memo
from app.extensions import db
from app.money import round_half_up
from app.org.models import Employee, Store
from app.org.scope import managed_store_ids, team_condition
from app.periods import Period
from app.recognition.budgets import manager_users
from app.recognition.models import Award, PointsEntry, RecognitionPreference


def social_store_ids(user: User, on: date) -> set[int] | None:
    """Stores whose feed and leaderboards a user may see (None: all): managers their stores, employees their
    current store's region."""
    if user.has_role("hr"):
        return None
    found = memo.remembered(("social stores", user.id, on), lambda: frozenset(_social_store_ids(user, on)))
    return set(found)  # a copy: callers may narrow it


def _social_store_ids(user: User, on: date) -> set[int]:
    ids = set(managed_store_ids(user))
    employee = user.employee
    if employee is not None and (employee.exit_date is None or employee.exit_date >= on):
        assignment = employee.assignment_on(on)
        if assignment is not None:
            region = sa.select(Store.region_id).where(Store.id == assignment.store_id).scalar_subquery()
            ids |= set(db.session.scalars(sa.select(Store.id).where(Store.region_id == region)))
    return ids


def visible_stores(user: User, on: date) -> list[Store]:
    ids = social_store_ids(user, on)
    query = sa.select(Store).options(selectinload(Store.region)).order_by(Store.code)
    if ids is not None:
        query = query.where(Store.id.in_(ids or {-1}))
    return list(db.session.scalars(query))


def feed(store_ids: set[int] | None, limit: int = 50) -> list[Award]:
    """Return the latest public awards of the given stores (None: every store)."""
    query = (
        sa.select(Award)
        .where(Award.public.is_(True))
        .options(  # each award has one of each: joined into the same query rather than four more
            joinedload(Award.employee),
            joinedload(Award.giver),
            joinedload(Award.badge),
            joinedload(Award.store),
        )
        .order_by(Award.awarded_on.desc(), Award.id.desc())
        .limit(limit)
    )
    if store_ids is not None:
        query = query.where(Award.store_id.in_(store_ids or {-1}))
    return list(db.session.scalars(query))


def hides_name(employee_id: int) -> bool:
    preference = db.session.get(RecognitionPreference, employee_id)
    return bool(preference and preference.hide_name)


def set_hide_name(employee_id: int, hide: bool) -> None:
    """Record an employee's choice to appear as "anonymous" on leaderboards (audited)."""
    preference = db.session.get(RecognitionPreference, employee_id)
    before = bool(preference and preference.hide_name)
    if preference is None:
        preference = RecognitionPreference(employee_id=employee_id, hide_name=hide)
        db.session.add(preference)
    preference.hide_name = hide
    db.session.flush()
    if before != hide:
        record("recognition.privacy", "employee", employee_id, before={"hide_name": before}, after={"hide_name": hide})


@dataclass(frozen=True)
class LeaderRow:
    rank: int
    employee_id: int
    name: str | None  # None: the employee chose to appear as anonymous
    points: int


def leaderboard(month: Period, store_ids: set[int] | None, limit: int = 20) -> list[LeaderRow]:
    """Rank employees on points earned from awards and badges in a month at the given stores (None: all)."""
    total = sa.func.sum(PointsEntry.points)
    query = (
        sa.select(PointsEntry.employee_id, total)
        .where(
            PointsEntry.kind == "earn",
            sa.or_(PointsEntry.award_id.is_not(None), PointsEntry.grant_id.is_not(None)),
            PointsEntry.on_date.between(month.start, month.end),
        )
        .group_by(PointsEntry.employee_id)
        .order_by(total.desc(), PointsEntry.employee_id)
        .limit(limit)
    )
    if store_ids is not None:
        query = query.where(PointsEntry.store_id.in_(store_ids or {-1}))
    rows = db.session.execute(query).all()
    ids = [employee_id for employee_id, _points in rows]
    people = {e.id: e for e in db.session.scalars(sa.select(Employee).where(Employee.id.in_(ids or [-1])))}
    hidden = set(
        db.session.scalars(
            sa.select(RecognitionPreference.employee_id).where(
                RecognitionPreference.employee_id.in_(ids or [-1]), RecognitionPreference.hide_name.is_(True)
            )
        )
    )
    result: list[LeaderRow] = []
    for position, (employee_id, points) in enumerate(rows, start=1):
        rank = result[-1].rank if result and result[-1].points == int(points) else position
        name = None if employee_id in hidden else people[employee_id].full_name
        result.append(LeaderRow(rank, employee_id, name, int(points)))
    return result


# --- HR report ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManagerLine:
    manager: Employee
    awards: int
    points: int
    recipients: int
    team: int

    @property
    def share(self) -> Decimal | None:
        """Percentage of the team recognised at least once, one decimal."""
        if not self.team:
            return None
        return round_half_up(Decimal(100) * min(self.recipients, self.team) / self.team, 1)


@dataclass(frozen=True)
class GroupLine:
    label: str  # "full_time" or "part_time"
    headcount: int
    recognised: int
    points: int

    @property
    def share(self) -> Decimal | None:
        return round_half_up(Decimal(100) * self.recognised / self.headcount, 1) if self.headcount else None

    @property
    def per_head(self) -> Decimal | None:
        return round_half_up(Decimal(self.points) / self.headcount, 1) if self.headcount else None


def hr_report(period: Period) -> tuple[list[ManagerLine], list[GroupLine]]:
    """Return awards per manager with the share of their team recognised, and full-time against part-time."""
    start, end = period.start, period.end
    awards = db.session.execute(
        sa.select(Award.giver_id, Award.employee_id, Award.points).where(Award.awarded_on.between(start, end))
    ).all()
    by_giver: dict[int, list[tuple[int, int]]] = defaultdict(list)
    received: dict[int, int] = defaultdict(int)
    for giver_id, employee_id, points in awards:
        by_giver[giver_id].append((employee_id, points))
        received[employee_id] += points
    lines: list[ManagerLine] = []
    seen: set[int] = set()
    for user in manager_users():
        manager = user.employee
        if manager is None or manager.id in seen:
            continue
        seen.add(manager.id)
        stores = managed_store_ids(user)
        team_ids = (
            set(db.session.scalars(sa.select(Employee.id).where(team_condition(stores, end)))) - {manager.id}
            if stores
            else set()
        )
        given = by_giver.get(manager.id, [])
        recipients = {employee_id for employee_id, _points in given}
        lines.append(
            ManagerLine(manager, len(given), sum(p for _e, p in given), len(recipients & team_ids), len(team_ids))
        )
    for giver_id in sorted(set(by_giver) - seen):  # managers who lost their account or role since
        manager = db.session.get(Employee, giver_id)
        given = by_giver[giver_id]
        assert manager is not None
        lines.append(ManagerLine(manager, len(given), sum(p for _e, p in given), len({e for e, _p in given}), 0))
    lines.sort(key=lambda line: (-line.awards, line.manager.last_name, line.manager.id))

    staff = db.session.execute(
        sa.select(Employee.id, Employee.fte).where(
            Employee.hire_date <= end, sa.or_(Employee.exit_date.is_(None), Employee.exit_date >= start)
        )
    ).all()
    groups = {"full_time": [0, 0, 0], "part_time": [0, 0, 0]}
    for employee_id, fte in staff:
        group = groups["full_time" if fte >= 1 else "part_time"]
        group[0] += 1
        if employee_id in received:
            group[1] += 1
            group[2] += received[employee_id]
    return lines, [GroupLine(label, *values) for label, values in groups.items()]
