"""The demo company's pulse surveys: last quarter's, closed, with two stores under 5 answers; this quarter's, open."""

from __future__ import annotations

import random
from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.feedback import aggregate
from app.org.models import Employee, Store
from app.periods import Period
from app.pulse import services
from app.pulse.models import PulseParticipation

ITEMS = [
    services.Wording("Je me sens reconnu·e pour mon travail.", "I feel recognised for my work."),
    services.Wording("J'ai les moyens de bien servir nos clients.", "I have what I need to serve our customers well."),
]
# Stores where only a handful answered: their figures stay hidden ("not enough answers").
FEW_ANSWERS = {"S04": 3, "S10": 4}


def _score(rng: random.Random, store_nps: float) -> int:
    """An eNPS answer leaning the way the store's customers do (staff and customers tend to move together)."""
    promoter = min(0.85, max(0.05, 0.38 + store_nps / 180 + rng.uniform(-0.05, 0.05)))
    detractor = min(0.6, max(0.03, 0.28 - store_nps / 260))
    draw = rng.random()
    if draw < promoter:
        return rng.choice((9, 10))
    if draw < promoter + detractor:
        return rng.choice((3, 4, 5, 6, 6))
    return rng.choice((7, 8))


def _staff(today: date) -> dict[int, list[Employee]]:
    staff: dict[int, list[Employee]] = {}
    for employee in db.session.scalars(sa.select(Employee).order_by(Employee.number)):
        assignment = employee.assignment_on(today)
        if assignment is not None:
            staff.setdefault(assignment.store_id, []).append(employee)
    return staff


def _answer_all(rng, survey, staff, customer, share: float, *, few: bool, skip: set[int]) -> int:
    """Answer for a share of each store's staff (a handful in FEW_ANSWERS' stores when `few`)."""
    count = 0
    for surveyed in sorted(survey.stores, key=lambda s: s.store_id):
        code = surveyed.store.code
        people = [e for e in staff.get(surveyed.store_id, []) if e.id not in skip]
        take = FEW_ANSWERS.get(code) if few else None
        answering = rng.sample(people, min(len(people), take if take is not None else round(len(people) * share)))
        store_nps = float(customer.get(surveyed.store_id) or 30)
        for employee in answering:
            items = {str(p): rng.choice((2, 3, 4, 4, 5)) for p in (1, 2) if rng.random() < 0.8}
            services.answer(survey, surveyed, _score(rng, store_nps), items)
            db.session.add(PulseParticipation(survey_id=survey.id, employee_id=employee.id))
            count += 1
    return count


def seed_pulse(rng: random.Random, today: date, keep_free: Employee | None = None) -> dict[str, int]:
    """Create the demo's pulse surveys; flush only (the caller commits)."""
    stores = list(db.session.scalars(sa.select(Store).order_by(Store.code)))
    if not stores:
        return {"answers": 0, "survey": 0}
    last_quarter = Period.containing(today, "quarter").previous()
    kpis = aggregate.kpis_by_store(last_quarter, [s.id for s in stores])
    customer = {sid: k.nps.nps for sid, k in kpis.items() if k.nps is not None and k.nps.nps is not None}
    staff = _staff(today)
    skip = {keep_free.id} if keep_free is not None else set()

    closed = services.create_survey(f"Pulse {last_quarter}", str(last_quarter), items=ITEMS)
    # Most of the staff answer a quarterly pulse in the demo, except in the two stores kept under 5 answers.
    answers = _answer_all(rng, closed, staff, customer, 0.8, few=True, skip=set())
    services.close_survey(closed)

    current = Period.containing(today, "quarter")
    open_survey = services.create_survey(f"Pulse {current}", str(current), items=ITEMS)
    answers += _answer_all(rng, open_survey, staff, customer, 0.4, few=False, skip=skip)
    db.session.flush()
    return {"answers": answers, "survey": closed.id, "open_survey": open_survey.id}
