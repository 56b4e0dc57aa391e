"""The bonus thresholds that hang on a store's own NPS: what its dashboard draws across the NPS trend."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.incentives import engine
from app.incentives.scheme_format import SchemeDocument, read_document
from app.incentives.schemes import schemes_with_versions
from app.org.models import Store
from app.periods import Period

# Only a level of the store's own NPS can be drawn on its NPS line; a change against another period cannot.
DRAWN_MEASURES = ("value", "interval_bound")


@dataclass(frozen=True)
class SchemeThreshold:
    """One KPI value where a scheme's payout changes, and the achievement reached there."""

    scheme_code: str
    version: int
    value: Decimal
    achievement: Decimal


def admits(document: SchemeDocument, store: Store) -> bool:
    """The engine's rule: either list (stores, regions) admits a store; no list at all admits every store."""
    if document.store_codes is None and document.regions is None:
        return True
    return store.code in (document.store_codes or ()) or store.region.name in (document.regions or ())


def measured(component: engine.ComponentSpec, figure: engine.KpiFigure) -> Decimal | None:
    """The level of a figure a component's curve reads: the value, or the interval's cautious bound."""
    if component.measure == "interval_bound":
        return figure.lower if component.direction == "higher" else figure.upper
    return figure.value


def thresholds_between(
    component: engine.ComponentSpec, now: engine.KpiFigure, other: engine.KpiFigure
) -> tuple[Decimal, ...]:
    """The thresholds of a component's curve that lie between two figures of its KPI (a payout change)."""
    a, b = measured(component, now), measured(component, other)
    if a is None or b is None or a == b:
        return ()
    return tuple(
        t
        for t in sorted(set(engine.curve_thresholds(component.curve)))
        if engine.achievement(component.curve, a, component.direction)
        != engine.achievement(component.curve, b, component.direction)
        and min(a, b) <= t <= max(a, b)
    )


def nps_thresholds(store: Store, period: Period) -> list[SchemeThreshold]:
    """The thresholds of the latest version of each scheme that covers `store` during `period` on its own NPS."""
    found: list[SchemeThreshold] = []
    for scheme in schemes_with_versions():
        if not scheme.versions:
            continue
        version = scheme.latest
        document = read_document(version.document)
        if document.valid_from > period.end or (document.valid_to is not None and document.valid_to < period.start):
            continue
        if not admits(document, store):
            continue
        for component in document.components:
            if component.kpi_code != "nps" or component.scope != "store" or component.measure not in DRAWN_MEASURES:
                continue
            for value in sorted(set(engine.curve_thresholds(component.curve))):
                paid = engine.achievement(component.curve, value, component.direction)
                found.append(SchemeThreshold(scheme.code, version.version, value, paid))
    return found
