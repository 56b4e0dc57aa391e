"""KPIs other than NPS/CSAT/CES: HR's definitions, their values per store and period, and `followup_48h`.

Values are usually monthly; a quarter or a year is made from its months by the KPI's aggregate (mean, sum, or the
last month present), unless a value was stored for that very quarter or year. The built-in `followup_48h` is not
stored: it is counted from the follow-up cases.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

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
)
from app.core.tabular import (
    lazy_text as _l,
)
from app.dbtypes import utcnow
from app.extensions import db
from app.feedback import engagement
from app.feedback.aggregate import Scope, month_range, period_from_key, period_key
from app.feedback.kpi import percent_of
from app.feedback.models import KPI_AGGREGATES, KPI_DIRECTIONS, FollowUpCase, KpiDefinition, KpiValue, SurveyResponse
from app.money import round_half_up
from app.org.models import Store
from app.periods import Period, PeriodError

FOLLOWUP_48H = "followup_48h"
SURVEY_CODES = ("nps", "csat", "ces")
IMPORT_COLUMNS = ("kpi_code", "store_code", "period", "value")
VALUE_PLACES = 4  # the scale of kpi_values.value
VALUE_LIMIT = Decimal(10) ** 12  # ExactDecimal(16, 4): twelve digits before the point
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class KpiError(ValueError):
    """A KPI definition or value that cannot be accepted; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class BuiltinKpi:
    """A KPI the application computes itself (it has no KpiDefinition row)."""

    code: str
    name: str
    unit: str
    direction: str


BUILTIN = {
    FOLLOWUP_48H: BuiltinKpi(FOLLOWUP_48H, _l("Detractors called back within 48 h"), "%", "higher"),
    engagement.TURNOVER: BuiltinKpi(engagement.TURNOVER, _l("Staff turnover (leavers ÷ headcount)"), "%", "lower"),
    engagement.ABSENTEEISM: BuiltinKpi(
        engagement.ABSENTEEISM, _l("Absenteeism (absence days ÷ days to be worked)"), "%", "lower"
    ),
    engagement.RESPONSE_RATE: BuiltinKpi(
        engagement.RESPONSE_RATE, _l("Survey response rate (responses ÷ invitations)"), "%", "higher"
    ),
}
# Built-in KPIs read from HR's engagement and invitation files rather than from KpiValue rows.
ENGAGEMENT_KPIS = (engagement.TURNOVER, engagement.ABSENTEEISM, engagement.RESPONSE_RATE)


@dataclass(frozen=True)
class FollowupShare:
    """Follow-up cases handled within 48 hours out of those that count (n), and the share in % (two decimals)."""

    handled: int
    n: int

    @property
    def value(self) -> Decimal | None:
        if self.n == 0:
            return None
        return percent_of(self.handled, self.n, 2)


# --- definitions -------------------------------------------------------------------------------------------


def find_kpi(code: str) -> KpiDefinition | None:
    return db.session.scalar(sa.select(KpiDefinition).where(KpiDefinition.code == code.strip().lower()))


def define_kpi(code: str, name: str, unit: str, direction: str, aggregate: str) -> tuple[KpiDefinition, bool]:
    """Create a KPI or update the one with this code (flush only); returns it and whether it is new."""
    code = (code or "").strip().lower()
    name = (name or "").strip()
    unit = (unit or "").strip()
    if not _CODE.match(code):
        raise KpiError("code", "lower-case letters, digits and _ only, starting with a letter, at most 40")
    if code in BUILTIN or code in SURVEY_CODES:
        raise KpiError("code", f"{code} is computed by Primo and cannot be defined")
    if not name or len(name) > 200:
        raise KpiError("name", "required, at most 200 characters")
    if len(unit) > 20:
        raise KpiError("unit", "at most 20 characters")
    if direction not in KPI_DIRECTIONS:
        raise KpiError("direction", f"one of {', '.join(KPI_DIRECTIONS)}")
    if aggregate not in KPI_AGGREGATES:
        raise KpiError("aggregate", f"one of {', '.join(KPI_AGGREGATES)}")
    kpi = find_kpi(code)
    after = {"code": code, "name": name, "unit": unit, "direction": direction, "aggregate": aggregate}
    if kpi is None:
        kpi = KpiDefinition(**after)
        db.session.add(kpi)
        db.session.flush()
        record("kpi.define", "kpi_definition", kpi.id, summary=f"KPI {code} defined", after=after)
        return kpi, True
    before = {k: getattr(kpi, k) for k in after}
    if before != after:
        for key, value in after.items():
            setattr(kpi, key, value)
        db.session.flush()
        record("kpi.update", "kpi_definition", kpi.id, summary=f"KPI {code} changed", before=before, after=after)
    return kpi, False


def definitions() -> list[KpiDefinition]:
    return list(db.session.scalars(sa.select(KpiDefinition).order_by(KpiDefinition.code)))


# --- values ------------------------------------------------------------------------------------------------


def parse_period(text: str) -> Period:
    """Read a value's period; stored as its canonical label ("2026-07", "2026-Q3", "2026")."""
    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise CellError(period_problem(exc)) from None


def check_value(value: Decimal) -> Decimal:
    if value != value.quantize(Decimal(1).scaleb(-VALUE_PLACES)):
        raise CellError(_l("%(text)s has more than %(n)d decimals", text=str(value), n=VALUE_PLACES))
    if abs(value) >= VALUE_LIMIT:
        raise CellError(_l("%(value)s is too large", value=str(value)))
    return value


def _upsert(kpi_id: int, store_id: int, period: str, value: Decimal, existing: KpiValue | None) -> str:
    if existing is None:
        db.session.add(KpiValue(kpi_id=kpi_id, store_id=store_id, period=period, value=value))
        return "new"
    if existing.value == value:
        return "unchanged"
    existing.value = value
    return "changed"


def set_value(kpi: KpiDefinition, store: Store, period: Period, value: Decimal) -> str:
    """Enter one value (flush only); returns "new", "changed" or "unchanged"."""
    try:
        check_value(value)
    except CellError as exc:
        raise KpiError("value", str(exc)) from None
    label = str(period)
    existing = db.session.scalar(
        sa.select(KpiValue).where(KpiValue.kpi_id == kpi.id, KpiValue.store_id == store.id, KpiValue.period == label)
    )
    before = None if existing is None else {"value": existing.value}
    outcome = _upsert(kpi.id, store.id, label, value, existing)
    if outcome != "unchanged":
        db.session.flush()
        record(
            "kpi.value",
            "kpi_value",
            f"{kpi.code}/{store.code}/{label}",
            summary=f"{kpi.code} of {store.code} for {label} entered",
            before=before,
            after={"value": value},
        )
    return outcome


def import_values(table: Table) -> dict[str, int]:
    """Store every row of a `kpi_code,store_code,period,value` file, or none (ImportRejected lists the rows).

    A value already stored for the same KPI, store and period is replaced, so importing a file twice changes
    nothing the second time. Flush only.
    """
    errors = missing_columns(table, IMPORT_COLUMNS)
    if errors:
        raise ImportRejected(errors)
    kpis = {k.code: k for k in db.session.scalars(sa.select(KpiDefinition))}
    stores = {s.code: s for s in db.session.scalars(sa.select(Store))}
    planned: dict[tuple[int, int, str], Decimal] = {}
    seen_at: dict[tuple[int, int, str], int] = {}
    for row_number, cells in table.rows:
        row_errors: list[RowError] = []
        code = cells.get("kpi_code", "").strip().lower()
        kpi = kpis.get(code)
        if kpi is None:
            reason = (
                _l("computed by Primo, cannot be imported")
                if code in BUILTIN
                else _l("unknown KPI %(code)s", code=repr(code))
            )
            row_errors.append(RowError(row_number, "kpi_code", reason if code else REQUIRED))
        store_code = cells.get("store_code", "").strip()
        store = stores.get(store_code)
        if store is None:
            row_errors.append(
                RowError(
                    row_number,
                    "store_code",
                    unknown_store(store_code) if store_code else REQUIRED,
                )
            )
        period = value = None
        try:
            period = parse_period(cells.get("period", ""))
        except CellError as exc:
            row_errors.append(RowError(row_number, "period", exc.message))
        try:
            value = check_value(parse_decimal(cells.get("value", ""), table.decimal_comma))
        except CellError as exc:
            row_errors.append(RowError(row_number, "value", exc.message))
        if not row_errors and kpi and store and period and value is not None:
            key = (kpi.id, store.id, str(period))
            if key in seen_at:
                row_errors.append(
                    RowError(row_number, "period", _l("same KPI, store and period as row %(row)d", row=seen_at[key]))
                )
            else:
                seen_at[key] = row_number
                planned[key] = value
        errors.extend(row_errors)
    if errors:
        raise ImportRejected(errors)
    existing = {
        (v.kpi_id, v.store_id, v.period): v
        for v in db.session.scalars(
            sa.select(KpiValue).where(
                KpiValue.kpi_id.in_({k[0] for k in planned} or {-1}),
                KpiValue.store_id.in_({k[1] for k in planned} or {-1}),
            )
        )
    }
    summary = {"new": 0, "changed": 0, "unchanged": 0}
    for (kpi_id, store_id, period_label), value in planned.items():
        summary[_upsert(kpi_id, store_id, period_label, value, existing.get((kpi_id, store_id, period_label)))] += 1
    db.session.flush()
    record("kpi.import", "kpi_value", "file", summary=f"KPI values imported: {summary}", after=summary)
    return summary


def combine(aggregate: str, monthly: list[tuple[Period, Decimal]]) -> Decimal | None:
    """Make one figure of several months' values by a KPI's aggregate; None when no month has a value."""
    if not monthly:
        return None
    values = [v for _p, v in sorted(monthly)]
    if aggregate == "sum":
        return sum(values, Decimal(0))
    if aggregate == "last":
        return values[-1]
    return round_half_up(sum(values, Decimal(0)) / len(values), VALUE_PLACES)


def value_for(
    kpi: KpiDefinition | str, store: Store | int, period: Period | str, now: datetime | None = None
) -> Decimal | None:
    """The value of a KPI (defined or built in) for one store and period, or None when there is none.

    A value stored for the period itself wins; otherwise a quarter or a year combines its months' values
    (a year with no monthly value combines its stored quarters).
    """
    store_id = store if isinstance(store, int) else store.id
    return values_by_store(kpi, period, [store_id], now).get(store_id)


def values_by_store(
    kpi: KpiDefinition | str, period: Period | str, store_ids: Iterable[int] | None = None, now: datetime | None = None
) -> dict[int, Decimal]:
    """The value of a KPI for a period per store (all stores, or these), in one query; stores without one are
    left out. Values combine as in value_for."""
    period = Period.parse(period) if isinstance(period, str) else period
    chosen = None if store_ids is None else sorted(set(store_ids))
    if isinstance(kpi, str):
        code = kpi.strip().lower()
        if code == FOLLOWUP_48H:
            shares = followup_shares_by_store(period, chosen, now)
            return {store: value for store, share in shares.items() if (value := share.value) is not None}
        if code in ENGAGEMENT_KPIS:
            return engagement.values_by_store(code, period, chosen)
        found = find_kpi(code)
        if found is None:
            raise KpiError("kpi", f"unknown KPI {code!r}")
        kpi = found
    wanted = [str(period)] + [str(m) for m in period.month_periods() if period.kind != "month"]
    if period.kind == "year":
        wanted += [str(Period(period.year, "quarter", q)) for q in range(1, 5)]
    query = sa.select(KpiValue.store_id, KpiValue.period, KpiValue.value).where(
        KpiValue.kpi_id == kpi.id, KpiValue.period.in_(wanted)
    )
    if chosen is not None:
        query = query.where(KpiValue.store_id.in_(chosen))
    stored: dict[int, dict[Period, Decimal]] = defaultdict(dict)
    for store_id, label, value in db.session.execute(query):
        stored[store_id][Period.parse(label)] = value
    values = {}
    for store_id, by_period in stored.items():
        value = _combined(kpi.aggregate, period, by_period)
        if value is not None:
            values[store_id] = value
    return values


def _combined(aggregate: str, period: Period, stored: dict[Period, Decimal]) -> Decimal | None:
    """A value stored for the period itself, or its months' values combined, or else its quarters'."""
    if period in stored:
        return stored[period]
    months = [(p, v) for p, v in stored.items() if p.kind == "month"]
    if months:
        return combine(aggregate, months)
    return combine(aggregate, [(p, v) for p, v in stored.items() if p.kind == "quarter"])


# --- followup_48h ------------------------------------------------------------------------------------------


def _handled_in_time() -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(FollowUpCase.contacted_at.is_not(None), FollowUpCase.contacted_at <= FollowUpCase.due_at),
        sa.and_(FollowUpCase.closed_at.is_not(None), FollowUpCase.closed_at <= FollowUpCase.due_at),
    )


def _counted_cases(period: Period, now: datetime | None, last: Period | None = None) -> sa.Select:
    """Cases of a period (or from `period` to `last`) that count: handled within 48 hours, and how many (select more
    columns to group)."""
    now = now or utcnow()
    low, high = month_range(period, last)
    handled = _handled_in_time()
    return (
        sa.select(
            sa.func.coalesce(sa.func.sum(sa.case((handled, 1), else_=0)), 0).label("handled"),
            sa.func.count().label("n"),
        )
        .select_from(FollowUpCase)
        .join(SurveyResponse, SurveyResponse.id == FollowUpCase.response_id)
        .where(
            SurveyResponse.excluded.is_(False),
            SurveyResponse.local_month.between(low, high),
            sa.or_(handled, FollowUpCase.due_at <= now),
        )
    )


def followup_share(scope: Scope, period: Period, now: datetime | None = None) -> FollowupShare:
    """Share of the follow-up cases of a period (by the answer's local month) handled within 48 hours.

    A case counts once it was handled in time or its deadline has passed; a case still inside its 48 hours
    counts neither way yet. Cases of excluded responses do not count.
    """
    row = db.session.execute(_counted_cases(period, now).where(scope.condition())).one()
    return FollowupShare(int(row.handled), int(row.n))


def followup_shares(scope: Scope, periods: list[Period], now: datetime | None = None) -> list[FollowupShare]:
    """followup_share of one scope in each of several periods of one kind, in one grouped query."""
    kind = periods[0].kind
    key = period_key(kind).label("period_key")
    query = _counted_cases(min(periods), now, max(periods)).add_columns(key).where(scope.condition()).group_by(key)
    found = {
        period_from_key(kind, int(row.period_key)): FollowupShare(int(row.handled), int(row.n))
        for row in db.session.execute(query)
    }
    return [found.get(p, FollowupShare(0, 0)) for p in periods]


def followup_shares_by_store(
    period: Period, store_ids: Iterable[int] | None = None, now: datetime | None = None
) -> dict[int, FollowupShare]:
    """followup_share of each store (all, or these) with counted cases, in one grouped query."""
    query = _counted_cases(period, now).add_columns(SurveyResponse.store_id).group_by(SurveyResponse.store_id)
    if store_ids is not None:
        query = query.where(SurveyResponse.store_id.in_(list(store_ids)))
    return {row.store_id: FollowupShare(int(row.handled), int(row.n)) for row in db.session.execute(query)}
