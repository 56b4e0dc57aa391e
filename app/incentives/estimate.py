"""An employee's estimated payout for the period under way: low / likely / high from the KPIs' 95 % intervals.

The pure part (`estimate_range`) runs the engine three times on the figures so far: "likely" on the values as
they stand, "low" with each current figure moved to the cautious end of its interval (the lower bound, or the
upper one when lower is better), "high" with it moved to the other end. It is an estimate: the period is not
over, answers still come in, and a budget pool (if any) is only applied to the real run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.incentives import engine, figures
from app.incentives.engine import EmployeeFacts, KpiFigure, LineResult, SchemeSpec
from app.incentives.models import ObjectivePublication, SchemeVersion
from app.incentives.runs import facts_of
from app.incentives.schemes import document_of, schemes_with_versions
from app.money import ZERO
from app.periods import Period

Figures = Mapping[tuple[str, str, str, str], KpiFigure]


@dataclass(frozen=True)
class ComponentView:
    """One component as the employee sees it during the period: the figure so far and where it sits."""

    trace: engine.ComponentTrace
    low: Decimal  # achievement % at the cautious end of the interval
    likely: Decimal
    high: Decimal


@dataclass(frozen=True)
class Estimate:
    """The estimated payout range of one employee under one scheme version for a period under way."""

    scheme_code: str
    scheme_name: str
    version: int
    period: Period
    low: Decimal
    likely: Decimal
    high: Decimal
    lines: tuple[LineResult, ...]  # the "likely" lines, whose traces explain the figures
    components: tuple[ComponentView, ...]  # of the first store part


def _is_current(label: str, period: Period) -> bool:
    return label == str(period) or label.endswith(f"+{period}")


def shifted(
    figures_: Figures, spec: SchemeSpec, period: Period, end: str
) -> dict[tuple[str, str, str, str], KpiFigure]:
    """The figures with each current KPI moved to one end of its interval: "cautious" or "optimistic"."""
    directions = {}
    for c in spec.components:
        directions.setdefault(c.kpi_code, c.direction)
    moved = dict(figures_)
    for key, figure in figures_.items():
        kpi, _scope, _where, label = key
        if kpi not in directions or not _is_current(label, period) or figure.value is None:
            continue
        if figure.lower is None or figure.upper is None:
            continue
        cautious_is_lower = (directions[kpi] == "higher") == (end == "cautious")
        bound = figure.lower if cautious_is_lower else figure.upper
        delta = bound - figure.value
        moved[key] = replace(figure, value=bound, lower=figure.lower + delta, upper=figure.upper + delta)
    return moved


def estimate_range(
    spec: SchemeSpec, period: Period, facts: EmployeeFacts, figures_: Figures, name: str = ""
) -> Estimate | None:
    """Low / likely / high for one employee, or None when the scheme does not apply to them."""
    likely = engine.compute_run(spec, period, [facts], figures_)
    if not likely.lines:
        return None
    low = engine.compute_run(spec, period, [facts], shifted(figures_, spec, period, "cautious"))
    high = engine.compute_run(spec, period, [facts], shifted(figures_, spec, period, "optimistic"))
    first_low, first_high = low.lines[0], high.lines[0]
    views = tuple(
        ComponentView(trace, lo.achievement, trace.achievement, hi.achievement)
        for trace, lo, hi in zip(likely.lines[0].components, first_low.components, first_high.components, strict=True)
    )
    totals = sorted(r.total for r in (low, likely, high))
    return Estimate(
        scheme_code=spec.code,
        scheme_name=name,
        version=spec.version,
        period=period,
        low=totals[0],
        likely=likely.total,
        high=totals[2],
        lines=likely.lines,
        components=views,
    )


# --- from the database -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    spec: SchemeSpec
    name: str
    period: Period


def _candidates(today: date) -> list[_Candidate]:
    """Each scheme's version for the period under way: the one published for it, else the latest (two queries)."""
    schemes = [s for s in schemes_with_versions() if s.versions]
    under_way = {s.id: Period.containing(today, s.latest.period_type) for s in schemes}  # type: ignore[arg-type]
    versions = {v.id: v for s in schemes for v in s.versions}
    published: dict[tuple[int, str], SchemeVersion] = {}
    if schemes:
        for version_id, period in db.session.execute(
            sa.select(ObjectivePublication.version_id, ObjectivePublication.period)
            .join(SchemeVersion, ObjectivePublication.version_id == SchemeVersion.id)
            .where(ObjectivePublication.period.in_({str(p) for p in under_way.values()}))
            .order_by(SchemeVersion.version)
        ):
            if (version := versions.get(version_id)) is not None:  # None: a version added since the first query
                published[(version.scheme_id, period)] = version  # the highest version published for it wins
    found = []
    for scheme in schemes:
        period = under_way[scheme.id]
        version = published.get((scheme.id, str(period))) or scheme.latest
        if version.period_type != period.kind:
            period = Period.containing(today, version.period_type)  # type: ignore[arg-type]
        document = document_of(version)
        if not document.valid_for(period):
            continue
        found.append(_Candidate(document.spec(version.version), document.name, period))
    return found


def estimates_for(employee_ids: Iterable[int], today: date) -> dict[int, list[Estimate]]:
    """Every applicable estimate per employee; each scheme's figures are gathered once for everyone."""
    facts = facts_of(employee_ids)
    result: dict[int, list[Estimate]] = {employee_id: [] for employee_id in facts}
    # Only their stores' figures (and their regions' and the company's): the engine asks for no other, and
    # working out every store's margin of error is most of the cost of a page that shows one employee's estimate.
    stores = {a.store_code for f in facts.values() for a in f.assignments}
    for candidate in _candidates(today):
        gathered = figures.gather(candidate.spec, candidate.period, only_stores=stores)
        for employee_id, employee_facts in facts.items():
            estimate = estimate_range(candidate.spec, candidate.period, employee_facts, gathered, candidate.name)
            if estimate is not None:
                result[employee_id].append(estimate)
    return result


def total(estimates: Iterable[Estimate]) -> tuple[Decimal, Decimal, Decimal]:
    items = list(estimates)
    return (
        sum((e.low for e in items), ZERO),
        sum((e.likely for e in items), ZERO),
        sum((e.high for e in items), ZERO),
    )
