"""Simulate a scheme version on a past period without saving anything: cost, spread, who is paid, coin flips.

It reads the same facts and figures a run would (runs.period_facts, figures.gather) and runs the pure engine (the
intéressement calculator for an intéressement scheme, with the period's imported gross pay and the PASS: its pools
and caps are shown too); it never adds, changes or deletes a row, so a simulation can be repeated freely and leaves
no trace.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.incentives import charts, engine, figures, interessement
from app.incentives.models import Scheme, SchemeVersion
from app.incentives.runs import RunError, compute_interessement, period_facts
from app.incentives.schemes import document_of
from app.money import ZERO
from app.org.models import Region, Store
from app.periods import Period, PeriodError


class SimulationError(ValueError):
    """A simulation that cannot be run as asked; the message names the field."""


@dataclass(frozen=True)
class StoreCost:
    code: str
    name: str
    region: str
    lines: int
    amount: Decimal


@dataclass(frozen=True)
class Simulation:
    """What a scheme version would have paid over a period."""

    code: str
    version: int
    name: str
    period: Period
    total: Decimal
    lines: int
    employees: int  # eligible employees (with at least one line)
    employees_paid: int  # with a positive amount
    by_store: tuple[StoreCost, ...]
    by_region: tuple[tuple[str, int, Decimal], ...]
    bins: tuple[tuple[Decimal, Decimal, int], ...]
    coin_flips: tuple[engine.CoinFlip, ...]
    fallbacks: int  # store × component pairs paid on a fallback
    excluded: int
    pool_factor: Decimal
    average: Decimal
    # Intéressement only: each pool (formula, total cap, individual caps) and the run's total cap.
    pools: tuple[interessement.PoolResult, ...] = ()
    total_cap: Decimal | None = None
    total_cap_applied: bool = False

    @property
    def share_paid(self) -> Decimal:
        if not self.employees:
            return ZERO
        return Decimal(self.employees_paid * 100) / self.employees


def find_version(reference: str) -> SchemeVersion:
    """A version named "CODE:3" (or "CODE" for the latest)."""
    code, _, number = (reference or "").partition(":")
    query = sa.select(SchemeVersion).join(Scheme).where(Scheme.code == code)
    if number:
        if not number.isdigit():
            raise SimulationError(f"scheme: no version {number!r}")
        query = query.where(SchemeVersion.version == int(number))
    version = db.session.scalar(query.order_by(SchemeVersion.version.desc()).limit(1))
    if version is None:
        raise SimulationError(f"scheme: no scheme version {reference!r}")
    return version


def simulate(version: SchemeVersion, period_label: str) -> Simulation:
    """Run the engine for a version over a period on today's data; nothing is written."""
    try:
        period = Period.parse(period_label)
    except PeriodError as exc:
        raise SimulationError(f"period: {exc}") from None
    if period.kind != version.period_type:
        raise SimulationError(f"period: {version.scheme.code} is paid per {version.period_type}, not per {period.kind}")
    document = document_of(version)
    with db.session.no_autoflush:
        facts, _employee_ids, _store_ids = period_facts(period)
        stores = {
            row.code: row
            for row in db.session.execute(sa.select(Store.code, Store.name, Region.name.label("region")).join(Region))
        }
        if document.is_interessement:
            try:
                shared = compute_interessement(version, period, facts)
            except RunError as exc:
                raise SimulationError(str(exc)) from None
            return _summary(version, document.name, period, stores, shared)
        spec = document.spec(version.version)
        gathered = figures.gather(spec, period)
    try:
        result = engine.compute_run(spec, period, facts, gathered)
    except engine.EngineError as exc:
        raise SimulationError(str(exc)) from None
    fallback_pairs = {(line.store_code, c.key) for line in result.lines for c in line.components if c.fallback_used}
    store_regions = {line.store_code: stores[line.store_code].region for line in result.lines}
    flips = engine.coin_flips(spec, period, store_regions, gathered) if store_regions else []
    return _summary(version, document.name, period, stores, result, flips=flips, fallbacks=len(fallback_pairs))


def _summary(
    version: SchemeVersion,
    name: str,
    period: Period,
    stores: dict[str, sa.Row],
    result: engine.RunResult | interessement.InteressementResult,
    *,
    flips: list[engine.CoinFlip] | None = None,
    fallbacks: int | None = None,
) -> Simulation:
    """Cost, spread and who is paid, per store and region, from a bonus run's lines or an intéressement's shares."""
    shared = result if isinstance(result, interessement.InteressementResult) else None
    if shared is not None:
        # A pool's KPIs on a fallback count once per pool, as a store × component pair counts for bonuses.
        fallbacks = sum(1 for pool in shared.pools for c in pool.components if c.fallback_used)
    per_store: dict[str, list[Decimal]] = defaultdict(list)
    per_employee: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in result.lines:
        per_store[line.store_code].append(line.amount)
        per_employee[line.employee_number] += line.amount
    by_store = tuple(
        StoreCost(code, stores[code].name, stores[code].region, len(amounts), sum(amounts, ZERO))
        for code, amounts in sorted(per_store.items())
    )
    regions: dict[str, list[Decimal]] = defaultdict(list)
    for cost in by_store:
        regions[cost.region].append(cost.amount)
    by_region = tuple(
        (region, len([s for s in by_store if s.region == region]), sum(amounts, ZERO))
        for region, amounts in sorted(regions.items())
    )
    amounts = list(per_employee.values())
    paid = sum(1 for a in amounts if a > 0)
    average = (result.total / len(amounts)).quantize(Decimal("0.01")) if amounts else ZERO
    return Simulation(
        code=version.scheme.code,
        version=version.version,
        name=name,
        period=period,
        total=result.total,
        lines=len(result.lines),
        employees=len(amounts),
        employees_paid=paid,
        by_store=by_store,
        by_region=by_region,
        bins=tuple(charts.histogram_bins(amounts)),
        coin_flips=tuple(flips or ()),
        fallbacks=fallbacks or 0,
        excluded=len(result.excluded),
        pool_factor=result.pool_factor if shared is None else Decimal(1),
        average=average,
        pools=shared.pools if shared is not None else (),
        total_cap=shared.total_cap if shared is not None else None,
        total_cap_applied=shared.total_cap_applied if shared is not None else False,
    )


@dataclass(frozen=True)
class StoreComparison:
    code: str
    name: str
    first: Decimal
    second: Decimal

    @property
    def difference(self) -> Decimal:
        return self.second - self.first


def compare_stores(first: Simulation, second: Simulation) -> list[StoreComparison]:
    """Both versions' cost per store side by side."""
    a = {s.code: s for s in first.by_store}
    b = {s.code: s for s in second.by_store}
    rows = []
    for code in sorted(a.keys() | b.keys()):
        name = (a.get(code) or b[code]).name
        rows.append(
            StoreComparison(code, name, a[code].amount if code in a else ZERO, b[code].amount if code in b else ZERO)
        )
    return rows
