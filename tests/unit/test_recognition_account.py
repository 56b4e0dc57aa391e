"""Unit tests of the pure planner the recognition services write with: holds, returns, expiry runs, leavers.

The stateful test drives random sequences of earn / redeem (hold, then fulfil or cancel) / refund / expiry job /
time passing / leaving through the same planning functions the database services call, and checks after every
step that the balance is the sum of the written entries and never negative, and that expiry and spending are FIFO.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from app.recognition.account import (
    Leaving,
    Posting,
    account_summary,
    effective_entries,
    expiry_notices,
    plan_earn,
    plan_expiries,
    plan_hold,
    plan_redeem,
    plan_refund,
    plan_release,
    ref_state,
    with_postings,
)
from app.recognition.ledger import (
    Entry,
    ExpiringPoints,
    InsufficientPoints,
    LedgerError,
    batches,
    expiry_date,
    summary,
)


def d(text: str) -> date:
    return date.fromisoformat(text)


def book(*postings: Posting) -> list[Entry]:
    return with_postings([], postings)


def test_a_hold_takes_the_oldest_batches_first_one_entry_per_batch():
    entries = book(*plan_earn(100, d("2026-01-10")), *plan_earn(80, d("2026-02-10")), *plan_earn(50, d("2026-03-10")))
    holds = plan_hold(entries, 150, d("2026-04-01"), "redemption:1")
    assert holds == [
        Posting("hold", -100, d("2026-04-01"), batch_id=1, ref="redemption:1"),
        Posting("hold", -50, d("2026-04-01"), batch_id=2, ref="redemption:1"),
    ]


def test_a_hold_skips_expired_batches_and_refuses_what_is_not_there():
    entries = book(*plan_earn(100, d("2025-01-10")), *plan_earn(80, d("2026-02-10")))
    with pytest.raises(InsufficientPoints) as caught:
        plan_hold(entries, 100, d("2026-04-01"), "redemption:1")
    assert caught.value.balance == 80
    assert plan_hold(entries, 80, d("2026-04-01"), "redemption:1")[0].batch_id == 2


def test_a_ref_is_held_once_then_redeemed_released_or_refunded_in_full():
    entries = book(*plan_earn(100, d("2026-01-10")))
    entries = with_postings(entries, plan_hold(entries, 60, d("2026-02-01"), "r:1"))
    assert ref_state(entries, "r:1") == (60, 0)
    with pytest.raises(LedgerError, match="already holds"):
        plan_hold(entries, 10, d("2026-02-01"), "r:1")
    with pytest.raises(LedgerError, match="nothing was spent"):
        plan_refund(entries, "r:1", d("2026-02-02"))
    spent = with_postings(entries, plan_redeem(entries, "r:1", d("2026-02-03")))
    assert ref_state(spent, "r:1") == (0, 60)
    with pytest.raises(LedgerError, match="nothing is held"):
        plan_release(spent, "r:1", d("2026-02-04"))
    refunded = with_postings(spent, plan_refund(spent, "r:1", d("2026-02-05")))
    assert ref_state(refunded, "r:1") == (0, 0)
    assert summary(refunded, d("2026-02-05")).balance == 100
    released = with_postings(entries, plan_release(entries, "r:1", d("2026-02-03")))
    assert summary(released, d("2026-02-03")).balance == 100


def test_points_must_be_positive_whole_numbers():
    for bad in (0, -5, 1.5, True):
        with pytest.raises(LedgerError):
            plan_earn(bad, d("2026-01-01"))  # type: ignore[arg-type]


def test_the_expiry_run_is_dated_on_the_batch_expiry_and_adds_nothing_the_second_time():
    entries = book(*plan_earn(100, d("2025-06-01")), *plan_earn(40, d("2025-09-15")))
    dues = plan_expiries(entries, d("2026-07-01"))
    assert dues == [Posting("expire", -100, d("2026-06-01"), batch_id=1)]
    assert plan_expiries(with_postings(entries, dues), d("2026-07-01")) == []


def test_a_leaver_forfeits_on_the_exit_date_and_points_coming_back_later_on_their_day():
    leaving = Leaving(exit_date=d("2026-03-31"), forfeit=True)
    entries = book(*plan_earn(100, d("2026-01-10")), *plan_earn(50, d("2026-02-10")))
    entries = with_postings(entries, plan_hold(entries, 30, d("2026-03-01"), "r:1"))
    assert account_summary(entries, d("2026-03-30"), leaving=leaving).balance == 120
    assert account_summary(entries, d("2026-03-31"), leaving=leaving).balance == 0
    first = plan_expiries(entries, d("2026-04-05"), leaving=leaving)
    assert first == [
        Posting("expire", -70, d("2026-03-31"), batch_id=1),
        Posting("expire", -50, d("2026-03-31"), batch_id=2),
    ]
    entries = with_postings(entries, first)
    entries = with_postings(entries, plan_release(entries, "r:1", d("2026-04-10")))  # the request is rejected
    assert account_summary(entries, d("2026-04-10"), leaving=leaving).balance == 0
    later = plan_expiries(entries, d("2026-04-20"), leaving=leaving)
    assert later == [Posting("expire", -30, d("2026-04-10"), batch_id=1)]
    assert plan_expiries(with_postings(entries, later), d("2026-04-20"), leaving=leaving) == []


def test_leavers_who_keep_their_points_lose_them_only_when_they_expire():
    keep = Leaving(exit_date=d("2026-03-31"), forfeit=False)
    entries = book(*plan_earn(100, d("2026-01-10")))
    assert account_summary(entries, d("2026-06-01"), leaving=keep).balance == 100
    assert plan_expiries(entries, d("2026-06-01"), leaving=keep) == []
    assert account_summary(entries, d("2027-01-10"), leaving=keep).balance == 0


def test_a_future_exit_date_changes_nothing_yet():
    leaving = Leaving(exit_date=d("2026-12-31"), forfeit=True)
    entries = book(*plan_earn(100, d("2026-01-10")))
    assert effective_entries(entries, d("2026-06-01"), leaving=leaving) == entries


def test_notices_cover_what_expires_within_30_days():
    entries = book(*plan_earn(70, d("2025-07-10")), *plan_earn(90, d("2025-08-20")))
    assert expiry_notices(entries, d("2026-06-15")) == [ExpiringPoints(70, d("2026-07-10"))]
    assert expiry_notices(entries, d("2026-06-05")) == []


# --- the stateful property ------------------------------------------------------------------------------------------

MONTHS = 3


class PointsAccount(RuleBasedStateMachine):
    """One employee's account driven like the services drive it, checked after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[Entry] = []
        self.today = d("2026-01-01")
        self.held: list[str] = []
        self.spent: list[str] = []
        self.next_ref = 1
        self.leaving = Leaving()

    @initialize(points=st.integers(1, 300))
    def first_earning(self, points: int) -> None:
        self._write(plan_earn(points, self.today))

    def _write(self, postings: list[Posting]) -> None:
        self.entries = with_postings(self.entries, postings)

    def _effective(self) -> list[Entry]:
        return effective_entries(self.entries, self.today, MONTHS, self.leaving)

    @precondition(lambda self: self.leaving.exit_date is None)
    @rule(points=st.integers(1, 300))
    def earn(self, points: int) -> None:
        self._write(plan_earn(points, self.today))

    @rule(days=st.integers(1, 45))
    def time_passes(self, days: int) -> None:
        self.today += timedelta(days=days)

    @rule(points=st.integers(1, 500))
    def request_a_reward(self, points: int) -> None:
        ref = f"redemption:{self.next_ref}"
        self.next_ref += 1
        effective = self._effective()
        available = [b for b in batches(effective, self.today, MONTHS) if b.remaining > 0]
        try:
            holds = plan_hold(effective, points, self.today, ref, MONTHS)
        except InsufficientPoints:
            assert points > sum(b.remaining for b in available)
            return
        # FIFO: the hold empties the oldest available batches and takes the rest from the next one.
        expected, left = [], points
        for batch in available:
            if left == 0:
                break
            part = min(batch.remaining, left)
            expected.append((batch.id, part))
            left -= part
        assert [(h.batch_id, -h.points) for h in holds] == expected
        self._write(holds)
        self.held.append(ref)

    @precondition(lambda self: self.held)
    @rule(data=st.data(), fulfil=st.booleans())
    def decide(self, data: st.DataObject, fulfil: bool) -> None:
        ref = data.draw(st.sampled_from(self.held))
        self.held.remove(ref)
        if fulfil:
            self._write(plan_redeem(self.entries, ref, self.today))
            self.spent.append(ref)
        else:  # rejected or cancelled
            self._write(plan_release(self.entries, ref, self.today))

    @precondition(lambda self: self.spent)
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        ref = data.draw(st.sampled_from(self.spent))
        self.spent.remove(ref)
        self._write(plan_refund(self.entries, ref, self.today))

    @rule()
    def expiry_job(self) -> None:
        self._write(plan_expiries(self.entries, self.today, MONTHS, self.leaving))

    @precondition(lambda self: self.leaving.exit_date is None)
    @rule()
    def leaves_and_forfeits(self) -> None:
        self.leaving = Leaving(exit_date=self.today, forfeit=True)

    @invariant()
    def balance_is_the_sum_of_the_entries_once_written_and_never_negative(self) -> None:
        state = account_summary(self.entries, self.today, MONTHS, leaving=self.leaving)
        assert state.balance >= 0 and state.held >= 0
        written = self._effective()
        assert sum(e.points for e in written if e.on <= self.today) == state.balance
        assert state.held == sum(ref_state(self.entries, ref)[0] for ref in self.held)
        assert state.lifetime == sum(e.points for e in self.entries if e.kind == "earn")
        if self.leaving.exit_date is not None:
            assert state.balance == 0

    @invariant()
    def batches_expire_on_their_date_and_never_before(self) -> None:
        for batch in batches(self._effective(), self.today, MONTHS):
            assert batch.expires_on == expiry_date(batch.earned_on, MONTHS)
            if batch.expires_on <= self.today:
                assert batch.remaining == 0
            elif self.leaving.exit_date is None:
                assert batch.expired == 0

    @invariant()
    def the_expiry_job_is_idempotent(self) -> None:
        once = with_postings(self.entries, plan_expiries(self.entries, self.today, MONTHS, self.leaving))
        assert plan_expiries(once, self.today, MONTHS, self.leaving) == []


PointsAccount.TestCase.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)
test_random_sequences_keep_the_ledger_right = PointsAccount.TestCase
