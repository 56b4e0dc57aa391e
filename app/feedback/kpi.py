"""Customer-satisfaction KPIs (NPS, CSAT, CES) with their sample size and 95 % margins, as exact Decimals.

Pure maths: no Flask, no database. Every published figure is rounded once, half-up, from the exact value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from math import isqrt

# z = 1.96 for a 95 % interval, kept as integers so the maths below stays exact: 1.96 · 100 = 196, 1.96² = 38416 / 10⁴.
_Z_PERCENT = 196
_Z_PERCENT_SQUARED = _Z_PERCENT * _Z_PERCENT

NPS_MIN = Decimal("-100.0")
NPS_MAX = Decimal("100.0")
CES_MIN = Decimal("1.00")
CES_MAX = Decimal("7.00")

# The NPS categories of a 0–10 answer, lowest and highest score of each: the one definition every count, filter,
# chart and follow-up rule uses (SQL conditions come from it through aggregate.nps_category_condition).
NPS_CATEGORIES: dict[str, tuple[int, int]] = {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}
PROMOTER_MIN = NPS_CATEGORIES["promoter"][0]
DETRACTOR_MAX = NPS_CATEGORIES["detractor"][1]


class ScoreError(ValueError):
    """A survey score or count that cannot enter a KPI."""


@dataclass(frozen=True)
class NpsResult:
    """Net Promoter Score in points (one decimal) with its 95 % margin; figures are None when n is 0."""

    n: int
    promoters: int
    passives: int
    detractors: int
    nps: Decimal | None
    moe: Decimal | None
    lower: Decimal | None
    upper: Decimal | None


@dataclass(frozen=True)
class CsatResult:
    """Top-two-box CSAT in percent (two decimals); lower/upper are the 95 % Wilson bounds, moe the normal margin."""

    n: int
    satisfied: int
    csat: Decimal | None
    moe: Decimal | None
    lower: Decimal | None
    upper: Decimal | None


@dataclass(frozen=True)
class CesResult:
    """Mean Customer Effort Score on the 1–7 scale (two decimals); the margin needs at least two answers."""

    n: int
    mean: Decimal | None
    moe: Decimal | None
    lower: Decimal | None
    upper: Decimal | None


@dataclass(frozen=True)
class KpiFigure:
    """A KPI as printed, with n and its interval: the plain shape the bonus engine consumes."""

    value: Decimal | None
    n: int
    moe: Decimal | None
    lower: Decimal | None
    upper: Decimal | None


@dataclass(frozen=True)
class KpiSummary:
    """The three survey KPIs of one store and period; a KPI not computed is None."""

    nps: NpsResult | None = None
    csat: CsatResult | None = None
    ces: CesResult | None = None

    def as_json_dict(self) -> dict[str, Decimal | int | None]:
        """Return the KPIs as printed, for app.core.jsonout.dumps (which writes Decimals as exact JSON numbers)."""
        nps, csat, ces = self.nps, self.csat, self.ces
        return {
            "nps": nps.nps if nps else None,
            "nps_n": nps.n if nps else 0,
            "nps_moe": nps.moe if nps else None,
            "promoters": nps.promoters if nps else 0,
            "passives": nps.passives if nps else 0,
            "detractors": nps.detractors if nps else 0,
            "csat": csat.csat if csat else None,
            "csat_n": csat.n if csat else 0,
            "csat_moe": csat.moe if csat else None,
            "ces": ces.mean if ces else None,
            "ces_n": ces.n if ces else 0,
            "ces_moe": ces.moe if ces else None,
        }


def nps_from_counts(promoters: int, passives: int, detractors: int) -> NpsResult:
    """Compute NPS = %promoters − %detractors and its 95 % margin from the three counts."""
    for name, count in (("promoters", promoters), ("passives", passives), ("detractors", detractors)):
        _check_count(name, count)
    n = promoters + passives + detractors
    if n == 0:
        return NpsResult(0, 0, 0, 0, None, None, None, None)
    nps = _round_ratio(100 * (promoters - detractors), n, 1)
    # MoE = 1.96·√((p + d − (p − d)²)/n)·100 with p = P/n, d = D/n, i.e. √(196² · ((P + D)·n − (P − D)²) / n³).
    spread = (promoters + detractors) * n - (promoters - detractors) ** 2
    moe = _round_sqrt_ratio(_Z_PERCENT_SQUARED * spread, n**3, 1)
    # The bounds are the printed NPS ∓ the printed margin, so a reader can check them by hand.
    lower = max(nps - moe, NPS_MIN)
    upper = min(nps + moe, NPS_MAX)
    return NpsResult(n, promoters, passives, detractors, nps, moe, lower, upper)


def nps_category(score: int) -> str:
    """Name the category of a 0–10 answer: "promoter" (9–10), "passive" (7–8) or "detractor" (0–6)."""
    for category, (low, high) in NPS_CATEGORIES.items():
        if low <= score <= high:
            return category
    raise ScoreError(f"NPS score must be an integer from 0 to 10, got {score!r}")


def nps_from_scores(scores: Iterable[int]) -> NpsResult:
    """Compute NPS from raw 0–10 answers: 9–10 promoters, 7–8 passives, 0–6 detractors."""
    counts = dict.fromkeys(NPS_CATEGORIES, 0)
    for score in scores:
        _check_score("NPS", score, 0, 10)
        counts[nps_category(score)] += 1
    return nps_from_counts(counts["promoter"], counts["passive"], counts["detractor"])


def csat_from_counts(satisfied: int, n: int) -> CsatResult:
    """Compute CSAT (share of 4–5 answers, in %) with its normal margin and Wilson interval."""
    _check_count("satisfied", satisfied)
    _check_count("n", n)
    if satisfied > n:
        raise ScoreError(f"satisfied ({satisfied}) cannot exceed the number of answers ({n})")
    if n == 0:
        return CsatResult(0, 0, None, None, None, None)
    csat = _round_ratio(100 * satisfied, n, 2)
    # Normal margin 1.96·√(s(1 − s)/n)·100 = √(196² · S(n − S) / n³); it collapses to 0 at 0 % and 100 %.
    moe = _round_sqrt_ratio(_Z_PERCENT_SQUARED * satisfied * (n - satisfied), n**3, 2)
    lower, upper = _wilson_percent(satisfied, n)
    return CsatResult(n, satisfied, csat, moe, lower, upper)


def csat_from_scores(scores: Iterable[int]) -> CsatResult:
    """Compute CSAT from raw 1–5 answers, counting 4 and 5 as satisfied."""
    satisfied = n = 0
    for score in scores:
        _check_score("CSAT", score, 1, 5)
        n += 1
        if score >= 4:
            satisfied += 1
    return csat_from_counts(satisfied, n)


def ces_from_moments(n: int, total: int, total_squares: int) -> CesResult:
    """Compute the mean CES and its margin 1.96·sd/√n from COUNT, SUM and SUM of squares of 1–7 answers."""
    _check_count("n", n)
    _check_count("total", total)
    _check_count("total_squares", total_squares)
    # Every answer x in 1..7 satisfies (x − 1)(7 − x) ≥ 0, i.e. x² ≤ 8x − 7, and Σx² ≥ (Σx)²/n (Cauchy–Schwarz):
    # moments outside these bounds cannot come from valid answers, so they reveal a bad aggregate.
    if not (n <= total <= 7 * n and total * total <= n * total_squares and total_squares <= 8 * total - 7 * n):
        raise ScoreError(f"inconsistent CES moments: n={n}, total={total}, total_squares={total_squares}")
    if n == 0:
        return CesResult(0, None, None, None, None)
    mean = _round_ratio(total, n, 2)
    if n == 1:
        # A single answer has no sample standard deviation, so no margin can be stated.
        return CesResult(1, mean, None, None, None)
    # sd² = (nΣx² − (Σx)²) / (n(n − 1)), so (1.96·sd/√n)² = 38416·(nΣx² − (Σx)²) / (10⁴·n²·(n − 1)).
    moe = _round_sqrt_ratio(_Z_PERCENT_SQUARED * (n * total_squares - total * total), 10**4 * n * n * (n - 1), 2)
    # The mean cannot leave the scale, so neither does its interval.
    lower = max(mean - moe, CES_MIN)
    upper = min(mean + moe, CES_MAX)
    return CesResult(n, mean, moe, lower, upper)


def ces_from_scores(scores: Iterable[int]) -> CesResult:
    """Compute the mean CES from raw 1–7 answers."""
    n = total = total_squares = 0
    for score in scores:
        _check_score("CES", score, 1, 7)
        n += 1
        total += score
        total_squares += score * score
    return ces_from_moments(n, total, total_squares)


def figure_from_nps(result: NpsResult) -> KpiFigure:
    """Return the NPS as the bonus engine reads it."""
    return KpiFigure(result.nps, result.n, result.moe, result.lower, result.upper)


def figure_from_csat(result: CsatResult) -> KpiFigure:
    """Return the CSAT as the bonus engine reads it, with the Wilson interval as its bounds."""
    return KpiFigure(result.csat, result.n, result.moe, result.lower, result.upper)


def figure_from_ces(result: CesResult) -> KpiFigure:
    """Return the CES mean as the bonus engine reads it."""
    return KpiFigure(result.mean, result.n, result.moe, result.lower, result.upper)


def within_margin(value: Decimal, moe: Decimal | None, threshold: Decimal) -> bool:
    """Tell whether a threshold lies within the margin of a value (a "coin flip" store)."""
    if moe is None:
        # No margin can be stated (a single CES answer), so the figure cannot be told apart from any threshold.
        return True
    return abs(value - threshold) <= moe


def change_beyond_margin(value: Decimal, moe: Decimal | None, previous: Decimal, previous_moe: Decimal | None) -> bool:
    """Tell whether a change between two periods is larger than its own 95 % margin, √(moe² + previous_moe²).

    Two independent samples each carry their margin; a smaller difference may be noise and is not called a rise or
    a fall. Without both margins nothing can be said, so the change is not called either.
    """
    if moe is None or previous_moe is None:
        return False
    margin = (moe * moe + previous_moe * previous_moe).sqrt()
    return abs(value - previous) > margin


def _wilson_percent(satisfied: int, n: int) -> tuple[Decimal, Decimal]:
    """Return the 95 % Wilson score interval of satisfied/n in percent, two decimals, for n > 0."""
    # Wilson: (2S + z² ∓ z·√(4S(n − S)/n + z²)) / (2(n + z²)), times 100. With z = 196/100 and everything
    # multiplied out by 10⁴·n it becomes (m ∓ √r) / den over integers, which rounds exactly.
    m = 100 * n * (20000 * satisfied + _Z_PERCENT_SQUARED)
    inner = 40000 * satisfied * (n - satisfied) + _Z_PERCENT_SQUARED * n
    r = 10**4 * _Z_PERCENT_SQUARED * inner * n
    den = 2 * n * (10**4 * n + _Z_PERCENT_SQUARED)
    return _round_surd(m, -1, r, den, 2), _round_surd(m, 1, r, den, 2)


def percent_of(part: int, whole: int, places: int) -> Decimal:
    """`part` out of `whole` in %, rounded half-up to `places` decimals, exactly (a share of counts: CSAT, the
    follow-up rate, a response rate, a share of silent 10s)."""
    return _round_ratio(100 * part, whole, places)


def _round_ratio(numerator: int, denominator: int, places: int) -> Decimal:
    """Round numerator/denominator half-up (away from zero) to `places` decimals, exactly."""
    quotient, remainder = divmod(abs(numerator) * 10**places, denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return _decimal(-quotient if numerator < 0 else quotient, places)


def _round_sqrt_ratio(numerator: int, denominator: int, places: int) -> Decimal:
    """Round √(numerator/denominator) half-up to `places` decimals, exactly."""
    # √(a/b) = √(a·b)/b keeps the radicand an integer.
    return _round_surd(0, 1, numerator * denominator, denominator, places)


def _round_surd(m: int, sign: int, radicand: int, denominator: int, places: int) -> Decimal:
    """Round (m + sign·√radicand)/denominator half-up to `places` decimals, exactly, for a non-negative value."""
    # Integer square roots instead of floats or a Decimal context: the result never depends on precision, and an
    # exact tie (a perfect square) is recognised as one. floor(x·10^p + ½) = floor((2m·10^p + den ± √(4·10^2p·r))
    # / (2·den)), and flooring the root (or ceiling it when subtracted) first does not change that floor.
    scale = 10**places
    squared = 4 * scale * scale * radicand
    root = isqrt(squared)
    if sign < 0 and root * root != squared:
        root += 1
    return _decimal((2 * m * scale + denominator + sign * root) // (2 * denominator), places)


def _decimal(units: int, places: int) -> Decimal:
    """Return units·10^−places as a Decimal showing exactly `places` decimals."""
    # Built from a string so no context precision can round a large figure.
    return Decimal(f"{units}E-{places}")


def _check_count(name: str, value: int) -> None:
    """Refuse a count that is not a non-negative integer."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ScoreError(f"{name} must be a non-negative integer, got {value!r}")


def _check_score(kpi: str, score: object, low: int, high: int) -> None:
    """Refuse an answer that is not an integer on the KPI's scale (floats and booleans included)."""
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        raise ScoreError(f"{kpi} score must be an integer from {low} to {high}, got {score!r}")
