"""Open and close pulse surveys, and take answers without keeping who gave them.

An answer row holds the store and the scores, and the SHA-256 of a random change key that only the person who
answered holds (a signed cookie in their browser, and a code shown once). The one-answer rule for employees is a
separate row (survey, employee) with nothing else in it. Services flush; the route or command commits.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from app.audit.services import record
from app.core import clock
from app.dbtypes import utcnow
from app.extensions import db
from app.org.models import Employee, Store
from app.periods import Period
from app.pulse.models import (
    CODE_ALPHABET,
    MAX_ITEMS,
    PulseAnswer,
    PulseError,
    PulseParticipation,
    PulseQuestion,
    PulseStatus,
    PulseStore,
    PulseSurvey,
    next_status,
)
from app.recognition.rules import on_pulse_answered

ENPS_FR = "Sur une échelle de 0 à 10, recommanderiez-vous notre entreprise comme employeur à un proche ?"
ENPS_EN = "On a scale from 0 to 10, how likely are you to recommend working here to a friend?"
TEXT_MAX = 500


def already_answered() -> str:
    return _("You have already answered this survey; give your change code to change your answer.")


@dataclass(frozen=True)
class Wording:
    """A question in both languages."""

    fr: str
    en: str


def create_survey(
    name: str,
    period: str,
    store_codes: Sequence[str] = (),
    *,
    enps: Wording | None = None,
    items: Sequence[Wording] = (),
) -> PulseSurvey:
    """Open a survey for the stores named (none: every store), with the eNPS question and up to 5 1–5 questions."""
    name = name.strip()
    if not name or len(name) > 200:
        raise PulseError(_("name: give a name of 1 to 200 characters"))
    parsed = Period.parse(period.strip())
    if len(items) > MAX_ITEMS:
        raise PulseError(_("questions: at most %(most)d questions besides the eNPS one", most=MAX_ITEMS))
    wordings = [enps or Wording(ENPS_FR, ENPS_EN), *items]
    for position, wording in enumerate(wordings):
        label = _("eNPS question") if position == 0 else _("question %(n)d", n=position)
        for language, text in (("fr", wording.fr), ("en", wording.en)):
            if not text.strip():
                raise PulseError(
                    _("%(question)s: the text in %(language)s is missing", question=label, language=language)
                )
            if len(text.strip()) > TEXT_MAX:
                raise PulseError(
                    _(
                        "%(question)s: the text in %(language)s is longer than %(most)d characters",
                        question=label,
                        language=language,
                        most=TEXT_MAX,
                    )
                )
    codes = list(dict.fromkeys(c.strip() for c in store_codes if c.strip()))
    if codes:
        stores = list(db.session.scalars(sa.select(Store).where(Store.code.in_(codes))))
        unknown = sorted(set(codes) - {s.code for s in stores})
        if unknown:
            raise PulseError(_("store: unknown store code %(codes)s", codes=", ".join(unknown)))
    else:
        stores = list(db.session.scalars(sa.select(Store).order_by(Store.code)))
        if not stores:
            raise PulseError(_("store: there is no store to survey"))
    survey = PulseSurvey(name=name, period=str(parsed), whole_company=not codes, status=PulseStatus.OPEN.value)
    survey.created_by = _actor_label()
    survey.questions = [
        PulseQuestion(position=i, text_fr=w.fr.strip(), text_en=w.en.strip()) for i, w in enumerate(wordings)
    ]
    taken = set(db.session.scalars(sa.select(PulseStore.code)))
    survey.stores = []
    for store in sorted(stores, key=lambda s: s.code):
        code = _fresh_code(taken)
        survey.stores.append(PulseStore(store=store, code=code))
    db.session.add(survey)
    db.session.flush()
    record(
        "pulse.create",
        "pulse_survey",
        survey.id,
        summary=f"{survey.name} ({survey.period}), {len(stores)} store(s)",
        after={"name": survey.name, "period": survey.period, "stores": [s.code for s in stores]},
    )
    return survey


def _fresh_code(taken: set[str]) -> str:
    from app.pulse.models import new_store_code

    code = new_store_code()
    while code in taken:  # pragma: no cover  (one chance in 10¹² per store)
        code = new_store_code()
    taken.add(code)
    return code


def _actor_label() -> str:
    from app.audit.services import current_actor

    return current_actor()[1]


def close_survey(survey: PulseSurvey) -> None:
    """Close a survey: no answer is taken or changed any more."""
    survey.status = next_status(PulseStatus(survey.status), PulseStatus.CLOSED).value
    survey.closed_at = utcnow()
    db.session.flush()
    record(
        "pulse.close",
        "pulse_survey",
        survey.id,
        summary=survey.name,
        before={"status": "open"},
        after={"status": "closed"},
    )


def get_survey(survey_id: int) -> PulseSurvey | None:
    return db.session.get(PulseSurvey, survey_id)


def surveys() -> list[PulseSurvey]:
    """Every survey, newest period first."""
    return list(db.session.scalars(sa.select(PulseSurvey).order_by(PulseSurvey.period.desc(), PulseSurvey.id.desc())))


def store_of(employee: Employee) -> Store | None:
    """The store an employee answers for: where they work today."""
    assignment = employee.assignment_on(clock.today())
    return assignment.store if assignment else None


def surveyed_store(survey: PulseSurvey, store: Store | None) -> PulseStore | None:
    if store is None:
        return None
    return next((s for s in survey.stores if s.store_id == store.id), None)


def open_surveys_for(employee: Employee) -> list[tuple[PulseSurvey, bool]]:
    """The open surveys that ask the employee's store, each with whether they have answered it."""
    assignment = employee.assignment_on(clock.today())  # store_of's store, without loading the store itself
    if assignment is None:
        return []
    answered = sa.exists().where(
        PulseParticipation.survey_id == PulseSurvey.id, PulseParticipation.employee_id == employee.id
    )
    rows = db.session.execute(
        sa.select(PulseSurvey, answered)
        .join(PulseStore, PulseStore.survey_id == PulseSurvey.id)
        .where(PulseSurvey.status == PulseStatus.OPEN.value, PulseStore.store_id == assignment.store_id)
        .order_by(PulseSurvey.id)
    )
    return [(survey, bool(has)) for survey, has in rows]


def has_answered(survey: PulseSurvey, employee: Employee) -> bool:
    return db.session.get(PulseParticipation, (survey.id, employee.id)) is not None


def by_code(code: str) -> PulseStore | None:
    """The surveyed store a printed code opens (case, spaces and the dash do not matter)."""
    raw = "".join(ch for ch in code.upper() if ch in CODE_ALPHABET)
    if len(raw) != 8:
        return None
    return db.session.scalar(sa.select(PulseStore).where(PulseStore.code == f"{raw[:4]}-{raw[4:]}"))


# --- answers ---------------------------------------------------------------------------------------------------


def new_change_key() -> str:
    """A change key of 60 random bits, typeable from paper: XXXX-XXXX-XXXX."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def key_hash(key: str) -> str:
    raw = "".join(ch for ch in key.upper() if ch in CODE_ALPHABET)
    return hashlib.sha256(f"primo-pulse:{raw}".encode()).hexdigest()


def find_answer(survey: PulseSurvey, key: str | None) -> PulseAnswer | None:
    """The answer to this survey that a change key opens, if any."""
    if not key:
        return None
    return db.session.scalar(
        sa.select(PulseAnswer).where(PulseAnswer.survey_id == survey.id, PulseAnswer.key_hash == key_hash(key))
    )


def check_scores(survey: PulseSurvey, enps: str | None, items: dict[int, str | None]) -> tuple[int, dict[str, int]]:
    """Read the posted scores: the eNPS one is required (0–10), the others optional (1–5)."""
    if enps is None or not enps.strip().isdigit() or not 0 <= int(enps) <= 10:
        raise PulseError(_("eNPS: choose a score from 0 to 10"))
    scores: dict[str, int] = {}
    for question in survey.items:
        value = (items.get(question.position) or "").strip()
        if not value:
            continue
        if not value.isdigit() or not 1 <= int(value) <= 5:
            raise PulseError(_("question %(n)d: choose a score from 1 to 5", n=question.position))
        scores[str(question.position)] = int(value)
    return int(enps), scores


def answer(
    survey: PulseSurvey,
    surveyed: PulseStore,
    enps: int,
    items: dict[str, int],
    *,
    employee: Employee | None = None,
    key: str | None = None,
) -> tuple[PulseAnswer, str | None]:
    """Record or change an answer; return it and the new change key when one was made (None on a change).

    With a key that opens an answer of this survey, that answer changes. Without one, an employee who has
    answered already is refused (one answer each); otherwise a new answer is stored with a new key.
    """
    if not survey.is_open:
        raise PulseError(_("This survey is closed: answers can no longer be given or changed."))
    if surveyed.survey_id != survey.id:
        raise PulseError(_("store: this store is not asked by this survey"))
    existing = find_answer(survey, key)
    if key and existing is None:
        raise PulseError(_("change code: this code does not open an answer to this survey"))
    if existing is not None:
        existing.enps, existing.items = enps, dict(items)
        db.session.flush()
        return existing, None
    if employee is not None:
        if has_answered(survey, employee):
            raise PulseError(already_answered())
        db.session.add(PulseParticipation(survey_id=survey.id, employee_id=employee.id))
    new_key = new_change_key()
    row = PulseAnswer(
        survey_id=survey.id, store_id=surveyed.store_id, enps=enps, items=dict(items), key_hash=key_hash(new_key)
    )
    db.session.add(row)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        # Two first answers of one employee at once: the participation key lets one through.
        raise PulseError(already_answered()) from None
    if employee is not None:
        # Only a first answer pays, and the entry names the survey, never this row (see on_pulse_answered).
        on_pulse_answered(survey.id, employee.id, clock.today())
    return row, new_key


# --- signed tokens: the change key in a cookie, and personal links -----------------------------------------------


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def cookie_name(survey: PulseSurvey) -> str:
    return f"primo_pulse_{survey.id}"


def sign_key(survey: PulseSurvey, employee: Employee, key: str) -> str:
    """The cookie value that keeps an employee's change key in their browser (bound to them: browsers are shared)."""
    return _serializer("pulse-change-key").dumps([survey.id, employee.id, key])


def unsign_key(survey: PulseSurvey, employee: Employee, value: str | None) -> str | None:
    """The change key a cookie carries for this survey and employee, or None (missing, forged, someone else's)."""
    if not value:
        return None
    try:
        survey_id, employee_id, key = _serializer("pulse-change-key").loads(value)
    except (BadSignature, ValueError, TypeError):
        return None
    return key if (survey_id, employee_id) == (survey.id, employee.id) and isinstance(key, str) else None


def personal_token(survey: PulseSurvey, employee: Employee) -> str:
    """The token of an employee's personal link to a survey (nothing is stored: the signature is the proof)."""
    return _serializer("pulse-personal-link").dumps([survey.id, employee.id])


def from_personal_token(token: str) -> tuple[PulseSurvey, Employee] | None:
    try:
        survey_id, employee_id = _serializer("pulse-personal-link").loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    survey = db.session.get(PulseSurvey, survey_id) if isinstance(survey_id, int) else None
    employee = db.session.get(Employee, employee_id) if isinstance(employee_id, int) else None
    return (survey, employee) if survey is not None and employee is not None else None


def invited(survey: PulseSurvey) -> list[Employee]:
    """The employees working today in the survey's stores (who get a personal link)."""
    store_ids = {s.store_id for s in survey.stores}
    people = db.session.scalars(sa.select(Employee).order_by(Employee.number))
    return [e for e in people if (store := store_of(e)) is not None and store.id in store_ids]
