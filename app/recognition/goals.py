"""Pure rules of automatic points and challenges: shares by presence, monthly caps, whether a goal is met.

No Flask, no SQLAlchemy: plain dates, whole points and Decimals, tested directly (tests/unit/test_goals.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

# KPIs where a lower figure is better: the goal is a ceiling, not a floor.
LOWER_IS_BETTER = frozenset({"ces"})


def pro_rata(points: int, present_days: int, total_days: int) -> int:
    """Return `points` × present/total days, rounded half-up to a whole point (0 when nobody was there)."""
    if total_days <= 0 or present_days <= 0:
        return 0
    present_days = min(present_days, total_days)
    return (2 * points * present_days + total_days) // (2 * total_days)


def presence_days(spans: Iterable[tuple[date, date | None]], start: date, end: date) -> int:
    """Count the days of [start, end] covered by at least one span (a transfer inside the team counts once)."""
    days: set[date] = set()
    for first, last in spans:
        day, stop = max(first, start), min(last or end, end)
        while day <= stop:
            days.add(day)
            day += timedelta(days=1)
    return len(days)


def within_cap(points: int, already: int, cap: int | None) -> int:
    """Return what may still be paid this month: all of `points`, or what the cap leaves (never below 0)."""
    if cap is None:
        return points
    return max(0, min(points, cap - already))


@dataclass(frozen=True)
class Verdict:
    """Whether a goal was met, why, and whether the figure lies within its margin of the goal (a coin flip)."""

    met: bool
    reason: str
    coin_flip: bool = False


def judge(kpi: str, value: Decimal | None, n: int, moe: Decimal | None, goal: Decimal, min_answers: int) -> Verdict:
    """Judge a team's figure against its goal as a bonus reads a KPI: enough answers first, then the point value.

    As for bonuses, a figure whose margin straddles the goal still counts at its measured value; the verdict only
    says so, so that the page can warn that the result may be noise.
    """
    if n < min_answers:
        return Verdict(False, f"{n} answers, fewer than the {min_answers} needed")
    if value is None:
        return Verdict(False, "no figure")
    met = value <= goal if kpi in LOWER_IS_BETTER else value >= goal
    flip = moe is None or abs(value - goal) <= moe
    sign = "≤" if kpi in LOWER_IS_BETTER else "≥"
    return Verdict(met, f"{value} {'' if met else 'not '}{sign} {goal} with {n} answers", flip)


def progress(kpi: str, value: Decimal | None, goal: Decimal) -> int:
    """Return how far a figure has come towards its goal, in whole percent from 0 to 100 (for a progress bar)."""
    if value is None:
        return 0
    if kpi in LOWER_IS_BETTER:
        if value <= goal:
            return 100
        # CES runs from 1 to 7: the distance left from 7 down to the goal.
        span = Decimal(7) - goal
        done = Decimal(7) - value
    else:
        if value >= goal:
            return 100
        # NPS may be negative: measure from its floor (-100); percentages from 0.
        floor = Decimal(-100) if kpi == "nps" else Decimal(0)
        span = goal - floor
        done = value - floor
    if span <= 0:
        return 0
    return max(0, min(100, int(done * 100 / span)))
