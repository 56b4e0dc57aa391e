"""Survey KPIs per store, region or company and per month, quarter or year, counted by the database.

Every figure comes from one GROUP BY over `survey_responses` (never from responses loaded one by one), on the
`local_month` column fixed at ingest in the company time zone, so SQLite and PostgreSQL count the same rows.
A region or the company pools its responses: its NPS is never an average of store scores.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date
from typing import Literal

import sqlalchemy as sa

from app.extensions import db
from app.feedback.kpi import NPS_CATEGORIES, KpiSummary, ces_from_moments, csat_from_counts, nps_from_counts
from app.feedback.models import SurveyResponse
from app.org.models import Store
from app.periods import Period, PeriodKind

ScopeKind = Literal["store", "region", "company"]

# Constants written into the SQL text rather than bound: PostgreSQL only recognises a GROUP BY expression
# as the selected one when both read alike, and two bound parameters never do.
_100 = sa.literal_column("100", sa.Integer)
_10 = sa.literal_column("10", sa.Integer)
_3 = sa.literal_column("3", sa.Integer)
_1 = sa.literal_column("1", sa.Integer)


@dataclass(frozen=True)
class Scope:
    """Whose responses are pooled: one store, every store of a region, or the whole company."""

    kind: ScopeKind
    id: int | None = None

    @classmethod
    def store(cls, store_id: int) -> Scope:
        return cls("store", store_id)

    @classmethod
    def region(cls, region_id: int) -> Scope:
        return cls("region", region_id)

    @classmethod
    def company(cls) -> Scope:
        return cls("company")

    def condition(self) -> sa.ColumnElement[bool]:
        """A WHERE clause on survey responses limiting them to the scope."""
        if self.kind == "store":
            return SurveyResponse.store_id == self.id
        if self.kind == "region":
            return SurveyResponse.store_id.in_(sa.select(Store.id).where(Store.region_id == self.id))
        return sa.true()


@dataclass(frozen=True)
class Tally:
    """The sums a set of responses reduces to; enough to compute every survey KPI with its margin."""

    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    csat_n: int = 0
    csat_satisfied: int = 0
    ces_n: int = 0
    ces_sum: int = 0
    ces_squares: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def nps_n(self) -> int:
        return self.promoters + self.passives + self.detractors

    def summary(self) -> KpiSummary:
        """The NPS, CSAT and CES of these answers (each with n = 0 and no figure when nobody answered it)."""
        return KpiSummary(
            nps=nps_from_counts(self.promoters, self.passives, self.detractors),
            csat=csat_from_counts(self.csat_satisfied, self.csat_n),
            ces=ces_from_moments(self.ces_n, self.ces_sum, self.ces_squares),
        )


EMPTY = Tally()


def _sum_when(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def nps_category_condition(category: str) -> sa.ColumnElement[bool]:
    """The SQL condition that a response's NPS answer is in a category of kpi.NPS_CATEGORIES."""
    low, high = NPS_CATEGORIES[category]
    return SurveyResponse.nps.between(low, high)


@functools.cache
def _tally_columns() -> tuple[sa.ColumnElement[int], ...]:
    """The eight sums of a Tally as SQL columns, built once: SQL expressions are immutable, and building these
    took about 3 ms, on every dashboard and estimate query."""
    r = SurveyResponse
    return (
        _sum_when(nps_category_condition("promoter")).label("promoters"),
        _sum_when(nps_category_condition("passive")).label("passives"),
        _sum_when(nps_category_condition("detractor")).label("detractors"),
        sa.func.count(r.csat).label("csat_n"),
        _sum_when(r.csat >= 4).label("csat_satisfied"),
        sa.func.count(r.ces).label("ces_n"),
        sa.func.coalesce(sa.func.sum(r.ces), 0).label("ces_sum"),
        sa.func.coalesce(sa.func.sum(r.ces * r.ces), 0).label("ces_squares"),
    )


def _tally(values: Iterable[object]) -> Tally:
    """A Tally from the `_tally_columns()` of a result row, in their order."""
    # int(): were a SUM ever to widen to NUMERIC on PostgreSQL, it would come back as a Decimal.
    return Tally(*map(int, values))  # type: ignore[call-overload]


def month_range(first: Period, last: Period | None = None) -> tuple[int, int]:
    """The yyyymm bounds (inclusive) of the months from the start of `first` to the end of `last`."""
    last = last or first
    return first.month_periods()[0].month_key, last.month_periods()[-1].month_key


def _in_months(first: Period, last: Period | None = None) -> sa.ColumnElement[bool]:
    low, high = month_range(first, last)
    return SurveyResponse.local_month.between(low, high)


def period_key(kind: PeriodKind) -> sa.ColumnElement[int]:
    """An integer naming the month (yyyymm), quarter (yyyyq) or year (yyyy) of a response's local month."""
    month = SurveyResponse.local_month
    if kind == "month":
        return month
    year = month // _100
    if kind == "year":
        return year
    return year * _10 + (month % _100 - _1) // _3 + _1


def period_from_key(kind: PeriodKind, key: int) -> Period:
    """The period a `period_key` value stands for."""
    if kind == "month":
        return Period.from_month_key(key)
    if kind == "quarter":
        return Period(key // 10, "quarter", key % 10)
    return Period(key, "year", 1)


def _counted() -> sa.ColumnElement[bool]:
    return SurveyResponse.excluded.is_(False)


def tally(scope: Scope, period: Period) -> Tally:
    """The sums of one scope's counted responses in one period."""
    row = db.session.execute(
        sa.select(*_tally_columns()).where(_counted(), scope.condition(), _in_months(period))
    ).one()
    return _tally(row)


def tally_between(scope: Scope, first: date, last: date) -> Tally:
    """The sums of one scope's counted responses answered from `first` to `last` (local dates, both included)."""
    row = db.session.execute(
        sa.select(*_tally_columns()).where(
            _counted(), scope.condition(), SurveyResponse.local_date.between(first, last)
        )
    ).one()
    return _tally(row)


def kpis(scope: Scope, period: Period) -> KpiSummary:
    """NPS, CSAT and CES of one store, region or the company in one period, responses pooled."""
    return tally(scope, period).summary()


def tallies_by_store(
    period: Period, store_ids: Iterable[int] | None = None, without: Iterable[int] | None = None
) -> dict[int, Tally]:
    """The sums of every store (or of the stores given) in one period, in one query; silent stores are absent.

    `without` names responses to leave out as if excluded (what excluding them would give)."""
    query = sa.select(SurveyResponse.store_id, *_tally_columns()).where(_counted(), _in_months(period))
    if without is not None:
        query = query.where(SurveyResponse.id.not_in(set(without) or {-1}))
    if store_ids is not None:
        ids = set(store_ids)
        if not ids:
            return {}
        query = query.where(SurveyResponse.store_id.in_(ids))
    rows = db.session.execute(query.group_by(SurveyResponse.store_id))
    return {row[0]: _tally(row[1:]) for row in rows}


def kpis_by_store(period: Period, store_ids: Iterable[int] | None = None) -> dict[int, KpiSummary]:
    """NPS, CSAT and CES of every store in one period (for rankings)."""
    return {store_id: t.summary() for store_id, t in tallies_by_store(period, store_ids).items()}


def tallies_by_store_and_period(
    kind: PeriodKind, first: Period, last: Period, store_ids: Iterable[int] | None = None
) -> dict[tuple[int, Period], Tally]:
    """The sums per store and per month, quarter or year from `first` to `last`, in one query."""
    key = period_key(kind).label("period_key")
    query = sa.select(SurveyResponse.store_id, key, *_tally_columns()).where(_counted(), _in_months(first, last))
    if store_ids is not None:
        ids = set(store_ids)
        if not ids:
            return {}
        query = query.where(SurveyResponse.store_id.in_(ids))
    rows = db.session.execute(query.group_by(SurveyResponse.store_id, key))
    periods: dict[int, Period] = {}
    result = {}
    for row in rows:
        period = periods.get(row[1]) or periods.setdefault(row[1], period_from_key(kind, int(row[1])))
        result[(row[0], period)] = _tally(row[2:])
    return result


def kpis_by_store_and_period(
    kind: PeriodKind, first: Period, last: Period, store_ids: Iterable[int] | None = None
) -> dict[tuple[int, Period], KpiSummary]:
    """NPS, CSAT and CES per store and period over a range (a store against its own past)."""
    return {k: t.summary() for k, t in tallies_by_store_and_period(kind, first, last, store_ids).items()}


def series(scope: Scope, last: Period, count: int) -> list[tuple[Period, KpiSummary]]:
    """The `count` periods of `last`'s kind ending with `last`, oldest first, in one query (empty ones included)."""
    periods = [last.shifted(step) for step in range(1 - count, 1)]
    key = period_key(last.kind).label("period_key")
    rows = db.session.execute(
        sa.select(key, *_tally_columns())
        .where(_counted(), scope.condition(), _in_months(periods[0], last))
        .group_by(key)
    )
    found = {period_from_key(last.kind, int(row[0])): _tally(row[1:]) for row in rows}
    return [(p, found.get(p, EMPTY).summary()) for p in periods]


def monthly_series(scope: Scope, last_month: Period, months: int = 12) -> list[tuple[Period, KpiSummary]]:
    """The KPIs of each of the `months` months ending with `last_month` (a trend chart)."""
    if last_month.kind != "month":
        raise ValueError(f"{last_month} is not a month")
    return series(scope, last_month, months)


def nps_distribution(scope: Scope, period: Period) -> list[int]:
    """How many counted answers gave each NPS score from 0 to 10."""
    rows = db.session.execute(
        sa.select(SurveyResponse.nps, sa.func.count())
        .where(_counted(), scope.condition(), _in_months(period), SurveyResponse.nps.is_not(None))
        .group_by(SurveyResponse.nps)
    )
    counts = [0] * 11
    for score, count in rows:
        counts[int(score)] = int(count)
    return counts
