"""Pure planning of points-ledger writes: which entries an earning, a redemption step or an expiry run appends.

No Flask, no SQLAlchemy: every function takes one employee's entries (`ledger.Entry`) and returns `Posting`s,
which the services write under database ids. The services call these under a lock of the employee's row, so
what was checked is still true when the postings land.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from app.recognition.ledger import (
    DEFAULT_MONTHS,
    Entry,
    EntryKind,
    ExpiringPoints,
    LedgerError,
    Summary,
    allocate,
    due_expiries,
    due_notices,
    forfeit_on_exit,
    summary,
)


@dataclass(frozen=True)
class Posting:
    """An entry to append; the database gives it its id."""

    kind: EntryKind
    points: int
    on: date
    batch_id: int | None = None
    ref: str | None = None

    def to_entry(self, entry_id: int) -> Entry:
        return Entry(entry_id, self.kind, self.points, self.on, batch_id=self.batch_id, ref=self.ref)


@dataclass(frozen=True)
class Leaving:
    """What the leavers' policy needs to know: the exit date and whether points are forfeited on it."""

    exit_date: date | None = None
    forfeit: bool = False


STAYING = Leaving()


def with_postings(entries: Sequence[Entry], postings: Iterable[Posting]) -> list[Entry]:
    """Return the entries followed by the postings, numbered after the highest id (as the database would)."""
    result = list(entries)
    next_id = max((entry.id for entry in result), default=0) + 1
    for posting in postings:
        result.append(posting.to_entry(next_id))
        next_id += 1
    return result


def ref_state(entries: Iterable[Entry], ref: str) -> tuple[int, int]:
    """Return (held, spent) points of one redemption's ref."""
    held = spent = 0
    for entry in sorted((e for e in entries if e.ref == ref), key=lambda e: (e.on, e.id)):
        if entry.kind == "hold":
            held -= entry.points
        elif entry.kind == "release":
            held -= entry.points
        elif entry.kind == "redeem":
            spent += held
            held = 0
        elif entry.kind == "refund":
            spent -= entry.points
    return held, spent


def plan_earn(points: int, on: date) -> list[Posting]:
    """Return the entry that credits `points` earned on `on` (a new batch)."""
    if type(points) is not int or points <= 0:
        raise LedgerError(f"earn a positive whole number of points, not {points!r}")
    return [Posting("earn", points, on)]


def plan_hold(entries: Sequence[Entry], points: int, on: date, ref: str, months: int = DEFAULT_MONTHS) -> list[Posting]:
    """Return holds taking `points` from the oldest unexpired batches, one per batch; InsufficientPoints if short."""
    if ref_state(entries, ref) != (0, 0):
        raise LedgerError(f"{ref} already holds or spent points")
    return [
        Posting("hold", -part, on, batch_id=batch, ref=ref) for batch, part in allocate(entries, points, on, months)
    ]


def plan_release(entries: Sequence[Entry], ref: str, on: date) -> list[Posting]:
    """Return the entry giving back everything still held for `ref`."""
    held, _spent = ref_state(entries, ref)
    if held <= 0:
        raise LedgerError(f"nothing is held for {ref}")
    return [Posting("release", held, on, ref=ref)]


def plan_redeem(entries: Sequence[Entry], ref: str, on: date) -> list[Posting]:
    """Return the entry that turns what `ref` holds into points spent."""
    held, _spent = ref_state(entries, ref)
    if held <= 0:
        raise LedgerError(f"nothing is held for {ref}")
    return [Posting("redeem", 0, on, ref=ref)]


def plan_refund(entries: Sequence[Entry], ref: str, on: date) -> list[Posting]:
    """Return the entry giving back every point spent on `ref`."""
    _held, spent = ref_state(entries, ref)
    if spent <= 0:
        raise LedgerError(f"nothing was spent on {ref}")
    return [Posting("refund", spent, on, ref=ref)]


def plan_expiries(
    entries: Sequence[Entry], as_of: date, months: int = DEFAULT_MONTHS, leaving: Leaving = STAYING
) -> list[Posting]:
    """Return the expire entries due by `as_of`: batches past their date, and a leaver's points if forfeited.

    Each is dated on the day the points went (a batch's expiry date, or the exit date), never on the day the job
    runs, so running it again adds nothing and balances as of any date stay right. Points that come back to a
    leaver after the exit (a redemption released later) are forfeited on the day they come back.
    """
    exit_date = leaving.exit_date
    if not (leaving.forfeit and exit_date is not None and exit_date <= as_of):
        return [_posting(due) for due in due_expiries(entries, as_of, months)]
    work = list(entries)
    planned: list[Posting] = []
    days = [exit_date] + sorted({entry.on for entry in entries if exit_date < entry.on <= as_of})
    for day in days:
        step = [_posting(due) for due in forfeit_on_exit(work, day, months)]
        work = with_postings(work, step)
        planned += step
    step = [_posting(due) for due in due_expiries(work, as_of, months)]
    return planned + step


def _posting(due) -> Posting:
    return Posting("expire", due.points, due.on, batch_id=due.batch_id)


def effective_entries(
    entries: Sequence[Entry], as_of: date, months: int = DEFAULT_MONTHS, leaving: Leaving = STAYING
) -> list[Entry]:
    """Return the entries as they will be once the expiry job has run for `as_of` (forfeits included)."""
    return with_postings(entries, plan_expiries(entries, as_of, months, leaving))


def account_summary(
    entries: Sequence[Entry],
    as_of: date,
    months: int = DEFAULT_MONTHS,
    tiers: Sequence[tuple[str, int]] | None = None,
    leaving: Leaving = STAYING,
) -> Summary:
    """Return balance, held, lifetime, tier and upcoming expiries as of `as_of`, whether or not the job ran."""
    return summary(effective_entries(entries, as_of, months, leaving), as_of, months, tiers)


def expiry_notices(
    entries: Sequence[Entry], as_of: date, months: int = DEFAULT_MONTHS, leaving: Leaving = STAYING
) -> list[ExpiringPoints]:
    """Return the points that expire within the next 30 days (the notice employees see)."""
    return due_notices(effective_entries(entries, as_of, months, leaving), as_of, months)
