"""Which groups of a pulse survey's results may be shown, and the eNPS × NPS correlation.

Pure rules: no Flask, no database. A group under MIN_GROUP answers is never shown, and neither is a breakdown whose
shown parts let a reader subtract their way down to fewer than MIN_GROUP answers (complementary suppression).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

MIN_GROUP = 5


@dataclass(frozen=True)
class Suppression:
    """What may not be shown: stores, regions, and whether the whole (company) figure itself."""

    stores: frozenset[str]
    regions: frozenset[str]
    company: bool


def _hide_complements(children: Mapping[str, int], hidden: set[str]) -> None:
    """Hide more children until those hidden add up to nothing or to at least MIN_GROUP answers.

    A parent shown with all its children but some lets anyone compute the hidden ones together (parent − shown);
    that residue must itself be a group one may show. The smallest shown children go first: they cost least.
    """
    while 0 < sum(children[c] for c in hidden) < MIN_GROUP:
        shown = sorted((n, key) for key, n in children.items() if key not in hidden)
        if not shown:
            return
        hidden.add(shown[0][1])


def suppress(stores: Mapping[str, tuple[str, int]]) -> Suppression:
    """Decide what to hide, from each store's region and number of answers ({code: (region, n)})."""
    regions: dict[str, dict[str, int]] = {}
    for code, (region, n) in stores.items():
        if n < 0:
            raise ValueError(f"store {code} has a negative number of answers ({n})")
        regions.setdefault(region, {})[code] = n
    region_n = {region: sum(members.values()) for region, members in regions.items()}
    company_n = sum(region_n.values())
    if company_n < MIN_GROUP:
        return Suppression(frozenset(stores), frozenset(regions), True)

    hidden_stores: set[str] = set()
    for members in regions.values():
        hidden = {code for code, n in members.items() if n < MIN_GROUP}
        _hide_complements(members, hidden)
        hidden_stores |= hidden
    hidden_regions = {region for region, n in region_n.items() if n < MIN_GROUP}

    # The company minus the shown regions and the stores shown inside hidden regions leaves the hidden stores of
    # the hidden regions, together: hide more until that residue is nothing or a group one may show. Hiding a
    # region alone is not enough when its stores are all shown (they add up to it), so stores go with it.
    def residue() -> int:
        return sum(n for r in hidden_regions for code, n in regions[r].items() if code in hidden_stores)

    while 0 < residue() < MIN_GROUP:
        inside = sorted(
            (n, code) for r in hidden_regions for code, n in regions[r].items() if code not in hidden_stores
        )
        if inside:
            hidden_stores.add(inside[0][1])
        else:
            hidden_regions.add(min((n, r) for r, n in region_n.items() if r not in hidden_regions)[1])
    return Suppression(frozenset(hidden_stores), frozenset(hidden_regions), False)


def correlation(points: Sequence[tuple[Decimal, Decimal]]) -> Decimal | None:
    """Pearson's r of (x, y) pairs to two decimals, or None with fewer than 3 pairs or no spread."""
    n = len(points)
    if n < 3:
        return None
    mean_x = sum((x for x, _ in points), Decimal(0)) / n
    mean_y = sum((y for _, y in points), Decimal(0)) / n
    sxy = sum(((x - mean_x) * (y - mean_y) for x, y in points), Decimal(0))
    sxx = sum(((x - mean_x) ** 2 for x, _ in points), Decimal(0))
    syy = sum(((y - mean_y) ** 2 for _, y in points), Decimal(0))
    if sxx == 0 or syy == 0:
        return None
    r = sxy / (sxx * syy).sqrt()
    return max(Decimal(-1), min(Decimal(1), r)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def mean_score(total: int, n: int) -> Decimal | None:
    """The mean of n answers on a 1–5 scale, to two decimals, half-up."""
    if n == 0:
        return None
    return (Decimal(total) / n).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
