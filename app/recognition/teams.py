"""A team's figures over some days, and who was in it: what team rules and challenges measure and pay."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.core import clock
from app.extensions import db
from app.feedback.aggregate import Scope, tally_between
from app.feedback.kpi import csat_from_counts
from app.feedback.models import FollowUpCase
from app.org.models import Assignment, Employee, Store
from app.recognition.goals import presence_days, pro_rata


@dataclass(frozen=True)
class Figure:
    """A KPI as measured over the days: its value, the answers (or cases) behind it and its 95 % margin."""

    value: Decimal | None
    n: int
    moe: Decimal | None


@dataclass(frozen=True)
class Share:
    """What one member of a team gets: points pro-rata of the days they were in it, and where they mostly were."""

    employee_id: int
    store_id: int
    days: int
    points: int


def store_ids_of(store_id: int | None, region_id: int | None) -> list[int]:
    """Return the team's stores: the store, or every store of the region."""
    if store_id is not None:
        return [store_id]
    return list(db.session.scalars(sa.select(Store.id).where(Store.region_id == region_id).order_by(Store.id)))


def followup_rate(store_ids: list[int], first: date, last: date) -> Figure:
    """Return the share of follow-up cases opened in the days whose customer was reached within the 48 hours."""
    row = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(
                sa.func.sum(
                    sa.case(
                        (
                            sa.and_(
                                FollowUpCase.contacted_at.is_not(None), FollowUpCase.contacted_at <= FollowUpCase.due_at
                            ),
                            1,
                        ),
                        else_=0,
                    )
                ),
                0,
            ),
        ).where(
            FollowUpCase.store_id.in_(store_ids or [-1]),
            FollowUpCase.opened_at >= clock.local_midnight(first),
            FollowUpCase.opened_at < clock.local_midnight(last + timedelta(days=1)),
        )
    ).one()
    result = csat_from_counts(int(row[1]), int(row[0]))
    return Figure(result.csat, result.n, result.moe)


def measure(kpi: str, store_id: int | None, region_id: int | None, first: date, last: date) -> Figure:
    """Return a store's or region's KPI over the days from `first` to `last`, responses pooled."""
    if kpi == "followup":
        return followup_rate(store_ids_of(store_id, region_id), first, last)
    scope = Scope.store(store_id) if store_id is not None else Scope.region(region_id)  # type: ignore[arg-type]
    summary = tally_between(scope, first, last).summary()
    if kpi == "nps" and summary.nps is not None:
        return Figure(summary.nps.nps, summary.nps.n, summary.nps.moe)
    if kpi == "csat" and summary.csat is not None:
        return Figure(summary.csat.csat, summary.csat.n, summary.csat.moe)
    if kpi == "ces" and summary.ces is not None:
        return Figure(summary.ces.mean, summary.ces.n, summary.ces.moe)
    return Figure(None, 0, None)


def team_shares(store_ids: list[int], first: date, last: date, points: int) -> list[Share]:
    """Share `points` per member among whoever worked in the stores during the days, pro-rata of their presence."""
    rows = db.session.execute(
        sa.select(
            Assignment.employee_id,
            Assignment.store_id,
            Assignment.start_date,
            Assignment.end_date,
            Employee.hire_date,
            Employee.exit_date,
        )
        .join(Employee, Employee.id == Assignment.employee_id)
        .where(
            Assignment.store_id.in_(store_ids or [-1]),
            Assignment.start_date <= last,
            sa.or_(Assignment.end_date.is_(None), Assignment.end_date >= first),
        )
        .order_by(Assignment.employee_id, Assignment.start_date)
    ).all()
    spans: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    by_store: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for employee_id, store_id, start, end, hired, left in rows:
        span_start = max(start, hired)
        span_end = min(d for d in (end, left, last) if d is not None)
        if span_end < span_start:
            continue
        spans[employee_id].append((span_start, span_end))
        by_store[employee_id][store_id] += presence_days([(span_start, span_end)], first, last)
    total = (last - first).days + 1
    shares = []
    for employee_id, employee_spans in sorted(spans.items()):
        days = presence_days(employee_spans, first, last)
        share = pro_rata(points, days, total)
        if share > 0:
            store_id = max(by_store[employee_id].items(), key=lambda item: (item[1], -item[0]))[0]
            shares.append(Share(employee_id, store_id, days, share))
    return shares
