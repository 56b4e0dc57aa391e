"""The pure rules of automatic points and challenges: presence shares, monthly caps, goals met or missed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from app.recognition.goals import judge, presence_days, pro_rata, progress, within_cap


def test_a_member_there_half_the_days_gets_half_the_points_rounded_half_up():
    assert pro_rata(100, 31, 31) == 100
    assert pro_rata(100, 15, 31) == 48  # 48.39
    assert pro_rata(5, 1, 2) == 3  # 2.5 rounds up
    assert pro_rata(100, 0, 31) == 0


@given(st.integers(1, 10_000), st.integers(0, 400), st.integers(1, 400))
def test_a_share_never_exceeds_the_points_nor_falls_below_zero(points, present, total):
    assert 0 <= pro_rata(points, present, total) <= points


def test_a_transfer_inside_the_team_counts_each_day_once():
    spans = [(date(2026, 7, 1), date(2026, 7, 20)), (date(2026, 7, 15), None)]
    assert presence_days(spans, date(2026, 7, 1), date(2026, 7, 31)) == 31
    assert presence_days([(date(2026, 7, 17), None)], date(2026, 7, 1), date(2026, 7, 31)) == 15


def test_the_monthly_cap_pays_what_is_left_and_then_nothing():
    assert within_cap(20, 0, None) == 20
    assert within_cap(20, 40, 50) == 10
    assert within_cap(20, 50, 50) == 0


def test_too_few_answers_miss_the_goal_whatever_the_figure():
    verdict = judge("csat", Decimal("100"), 29, Decimal("1"), Decimal("90"), 30)
    assert not verdict.met and "29 answers" in verdict.reason


def test_a_goal_is_met_at_the_measured_value_and_a_coin_flip_is_flagged():
    close = judge("csat", Decimal("91.00"), 40, Decimal("8.00"), Decimal("90"), 30)
    assert close.met and close.coin_flip
    clear = judge("csat", Decimal("99.00"), 400, Decimal("1.00"), Decimal("90"), 30)
    assert clear.met and not clear.coin_flip
    assert not judge("nps", Decimal("39.9"), 100, Decimal("5"), Decimal("40"), 30).met


def test_ces_goals_are_ceilings():
    assert judge("ces", Decimal("2.10"), 50, Decimal("0.2"), Decimal("2.50"), 30).met
    assert not judge("ces", Decimal("2.60"), 50, Decimal("0.2"), Decimal("2.50"), 30).met
    assert progress("ces", Decimal("2.10"), Decimal("2.50")) == 100


def test_progress_rises_with_the_figure_and_stops_at_the_goal():
    assert progress("csat", Decimal("45"), Decimal("90")) == 50
    assert progress("csat", Decimal("95"), Decimal("90")) == 100
    assert progress("nps", Decimal("0"), Decimal("100")) == 50
    assert progress("csat", None, Decimal("90")) == 0
