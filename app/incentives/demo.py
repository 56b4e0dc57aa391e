"""Demo bonus data for `flask seed-demo`: the worked-example scheme, its objectives, an approved run and a draft one;
and the quarterly intéressement scheme (store pools, three sub-pools, the legal caps) with last quarter's gross pay
imported and its run approved, so every employee has an information sheet.

Runs after the demo company, its users and its survey answers exist. The objectives of the previous and the current
quarter are dated two weeks before each quarter began (communicated in time, as the law expects), most of the staff
acknowledged the previous quarter's, the previous quarter's run is submitted by hr@example.com and approved by
hr2@example.com (four eyes), and the current quarter has a computed draft. Flushes only; the command commits.
"""

from __future__ import annotations

import calendar
import json
from datetime import date, datetime, time, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import g

from app.auth.models import User
from app.core import clock
from app.core.tabular import Table
from app.extensions import db
from app.incentives import gross_pay, objectives, runs
from app.incentives.models import BonusRun, LineQuestion, ObjectiveAck, RunLine
from app.incentives.scheme_format import read_document
from app.incentives.schemes import save_document
from app.money import round_half_up
from app.periods import Period

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "schemes" / "store-nps-csat.json"
INTERESSEMENT_EXAMPLE = EXAMPLE.with_name("interessement-nps.json")
SUBMITTER = "hr@example.com"
APPROVER = "hr2@example.com"
ASKER = "employee@example.com"


def _user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def _before(period: Period, days: int) -> datetime:
    zone = clock.zone()
    return datetime.combine(period.start - timedelta(days=days), time(9, 30), zone)


def seed_incentives(today: date) -> dict[str, object]:
    """Add the demo scheme, objectives and runs (once: nothing happens when a run already exists)."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(BonusRun)):
        return {"skipped": True}
    hr, hr2 = _user(SUBMITTER), _user(APPROVER)
    if hr is None or hr2 is None:
        raise RuntimeError("seed the demo company and its users first")
    saved_actor = g.get("primo_actor")
    try:
        g.primo_actor = hr
        data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
        version, _outcome = save_document(read_document(data))
        current = Period.containing(today, "quarter")
        past, upcoming = current.previous(), current.shifted(1)
        publications = {}
        for period, published_at in ((past, _before(past, 14)), (current, _before(current, 14)), (upcoming, None)):
            try:
                publications[period] = objectives.publish(version, str(period), published_at=published_at)
            except objectives.ObjectivesError:
                continue  # outside the scheme's validity
        acknowledged = _acknowledge(publications.get(past))

        approved = runs.create_run(data["code"], str(past))
        runs.compute(approved)
        runs.submit(approved, hr)
        g.primo_actor = hr2
        runs.approve(approved, hr2)
        g.primo_actor = hr
        draft = runs.create_run(data["code"], str(current))
        runs.compute(draft)
        _question(approved)
        shared = _interessement(past, hr, hr2)
        db.session.flush()
        return {
            "interessement_run": shared.id,
            "interessement_total": shared.total,
            "scheme": data["code"],
            "publications": [str(p) for p in publications],
            "acknowledged": acknowledged,
            "approved_run": approved.id,
            "approved_total": approved.total,
            "draft_run": draft.id,
        }
    finally:
        if saved_actor is None:
            g.pop("primo_actor", None)
        else:
            g.primo_actor = saved_actor


def _gross_pay(period: Period) -> Table:
    """Payroll's gross pay of the period for everyone employed in it: the annual salary (already part-time where it
    is) pro-rata of the days employed, to the cent."""
    rows = []
    for employee in runs.period_employees(period):
        first, last = max(period.start, employee.hire_date), min(period.end, employee.exit_date or period.end)
        days = (last - first).days + 1
        amount = round_half_up(employee.annual_base_salary * days / (366 if calendar.isleap(period.year) else 365))
        rows.append({"employee_number": employee.number, "period": str(period), "gross_pay": str(amount)})
    rows.sort(key=lambda r: r["employee_number"])
    return Table(columns=list(gross_pay.IMPORT_COLUMNS), rows=[(i + 2, r) for i, r in enumerate(rows)])


def _interessement(period: Period, hr: User, hr2: User) -> BonusRun:
    """The intéressement scheme, the period's gross pay, and its run approved by the HR pair."""
    data = json.loads(INTERESSEMENT_EXAMPLE.read_text(encoding="utf-8"))
    save_document(read_document(data))
    gross_pay.import_gross_pay(_gross_pay(period))
    run = runs.create_run(data["code"], str(period))
    runs.compute(run)
    runs.submit(run, hr)
    g.primo_actor = hr2
    runs.approve(run, hr2)
    g.primo_actor = hr
    return run


def _acknowledge(publication) -> int:
    """Most of the staff read last quarter's objectives within a few days; every third person did not."""
    if publication is None:
        return 0
    employees = objectives.eligible_employees(publication)
    rows = [
        {
            "publication_id": publication.id,
            "employee_id": employee.id,
            "acknowledged_at": publication.published_at + timedelta(days=1 + index % 6, hours=index % 9),
        }
        for index, employee in enumerate(sorted(employees, key=lambda e: e.number))
        if index % 3 != 2
    ]
    if rows:
        db.session.execute(sa.insert(ObjectiveAck), rows)
    return len(rows)


def _question(run: BonusRun) -> None:
    """The demo employee asks about their line, so HR's queue is not empty."""
    asker = _user(ASKER)
    if asker is None or asker.employee_id is None:
        return
    line = db.session.scalar(
        sa.select(RunLine).where(RunLine.run_id == run.id, RunLine.employee_id == asker.employee_id)
    )
    if line is None:
        return
    db.session.add(
        LineQuestion(
            run_id=run.id,
            employee_id=asker.employee_id,
            line_id=line.id,
            question="Bonjour, pourquoi ma part « satisfaction client » n'est-elle pas à 100 % ce trimestre ?",
        )
    )
