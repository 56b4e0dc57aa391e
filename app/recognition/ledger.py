"""Recognition points ledger: balances, holds, FIFO batches, expiry and tiers, replayed from append-only entries.

Pure domain logic (no Flask, no SQLAlchemy): every function takes one employee's entries and a date and works out
the state of the ledger as of that date. Nothing is stored but the entries; corrections are new entries.

Sign convention -- ``Entry.points`` is the signed effect on the *available* balance (held points excluded), so that
once the expiry job has written its entries the available balance is the plain sum of ``points``:

=======  ======  =======================================================================================
kind     points  meaning
=======  ======  =======================================================================================
earn     > 0     points awarded; opens a batch identified by the entry's own id
adjust   != 0    correction; positive opens a batch like an earn, negative consumes batches like a spend
hold     < 0     points set aside for a redemption (``ref``): no longer available, not yet spent
release  > 0     held points given back (redemption rejected or cancelled)
redeem   = 0     everything still held for ``ref`` becomes spent; the amount is what ``ref`` holds
refund   > 0     spent points of a redeemed reward given back
expire   < 0     points lost to age, or forfeited by a leaver; ``batch_id`` names the batch
=======  ======  =======================================================================================

Design rules:

* ``ref`` ties a redemption's entries together (e.g. ``"redemption:42"``): it is required on hold, release, redeem
  and refund. A redemption may hold in several entries; release and refund may be partial.
* Consumption (hold, negative adjust, expire) takes from batches FIFO -- oldest ``on`` first, then lowest id --
  unless ``batch_id`` pins it to one batch (the service may write one hold per pair returned by :func:`allocate`).
* Expiry is *virtual*: from its expiry date on (``expiry_date``, the first day the points are gone, applied at the
  start of that day) a batch's remaining points no longer count, whether or not an expire entry has been written.
  A written expire entry first covers points already expired virtually -- so nothing is counted twice -- and only
  then takes remaining points (a leaver's forfeiture before the natural date).
* Released or refunded points go back to the batches the hold took them from, newest batch first. Points that
  come back to a batch past its expiry date expire at once, on the day they come back; :func:`due_expiries` dates
  those on that day rather than on the batch's expiry date, so that the written balance is right on every day.
* Lifetime points are everything ever earned, positive adjustments included; spending, expiry and negative
  adjustments never lower it, so tiers follow lifetime rather than the balance.
* A ledger that takes more than it has, or releases what was never held, raises :class:`LedgerError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from app.periods import month_add

EntryKind = Literal["earn", "hold", "release", "redeem", "refund", "expire", "adjust"]

DEFAULT_MONTHS = 12
NOTICE_DAYS = 30

_KINDS = frozenset({"earn", "hold", "release", "redeem", "refund", "expire", "adjust"})
_POSITIVE = frozenset({"earn", "release", "refund"})
_NEGATIVE = frozenset({"hold", "expire"})
_NEEDS_REF = frozenset({"hold", "release", "redeem", "refund"})

Allocation = tuple[int, int]  # (batch id, points taken from it)


class LedgerError(ValueError):
    """An entry or request that breaks the rules of the points ledger."""


class InsufficientPoints(LedgerError):
    """More points requested than the available balance holds."""

    def __init__(self, balance: int, requested: int) -> None:
        super().__init__(f"{requested} points requested but only {balance} available")
        self.balance = balance
        self.requested = requested


@dataclass(frozen=True)
class Entry:
    """One line of an employee's points ledger; never edited once written."""

    id: int
    kind: EntryKind
    points: int
    on: date
    batch_id: int | None = None
    ref: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise LedgerError(f"entry #{self.id}: unknown kind {self.kind!r}")
        # bool is an int subclass and Decimal would slip fractions in: points are whole numbers only.
        if type(self.points) is not int:
            raise LedgerError(f"entry #{self.id}: points must be a whole number, not {self.points!r}")
        if self.kind in _POSITIVE and self.points <= 0:
            raise LedgerError(f"entry #{self.id}: {self.kind} points must be positive")
        if self.kind in _NEGATIVE and self.points >= 0:
            raise LedgerError(f"entry #{self.id}: {self.kind} points must be negative")
        if self.kind == "redeem" and self.points != 0:
            raise LedgerError(f"entry #{self.id}: redeem points must be 0 (the amount is what its ref holds)")
        if self.kind == "adjust" and self.points == 0:
            raise LedgerError(f"entry #{self.id}: an adjustment of 0 points means nothing")
        if self.kind in _NEEDS_REF and not self.ref:
            raise LedgerError(f"entry #{self.id}: {self.kind} needs the ref of its redemption")


@dataclass(frozen=True)
class Batch:
    """The points of one earning (or positive adjustment) and what has become of them as of a date."""

    id: int
    earned_on: date
    points: int
    consumed: int  # held, spent or adjusted away, net of what came back
    expired: int
    expires_on: date

    @property
    def remaining(self) -> int:
        """Return the points of this batch still available."""
        return self.points - self.consumed - self.expired


@dataclass(frozen=True)
class ExpiringPoints:
    """Points that will expire on a given day unless spent before."""

    points: int
    date: date

    def as_json_dict(self) -> dict[str, Any]:
        """Return the JSON shape: {"points": 120, "date": "2027-01-01"}."""
        return {"points": self.points, "date": self.date.isoformat()}


@dataclass(frozen=True)
class ExpiryDue:
    """An expire entry the ledger still has to be given; ``points`` is signed (negative) like Entry.points."""

    batch_id: int
    points: int
    on: date

    kind: Literal["expire"] = field(default="expire", init=False)

    def to_entry(self, entry_id: int) -> Entry:
        """Return the entry to append, under the given id."""
        return Entry(entry_id, "expire", self.points, self.on, batch_id=self.batch_id)


@dataclass(frozen=True)
class Summary:
    """An employee's points as of a date."""

    balance: int  # available, held points excluded
    held: int
    lifetime: int
    tier: str | None
    expiring: list[ExpiringPoints]  # upcoming expiries after the date, soonest first

    def as_json_dict(self) -> dict[str, Any]:
        """Return the shape printed by `flask points balance --json`."""
        return {
            "balance": self.balance,
            "held": self.held,
            "lifetime": self.lifetime,
            "tier": self.tier,
            "expiring": [item.as_json_dict() for item in self.expiring],
        }


@dataclass
class _Pot:
    """Mutable state of one batch during a replay."""

    id: int
    earned_on: date
    points: int
    expires_on: date
    consumed: int = 0
    expired: int = 0
    # Points expired virtually that no written expire entry covers yet, as [day, points], oldest first.
    uncovered: list[list[Any]] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        return self.points - self.consumed - self.expired

    def expire_virtually(self, day: date, points: int) -> None:
        self.expired += points
        if self.uncovered and self.uncovered[-1][0] == day:
            self.uncovered[-1][1] += points
        else:
            self.uncovered.append([day, points])

    def cover(self, points: int) -> int:
        """Mark up to `points` virtually expired points as written; return how many were covered."""
        covered = 0
        while self.uncovered and covered < points:
            chunk = self.uncovered[0]
            taken = min(chunk[1], points - covered)
            chunk[1] -= taken
            covered += taken
            if chunk[1] == 0:
                self.uncovered.pop(0)
        return covered

    def snapshot(self) -> Batch:
        return Batch(self.id, self.earned_on, self.points, self.consumed, self.expired, self.expires_on)


class _Replay:
    """The ledger's state, built by applying entries in date/id order."""

    def __init__(self, months: int) -> None:
        self.months = months
        # Pots are opened while replaying in (on, id) order, so insertion order is already FIFO order.
        self.pots: dict[int, _Pot] = {}
        self.held: dict[str, list[Allocation]] = {}
        self.spent: dict[str, list[Allocation]] = {}
        self.lifetime = 0

    @property
    def balance(self) -> int:
        return sum(pot.remaining for pot in self.pots.values())

    @property
    def held_total(self) -> int:
        return sum(points for allocations in self.held.values() for _, points in allocations)

    def expire_until(self, day: date) -> None:
        """Expire what is left of every batch whose expiry date has come by `day`."""
        for pot in self.pots.values():
            if pot.expires_on <= day and pot.remaining > 0:
                pot.expire_virtually(pot.expires_on, pot.remaining)

    def apply(self, entry: Entry) -> None:
        if entry.kind == "earn" or (entry.kind == "adjust" and entry.points > 0):
            self.pots[entry.id] = _Pot(entry.id, entry.on, entry.points, expiry_date(entry.on, self.months))
            self.lifetime += entry.points
        elif entry.kind == "adjust":
            self._take(-entry.points, entry)
        elif entry.kind == "hold":
            self.held.setdefault(entry.ref or "", []).extend(self._take(-entry.points, entry))
        elif entry.kind == "release":
            self._give_back(self.held, entry)
        elif entry.kind == "redeem":
            allocations = self.held.pop(entry.ref or "", None)
            if not allocations:
                raise LedgerError(f"entry #{entry.id}: nothing is held for {entry.ref!r} to redeem")
            self.spent.setdefault(entry.ref or "", []).extend(allocations)
        elif entry.kind == "refund":
            self._give_back(self.spent, entry)
        else:
            self._expire_written(entry)

    def _candidates(self, entry: Entry) -> list[_Pot]:
        if entry.batch_id is None:
            return list(self.pots.values())
        pot = self.pots.get(entry.batch_id)
        if pot is None:
            raise LedgerError(f"entry #{entry.id}: no batch #{entry.batch_id} as of {entry.on}")
        return [pot]

    def _take(self, points: int, entry: Entry) -> list[Allocation]:
        pots = self._candidates(entry)
        available = sum(pot.remaining for pot in pots)
        if points > available:
            raise LedgerError(f"entry #{entry.id} takes {points} points but only {available} are available")
        taken: list[Allocation] = []
        for pot in pots:
            part = min(pot.remaining, points)
            if part:
                pot.consumed += part
                taken.append((pot.id, part))
                points -= part
        return taken

    def _give_back(self, book: dict[str, list[Allocation]], entry: Entry) -> None:
        ref = entry.ref or ""
        allocations = book.get(ref, [])
        outstanding = sum(points for _, points in allocations)
        if entry.points > outstanding:
            what = "held" if book is self.held else "spent"
            raise LedgerError(f"entry #{entry.id} gives back {entry.points} points; {ref!r} has {outstanding} {what}")
        points = entry.points
        # Newest batch first: a partial return then favours the points that live longest.
        while points:
            batch_id, part = allocations[-1]
            back = min(part, points)
            if back == part:
                allocations.pop()
            else:
                allocations[-1] = (batch_id, part - back)
            pot = self.pots[batch_id]
            pot.consumed -= back
            if pot.expires_on <= entry.on:
                pot.expire_virtually(entry.on, back)
            points -= back
        if not allocations:
            book.pop(ref, None)

    def _expire_written(self, entry: Entry) -> None:
        pots = self._candidates(entry)
        points = -entry.points
        for pot in pots:
            points -= pot.cover(points)
        for pot in pots:
            part = min(pot.remaining, points)
            pot.expired += part
            points -= part
        if points:
            raise LedgerError(f"entry #{entry.id} expires {-entry.points} points but the batch has fewer left")

    def plan(self, points: int) -> list[Allocation]:
        """Return the FIFO allocation of `points` without taking them."""
        plan: list[Allocation] = []
        for pot in self.pots.values():
            part = min(pot.remaining, points)
            if part:
                plan.append((pot.id, part))
                points -= part
        return plan

    def uncovered_dues(self) -> list[ExpiryDue]:
        return [ExpiryDue(pot.id, -points, day) for pot in self.pots.values() for day, points in pot.uncovered]


def _replay(entries: Iterable[Entry], as_of: date, months: int) -> _Replay:
    """Replay the entries dated on or before `as_of`, expiring batches at the start of their expiry day."""
    dated = sorted((entry for entry in entries if entry.on <= as_of), key=lambda entry: (entry.on, entry.id))
    ids = [entry.id for entry in dated]
    if len(set(ids)) != len(ids):
        raise LedgerError("two ledger entries share an id")
    state = _Replay(months)
    for entry in dated:
        state.expire_until(entry.on)
        state.apply(entry)
    state.expire_until(as_of)
    return state


def expiry_date(earned_on: date, months: int = DEFAULT_MONTHS) -> date:
    """Return the first day points earned on `earned_on` are gone (31 Jan + 1 month -> end of February)."""
    if months < 1:
        raise LedgerError(f"points must live at least one month, not {months}")
    return month_add(earned_on, months)


def batches(entries: Iterable[Entry], as_of: date, months: int = DEFAULT_MONTHS) -> list[Batch]:
    """Return every batch as of `as_of`, oldest first, with expiry applied whether or not it was written."""
    return [pot.snapshot() for pot in _replay(entries, as_of, months).pots.values()]


def tier_for(lifetime: int, tiers: Sequence[tuple[str, int]]) -> str | None:
    """Return the highest tier whose threshold `lifetime` reaches, or None below the first."""
    reached = None
    for name, threshold in sorted(tiers, key=lambda tier: tier[1]):
        if lifetime >= threshold:
            reached = name
    return reached


def summary(
    entries: Iterable[Entry],
    as_of: date,
    months: int = DEFAULT_MONTHS,
    tiers: Sequence[tuple[str, int]] | None = None,
) -> Summary:
    """Return balance, held, lifetime points, tier and upcoming expiries as of `as_of`."""
    state = _replay(entries, as_of, months)
    expiring: dict[date, int] = {}
    for pot in state.pots.values():
        if pot.remaining > 0:
            expiring[pot.expires_on] = expiring.get(pot.expires_on, 0) + pot.remaining
    return Summary(
        balance=state.balance,
        held=state.held_total,
        lifetime=state.lifetime,
        tier=tier_for(state.lifetime, tiers) if tiers else None,
        expiring=[ExpiringPoints(points, day) for day, points in sorted(expiring.items())],
    )


def allocate(entries: Iterable[Entry], points: int, as_of: date, months: int = DEFAULT_MONTHS) -> list[Allocation]:
    """Return which batches `points` would come from, oldest first; raise InsufficientPoints when short."""
    if points <= 0:
        raise LedgerError(f"allocate a positive number of points, not {points}")
    state = _replay(entries, as_of, months)
    if points > state.balance:
        raise InsufficientPoints(state.balance, points)
    return state.plan(points)


def due_expiries(entries: Iterable[Entry], as_of: date, months: int = DEFAULT_MONTHS) -> list[ExpiryDue]:
    """Return the expire entries to append so that the written ledger matches the virtual one as of `as_of`."""
    return sorted(_replay(entries, as_of, months).uncovered_dues(), key=lambda due: (due.on, due.batch_id))


def forfeit_on_exit(entries: Iterable[Entry], exit_date: date, months: int = DEFAULT_MONTHS) -> list[ExpiryDue]:
    """Return the expire entries that empty a leaver's balance on `exit_date`.

    Expiries already due are included on their own dates. Held points are left alone: a pending redemption may
    still be fulfilled; if it is released instead, call again with the release date.
    """
    state = _replay(entries, exit_date, months)
    forfeits = [ExpiryDue(pot.id, -pot.remaining, exit_date) for pot in state.pots.values() if pot.remaining > 0]
    return sorted(state.uncovered_dues(), key=lambda due: (due.on, due.batch_id)) + forfeits


def due_notices(
    entries: Iterable[Entry], as_of: date, months: int = DEFAULT_MONTHS, days_ahead: int = NOTICE_DAYS
) -> list[ExpiringPoints]:
    """Return the points that expire after `as_of` and at most `days_ahead` days later, soonest first."""
    horizon = as_of + timedelta(days=days_ahead)
    return [item for item in summary(entries, as_of, months).expiring if item.date <= horizon]
