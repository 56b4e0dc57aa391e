"""Unit tests of the pure parts of budgets and redemptions: roll-over arithmetic and the redemption life cycle."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.recognition.budgets import Month, walk
from app.recognition.catalogue import TRANSITIONS, RedemptionStateError, next_status
from app.recognition.models import RedemptionStatus
from app.recognition.settings import RecognitionSettings


def test_without_roll_over_each_month_starts_from_its_allowance():
    statuses = walk({"2026-01": Month(500, 200), "2026-02": Month(300, 0)}, "2026-02")
    assert [(s.month, s.carried, s.left) for s in statuses.values()] == [("2026-01", 0, 300), ("2026-02", 0, 300)]


def test_roll_over_carries_what_is_left_into_the_next_month_only():
    months = {"2026-01": Month(500, 200, rollover=True), "2026-02": Month(100, 50), "2026-04": Month(10, 0)}
    statuses = walk(months, "2026-04")
    assert statuses["2026-02"].carried == 300
    assert statuses["2026-02"].left == 350
    assert statuses["2026-03"].carried == 0  # February does not roll over
    assert statuses["2026-04"].left == 10


def test_roll_over_chains_across_months_without_a_budget_row():
    months = {"2026-01": Month(100, 0, rollover=True)}
    statuses = walk(months, "2026-03")
    assert statuses["2026-02"].left == 100
    assert statuses["2026-03"].carried == 0  # the empty February row does not roll over


def test_a_month_before_any_budget_has_nothing():
    status = walk({}, "2026-05")["2026-05"]
    assert (status.allowance, status.carried, status.spent, status.left) == (0, 0, 0, 0)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 1000), st.integers(0, 1000), st.booleans()),
        min_size=1,
        max_size=14,
    )
)
def test_spent_never_exceeds_what_was_available_if_each_spending_was_checked(rows):
    months: dict[str, Month] = {}
    for index, (allowance, wanted, rollover) in enumerate(rows):
        label = f"{2026 + index // 12}-{index % 12 + 1:02d}"
        months[label] = Month(allowance, 0, rollover)
        left = walk(months, label)[label].left
        months[label] = Month(allowance, min(wanted, left), rollover)
    statuses = walk(months, max(months))
    assert all(status.left >= 0 for status in statuses.values())
    assert all(status.carried >= 0 for status in statuses.values())


def test_the_redemption_life_cycle():
    S = RedemptionStatus
    assert next_status("pending", "approve") is S.APPROVED
    assert next_status("pending", "cancel") is S.CANCELLED
    assert next_status("approved", "fulfil") is S.FULFILLED
    assert next_status("approved", "reject") is S.REJECTED
    assert next_status("fulfilled", "refund") is S.REFUNDED
    for status in (S.REJECTED, S.CANCELLED, S.REFUNDED):
        assert TRANSITIONS[status] == {}
    with pytest.raises(RedemptionStateError, match="pending cannot be fulfilled"):
        next_status("pending", "fulfil")  # approval comes first
    with pytest.raises(RedemptionStateError, match="approved cannot be cancelled"):
        next_status("approved", "cancel")


def test_settings_refuse_tiers_that_do_not_rise_and_other_nonsense():
    assert RecognitionSettings().problems() == []
    assert RecognitionSettings().tier_list == [("bronze", 500), ("silver", 2000), ("gold", 5000)]
    assert RecognitionSettings(tiers={"bronze": 500, "silver": 500, "gold": 900}).problems()
    assert RecognitionSettings(expiry_months=0).problems()
    assert RecognitionSettings(leaver_policy="sometimes").problems()
    assert RecognitionSettings(max_award_points=0).problems()
