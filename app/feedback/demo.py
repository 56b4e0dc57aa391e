"""Demo survey responses for `flask seed-demo`: 24 months for every store, comments, contacts and follow-up cases.

Inserted in bulk (Core inserts) as one import batch with source "demo", so HR can undo them like any import.
Figures are random but plausible: store sizes from about 15 to 200 answers a quarter, NPS around 20–60 drifting
over time, CSAT and CES that agree with the NPS category, French comments, some naming an employee.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.core import clock
from app.extensions import db
from app.feedback.cases import FOLLOW_UP_DELAY
from app.feedback.kpi import nps_category
from app.feedback.models import FollowUpCase, ImportBatch, ResponseContact, SurveyResponse
from app.org.models import Assignment, Employee, Store
from app.periods import Period

SOURCE = "demo"
MONTHS = 24
CHUNK = 5000
CHANNELS = ("email", "email", "sms", "in_store", "web")
SMALL_STORE_POSITIONS = (7, 11)  # S08 and S12 in the demo company: under 30 answers a quarter

COMMENTS = {
    "promoter": [
        "Accueil chaleureux et conseils précis, je reviendrai.",
        "Très bon service, rapide et souriant.",
        "Magasin bien rangé, j'ai trouvé tout de suite ce que je cherchais.",
        "Équipe aux petits soins, merci !",
        "Super expérience, je recommande ce magasin à mes amis.",
        "Retour d'article simple et sans discussion.",
    ],
    "passive": [
        "Correct, mais un peu d'attente en caisse.",
        "Bon choix de produits, service un peu lent.",
        "Rien à redire mais rien d'exceptionnel non plus.",
        "Personnel aimable, rayons parfois mal réapprovisionnés.",
    ],
    "detractor": [
        "Vingt minutes d'attente en caisse, une seule caisse ouverte.",
        "Produit en rupture alors que le site l'annonçait en stock.",
        "Personne pour me renseigner dans le rayon.",
        "Remboursement refusé sans explication.",
        "Vendeur peu aimable, je ne reviendrai pas.",
        "Commande retirée en magasin incomplète.",
    ],
}
PRAISE = [
    "Merci à {name} pour sa patience et ses conseils.",
    "{name} a pris le temps de tout m'expliquer, bravo.",
    "Un grand merci à {name}, service impeccable.",
]
CUSTOMER_FIRST = "Marie Jean Nathalie Pierre Isabelle Philippe Sylvie Michel Catherine Alain Sandrine Éric".split()
CUSTOMER_LAST = "Lemoine Carpentier Giraud Chevalier Barbier Brunet Schmitt Colin Vidal Caron Picard Renaud".split()
OUTCOMES = ("apologised", "voucher", "explained", "no_answer")  # codes of cases.OUTCOMES
NOTES = {
    "apologised": "Cliente rappelée, excuses présentées pour l'attente.",
    "voucher": "Bon d'achat de 10 € proposé et accepté.",
    "explained": "Procédure de retour réexpliquée, client satisfait de l'appel.",
    "no_answer": "Trois appels sans réponse, message laissé.",
}


@dataclass
class _StoreProfile:
    store: Store
    per_quarter: int
    nps: float
    drift: float  # points per month
    passive_share: float
    team: list[Employee]


def _profiles(rng: random.Random, stores: Sequence[Store], today: date) -> list[_StoreProfile]:
    teams: dict[int, list[Employee]] = {s.id: [] for s in stores}
    rows = db.session.execute(
        sa.select(Assignment.store_id, Employee)
        .join(Employee, Employee.id == Assignment.employee_id)
        .where(
            Assignment.start_date <= today,
            sa.or_(Assignment.end_date.is_(None), Assignment.end_date >= today),
            Employee.job_role != "regional_manager",
        )
        .order_by(Employee.number)
    )
    for store_id, employee in rows:
        teams.setdefault(store_id, []).append(employee)
    profiles = []
    for position, store in enumerate(stores):
        small = position in SMALL_STORE_POSITIONS or (len(stores) < 8 and position == len(stores) - 1)
        profiles.append(
            _StoreProfile(
                store=store,
                per_quarter=rng.randint(14, 24) if small else rng.randint(60, 200),
                nps=rng.uniform(22, 55),
                drift=rng.uniform(-0.5, 0.7),
                passive_share=rng.uniform(0.2, 0.32),
                team=teams.get(store.id, []),
            )
        )
    return profiles


def _nps_score(rng: random.Random, target: float, passive_share: float) -> int:
    t = max(-0.9, min(0.9, target / 100))
    promoters = max(0.02, (1 - passive_share + t) / 2)
    detractors = max(0.02, (1 - passive_share - t) / 2)
    draw = rng.random() * (promoters + detractors + passive_share)
    if draw < promoters:
        return 10 if rng.random() < 0.6 else 9
    if draw < promoters + detractors:
        return rng.choices(range(7), weights=(1, 1, 1, 2, 3, 5, 7))[0]
    return rng.choice((7, 8))


def _csat(rng: random.Random, category: str) -> int:
    weights = {
        "promoter": (0, 0, 5, 25, 70),
        "passive": (0, 5, 25, 50, 20),
        "detractor": (20, 30, 30, 15, 5),
    }[category]
    return rng.choices(range(1, 6), weights=weights)[0]


def _ces(rng: random.Random, category: str) -> int:
    weights = {
        "promoter": (0, 0, 2, 5, 18, 40, 35),
        "passive": (0, 3, 10, 30, 35, 17, 5),
        "detractor": (15, 25, 25, 20, 10, 5, 0),
    }[category]
    return rng.choices(range(1, 8), weights=weights)[0]


def _month_shape(month_index: int) -> float:
    """A mild seasonal swing (better in spring, worse in the December rush)."""
    return 4 * math.sin(2 * math.pi * (month_index - 2) / 12)


def seed_feedback(rng: random.Random, today: date) -> dict[str, int]:
    """Insert 24 months of demo responses (ending with today's month) and their cases; flush only."""
    tz = clock.zone()
    retention = int(current_app.config.get("PRIMO_CONTACT_RETENTION_DAYS", 90))
    stores = list(db.session.scalars(sa.select(Store).order_by(Store.code)))
    if not stores:
        return {"responses": 0, "cases": 0}
    profiles = _profiles(rng, stores, today)
    last_day = today - timedelta(days=1)  # nothing dated later than yesterday, so nothing lies in the future
    now = datetime.combine(today, time(0, 0), tz).astimezone(UTC)
    this_month = Period.containing(today, "month")
    batch = ImportBatch(source=SOURCE, filename="seed-demo", created_by="seed-demo")
    db.session.add(batch)
    db.session.flush()

    rows: list[dict[str, Any]] = []
    extras: dict[str, dict[str, Any]] = {}  # external id → what contacts and cases need
    for profile in profiles:
        code = profile.store.code
        for back in range(MONTHS - 1, -1, -1):
            month = this_month.shifted(-back)
            first, end = month.start, min(month.end, last_day)
            if end < first:
                continue
            days = (end - first).days + 1
            expected = profile.per_quarter / 3 * days / month.days
            count = max(0, round(expected * rng.uniform(0.8, 1.2)))
            target = profile.nps + profile.drift * (MONTHS - 1 - back - 12) + _month_shape(month.index)
            target = max(5.0, min(72.0, target))
            for _ in range(count):
                day = first + timedelta(days=rng.randrange(days))
                local = datetime.combine(day, time(rng.randint(9, 19), rng.randrange(60)), tz)
                score = _nps_score(rng, target, profile.passive_share)
                nps = score if rng.random() < 0.95 else None  # a few answer only the CSAT question
                category = nps_category(score)
                csat = _csat(rng, category) if nps is None or rng.random() < 0.7 else None
                ces = _ces(rng, category) if rng.random() < 0.5 else None
                employee_id = None
                comment = None
                if rng.random() < (0.5 if category == "detractor" else 0.3):
                    comment = rng.choice(COMMENTS[category])
                    if category == "promoter" and profile.team and rng.random() < 0.4:
                        employee = rng.choice(profile.team)
                        employee_id = employee.id
                        comment = rng.choice(PRAISE).format(name=employee.first_name)
                consent = rng.random() < (0.4 if category == "detractor" and nps is not None else 0.08)
                external_id = f"demo-{code}-{len(rows) + 1:06d}"
                rows.append(
                    {
                        "source": SOURCE,
                        "external_id": external_id,
                        "batch_id": batch.id,
                        "store_id": profile.store.id,
                        "answered_at": local.astimezone(UTC),
                        "local_date": day,
                        "local_month": day.year * 100 + day.month,
                        "channel": rng.choice(CHANNELS),
                        "nps": nps,
                        "csat": csat,
                        "ces": ces,
                        "comment": comment,
                        "employee_id": employee_id,
                        "contact_consent": consent,
                        "excluded": False,
                    }
                )
                if consent:
                    extras[external_id] = {"team": profile.team}
    for start in range(0, len(rows), CHUNK):
        db.session.execute(sa.insert(SurveyResponse.__table__), rows[start : start + CHUNK])
    batch.first_response_id, batch.last_response_id = db.session.execute(
        sa.select(sa.func.min(SurveyResponse.id), sa.func.max(SurveyResponse.id)).where(
            SurveyResponse.batch_id == batch.id
        )
    ).one()

    consenting = db.session.execute(
        sa.select(
            SurveyResponse.id,
            SurveyResponse.external_id,
            SurveyResponse.store_id,
            SurveyResponse.answered_at,
            SurveyResponse.local_date,
            SurveyResponse.nps,
        )
        .where(batch.responses(), SurveyResponse.contact_consent.is_(True))
        .order_by(SurveyResponse.id)
    ).all()
    contacts: list[dict[str, Any]] = []
    cases: list[dict[str, Any]] = []
    for row in consenting:
        if row.local_date >= today - timedelta(days=retention):
            first_name, last_name = rng.choice(CUSTOMER_FIRST), rng.choice(CUSTOMER_LAST)
            contact = (
                f"{first_name.lower()}.{last_name.lower()}@example.net"
                if rng.random() < 0.6
                else f"+33 6 {rng.randrange(10, 100)} {rng.randrange(10, 100)} {rng.randrange(10, 100)} "
                f"{rng.randrange(10, 100)}"
            )
            contacts.append(
                {
                    "response_id": row.id,
                    "customer_name": f"{first_name} {last_name}",
                    "customer_contact": contact,
                    "purge_after": row.local_date + timedelta(days=retention),
                }
            )
        if row.nps is not None and nps_category(row.nps) == "detractor":
            cases.append(_case(rng, row, now, extras[row.external_id]["team"]))
    if contacts:
        db.session.execute(sa.insert(ResponseContact.__table__), contacts)
    if cases:
        db.session.execute(sa.insert(FollowUpCase.__table__), cases)
    batch.rows_inserted = len(rows)
    batch.first_day = min((r["local_date"] for r in rows), default=None)
    batch.last_day = max((r["local_date"] for r in rows), default=None)
    db.session.flush()
    return {"responses": len(rows), "cases": len(cases), "contacts": len(contacts)}


def _case(rng: random.Random, row: Any, now: datetime, team: list[Employee]) -> dict[str, Any]:
    """A follow-up case as a store would have left it: most handled in time, some late, some still open."""
    answered = row.answered_at
    due = answered + FOLLOW_UP_DELAY
    case: dict[str, Any] = {
        "response_id": row.id,
        "store_id": row.store_id,
        "opened_at": answered,
        "due_at": due,
        "status": "open",
        "assignee_id": rng.choice(team).id if team and rng.random() < 0.2 else None,
        "contacted_at": None,
        "closed_at": None,
        "outcome_code": None,
        "notes": None,
    }
    age = now - answered
    draw = rng.random()
    if age < timedelta(days=7):
        # Recent: the queue a manager finds today, some already overdue.
        if draw < 0.5:
            return case
        contacted = answered + timedelta(hours=rng.uniform(1, 40))
        if contacted >= now:
            return case
        case.update(status="contacted", contacted_at=contacted)
        return case
    if draw < 0.03:
        return case  # forgotten: long overdue
    if draw < 0.8:
        contacted = answered + timedelta(hours=rng.uniform(1, 46))
    elif draw < 0.92:
        contacted = answered + timedelta(hours=rng.uniform(50, 120))
    else:
        contacted = None
    if contacted is None:
        outcome, status = "no_answer", "unreachable"
        closed = answered + timedelta(hours=rng.uniform(60, 160))
    else:
        outcome = rng.choice(OUTCOMES[:3])
        status = "resolved"
        closed = contacted + timedelta(hours=rng.uniform(0, 24))
    case.update(
        status=status,
        contacted_at=contacted,
        closed_at=closed,
        outcome_code=outcome,
        notes=NOTES[outcome],
    )
    return case
