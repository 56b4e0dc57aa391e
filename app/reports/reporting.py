"""HR reports over approved and exported runs: bonus cost per store / region / period, the distribution of amounts,
cost against NPS per store, and recognition use per manager; each also as an xlsx workbook (real number cells).

Queries read the database in a few GROUP BYs; the workbook builders take the report rows and return bytes.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import Workbook

from app.core import clock
from app.core.tabular import neutralise
from app.dbtypes import Money
from app.extensions import db
from app.incentives.models import PAID_STATUSES, BonusRun, RunAdjustment, RunLine
from app.money import ZERO, round_half_up
from app.org.models import Region, Store
from app.periods import Period
from app.reports.recognition import ManagerUse, recognition_use

MONEY = "#,##0.00"


def paid_periods() -> list[str]:
    """Periods that have an approved or exported run, newest first."""
    return list(
        db.session.scalars(
            sa.select(BonusRun.period)
            .where(BonusRun.status.in_(PAID_STATUSES))
            .distinct()
            .order_by(BonusRun.period.desc())
        )
    )


@dataclass(frozen=True)
class CostRow:
    period: str
    key: str  # store code or region name
    label: str
    employees: int
    amount: Decimal


def _paid_runs(period: str | None) -> sa.Select:
    query = sa.select(BonusRun.id).where(BonusRun.status.in_(PAID_STATUSES))
    return query.where(BonusRun.period == period) if period else query


def cost(period: str | None, by: str = "store") -> list[CostRow]:
    """Bonus cost (lines and adjustments of paid runs) per period and store or region, largest first.

    An adjustment counts for the store of the employee's first line in its run (or "—" when it has none).
    """
    runs = _paid_runs(period)
    lines = db.session.execute(
        sa.select(
            BonusRun.period,
            RunLine.run_id,
            RunLine.employee_id,
            Store.code,
            Store.name,
            Region.name.label("region"),
            sa.func.sum(RunLine.amount, type_=Money()).label("amount"),
            sa.func.min(RunLine.id).label("first_line"),
        )
        .join(BonusRun, BonusRun.id == RunLine.run_id)
        .join(Store, Store.id == RunLine.store_id)
        .join(Region, Region.id == Store.region_id)
        .where(RunLine.run_id.in_(runs))
        .group_by(BonusRun.period, RunLine.run_id, RunLine.employee_id, Store.code, Store.name, Region.name)
    ).all()
    adjustments = db.session.execute(
        sa.select(BonusRun.period, RunAdjustment.run_id, RunAdjustment.employee_id, RunAdjustment.amount)
        .join(BonusRun, BonusRun.id == RunAdjustment.run_id)
        .where(RunAdjustment.run_id.in_(runs))
    ).all()
    home: dict[tuple[int, int], tuple[int, tuple[str, str]]] = {}
    totals: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    people: dict[tuple[str, str], set[int]] = defaultdict(set)
    labels: dict[str, str] = {}
    for row in lines:
        key = row.code if by == "store" else row.region
        labels[key] = f"{row.code} — {row.name}" if by == "store" else row.region
        totals[(row.period, key)] += row.amount or ZERO
        people[(row.period, key)].add(row.employee_id)
        known = home.get((row.run_id, row.employee_id))
        if known is None or row.first_line < known[0]:
            home[(row.run_id, row.employee_id)] = (row.first_line, (row.period, key))
    for row in adjustments:
        target = home.get((row.run_id, row.employee_id), (0, (row.period, "—")))[1]
        labels.setdefault(target[1], target[1])
        totals[target] += row.amount
        people[target].add(row.employee_id)
    rows = [CostRow(p, k, labels[k], len(people[(p, k)]), amount) for (p, k), amount in totals.items()]
    return sorted(rows, key=lambda r: (r.period, -r.amount, r.key), reverse=False)


def employee_amounts(period: str | None, run_id: int | None = None) -> list[Decimal]:
    """What each employee was paid by the paid runs of a period (or by one run): lines plus adjustments."""
    runs = sa.select(BonusRun.id).where(BonusRun.status.in_(PAID_STATUSES))
    if run_id is not None:
        runs = runs.where(BonusRun.id == run_id)
    elif period:
        runs = runs.where(BonusRun.period == period)
    amounts: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for model in (RunLine, RunAdjustment):
        for employee_id, amount in db.session.execute(
            sa.select(model.employee_id, sa.func.sum(model.amount, type_=Money()))
            .where(model.run_id.in_(runs))
            .group_by(model.employee_id)
        ):
            amounts[employee_id] += amount or ZERO
    return sorted(amounts.values())


@dataclass(frozen=True)
class Distribution:
    amounts: list[Decimal]

    @property
    def count(self) -> int:
        return len(self.amounts)

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, ZERO)

    @property
    def mean(self) -> Decimal | None:
        return round_half_up(self.total / self.count, 2) if self.amounts else None

    @property
    def median(self) -> Decimal | None:
        if not self.amounts:
            return None
        middle = len(self.amounts) // 2
        if len(self.amounts) % 2:
            return self.amounts[middle]
        return round_half_up((self.amounts[middle - 1] + self.amounts[middle]) / 2, 2)

    @property
    def zero(self) -> int:
        return sum(1 for a in self.amounts if a == 0)


@dataclass(frozen=True)
class StorePoint:
    store_id: int
    code: str
    name: str
    employees: int
    amount: Decimal
    nps: Decimal | None
    n: int
    moe: Decimal | None


def cost_vs_nps(period: str) -> list[StorePoint]:
    """Per store: the bonus cost of the period's paid runs, and the store's NPS of that period with n and margin."""
    from app.feedback import aggregate

    costs = {r.key: r for r in cost(period, "store")}
    stores = {s.code: s for s in db.session.scalars(sa.select(Store).where(Store.code.in_(list(costs))))}
    kpis = aggregate.kpis_by_store(Period.parse(period), [s.id for s in stores.values()]) if stores else {}
    points = []
    for code, row in sorted(costs.items()):
        store = stores.get(code)
        if store is None:
            continue
        nps = kpis.get(store.id)
        result = nps.nps if nps is not None and nps.nps is not None and nps.nps.nps is not None else None
        points.append(
            StorePoint(
                store.id,
                code,
                store.name,
                row.employees,
                row.amount,
                round_half_up(result.nps, 1) if result is not None and result.nps is not None else None,
                result.n if result is not None else 0,
                round_half_up(result.moe, 1) if result is not None and result.moe is not None else None,
            )
        )
    return points


def manager_use(period: str) -> list[ManagerUse] | None:
    return recognition_use(Period.parse(period))


# --- workbooks -------------------------------------------------------------------------------------------------


def _workbook(title: str, header: Sequence[str], rows: Sequence[Sequence[object]], formats: dict[int, str]) -> bytes:
    """One sheet: a header row, then rows whose text is neutralised and whose numbers stay numbers."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = title[:31]
    ws.append(list(header))
    for values in rows:
        ws.append([neutralise(v) if isinstance(v, str) else v for v in values])
    for column, number_format in formats.items():
        for (cell,) in ws.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = number_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def cost_xlsx(rows: Sequence[CostRow], by: str) -> bytes:
    return _workbook(
        "cost",
        ("period", by, "label", "employees", "amount"),
        [(r.period, r.key, r.label, r.employees, r.amount) for r in rows],
        {5: MONEY},
    )


def distribution_xlsx(dist: Distribution, bins: Sequence[tuple[Decimal, Decimal, int]]) -> bytes:
    rows = [(a, b, count) for a, b, count in bins]
    rows += [("count", None, dist.count), ("total", None, dist.total), ("median", None, dist.median)]
    return _workbook("distribution", ("from", "to", "employees"), rows, {1: MONEY, 2: MONEY})


def cost_vs_nps_xlsx(points: Sequence[StorePoint]) -> bytes:
    return _workbook(
        "cost_vs_nps",
        ("store", "name", "employees", "bonus_cost", "nps", "nps_n", "nps_moe"),
        [(p.code, p.name, p.employees, p.amount, p.nps, p.n, p.moe) for p in points],
        {4: MONEY, 5: "0.0", 7: "0.0"},
    )


def manager_use_xlsx(rows: Sequence[ManagerUse]) -> bytes:
    return _workbook(
        "recognition",
        ("manager_number", "manager", "awards", "points_given", "badges_given", "people_recognised", "allowance"),
        [(r.number, r.name, r.awards, r.points_given, r.badges_given, r.people, r.allowance) for r in rows],
        {},
    )


def latest_month() -> str:
    """The current month in the company's time zone."""
    return str(Period.containing(clock.today(), "month"))
