"""Follow-up cases: a detractor who agreed to be contacted is called back by the store within 48 hours.

Life cycle (the one place that says which moves are allowed is `check_transition`):

    open ──→ contacted ──→ resolved | unreachable
      └───────────────────→ resolved | unreachable

A case may close straight from `open` (the customer was reached and the matter settled in the first call, or
every attempt failed); once `resolved` or `unreachable` it never moves again, and nothing goes back to `open`.
Closing needs an outcome code that fits the closing status. Audit records name statuses, outcome codes and
employee ids only: never the customer's name or contact, nor the free-text notes (which may quote them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.audit.services import current_actor, record
from app.auth.models import User
from app.core import memo
from app.core.company import save_setting, saved_setting
from app.dbtypes import utcnow
from app.extensions import db
from app.feedback.aggregate import nps_category_condition
from app.feedback.kpi import DETRACTOR_MAX
from app.feedback.models import FollowUpCase, SurveyResponse
from app.notify import events as notify_events
from app.org.models import Employee
from app.org.scope import managed_store_ids, team_condition
from app.webhooks import events as webhook_events

FOLLOW_UP_DELAY = timedelta(hours=48)
NOTES_MAX = 20_000


class CaseStatus(StrEnum):
    OPEN = "open"
    CONTACTED = "contacted"
    RESOLVED = "resolved"
    UNREACHABLE = "unreachable"


CLOSED = frozenset({CaseStatus.RESOLVED, CaseStatus.UNREACHABLE})
ACTIVE = frozenset({CaseStatus.OPEN, CaseStatus.CONTACTED})

ALLOWED_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.CONTACTED, CaseStatus.RESOLVED, CaseStatus.UNREACHABLE}),
    CaseStatus.CONTACTED: frozenset({CaseStatus.RESOLVED, CaseStatus.UNREACHABLE}),
    CaseStatus.RESOLVED: frozenset(),
    CaseStatus.UNREACHABLE: frozenset(),
}

# The outcome codes a closing status accepts: a case is resolved by doing something for the customer,
# or closed unreachable for a reason that says why nobody could talk to them.
OUTCOMES: dict[CaseStatus, tuple[str, ...]] = {
    CaseStatus.RESOLVED: ("apologised", "explained", "refunded", "replaced", "voucher", "no_action"),
    CaseStatus.UNREACHABLE: ("no_answer", "wrong_number", "declined"),
}
OUTCOME_LABELS = {
    "apologised": _l("Apologised"),
    "explained": _l("Explained"),
    "refunded": _l("Refunded"),
    "replaced": _l("Replaced the product"),
    "voucher": _l("Gave a voucher"),
    "no_action": _l("No action needed"),
    "no_answer": _l("No answer after several attempts"),
    "wrong_number": _l("Wrong number or address"),
    "declined": _l("Customer declined to talk"),
}
STATUS_LABELS = {
    CaseStatus.OPEN: _l("Open"),
    CaseStatus.CONTACTED: _l("Contacted"),
    CaseStatus.RESOLVED: _l("Resolved"),
    CaseStatus.UNREACHABLE: _l("Unreachable"),
}


class CaseError(Exception):
    """A change to a case that the rules refuse; the message is safe to show."""


class CaseTransitionError(CaseError):
    """The case cannot move from its status to the one asked for."""


class CaseOutcomeError(CaseError):
    """Closing without an outcome code, or with one that does not fit the closing status."""


class CaseAssignmentError(CaseError):
    """The case cannot be handed to that person."""


def check_transition(current: CaseStatus | str, target: CaseStatus | str) -> None:
    """Raise CaseTransitionError unless a case may move from `current` to `target`."""
    try:
        current, target = CaseStatus(current), CaseStatus(target)
    except ValueError as exc:
        raise CaseTransitionError(_("Unknown case status: %(error)s", error=exc)) from None
    if target not in ALLOWED_TRANSITIONS[current]:
        raise CaseTransitionError(
            _(
                "A case cannot go from %(current)s to %(target)s.",
                current=STATUS_LABELS[current],
                target=STATUS_LABELS[target],
            )
        )


def check_outcome(target: CaseStatus | str, outcome: str | None) -> str | None:
    """The outcome code to store for a move to `target` (None unless closing); raise CaseOutcomeError."""
    target = CaseStatus(target)
    outcome = (outcome or "").strip() or None
    if target not in CLOSED:
        if outcome is not None:
            raise CaseOutcomeError(_("An outcome is given only when closing a case."))
        return None
    if outcome is None:
        raise CaseOutcomeError(_("Choose an outcome to close the case as %(status)s.", status=STATUS_LABELS[target]))
    if outcome not in OUTCOMES[target]:
        allowed = ", ".join(str(OUTCOME_LABELS[code]) for code in OUTCOMES[target])
        raise CaseOutcomeError(
            _(
                "The outcome “%(outcome)s” does not fit a case closed as %(status)s (choose among: %(allowed)s).",
                outcome=outcome,
                status=STATUS_LABELS[target],
                allowed=allowed,
            )
        )
    return outcome


def next_statuses(current: CaseStatus | str) -> list[CaseStatus]:
    """The statuses a case may move to next, in life-cycle order."""
    allowed = ALLOWED_TRANSITIONS[CaseStatus(current)]
    return [status for status in CaseStatus if status in allowed]


# --- opening ---------------------------------------------------------------------------------------


def needs_case(response: SurveyResponse) -> bool:
    return bool(response.contact_consent and response.nps is not None and response.nps <= DETRACTOR_MAX)


def open_case_for_response(response: SurveyResponse) -> FollowUpCase | None:
    """Open the follow-up case a newly stored response calls for (flush only)."""
    if not needs_case(response) or response.excluded:
        return None
    case = FollowUpCase(
        response_id=response.id,
        store_id=response.store_id,
        status="open",
        due_at=response.answered_at + FOLLOW_UP_DELAY,
    )
    db.session.add(case)
    notify_events.case_opened(case)
    webhook_events.case_opened(case)
    return case


def visible_cases_condition(user: User) -> sa.ColumnElement[bool]:
    """Cases a user may see: HR all, managers their stores' cases, anyone the cases handed to them."""
    if user.has_role("hr"):
        return sa.true()
    conditions = []
    stores = managed_store_ids(user)
    if stores:
        conditions.append(FollowUpCase.store_id.in_(stores))
    if user.employee_id is not None:
        conditions.append(FollowUpCase.assignee_id == user.employee_id)
    return sa.or_(*conditions) if conditions else sa.false()


def manages_case(user: User, case: FollowUpCase) -> bool:
    return case.store_id in managed_store_ids(user)


def holds_case(user: User, case: FollowUpCase) -> bool:
    return user.employee_id is not None and case.assignee_id == user.employee_id


def may_see_contact(user: User, case: FollowUpCase) -> bool:
    """The customer's name and contact: the store's managers and whoever holds the case, HR included only so."""
    return manages_case(user, case) or holds_case(user, case)


def may_work_on(user: User, case: FollowUpCase) -> bool:
    """Record calls, notes and the outcome: the same people who may call the customer."""
    return may_see_contact(user, case)


def overdue_condition(now: datetime) -> sa.ColumnElement[bool]:
    """Nobody has reached the customer yet and the 48 hours are over."""
    return sa.and_(FollowUpCase.status == CaseStatus.OPEN.value, FollowUpCase.due_at < now)


def is_overdue(case: FollowUpCase, now: datetime | None = None) -> bool:
    return case.status == CaseStatus.OPEN.value and case.due_at < (now or utcnow())


def queue_order(now: datetime) -> tuple[sa.ColumnElement, ...]:
    """Overdue cases first, then still-active cases due soonest, closed ones last (latest closed first)."""
    active = FollowUpCase.status.in_([s.value for s in ACTIVE])
    return (
        sa.case((overdue_condition(now), 0), (active, 1), else_=2),
        sa.case((active, FollowUpCase.due_at), else_=None),
        FollowUpCase.closed_at.desc(),
        FollowUpCase.id,
    )


def case_notice(user: User, now: datetime | None = None) -> dict[str, int]:
    """How many open cases the user should act on: `new` (still within 48 h) and `overdue` (past due).

    Counts the cases of the stores the user manages and those handed to them; HR alone gets zeros (HR
    oversees, it does not call customers back).
    """
    if now is None:  # the banner and the home card both ask: count once per transaction
        return dict(memo.remembered(("case notice", user.id), lambda: case_notice(user, utcnow())))
    conditions = []
    stores = managed_store_ids(user)
    if stores:
        conditions.append(FollowUpCase.store_id.in_(stores))
    if user.employee_id is not None:
        conditions.append(FollowUpCase.assignee_id == user.employee_id)
    if not conditions:
        return {"new": 0, "overdue": 0}
    overdue = FollowUpCase.due_at < now
    row = db.session.execute(
        sa.select(
            sa.func.count().filter(overdue),
            sa.func.count().filter(sa.not_(overdue)),
        ).where(FollowUpCase.status == CaseStatus.OPEN.value, sa.or_(*conditions))
    ).one()
    return {"new": int(row[1] or 0), "overdue": int(row[0] or 0)}


# --- changes ---------------------------------------------------------------------------------------


# Notes are stored as text, each entry headed with its instant in UTC (unambiguous whatever the zone or the
# season); pages read them through `note_entries`, which gives the instant back so it is shown on local time.
NOTE_HEADER = re.compile(r"^\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) UTC, ([^\]\n]*)\] ", re.MULTILINE)


@dataclass(frozen=True)
class NoteEntry:
    """One dated note of a case; `at` is None for text written before notes were dated."""

    at: datetime | None
    actor: str
    text: str


def note_entries(notes: str | None) -> list[NoteEntry]:
    """Split a case's notes into their entries, oldest first, each with its instant (aware, UTC)."""
    if not notes:
        return []
    heads = [m for m in NOTE_HEADER.finditer(notes) if m.start() == 0 or notes[: m.start()].endswith("\n\n")]
    entries = [NoteEntry(None, "", notes[: heads[0].start()].strip())] if heads and heads[0].start() else []
    if not heads:
        return [NoteEntry(None, "", notes.strip())]
    for head, following in zip(heads, [*heads[1:], None], strict=True):
        end = following.start() if following else len(notes)
        at = datetime.strptime(head.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        entries.append(NoteEntry(at, head.group(2), notes[head.end() : end].strip()))
    return entries


def _with_note(existing: str | None, text: str, now: datetime) -> str:
    _actor_id, actor = current_actor()
    entry = f"[{now.astimezone(UTC):%Y-%m-%d %H:%M} UTC, {actor}] {text.strip()}"
    combined = f"{existing}\n\n{entry}" if existing else entry
    if len(combined) > NOTES_MAX:
        raise CaseError(_("The notes of a case are limited to %(n)d characters.", n=NOTES_MAX))
    return combined


def transition_case(
    case: FollowUpCase,
    target: CaseStatus | str,
    *,
    outcome: str | None = None,
    notes: str | None = None,
    now: datetime | None = None,
) -> FollowUpCase:
    """Move a case to `target`, with its outcome code when closing and an optional note (flush only).

    The UPDATE names the status it expects, so two people closing the same case at once cannot both win.
    """
    now = now or utcnow()
    current = CaseStatus(case.status)
    check_transition(current, target)
    target = CaseStatus(target)
    outcome = check_outcome(target, outcome)
    values: dict[str, object] = {"status": target.value}
    if target is CaseStatus.CONTACTED or (target is CaseStatus.RESOLVED and case.contacted_at is None):
        # Resolving straight from open means the customer was reached in that very call.
        values["contacted_at"] = now
    if target in CLOSED:
        values["closed_at"] = now
        values["outcome_code"] = outcome
    note = (notes or "").strip()
    if note:
        values["notes"] = _with_note(case.notes, note, now)
    result = db.session.execute(
        sa.update(FollowUpCase)
        .where(FollowUpCase.id == case.id, FollowUpCase.status == current.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise CaseTransitionError(_("The case changed meanwhile; reload it and try again."))
    db.session.refresh(case)
    record(
        "case.transition",
        "followup_case",
        case.id,
        summary=f"{current.value} → {target.value}" + (f" ({outcome})" if outcome else ""),
        before={"status": current.value},
        after={
            "status": target.value,
            "outcome_code": outcome,
            "contacted_at": case.contacted_at,
            "closed_at": case.closed_at,
            "note_added": bool(note),
        },
    )
    return case


def add_note(case: FollowUpCase, text: str, *, now: datetime | None = None) -> FollowUpCase:
    """Append a dated note to a case, open or closed (flush only)."""
    text = (text or "").strip()
    if not text:
        raise CaseError(_("A note cannot be empty."))
    case.notes = _with_note(case.notes, text, now or utcnow())
    db.session.flush()
    record("case.note", "followup_case", case.id, summary="note added", after={"note_added": True})
    return case


def assignable_employees(case: FollowUpCase, on: date) -> list[Employee]:
    """The store's team on `on`: the people a case of that store may be handed to."""
    return list(
        db.session.scalars(
            sa.select(Employee)
            .where(team_condition({case.store_id}, on))
            .order_by(Employee.last_name, Employee.first_name, Employee.number)
        )
    )


def assign_case(case: FollowUpCase, employee_id: int | None, *, on: date) -> FollowUpCase:
    """Hand a case to a member of its store's team on `on`, or back to the managers with None (flush only)."""
    if CaseStatus(case.status) in CLOSED:
        raise CaseAssignmentError(_("A closed case cannot be handed to anyone."))
    if employee_id is not None:
        in_team = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Employee)
            .where(Employee.id == employee_id, team_condition({case.store_id}, on))
        )
        if not in_team:
            raise CaseAssignmentError(_("A case can only be handed to someone currently working in its store."))
    before = case.assignee_id
    if before == employee_id:
        return case
    case.assignee_id = employee_id
    db.session.flush()
    record(
        "case.assign",
        "followup_case",
        case.id,
        summary="handed over" if employee_id else "taken back by the managers",
        before={"assignee_id": before},
        after={"assignee_id": employee_id},
    )
    return case


# --- call guide and happy customers ----------------------------------------------------------------

CALL_GUIDE_KEY = "call_guide"


def call_guide() -> str:
    """The call guide shown on every case ("" until HR writes one)."""
    return str(saved_setting(CALL_GUIDE_KEY) or "")


def save_call_guide(text: str) -> bool:
    """Store the call guide (audited when it changes); tell whether it changed. The caller commits."""
    current = call_guide()
    text = text.replace("\r\n", "\n").strip()
    if text == current:
        return False
    return save_setting(CALL_GUIDE_KEY, text, before={"value": current})


def compliments_condition(user: User, today: date) -> sa.ColumnElement[bool]:
    """Promoters' comments the user may read: HR all, managers their stores', employees their current store's
    and those attributed to them."""
    if user.has_role("hr"):
        return sa.true()
    conditions = []
    managed = managed_store_ids(user)
    if managed:
        conditions.append(SurveyResponse.store_id.in_(managed))
    employee = user.employee
    if employee is not None:
        conditions.append(SurveyResponse.employee_id == employee.id)
        assignment = employee.assignment_on(today)
        if assignment is not None and (employee.exit_date is None or employee.exit_date >= today):
            conditions.append(SurveyResponse.store_id == assignment.store_id)
    return sa.or_(*conditions) if conditions else sa.false()


def compliments(user: User, today: date, store_id: int | None = None) -> sa.Select:
    """Promoters' comments the user may read (of one store, if given), newest first: a query to paginate."""
    query = sa.select(SurveyResponse).where(
        nps_category_condition("promoter"),
        SurveyResponse.comment.is_not(None),
        SurveyResponse.comment != "",
        SurveyResponse.excluded.is_(False),
        compliments_condition(user, today),
    )
    if store_id is not None:
        query = query.where(SurveyResponse.store_id == store_id)
    return query.order_by(SurveyResponse.answered_at.desc(), SurveyResponse.id.desc())
