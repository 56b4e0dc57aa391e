"""Gather the KPI figures a run needs, for every store, region and the company, in a constant number of queries.

Survey KPIs come from one GROUP BY per period (current, previous, last year); regions and the company pool their
stores' counts (never an average of store scores). Other KPIs come from their stored values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable

import sqlalchemy as sa

from app.core import memo
from app.extensions import db
from app.feedback import aggregate, engagement, other_kpis
from app.feedback.aggregate import Tally
from app.feedback.kpi import figure_from_ces, figure_from_csat, figure_from_nps
from app.feedback.models import PeriodLock
from app.incentives.engine import COMPANY_KEY, KpiFigure, SchemeSpec
from app.org.models import Region, Store
from app.periods import Period

SURVEY_KPIS = ("nps", "csat", "ces")


def periods_read(spec: SchemeSpec, period: Period) -> list[Period]:
    """Every period a run of `spec` over `period` reads: the period, and those its measures compare with."""
    needed = {period}
    for component in spec.components:
        if component.measure == "change_previous" or component.fallback == "pool_previous":
            needed.add(period.previous())
        if component.measure == "change_last_year":
            needed.add(period.same_last_year())
    return sorted(needed)


def _figure(kpi: str, tally: Tally, invitations: int | None = None) -> KpiFigure:
    summary = tally.summary()
    converted = {"nps": figure_from_nps, "csat": figure_from_csat, "ces": figure_from_ces}[kpi](getattr(summary, kpi))
    return KpiFigure(converted.value, converted.n, converted.moe, converted.lower, converted.upper, invitations)


def _total(counts: Iterable[int | None]) -> int | None:
    """Invitations of several stores together; None when none of them has any on file."""
    known = [c for c in counts if c is not None]
    return sum(known) if known else None


def gather(
    spec: SchemeSpec, period: Period, only_stores: Collection[str] | None = None
) -> dict[tuple[str, str, str, str], KpiFigure]:
    """Every figure the engine may ask for when running `spec` over `period`.

    With `only_stores` (store codes), store and region figures are worked out for those stores and their regions
    only, as an estimate for a few employees needs; the company figure always pools every store.
    """
    stores = memo.remembered(
        "stores with regions",
        lambda: db.session.execute(sa.select(Store.id, Store.code, Region.name.label("region")).join(Region)).all(),
    )
    wanted_regions = None if only_stores is None else {s.region for s in stores if s.code in only_stores}
    figures: dict[tuple[str, str, str, str], KpiFigure] = {}
    kpis = {c.kpi_code for c in spec.components}
    survey = [k for k in kpis if k in SURVEY_KPIS]
    periods = periods_read(spec, period)
    tallies: dict[Period, dict[int, Tally]] = {}
    if survey:
        # Remembered for the transaction: a page estimating under several schemes reads each period once.
        tallies = {
            p: memo.remembered(("tallies_by_store", p), lambda p=p: aggregate.tallies_by_store(p)) for p in periods
        }
    labels: list[tuple[str, dict[int, Tally]]] = [(str(p), t) for p, t in tallies.items()]
    if survey and period.previous() in tallies:
        pooled = {
            s.id: tallies[period].get(s.id, Tally()) + tallies[period.previous()].get(s.id, Tally()) for s in stores
        }
        labels.append((f"{period.previous()}+{period}", pooled))
    invited = {
        str(p): memo.remembered(("invitations_by_store", p), lambda p=p: engagement.invitations_by_store(p))
        for p in tallies
    }
    for label, by_store in labels:
        regions: dict[str, Tally] = defaultdict(Tally)
        region_stores: dict[str, list[int]] = defaultdict(list)
        company = Tally()
        counts = invited.get(label, {})  # a pooled label has no invitations of its own
        for store in stores:
            tally = by_store.get(store.id, Tally())
            regions[store.region] = regions[store.region] + tally
            region_stores[store.region].append(store.id)
            company = company + tally
            if only_stores is not None and store.code not in only_stores:
                continue
            for kpi in survey:
                figures[(kpi, "store", store.code, label)] = _figure(kpi, tally, counts.get(store.id))
        for region, tally in regions.items():
            if wanted_regions is not None and region not in wanted_regions:
                continue
            region_invited = _total(counts.get(s) for s in region_stores[region])
            for kpi in survey:
                figures[(kpi, "region", region, label)] = _figure(kpi, tally, region_invited)
        for kpi in survey:
            figures[(kpi, "company", COMPANY_KEY, label)] = _figure(kpi, company, _total(counts.values()))
    codes = {store.id: store.code for store in stores}
    for kpi in kpis - set(SURVEY_KPIS):
        for p in periods:  # one query per KPI and period, whatever the number of stores
            for store_id, value in other_kpis.values_by_store(kpi, p).items():
                if store_id in codes:
                    # Not a survey: its sample size is not a number of answers, so one stored value counts as
                    # enough (schemes on such KPIs set min_responses to 0 or 1).
                    figures[(kpi, "store", codes[store_id], str(p))] = KpiFigure(value, 1)
    return figures


def lock_months(holder: str, periods: Iterable[Period], paid: bool = False) -> None:
    """Record that a run read (or paid on) these months, so their feedback can no longer move under it."""
    months = sorted({m.month_key for p in periods for m in p.month_periods()})
    existing = {
        lock.month: lock for lock in db.session.scalars(sa.select(PeriodLock).where(PeriodLock.holder == holder))
    }
    for month in months:
        lock = existing.get(month)
        if lock is None:
            db.session.add(PeriodLock(month=month, holder=holder, paid=paid))
        elif paid:
            lock.paid = True


def release_months(holder: str) -> None:
    db.session.execute(sa.delete(PeriodLock).where(PeriodLock.holder == holder))
