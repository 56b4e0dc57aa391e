"""Unit tests for the customer-satisfaction KPI maths (NPS, CSAT, CES)."""

import json
import math
import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core import jsonout
from app.feedback.kpi import (
    NPS_CATEGORIES,
    CesResult,
    CsatResult,
    KpiFigure,
    KpiSummary,
    NpsResult,
    ScoreError,
    ces_from_moments,
    ces_from_scores,
    change_beyond_margin,
    csat_from_counts,
    csat_from_scores,
    figure_from_ces,
    figure_from_csat,
    figure_from_nps,
    nps_category,
    nps_from_counts,
    nps_from_scores,
    within_margin,
)

# No example database: the tests must not leave files in the repository.
properties = settings(database=None, deadline=None, max_examples=200)
counts = st.integers(min_value=0, max_value=5000)


def _wilson_float(satisfied: int, n: int) -> tuple[float, float]:
    """Return the textbook Wilson interval in percent, in floats, as an independent reference."""
    z = 1.96
    s = satisfied / n
    centre = (s + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(s * (1 - s) / n + z * z / (4 * n * n))
    return 100 * (centre - half), 100 * (centre + half)


# --- Worked example (DOMAIN.md) ---------------------------------------------------------------------------------


def test_worked_example_store_s1_gives_nps_35():
    result = nps_from_counts(promoters=66, passives=30, detractors=24)

    assert result.n == 120
    assert result.nps == Decimal("35.0")
    assert str(result.nps) == "35.0"


def test_worked_example_store_s1_gives_nps_margin_14_2():
    result = nps_from_counts(promoters=66, passives=30, detractors=24)

    assert result.moe == Decimal("14.2")
    assert str(result.moe) == "14.2"
    assert (result.lower, result.upper) == (Decimal("20.8"), Decimal("49.2"))


def test_worked_example_store_s1_gives_csat_86_25():
    result = csat_from_counts(satisfied=69, n=80)

    assert result.n == 80
    assert result.csat == Decimal("86.25")
    assert str(result.csat) == "86.25"


def test_worked_example_from_raw_answers_matches_counts():
    nps_scores = [10] * 40 + [9] * 26 + [8] * 20 + [7] * 10 + [6] * 14 + [0] * 10
    csat_scores = [5] * 50 + [4] * 19 + [3] * 6 + [2] * 3 + [1] * 2

    assert nps_from_scores(nps_scores) == nps_from_counts(66, 30, 24)
    assert csat_from_scores(csat_scores) == csat_from_counts(69, 80)


# --- NPS ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected_moe"),
    [(30, Decimal(24)), (100, Decimal(13)), (400, Decimal(7))],
)
def test_nps_margin_around_50_matches_documented_figures(n, expected_moe):
    # p = 0.6, d = 0.1: NPS 50 with 30 % passives.
    result = nps_from_counts(promoters=6 * n // 10, passives=3 * n // 10, detractors=n // 10)

    assert result.nps == Decimal("50.0")
    assert abs(result.moe - expected_moe) <= Decimal("1.5")


def test_nps_classifies_9_and_10_as_promoters_7_and_8_as_passives_0_to_6_as_detractors():
    result = nps_from_scores([10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0])

    assert (result.promoters, result.passives, result.detractors) == (2, 2, 7)
    assert result.nps == Decimal("-45.5")


def test_nps_rounds_a_half_up_not_to_even():
    # 1 promoter in 400 answers is exactly 0.25 points; banker's rounding would print 0.2.
    assert nps_from_counts(promoters=1, passives=399, detractors=0).nps == Decimal("0.3")


def test_nps_rounds_a_negative_half_away_from_zero():
    assert nps_from_counts(promoters=0, passives=399, detractors=1).nps == Decimal("-0.3")


def test_nps_with_no_answers_has_no_figure():
    assert nps_from_counts(0, 0, 0) == NpsResult(0, 0, 0, 0, None, None, None, None)
    assert nps_from_scores([]).nps is None


def test_nps_bounds_are_clamped_to_the_scale():
    result = nps_from_counts(promoters=9, passives=0, detractors=1)

    assert result.nps == Decimal("80.0")
    assert result.upper == Decimal("100.0")
    assert result.lower == result.nps - result.moe


@pytest.mark.parametrize("bad", [11, -1, 9.0, 9.5, True, False, "9", None, Decimal(9)])
def test_nps_rejects_a_score_that_is_not_an_integer_from_0_to_10(bad):
    with pytest.raises(ValueError, match=re.escape(repr(bad))):
        nps_from_scores([10, bad])


@pytest.mark.parametrize("counts", [(-1, 0, 0), (0, -1, 0), (0, 0, -1), (1.0, 0, 0), (True, 0, 0)])
def test_nps_rejects_negative_or_non_integer_counts(counts):
    with pytest.raises(ValueError):
        nps_from_counts(*counts)


# --- CSAT --------------------------------------------------------------------------------------------------------


def test_csat_counts_4_and_5_as_satisfied():
    result = csat_from_scores([5, 4, 3, 2, 1, 4, 5, 5])

    assert (result.n, result.satisfied) == (8, 5)
    assert result.csat == Decimal("62.50")


def test_csat_rounds_a_half_up_to_two_decimals():
    # 1 in 800 is exactly 0.125 %; banker's rounding would print 0.12.
    assert csat_from_counts(satisfied=1, n=800).csat == Decimal("0.13")


def test_csat_at_100_percent_keeps_a_wilson_interval_below_100():
    result = csat_from_counts(satisfied=30, n=30)

    assert result.csat == Decimal("100.00")
    assert result.moe == Decimal("0.00")  # the normal margin collapses, which is why pay uses Wilson
    assert result.upper == Decimal("100.00")
    assert result.lower == Decimal("88.65")


def test_csat_at_0_percent_keeps_a_wilson_interval_above_0():
    result = csat_from_counts(satisfied=0, n=30)

    assert result.csat == Decimal("0.00")
    assert result.moe == Decimal("0.00")
    assert result.lower == Decimal("0.00")
    assert result.upper == Decimal("11.35")


def test_csat_worked_example_has_wilson_bounds_and_normal_margin():
    result = csat_from_counts(satisfied=69, n=80)

    assert result.moe == Decimal("7.55")
    assert (result.lower, result.upper) == (Decimal("77.03"), Decimal("92.15"))


def test_csat_with_no_answers_has_no_figure():
    assert csat_from_counts(0, 0) == CsatResult(0, 0, None, None, None, None)


@pytest.mark.parametrize("bad", [0, 6, 4.0, True, "5"])
def test_csat_rejects_a_score_that_is_not_an_integer_from_1_to_5(bad):
    with pytest.raises(ScoreError, match="CSAT score"):
        csat_from_scores([bad])


@pytest.mark.parametrize(("satisfied", "n"), [(5, 4), (-1, 4), (1, -1)])
def test_csat_rejects_impossible_counts(satisfied, n):
    with pytest.raises(ValueError):
        csat_from_counts(satisfied, n)


# --- CES ---------------------------------------------------------------------------------------------------------


def test_ces_is_the_mean_with_a_sample_sd_margin():
    result = ces_from_scores([5, 6, 7])  # mean 6, sample sd 1, margin 1.96 / √3 = 1.1316

    assert result.mean == Decimal("6.00")
    assert result.moe == Decimal("1.13")
    assert result.lower == Decimal("4.87")
    assert result.upper == Decimal("7.00")  # clamped to the top of the scale


def test_ces_rounds_a_half_up_to_two_decimals():
    assert ces_from_scores([1] * 7 + [2]).mean == Decimal("1.13")  # 9 / 8 = 1.125


def test_ces_from_moments_matches_raw_answers():
    scores = [1, 3, 3, 4, 7, 7, 2]
    n, total, squares = len(scores), sum(scores), sum(x * x for x in scores)

    assert ces_from_moments(n, total, squares) == ces_from_scores(scores)


def test_ces_with_one_answer_has_a_mean_but_no_margin():
    assert ces_from_scores([4]) == CesResult(1, Decimal("4.00"), None, None, None)


def test_ces_with_no_answers_has_no_figure():
    assert ces_from_moments(0, 0, 0) == CesResult(0, None, None, None, None)


@pytest.mark.parametrize("bad", [0, 8, 3.5, True])
def test_ces_rejects_a_score_that_is_not_an_integer_from_1_to_7(bad):
    with pytest.raises(ValueError, match="CES score"):
        ces_from_scores([bad])


@pytest.mark.parametrize(
    ("n", "total", "squares"),
    [(2, 1, 1), (2, 15, 113), (2, 8, 31), (2, 8, 51), (0, 1, 1), (-1, 0, 0)],
)
def test_ces_rejects_moments_no_set_of_answers_can_produce(n, total, squares):
    with pytest.raises(ValueError):
        ces_from_moments(n, total, squares)


# --- Summary, figures, margins -----------------------------------------------------------------------------------


def test_summary_serialises_decimals_as_json_numbers_as_printed():
    summary = KpiSummary(nps_from_counts(66, 30, 24), csat_from_counts(69, 80), ces_from_scores([5, 6, 7]))

    data = json.loads(jsonout.dumps(summary.as_json_dict()))

    assert data == {
        "nps": 35.0,
        "nps_n": 120,
        "nps_moe": 14.2,
        "promoters": 66,
        "passives": 30,
        "detractors": 24,
        "csat": 86.25,
        "csat_n": 80,
        "csat_moe": 7.55,
        "ces": 6.0,
        "ces_n": 3,
        "ces_moe": 1.13,
    }


def test_summary_reports_absent_kpis_as_none():
    data = KpiSummary(nps=nps_from_counts(0, 0, 0), ces=ces_from_scores([4])).as_json_dict()

    assert data["nps"] is None and data["nps_moe"] is None and data["nps_n"] == 0
    assert data["csat"] is None and data["csat_moe"] is None and data["csat_n"] == 0
    assert data["ces"] == 4.0 and data["ces_moe"] is None and data["ces_n"] == 1


def test_figures_carry_the_printed_value_n_and_interval():
    assert figure_from_nps(nps_from_counts(66, 30, 24)) == KpiFigure(
        Decimal("35.0"), 120, Decimal("14.2"), Decimal("20.8"), Decimal("49.2")
    )
    assert figure_from_csat(csat_from_counts(69, 80)) == KpiFigure(
        Decimal("86.25"), 80, Decimal("7.55"), Decimal("77.03"), Decimal("92.15")
    )
    assert figure_from_ces(ces_from_scores([5, 6, 7])) == KpiFigure(
        Decimal("6.00"), 3, Decimal("1.13"), Decimal("4.87"), Decimal("7.00")
    )


def test_a_threshold_inside_the_margin_is_a_coin_flip():
    assert within_margin(Decimal("35.0"), Decimal("14.2"), Decimal("30"))
    assert within_margin(Decimal("35.0"), Decimal("14.2"), Decimal("49.2"))  # the edge counts as inside


def test_a_threshold_outside_the_margin_is_not_a_coin_flip():
    assert not within_margin(Decimal("35.0"), Decimal("14.2"), Decimal("50"))
    assert not within_margin(Decimal("35.0"), Decimal("14.2"), Decimal("20.7"))


def test_a_figure_without_margin_is_always_a_coin_flip():
    assert within_margin(Decimal("4.00"), None, Decimal("6"))


# --- Properties --------------------------------------------------------------------------------------------------


@properties
@given(counts, counts, counts)
def test_nps_and_its_bounds_stay_within_minus_100_and_100(promoters, passives, detractors):
    result = nps_from_counts(promoters, passives, detractors)

    if result.n == 0:
        assert result.nps is None
        return
    assert Decimal(-100) <= result.lower <= result.nps <= result.upper <= Decimal(100)
    assert result.moe >= 0


@properties
@given(counts, counts, counts)
def test_adding_a_promoter_never_lowers_nps(promoters, passives, detractors):
    before = nps_from_counts(promoters, passives, detractors)
    after = nps_from_counts(promoters + 1, passives, detractors)

    assert before.nps is None or after.nps >= before.nps


@properties
@given(counts, counts, counts)
def test_adding_a_detractor_never_raises_nps(promoters, passives, detractors):
    before = nps_from_counts(promoters, passives, detractors)
    after = nps_from_counts(promoters, passives, detractors + 1)

    assert before.nps is None or after.nps <= before.nps


@properties
@given(counts, counts, counts, st.integers(min_value=2, max_value=50))
def test_more_answers_with_the_same_shares_never_widen_the_nps_margin(promoters, passives, detractors, k):
    small = nps_from_counts(promoters, passives, detractors)
    large = nps_from_counts(k * promoters, k * passives, k * detractors)

    assert small.moe is None or large.moe <= small.moe


@properties
@given(counts, counts, counts)
def test_nps_margin_matches_the_textbook_formula(promoters, passives, detractors):
    result = nps_from_counts(promoters, passives, detractors)
    n = result.n
    if n == 0:
        return
    p, d = promoters / n, detractors / n
    reference = 1.96 * math.sqrt((p + d - (p - d) ** 2) / n) * 100

    assert abs(float(result.moe) - reference) <= 0.05 + 1e-9


@properties
@given(st.integers(min_value=1, max_value=100_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_csat_lies_within_0_100_and_inside_its_wilson_interval(pair):
    satisfied, n = pair
    result = csat_from_counts(satisfied, n)

    assert Decimal(0) <= result.lower <= result.csat <= result.upper <= Decimal(100)


@properties
@given(st.integers(min_value=1, max_value=100_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_csat_wilson_bounds_match_the_textbook_formula(pair):
    satisfied, n = pair
    result = csat_from_counts(satisfied, n)
    lower, upper = _wilson_float(satisfied, n)

    assert abs(float(result.lower) - lower) <= 0.005 + 1e-9
    assert abs(float(result.upper) - upper) <= 0.005 + 1e-9


@properties
@given(st.lists(st.integers(min_value=1, max_value=7), max_size=300))
def test_ces_mean_stays_on_the_scale_and_moments_agree_with_answers(scores):
    result = ces_from_scores(scores)

    assert result == ces_from_moments(len(scores), sum(scores), sum(x * x for x in scores))
    if scores:
        assert Decimal(1) <= result.mean <= Decimal(7)
    if len(scores) >= 2:
        reference = 1.96 * math.sqrt(sum((x - sum(scores) / len(scores)) ** 2 for x in scores) / (len(scores) - 1))
        assert abs(float(result.moe) - reference / math.sqrt(len(scores))) <= 0.005 + 1e-9
        assert Decimal(1) <= result.lower <= result.mean <= result.upper <= Decimal(7)


def test_a_change_counts_only_beyond_the_margin_of_both_periods():
    # 35.0 ± 14.2 against 0.0 ± 43.8: the difference's margin is √(14.2² + 43.8²) ≈ 46.0, more than 35.
    assert not change_beyond_margin(Decimal("35.0"), Decimal("14.2"), Decimal("0.0"), Decimal("43.8"))
    assert change_beyond_margin(Decimal("35.0"), Decimal("14.2"), Decimal("0.0"), Decimal("13.9"))
    assert change_beyond_margin(Decimal("0.0"), Decimal("13.9"), Decimal("35.0"), Decimal("14.2"))  # a fall too
    assert not change_beyond_margin(Decimal("5"), None, Decimal("1"), Decimal("0.5"))  # no margin: cannot tell


@given(st.integers(0, 50), st.integers(0, 50), st.integers(1, 50), st.integers(0, 50), st.integers(0, 50))
@settings(max_examples=100)
def test_a_change_within_either_period_s_own_margin_is_never_called(p, x, d, p2, x2):
    now, before = nps_from_counts(p, x, d), nps_from_counts(p2, x2, d)
    if abs(now.nps - before.nps) <= max(now.moe, before.moe):
        assert not change_beyond_margin(now.nps, now.moe, before.nps, before.moe)


def test_every_nps_answer_falls_in_exactly_one_category():
    assert [nps_category(s) for s in range(11)] == ["detractor"] * 7 + ["passive"] * 2 + ["promoter"] * 2
    assert sorted(s for low, high in NPS_CATEGORIES.values() for s in range(low, high + 1)) == list(range(11))
    with pytest.raises(ScoreError):
        nps_category(11)
