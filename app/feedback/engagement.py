"""Engagement figures (headcount, leavers, absence) and survey invitations per store and period, from HR's files.

Turnover % = leavers ÷ headcount of the period; absenteeism % = absence days ÷ days that should have been worked;
response rate % = responses ÷ invitations. A quarter or a year with no figure of its own pools its months (leavers,
days and invitations add up; headcount is the mean of the months). Imports are all or nothing and replace the
figures of the same store and period, so importing a file twice changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.audit.services import record
from app.core.tabular import (
    REQUIRED,
    CellError,
    ImportRejected,
    RowError,
    Table,
    missing_columns,
    parse_decimal,
    period_problem,
    unknown_store,
    write_csv,
)
from app.core.tabular import lazy_text as _l
from app.extensions import db
from app.feedback.aggregate import month_range
from app.feedback.kpi import percent_of
from app.feedback.models import EngagementFigure, SurveyInvitations, SurveyResponse
from app.money import round_half_up
from app.org.models import Store
from app.periods import Period, PeriodError

ENGAGEMENT_COLUMNS = ("store_code", "period", "headcount", "leavers", "absence_days", "worked_days")
INVITATION_COLUMNS = ("store_code", "period", "invitations")
TEMPLATES = {
    "engagement": (ENGAGEMENT_COLUMNS, [["S01", "2026-07", "14,5", "1", "12", "310"]]),
    "invitations": (INVITATION_COLUMNS, [["S01", "2026-07", "400"]]),
}
TURNOVER, ABSENTEEISM, RESPONSE_RATE = "turnover", "absenteeism", "response_rate"
PLACES = 2
LIMIT = Decimal(10) ** 10


@dataclass(frozen=True)
class Engagement:
    """A store's (or a pool of stores') engagement figures for a period, and the rates they give."""

    headcount: Decimal = Decimal(0)
    leavers: int = 0
    absence_days: Decimal = Decimal(0)
    worked_days: Decimal = Decimal(0)

    @property
    def turnover(self) -> Decimal | None:
        if not self.headcount:
            return None
        return round_half_up(Decimal(100 * self.leavers) / self.headcount, PLACES)

    @property
    def absenteeism(self) -> Decimal | None:
        if not self.worked_days:
            return None
        return round_half_up(100 * self.absence_days / self.worked_days, PLACES)

    def __add__(self, other: Engagement) -> Engagement:
        """Two stores together: their headcounts, leavers and days add up."""
        return Engagement(
            self.headcount + other.headcount,
            self.leavers + other.leavers,
            self.absence_days + other.absence_days,
            self.worked_days + other.worked_days,
        )


@dataclass(frozen=True)
class ResponseRate:
    """Responses out of invitations, and the rate in % (two decimals)."""

    responses: int
    invitations: int

    @property
    def value(self) -> Decimal | None:
        if not self.invitations:
            return None
        return percent_of(self.responses, self.invitations, PLACES)


# --- imports -----------------------------------------------------------------------------------------------


def template(kind: str) -> bytes:
    """A file with the import's header and one example row."""
    columns, rows = TEMPLATES[kind]
    return write_csv(columns, rows)


def _count(text: str, decimal_comma: bool, whole: bool) -> Decimal:
    value = parse_decimal(text, decimal_comma)
    if value < 0:
        raise CellError(_l("%(text)s is negative", text=str(value)))
    if value >= LIMIT:
        raise CellError(_l("%(value)s is too large", value=str(value)))
    if whole and value != value.to_integral_value():
        raise CellError(_l("%(text)s is not a whole number", text=str(value)))
    if value != value.quantize(Decimal("0.01")):
        raise CellError(_l("%(text)s has more than %(n)d decimals", text=str(value), n=2))
    return value


def _read_rows(table: Table, columns: tuple[str, ...], whole: set[str]) -> dict[tuple[int, str], dict[str, Decimal]]:
    """Every row checked (store, period, numbers), keyed by store and period; ImportRejected lists every problem."""
    errors = missing_columns(table, columns)
    if errors:
        raise ImportRejected(errors)
    stores = {s.code: s.id for s in db.session.scalars(sa.select(Store))}
    planned: dict[tuple[int, str], dict[str, Decimal]] = {}
    seen_at: dict[tuple[int, str], int] = {}
    for row_number, cells in table.rows:
        row_errors: list[RowError] = []
        code = cells.get("store_code", "").strip()
        store_id = stores.get(code)
        if store_id is None:
            row_errors.append(RowError(row_number, "store_code", unknown_store(code) if code else REQUIRED))
        period = None
        try:
            period = Period.parse(cells.get("period", ""))
        except PeriodError as exc:
            row_errors.append(RowError(row_number, "period", period_problem(exc)))
        values: dict[str, Decimal] = {}
        for column in columns[2:]:
            try:
                values[column] = _count(cells.get(column, ""), table.decimal_comma, column in whole)
            except CellError as exc:
                row_errors.append(RowError(row_number, column, exc.message))
        if not row_errors and store_id is not None and period is not None:
            key = (store_id, str(period))
            if key in seen_at:
                row_errors.append(
                    RowError(row_number, "period", _l("same store and period as row %(row)d", row=seen_at[key]))
                )
            else:
                seen_at[key] = row_number
                planned[key] = values
        errors.extend(row_errors)
    if errors:
        raise ImportRejected(errors)
    return planned


def _store(model: type, planned: dict[tuple[int, str], dict[str, Decimal]], action: str) -> dict[str, int]:
    """Insert or replace each planned row of `model` (flush only); count new, changed and unchanged rows."""
    existing = {
        (row.store_id, row.period): row
        for row in db.session.scalars(
            sa.select(model).where(
                model.store_id.in_({k[0] for k in planned} or {-1}),  # type: ignore[attr-defined]
                model.period.in_({k[1] for k in planned} or {""}),  # type: ignore[attr-defined]
            )
        )
    }
    summary = {"new": 0, "changed": 0, "unchanged": 0}
    for (store_id, period), values in planned.items():
        row = existing.get((store_id, period))
        if row is None:
            db.session.add(model(store_id=store_id, period=period, **values))
            summary["new"] += 1
        elif all(getattr(row, k) == v for k, v in values.items()):
            summary["unchanged"] += 1
        else:
            for key, value in values.items():
                setattr(row, key, value)
            summary["changed"] += 1
    db.session.flush()
    record(action, model.__tablename__, "file", summary=f"{action}: {summary}", after=summary)  # type: ignore[attr-defined]
    return summary


def import_engagement(table: Table) -> dict[str, int]:
    """Store every row of a `store_code,period,headcount,leavers,absence_days,worked_days` file, or none."""
    planned = _read_rows(table, ENGAGEMENT_COLUMNS, {"leavers"})
    for values in planned.values():
        values["leavers"] = int(values["leavers"])  # type: ignore[assignment]
    return _store(EngagementFigure, planned, "engagement.import")


def import_invitations(table: Table) -> dict[str, int]:
    """Store every row of a `store_code,period,invitations` file, or none."""
    planned = _read_rows(table, INVITATION_COLUMNS, {"invitations"})
    for values in planned.values():
        values["invitations"] = int(values["invitations"])  # type: ignore[assignment]
    return _store(SurveyInvitations, planned, "invitations.import")


# --- figures -----------------------------------------------------------------------------------------------


def _wanted(period: Period) -> list[str]:
    """The labels a period's figure may be stored under: itself, its months, and a year's quarters."""
    wanted = [str(period)] + [str(m) for m in period.month_periods() if period.kind != "month"]
    if period.kind == "year":
        wanted += [str(Period(period.year, "quarter", q)) for q in range(1, 5)]
    return wanted


def _pick(period: Period, stored: dict[Period, object]) -> list[object]:
    """The rows that make the period: its own, else its months, else its quarters."""
    if period in stored:
        return [stored[period]]
    months = [row for p, row in stored.items() if p.kind == "month"]
    return months or [row for p, row in stored.items() if p.kind == "quarter"]


def _rows_by_store(
    model: Any, periods: Sequence[Period], store_ids: Iterable[int] | None
) -> list[dict[int, list[Any]]]:
    """The stored rows of `model` that make each period, per store (stores without any left out), in one query."""
    wanted = [set(_wanted(period)) for period in periods]
    table = model.__table__  # plain rows: the figures are only read, and ORM objects cost several times more
    query = sa.select(table).where(table.c.period.in_(set().union(*wanted)))
    if store_ids is not None:
        query = query.where(table.c.store_id.in_(set(store_ids) or {-1}))
    stored: dict[int, dict[str, object]] = defaultdict(dict)
    for row in db.session.execute(query):
        stored[row.store_id][row.period] = row
    result = []
    for period, labels in zip(periods, wanted, strict=True):
        picked = {}
        for store_id, by_label in stored.items():
            mine = {Period.parse(label): row for label, row in by_label.items() if label in labels}
            if rows := _pick(period, mine):
                picked[store_id] = rows
        result.append(picked)
    return result


def _engagement(rows: list[Any]) -> Engagement:
    return Engagement(
        sum((r.headcount for r in rows), Decimal(0)) / len(rows),  # the period's average headcount
        sum(r.leavers for r in rows),
        sum((r.absence_days for r in rows), Decimal(0)),
        sum((r.worked_days for r in rows), Decimal(0)),
    )


def engagement_by_store(period: Period, store_ids: Iterable[int] | None = None) -> dict[int, Engagement]:
    """Each store's engagement for the period (stores without figures left out), in one query."""
    rows = _rows_by_store(EngagementFigure, [period], store_ids)[0]
    return {store_id: _engagement(found) for store_id, found in rows.items()}


def pooled_engagements(periods: Sequence[Period], store_ids: Iterable[int] | None = None) -> list[Engagement | None]:
    """The engagement of several stores together in each period (None when none has figures), in one query."""
    return [
        sum((_engagement(found) for found in rows.values()), Engagement()) if rows else None
        for rows in _rows_by_store(EngagementFigure, periods, store_ids)
    ]


def _invitations(periods: Sequence[Period], store_ids: Iterable[int] | None) -> list[dict[int, int]]:
    return [
        {store_id: sum(r.invitations for r in found) for store_id, found in rows.items()}
        for rows in _rows_by_store(SurveyInvitations, periods, store_ids)
    ]


def invitations_by_store(period: Period, store_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Invitations per store for the period (a quarter adds up its months)."""
    return _invitations([period], store_ids)[0]


def _response_rates(periods: Sequence[Period], store_ids: Iterable[int] | None) -> list[dict[int, ResponseRate]]:
    """Counted responses ÷ invitations of each store with invitations, per period: two queries in all."""
    invited = _invitations(periods, store_ids)
    stores = {store_id for by_store in invited for store_id in by_store}
    if not stores:
        return [{} for _ in periods]
    low = min(month_range(p)[0] for p in periods)
    high = max(month_range(p)[1] for p in periods)
    counts: dict[int, dict[int, int]] = defaultdict(dict)  # store → yyyymm → responses
    for store_id, month, n in db.session.execute(
        sa.select(SurveyResponse.store_id, SurveyResponse.local_month, sa.func.count())
        .where(
            SurveyResponse.excluded.is_(False),
            SurveyResponse.local_month.between(low, high),
            SurveyResponse.store_id.in_(stores),
        )
        .group_by(SurveyResponse.store_id, SurveyResponse.local_month)
    ):
        counts[store_id][month] = int(n)
    result = []
    for period, by_store in zip(periods, invited, strict=True):
        first, last = month_range(period)
        result.append(
            {
                store_id: ResponseRate(sum(c for m, c in counts[store_id].items() if first <= m <= last), n)
                for store_id, n in by_store.items()
            }
        )
    return result


def response_rates(period: Period, store_ids: Iterable[int] | None = None) -> dict[int, ResponseRate]:
    """Counted responses ÷ invitations of each store with invitations for the period."""
    return _response_rates([period], store_ids)[0]


def pooled_response_rates(
    periods: Sequence[Period], store_ids: Iterable[int] | None = None
) -> list[ResponseRate | None]:
    """The response rate of several stores together in each period (None without invitations), in two queries."""
    return [
        ResponseRate(sum(r.responses for r in rates.values()), sum(r.invitations for r in rates.values()))
        if rates
        else None
        for rates in _response_rates(periods, store_ids)
    ]


def values_by_store(code: str, period: Period, store_ids: Iterable[int] | None = None) -> dict[int, Decimal]:
    """Turnover, absenteeism or response rate (%) per store, for schemes and other KPIs."""
    if code == RESPONSE_RATE:
        rates = response_rates(period, store_ids)
        return {s: v for s, rate in rates.items() if (v := rate.value) is not None}
    figures = engagement_by_store(period, store_ids)
    return {s: v for s, e in figures.items() if (v := getattr(e, code)) is not None}
