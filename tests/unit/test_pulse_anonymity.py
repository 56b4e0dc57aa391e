"""Pulse results never show a group under 5 answers, directly or by subtraction; the eNPS × NPS correlation."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.pulse.anonymity import MIN_GROUP, correlation, mean_score, suppress

# Up to 3 regions of up to 4 stores, each with 0 to 12 answers: small groups are the interesting ones.
worlds = st.lists(st.lists(st.integers(0, 12), min_size=1, max_size=4), min_size=1, max_size=3).map(
    lambda regions: {f"R{r}S{s}": (f"R{r}", n) for r, sizes in enumerate(regions) for s, n in enumerate(sizes)}
)


def _published(world: dict[str, tuple[str, int]]) -> list[frozenset[str]]:
    """The sets of stores whose figures the results show."""
    hidden = suppress(world)
    sets = []
    if not hidden.company:
        sets.append(frozenset(world))
    for region in {r for r, _n in world.values()} - hidden.regions:
        sets.append(frozenset(code for code, (r, _n) in world.items() if r == region))
    sets += [frozenset({code}) for code in world if code not in hidden.stores]
    return sets


def _size(world: dict[str, tuple[str, int]], codes: frozenset[str]) -> int:
    return sum(world[code][1] for code in codes)


@settings(max_examples=300)
@given(worlds)
def test_every_shown_group_has_at_least_five_answers(world):
    for codes in _published(world):
        assert _size(world, codes) >= MIN_GROUP


# Two regions of up to three stores: at most nine figures, so every ±1 combination of them can be tried.
small_worlds = st.lists(st.lists(st.integers(0, 9), min_size=1, max_size=3), min_size=1, max_size=2).map(
    lambda regions: {f"R{r}S{s}": (f"R{r}", n) for r, sizes in enumerate(regions) for s, n in enumerate(sizes)}
)


@settings(max_examples=60, deadline=None)
@given(small_worlds)
def test_no_subtraction_of_shown_figures_isolates_fewer_than_five_answers(world):
    published = _published(world)
    # Each shown figure is the sum over a set of stores; every ±1 combination of them that is itself the sum over
    # a set of stores is a group a reader can work out, and it must be empty or hold at least five answers.
    codes = sorted(world)
    vectors = [[1 if c in group else 0 for c in codes] for group in published]
    for signs in itertools.product((-1, 0, 1), repeat=len(vectors)):
        combined = [sum(s * v[i] for s, v in zip(signs, vectors, strict=True)) for i in range(len(codes))]
        if all(x in (0, 1) for x in combined):
            derived = frozenset(c for c, x in zip(codes, combined, strict=True) if x)
            assert _size(world, derived) == 0 or _size(world, derived) >= MIN_GROUP, (signs, derived)


@given(worlds)
def test_a_store_under_five_answers_is_always_hidden(world):
    hidden = suppress(world)
    assert {code for code, (_r, n) in world.items() if n < MIN_GROUP} <= hidden.stores


def test_a_region_showing_all_but_one_store_hides_a_second_one():
    world = {"A": ("North", 20), "B": ("North", 9), "C": ("North", 3)}
    hidden = suppress(world)
    assert hidden.stores == {"B", "C"}
    assert not hidden.regions and not hidden.company


def test_a_small_region_takes_a_shown_region_and_its_stores_with_it():
    # The company minus North is South's 3 answers unless North (and its one store) is hidden as well.
    world = {"N1": ("North", 6), "S1": ("South", 3)}
    hidden = suppress(world)
    assert hidden.regions == {"North", "South"}
    assert hidden.stores == {"N1", "S1"}
    assert not hidden.company


def test_a_company_under_five_answers_shows_nothing():
    assert suppress({"A": ("North", 2), "B": ("South", 2)}).company


def test_negative_counts_are_refused():
    with pytest.raises(ValueError, match="negative"):
        suppress({"A": ("North", -1)})


def test_correlation_of_points_on_a_rising_line_is_one():
    assert correlation([(Decimal(x), Decimal(2 * x + 1)) for x in range(5)]) == Decimal("1.00")


def test_correlation_of_points_on_a_falling_line_is_minus_one():
    assert correlation([(Decimal(x), Decimal(-x)) for x in range(4)]) == Decimal("-1.00")


def test_correlation_needs_three_points_and_some_spread():
    assert correlation([(Decimal(1), Decimal(2)), (Decimal(2), Decimal(3))]) is None
    assert correlation([(Decimal(1), Decimal(2)), (Decimal(1), Decimal(3)), (Decimal(1), Decimal(4))]) is None


def test_correlation_of_a_known_sample():
    # x = 1..5, y = 2, 4, 5, 4, 5: r = 6 / √(10 · 6) = 0.7746 → 0.77
    points = [(Decimal(x), Decimal(y)) for x, y in zip(range(1, 6), (2, 4, 5, 4, 5), strict=True)]
    assert correlation(points) == Decimal("0.77")


@given(st.lists(st.tuples(st.integers(-100, 100), st.integers(-100, 100)), min_size=3, max_size=30))
def test_correlation_stays_between_minus_one_and_one(pairs):
    r = correlation([(Decimal(x), Decimal(y)) for x, y in pairs])
    assert r is None or Decimal(-1) <= r <= Decimal(1)


def test_mean_score_rounds_half_up():
    assert mean_score(7, 2) == Decimal("3.50")
    assert mean_score(29, 8) == Decimal("3.63")  # 3.625
    assert mean_score(0, 0) is None
