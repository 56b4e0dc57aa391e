"""Pure: the kinds of notification, who they are for, how each user may receive them, and when a digest is due.

A feature adds its own kind with `register(Kind(...))` and its wording in `app/notify/messages.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Mode(StrEnum):
    """How a user receives a kind: an e-mail at once, one weekly e-mail listing them all, or not at all."""

    IMMEDIATE = "immediate"
    DIGEST = "digest"
    OFF = "off"


@dataclass(frozen=True)
class Kind:
    code: str
    roles: tuple[str, ...]  # the roles that receive it: its line shows on their preferences page
    default: Mode = Mode.IMMEDIATE


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add a kind (once per code)."""
    if kind.code in KINDS and KINDS[kind.code] != kind:
        raise ValueError(f"notification kind {kind.code!r} is already registered differently")
    KINDS[kind.code] = kind
    return kind


CASE_OPENED = register(Kind("case_opened", ("manager",)))
CASE_OVERDUE = register(Kind("case_overdue", ("manager",)))
COMPLIMENT_RECEIVED = register(Kind("compliment_received", ("employee",)))
POINTS_AWARDED = register(Kind("points_awarded", ("employee",)))
POINTS_EXPIRING = register(Kind("points_expiring", ("employee",), Mode.DIGEST))
STATEMENT_READY = register(Kind("statement_ready", ("employee",)))
RUN_AWAITING_APPROVAL = register(Kind("run_awaiting_approval", ("hr",)))
QUESTION_ANSWERED = register(Kind("question_answered", ("employee",)))


def kinds_for(roles: frozenset[str] | set[str]) -> list[Kind]:
    """The kinds a user with these roles may receive, in the order they were registered."""
    return [kind for kind in KINDS.values() if set(kind.roles) & set(roles)]


def digest_week_start(as_of: date) -> date:
    """The Monday of `as_of`'s week: a weekly digest lists what arrived before it and was not sent yet."""
    return as_of - timedelta(days=as_of.weekday())


# Delays before the queue tries a failed e-mail again: 1 min, 5 min, 30 min, 2 h; then it is given up.
RETRY_DELAYS = (60, 300, 1800, 7200)


def retry_delay(attempts: int) -> int | None:
    """Seconds to wait after the `attempts`-th failure, or None when the message is given up."""
    return RETRY_DELAYS[attempts - 1] if 1 <= attempts <= len(RETRY_DELAYS) else None
