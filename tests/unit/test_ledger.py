"""Unit tests for the recognition points ledger: FIFO batches, holds, virtual expiry and tiers."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.recognition.ledger import (
    Entry,
    ExpiringPoints,
    ExpiryDue,
    InsufficientPoints,
    LedgerError,
    allocate,
    batches,
    due_expiries,
    due_notices,
    expiry_date,
    forfeit_on_exit,
    summary,
    tier_for,
)

TIERS = (("bronze", 500), ("silver", 2000), ("gold", 5000))


def d(text: str) -> date:
    return date.fromisoformat(text)


class Book:
    """An employee's ledger under construction, handing out increasing entry ids."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def add(self, kind: str, points: int, on: str | date, batch_id: int | None = None, ref: str | None = None) -> Entry:
        day = d(on) if isinstance(on, str) else on
        entry = Entry(len(self.entries) + 1, kind, points, day, batch_id=batch_id, ref=ref)  # type: ignore[arg-type]
        self.entries.append(entry)
        return entry

    def earn(self, points: int, on: str) -> Entry:
        return self.add("earn", points, on)

    def hold(self, points: int, on: str, ref: str = "redemption:1") -> Entry:
        return self.add("hold", -points, on, ref=ref)

    def write(self, dues: list[ExpiryDue]) -> None:
        for due in dues:
            self.entries.append(due.to_entry(len(self.entries) + 1))


@pytest.fixture
def make_book() -> Callable[[], Book]:
    return Book


def written_sum(entries: list[Entry], as_of: date) -> int:
    return sum(entry.points for entry in entries if entry.on <= as_of)


# --- expiry dates ---------------------------------------------------------------------------------------------------


def test_points_earned_on_1_june_are_there_on_31_may_and_gone_on_1_june(make_book):
    book = make_book()
    book.earn(100, "2025-06-01")

    assert expiry_date(d("2025-06-01")) == d("2026-06-01")
    assert summary(book.entries, d("2026-05-31")).balance == 100
    assert summary(book.entries, d("2026-06-01")).balance == 0
    assert due_expiries(book.entries, d("2026-05-31")) == []
    assert due_expiries(book.entries, d("2026-06-01")) == [ExpiryDue(batch_id=1, points=-100, on=d("2026-06-01"))]


def test_earnings_of_31_january_with_one_month_expire_at_the_end_of_february(make_book):
    assert expiry_date(d("2025-01-31"), months=1) == d("2025-02-28")
    assert expiry_date(d("2024-01-31"), months=1) == d("2024-02-29")
    book = make_book()
    book.earn(40, "2025-01-31")

    assert summary(book.entries, d("2025-02-27"), months=1).balance == 40
    assert summary(book.entries, d("2025-02-28"), months=1).balance == 0
    assert due_expiries(book.entries, d("2025-03-10"), months=1)[0].on == d("2025-02-28")


def test_points_must_live_at_least_a_month():
    with pytest.raises(LedgerError):
        expiry_date(d("2025-01-01"), months=0)


def test_balance_as_of_a_date_is_right_without_the_expiry_job_having_run(make_book):
    book = make_book()
    book.earn(100, "2025-01-15")
    book.hold(30, "2025-03-01")
    book.earn(40, "2025-07-01")

    before = summary(book.entries, d("2026-01-14"))
    after = summary(book.entries, d("2026-02-01"))

    assert (before.balance, before.held) == (110, 30)
    assert (after.balance, after.held) == (40, 30)
    assert after.expiring == [ExpiringPoints(40, d("2026-07-01"))]
    assert not any(entry.kind == "expire" for entry in book.entries)


# --- FIFO -----------------------------------------------------------------------------------------------------------


def test_spending_consumes_oldest_batch_first(make_book):
    book = make_book()
    book.earn(50, "2025-03-01")  # batch 1, newest date
    book.earn(100, "2025-01-10")  # batch 2, oldest
    book.earn(30, "2025-01-10")  # batch 3, same day as 2 but a later id

    assert allocate(book.entries, 120, d("2025-04-01")) == [(2, 100), (3, 20)]
    book.hold(120, "2025-04-01")

    remaining = {batch.id: batch.remaining for batch in batches(book.entries, d("2025-04-01"))}
    assert remaining == {1: 50, 2: 0, 3: 10}
    # Batches 2 and 3 expire on 2026-01-10: only the 10 points left of batch 3 are lost.
    assert due_expiries(book.entries, d("2026-01-10")) == [ExpiryDue(3, -10, d("2026-01-10"))]
    assert summary(book.entries, d("2026-01-10")).balance == 50


def test_expired_batches_are_not_allocated(make_book):
    book = make_book()
    book.earn(100, "2024-01-01")
    book.earn(30, "2025-01-01")

    assert allocate(book.entries, 30, d("2025-02-01")) == [(2, 30)]


def test_allocate_raises_insufficient_points(make_book):
    book = make_book()
    book.earn(100, "2025-01-01")
    book.hold(30, "2025-02-01")

    with pytest.raises(InsufficientPoints) as raised:
        allocate(book.entries, 80, d("2025-03-01"))

    assert (raised.value.balance, raised.value.requested) == (70, 80)
    assert isinstance(raised.value, LedgerError)
    assert isinstance(raised.value, ValueError)


def test_allocate_refuses_a_request_of_no_points(make_book):
    book = make_book()
    book.earn(100, "2025-01-01")

    with pytest.raises(LedgerError):
        allocate(book.entries, 0, d("2025-03-01"))


def test_holds_pinned_to_the_allocated_batches_take_from_those_batches(make_book):
    book = make_book()
    book.earn(60, "2025-01-01")
    book.earn(60, "2025-02-01")
    for batch_id, points in allocate(book.entries, 90, d("2025-03-01")):
        book.add("hold", -points, "2025-03-01", batch_id=batch_id, ref="redemption:7")

    assert [batch.consumed for batch in batches(book.entries, d("2025-03-01"))] == [60, 30]
    assert summary(book.entries, d("2025-03-01")).held == 90


def test_negative_adjustment_consumes_oldest_batch_and_keeps_lifetime(make_book):
    book = make_book()
    book.earn(100, "2025-01-01")
    book.add("adjust", 50, "2025-02-01")
    book.add("adjust", -120, "2025-03-01")

    state = summary(book.entries, d("2025-03-01"))

    assert (state.balance, state.lifetime) == (30, 150)
    assert [batch.remaining for batch in batches(book.entries, d("2025-03-01"))] == [0, 30]


# --- holds and redemptions ------------------------------------------------------------------------------------------


def test_hold_reduces_balance_and_raises_held(make_book):
    book = make_book()
    book.earn(200, "2025-01-01")
    book.hold(80, "2025-02-01")

    state = summary(book.entries, d("2025-02-01"))

    assert (state.balance, state.held, state.lifetime) == (120, 80, 200)


def test_release_gives_held_points_back(make_book):
    book = make_book()
    book.earn(200, "2025-01-01")
    book.hold(80, "2025-02-01")
    book.add("release", 80, "2025-02-05", ref="redemption:1")

    state = summary(book.entries, d("2025-02-05"))

    assert (state.balance, state.held) == (200, 0)


def test_redeem_keeps_held_points_spent(make_book):
    book = make_book()
    book.earn(200, "2025-01-01")
    book.hold(80, "2025-02-01")
    book.add("redeem", 0, "2025-02-05", ref="redemption:1")

    state = summary(book.entries, d("2025-02-05"))

    assert (state.balance, state.held, state.lifetime) == (120, 0, 200)
    assert written_sum(book.entries, d("2025-02-05")) == 120


def test_refund_after_redeem_gives_points_back(make_book):
    book = make_book()
    book.earn(200, "2025-01-01")
    book.hold(80, "2025-02-01")
    book.add("redeem", 0, "2025-02-05", ref="redemption:1")
    book.add("refund", 80, "2025-03-01", ref="redemption:1")

    state = summary(book.entries, d("2025-03-01"))

    assert (state.balance, state.held) == (200, 0)
    book.add("refund", 1, "2025-03-02", ref="redemption:1")
    with pytest.raises(LedgerError, match="has 0 spent"):
        summary(book.entries, d("2025-03-02"))


def test_points_given_back_after_their_batch_expired_expire_on_the_day_they_come_back(make_book):
    book = make_book()
    book.earn(100, "2025-01-01")
    book.hold(60, "2025-12-01")
    book.add("release", 60, "2026-02-01", ref="redemption:1")

    assert summary(book.entries, d("2026-02-01")).balance == 0
    dues = due_expiries(book.entries, d("2026-02-01"))
    assert dues == [ExpiryDue(1, -40, d("2026-01-01")), ExpiryDue(1, -60, d("2026-02-01"))]

    book.write(dues)

    assert due_expiries(book.entries, d("2026-02-01")) == []
    for day in ("2025-12-31", "2026-01-01", "2026-01-31", "2026-02-01"):
        assert written_sum(book.entries, d(day)) == summary(book.entries, d(day)).balance


def test_redeeming_what_was_never_held_is_rejected(make_book):
    book = make_book()
    book.earn(100, "2025-01-01")
    book.add("redeem", 0, "2025-02-01", ref="redemption:9")

    with pytest.raises(LedgerError, match="nothing is held"):
        summary(book.entries, d("2025-02-01"))


def test_releasing_more_than_held_is_rejected(make_book):
    book = make_book()
    book.earn(100, "2025-01-01")
    book.hold(30, "2025-02-01")
    book.add("release", 40, "2025-02-02", ref="redemption:1")

    with pytest.raises(LedgerError):
        summary(book.entries, d("2025-02-02"))


def test_a_hold_that_overdraws_the_ledger_is_rejected(make_book):
    book = make_book()
    book.earn(100, "2025-01-01")
    book.hold(101, "2025-02-01")

    with pytest.raises(LedgerError, match="only 100"):
        batches(book.entries, d("2025-02-01"))


@pytest.mark.parametrize(
    ("kind", "points", "ref"),
    [
        ("earn", -5, None),
        ("earn", 0, None),
        ("hold", 10, "redemption:1"),
        ("hold", -10, None),
        ("release", -1, "redemption:1"),
        ("redeem", 5, "redemption:1"),
        ("refund", 0, "redemption:1"),
        ("expire", 3, None),
        ("adjust", 0, None),
        ("bonus", 3, None),
        ("earn", True, None),
    ],
)
def test_entries_with_the_wrong_sign_or_without_their_ref_are_refused(kind, points, ref):
    with pytest.raises(LedgerError):
        Entry(1, kind, points, d("2025-01-01"), ref=ref)


def test_entries_sharing_an_id_are_refused():
    entries = [Entry(1, "earn", 10, d("2025-01-01")), Entry(1, "earn", 20, d("2025-01-02"))]

    with pytest.raises(LedgerError, match="share an id"):
        summary(entries, d("2025-02-01"))


# --- the expiry job -------------------------------------------------------------------------------------------------


def test_due_expiries_are_dated_on_the_expiry_day_and_idempotent(make_book):
    book = make_book()
    book.earn(100, "2025-01-15")
    book.earn(70, "2025-03-31")
    book.earn(10, "2025-08-01")
    virtual = summary(book.entries, d("2026-05-01"))

    dues = due_expiries(book.entries, d("2026-05-01"))
    assert dues == [ExpiryDue(1, -100, d("2026-01-15")), ExpiryDue(2, -70, d("2026-03-31"))]
    book.write(dues)

    assert due_expiries(book.entries, d("2026-05-01")) == []
    assert summary(book.entries, d("2026-05-01")) == virtual
    assert written_sum(book.entries, d("2026-05-01")) == virtual.balance == 10
    assert [batch.expired for batch in batches(book.entries, d("2026-05-01"))] == [100, 70, 0]


def test_a_written_expiry_is_not_counted_twice_on_earlier_dates(make_book):
    book = make_book()
    book.earn(100, "2025-01-15")
    book.write(due_expiries(book.entries, d("2026-03-01")))

    assert summary(book.entries, d("2026-01-14")).balance == 100
    assert summary(book.entries, d("2026-01-15")).balance == 0
    assert batches(book.entries, d("2026-03-01"))[0].expired == 100


def test_leaver_forfeits_everything_remaining_at_the_exit_date(make_book):
    book = make_book()
    book.earn(100, "2025-01-01")  # naturally expired on 2026-01-01, job not yet run
    book.earn(80, "2025-09-01")
    book.hold(20, "2026-02-01")  # pending redemption, taken from batch 2

    dues = forfeit_on_exit(book.entries, d("2026-03-01"))

    assert dues == [ExpiryDue(1, -100, d("2026-01-01")), ExpiryDue(2, -60, d("2026-03-01"))]
    book.write(dues)
    state = summary(book.entries, d("2026-03-01"))
    assert (state.balance, state.held, state.expiring) == (0, 20, [])
    assert written_sum(book.entries, d("2026-03-01")) == 0
    assert forfeit_on_exit(book.entries, d("2026-03-01")) == []
    assert due_expiries(book.entries, d("2026-09-01")) == []
    assert summary(book.entries, d("2026-02-28")).balance == 60


def test_due_notices_cover_the_next_30_days(make_book):
    book = make_book()
    book.earn(100, "2025-06-01")
    book.earn(50, "2025-06-20")
    book.earn(10, "2025-08-01")

    assert due_notices(book.entries, d("2026-05-10")) == [ExpiringPoints(100, d("2026-06-01"))]
    assert due_notices(book.entries, d("2026-05-21")) == [
        ExpiringPoints(100, d("2026-06-01")),
        ExpiringPoints(50, d("2026-06-20")),
    ]
    assert due_notices(book.entries, d("2026-06-01")) == [ExpiringPoints(50, d("2026-06-20"))]


# --- summary and tiers ----------------------------------------------------------------------------------------------


def test_summary_as_json_dict_has_the_cli_shape(make_book):
    book = make_book()
    book.earn(120, "2026-01-01")
    book.earn(30, "2026-01-01")
    book.earn(500, "2026-02-15")
    book.hold(50, "2026-03-01")

    payload = summary(book.entries, d("2026-03-01"), tiers=TIERS).as_json_dict()

    assert payload == {
        "balance": 600,
        "held": 50,
        "lifetime": 650,
        "tier": "bronze",
        "expiring": [{"points": 100, "date": "2027-01-01"}, {"points": 500, "date": "2027-02-15"}],
    }
    assert json.loads(json.dumps(payload)) == payload


def test_tier_for_is_none_below_the_first_threshold():
    assert tier_for(499, TIERS) is None
    assert tier_for(500, TIERS) == "bronze"
    assert tier_for(4999, TIERS) == "silver"
    assert tier_for(5000, tuple(reversed(TIERS))) == "gold"
    assert tier_for(10_000, ()) is None


def test_tiers_follow_lifetime_not_balance(make_book):
    book = make_book()
    book.earn(2100, "2025-01-01")
    book.hold(2000, "2025-02-01")
    book.add("redeem", 0, "2025-02-02", ref="redemption:1")

    spent = summary(book.entries, d("2025-02-02"), tiers=TIERS)
    expired = summary(book.entries, d("2026-06-01"), tiers=TIERS)

    assert (spent.balance, spent.lifetime, spent.tier) == (100, 2100, "silver")
    assert (expired.balance, expired.lifetime, expired.tier) == (0, 2100, "silver")
    assert summary(book.entries, d("2025-02-02")).tier is None  # no tiers configured


# --- properties -----------------------------------------------------------------------------------------------------

START = date(2024, 1, 1)
OPS = st.sampled_from(
    ["earn", "earn", "adjust_up", "hold", "hold", "adjust_down", "release", "redeem", "refund", "job"],
)
STEPS = st.lists(
    st.tuples(OPS, st.integers(0, 90), st.integers(1, 400), st.booleans(), st.integers(0, 20)),
    max_size=30,
)
MONTHS = st.sampled_from([1, 3, 12])


def simulate(steps, months: int) -> tuple[list[Entry], date, int]:
    """Write a ledger the way the services would, spending only through allocate; return it, its last day, held."""
    book = Book()
    day = START
    held: dict[str, int] = {}
    spent: dict[str, int] = {}
    for n, (op, gap, points, pin, pick) in enumerate(steps):
        day += timedelta(days=gap)
        if op == "earn":
            book.earn(points, day.isoformat())
        elif op == "adjust_up":
            book.add("adjust", points, day)
        elif op in ("hold", "adjust_down"):
            try:
                plan = allocate(book.entries, points, day, months)
            except InsufficientPoints as short:
                assert short.balance < points
                continue
            kind, ref = ("hold", f"r{n}") if op == "hold" else ("adjust", None)
            for batch_id, part in plan if pin else [(None, points)]:
                book.add(kind, -part, day, batch_id=batch_id, ref=ref)
            if ref:
                held[ref] = points
        elif op in ("release", "refund") and (book_of := held if op == "release" else spent):
            ref = sorted(book_of)[pick % len(book_of)]
            back = min(points, book_of[ref])
            book.add(op, back, day, ref=ref)
            book_of[ref] -= back
            if not book_of[ref]:
                del book_of[ref]
        elif op == "redeem" and held:
            ref = sorted(held)[pick % len(held)]
            book.add("redeem", 0, day, ref=ref)
            spent[ref] = held.pop(ref)
        elif op == "job":
            book.write(due_expiries(book.entries, day, months))
    return book.entries, day, sum(held.values())


@settings(max_examples=200, deadline=None)
@given(steps=STEPS, months=MONTHS, later=st.integers(0, 500))
def test_balance_is_the_sum_of_remaining_batches_and_never_negative(steps, months, later):
    entries, last_day, held = simulate(steps, months)
    for as_of in (last_day, last_day + timedelta(days=later)):
        state = summary(entries, as_of, months)
        remaining = [batch.remaining for batch in batches(entries, as_of, months)]
        assert state.balance == sum(remaining)
        assert state.balance >= 0
        assert min(remaining, default=0) >= 0
        assert state.held == held


@settings(max_examples=200, deadline=None)
@given(steps=STEPS, months=MONTHS, later=st.integers(0, 500))
def test_lifetime_covers_balance_and_held(steps, months, later):
    entries, last_day, _ = simulate(steps, months)
    state = summary(entries, last_day + timedelta(days=later), months)

    assert state.lifetime >= state.balance + state.held


@settings(max_examples=200, deadline=None)
@given(steps=STEPS, months=MONTHS, later=st.integers(0, 500))
def test_writing_due_expiries_matches_the_virtual_balance(steps, months, later):
    entries, last_day, _ = simulate(steps, months)
    as_of = last_day + timedelta(days=later)
    virtual = summary(entries, as_of, months)

    dues = due_expiries(entries, as_of, months)
    written = entries + [due.to_entry(len(entries) + i) for i, due in enumerate(dues, 1)]

    assert summary(written, as_of, months) == virtual
    assert written_sum(written, as_of) == virtual.balance
    assert due_expiries(written, as_of, months) == []
    # The expire entries are dated the day the points were lost, so the written ledger is right on every day.
    for day in {entry.on for entry in written} | {entry.on - timedelta(days=1) for entry in written}:
        assert written_sum(written, day) == summary(entries, day, months).balance
