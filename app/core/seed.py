"""`flask seed-demo`: a small, realistic company to try Primo with (run once; a second run does nothing)."""

from __future__ import annotations

import random
from datetime import date

import click
from flask import g
from flask.cli import with_appcontext

from app.absences.demo import seed_absences
from app.auth.services import create_user, find_user
from app.core import clock
from app.core.tabular import Table
from app.extensions import db
from app.feedback.demo import seed_feedback
from app.feedback.demo_fairplay import seed_fairplay
from app.incentives.demo import seed_incentives
from app.notify.demo import STAFF, seed_notifications
from app.org import services
from app.org.services import EMPLOYEE_COLUMNS
from app.pulse.demo import seed_pulse
from app.recognition.demo import seed_recognition

DEMO_PASSWORD = "primo-demo"
REGIONS = {
    "Île-de-France": ["Paris Rivoli", "Paris Bastille", "Boulogne", "Versailles"],
    "Auvergne-Rhône-Alpes": ["Lyon Part-Dieu", "Lyon Confluence", "Grenoble", "Annecy"],
    "Provence-Alpes-Côte d'Azur": ["Marseille Prado", "Nice Masséna", "Toulon", "Aix-en-Provence"],
}
FIRST_NAMES = (
    "Camille Léa Manon Chloé Inès Jade Louise Emma Alice Lina Sarah Zoé Julie Anaïs Clara Hugo Lucas Louis "
    "Gabriel Arthur Jules Adam Nathan Léo Raphaël Tom Théo Noah Ethan Paul Yanis Mehdi Karim Sofia Amira Nour"
).split()
LAST_NAMES = (
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre Michel "
    "Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre Mercier Dupont Lambert Bonnet "
    "François Martinez Legrand Garnier Faure Rousseau Blanc Guerin Muller Henry Roussel Nicolas Perrin Morin"
).split()


def _store_rows() -> Table:
    rows = []
    number = 2
    for index, (region, names) in enumerate(REGIONS.items()):
        for position, name in enumerate(names):
            code = f"S{index * 4 + position + 1:02d}"
            opened = date(2015 + position, 3 + index, 1).isoformat()
            rows.append((number, {"store_code": code, "name": name, "region": region, "opened_on": opened}))
            number += 1
    return Table(columns=["store_code", "name", "region", "opened_on"], rows=rows)


def _employee_rows(rng: random.Random) -> list[dict[str, str]]:
    people: list[dict[str, str]] = []
    counter = 1

    def add(**fields: str) -> dict[str, str]:
        nonlocal counter
        first = fields.pop("first_name", rng.choice(FIRST_NAMES))
        last = fields.pop("last_name", rng.choice(LAST_NAMES))
        number = f"E{counter:04d}"
        row = {
            "employee_number": number,
            "payroll_id": f"PAY-{100000 + counter}",
            "first_name": first,
            "last_name": last,
            "email": "",
            "job_role": "sales_associate",
            "store_code": "S01",
            "store_since": "",
            "hire_date": date(2016 + rng.randrange(9), 1 + rng.randrange(12), 1 + rng.randrange(28)).isoformat(),
            "exit_date": "",
            "fte": "1",
            "annual_base_salary": f"{rng.randrange(2350000, 3100000, 500) / 100:.2f}",
            "cost_center": "",
            "language": "fr" if rng.random() < 0.85 else "en",
            "manages": "",
        }
        row.update(fields)
        row["cost_center"] = row["cost_center"] or f"CC-{row['store_code']}"
        counter += 1
        people.append(row)
        return row

    for index, region in enumerate(REGIONS):
        first_store = f"S{index * 4 + 1:02d}"
        add(
            job_role="regional_manager",
            store_code=first_store,
            annual_base_salary="62000.00",
            cost_center=f"CC-R{index + 1}",
            manages=region,
            **(
                {"first_name": "Claire", "last_name": "Fontaine", "email": "regional@example.com", "language": "fr"}
                if index == 0
                else {}
            ),
        )
    for store in range(1, 13):
        code = f"S{store:02d}"
        add(
            job_role="store_manager",
            store_code=code,
            annual_base_salary="42000.00",
            manages=code,
            **({"first_name": "Marc", "last_name": "Lemaire", "email": "manager@example.com"} if store == 1 else {}),
        )
        staff = 10 + (store * 7) % 5
        for position in range(staff):
            role = "sales_associate" if position % 6 else rng.choice(["customer_service", "logistics"])
            extra: dict[str, str] = {}
            if store == 1 and position == 0:
                extra = {
                    "first_name": "Sophie",
                    "last_name": "Durand",
                    "email": "employee@example.com",
                    "annual_base_salary": "30000.00",
                    "hire_date": "2021-03-15",
                }
            if store == 1 and position == 1:  # the part-timer: salary as paid already reflects the 60 %
                extra = {"fte": "0.6", "annual_base_salary": "16200.00", "first_name": "Paul", "last_name": "Morel"}
            if store == 2 and position == 0:  # the mid-period hire
                extra = {"hire_date": "2026-08-01", "first_name": "Inès", "last_name": "Garnier"}
            add(job_role=role, store_code=code, **extra)
    return people


def _table(people: list[dict[str, str]]) -> Table:
    return Table(columns=list(EMPLOYEE_COLUMNS), rows=[(i + 2, dict(p)) for i, p in enumerate(people)])


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Create a demo company (3 regions, 12 stores, ~150 employees) and six demo users, once."""
    if find_user("hr@example.com") is not None:
        click.echo("Demo data already present; nothing to do.")
        return
    g.primo_actor_label = "seed-demo"
    rng = random.Random(20260701)
    services.apply_stores(services.plan_stores(_store_rows()))
    people = _employee_rows(rng)
    services.apply_employees(services.plan_employees(_table(people)))
    # The transfer: one associate of S03 moves to S04 in the middle of the third quarter.
    mover = next(p for p in people if p["store_code"] == "S03" and p["job_role"] == "sales_associate")
    mover.update(store_code="S04", store_since="2026-08-17", first_name="Lucas", last_name="Transfert")
    services.apply_employees(services.plan_employees(_table(people)))
    by_email = {p["email"]: p["employee_number"] for p in people if p["email"]}
    # A store account for an associate of S01 whose record has no e-mail: their notices wait on the home page.
    staff = next(
        p["employee_number"]
        for p in people
        if p["store_code"] == "S01" and p["job_role"] == "sales_associate" and not p["email"]
    )
    accounts = [
        ("hr@example.com", ["hr"], None),
        ("hr2@example.com", ["hr"], None),
        ("manager@example.com", ["manager", "employee"], by_email["manager@example.com"]),
        ("regional@example.com", ["manager", "employee"], by_email["regional@example.com"]),
        ("employee@example.com", ["employee"], by_email["employee@example.com"]),
        ("payroll@example.com", ["payroll"], None),
        (STAFF, ["employee"], staff),
    ]
    for email, roles, number in accounts:
        create_user(email, roles, password=DEMO_PASSWORD, employee_number=number)
    # Before the runs, so that they count them: the demo employee, the part-timer, then staff of S02 and S05.
    absent = [by_email["employee@example.com"], next(p["employee_number"] for p in people if p["fte"] == "0.6")]
    absent += [p["employee_number"] for p in people if p["store_code"] in ("S02", "S05") and not p["manages"]][1:5]
    absences = seed_absences(absent, clock.today())
    feedback = seed_feedback(rng, clock.today())
    fairplay = seed_fairplay(rng, clock.today())
    incentives = seed_incentives(clock.today())
    recognition = seed_recognition(rng, clock.today())
    # employee@example.com is left to answer this quarter's pulse themselves.
    sophie = find_user("employee@example.com")
    pulse = seed_pulse(rng, clock.today(), keep_free=sophie.employee if sophie else None)
    notices = seed_notifications(clock.today())
    db.session.commit()
    click.echo(f"Demo company created: 3 regions, 12 stores, {len(people)} employees.")
    click.echo(
        f"Demo feedback: {feedback['responses']} survey responses over 24 months, {feedback['cases']} follow-up cases."
    )
    click.echo(f"Demo flags: {fairplay['flags']} anomaly flag(s), among them a burst of perfect scores at S01.")
    click.echo(
        f"Demo bonuses: approved run {incentives['approved_run']} ({incentives['approved_total']} €), "
        f"draft run {incentives['draft_run']}."
    )
    if "interessement_run" in incentives:
        click.echo(
            f"Demo intéressement: INT-NPS, gross pay imported, approved run {incentives['interessement_run']} "
            f"({incentives['interessement_total']} €); simulate it at /simulation."
        )
    click.echo(f"Demo absences: {absences} (unpaid, sick, maternity, paternity leave and a work accident).")
    click.echo(
        f"Demo recognition: {recognition['awards']} awards, {recognition['redemptions']} redemptions, "
        f"{recognition['badges']} rule badges."
    )
    click.echo(
        f"Demo pulse: last quarter's survey {pulse['survey']} closed (two stores under 5 answers), this quarter's "
        f"open; {pulse['answers']} answers in all."
    )
    click.echo(
        f"Demo notifications: {notices.get('sent', 0)} sent, {notices.get('pending', 0)} pending, "
        f"{notices.get('inapp', 0)} on the home page of {STAFF} (no e-mail address)."
    )
    click.echo(f"Demo users (password {DEMO_PASSWORD}):")
    for email, roles, _number in accounts:
        click.echo(f"  {email:24} {', '.join(roles)}")
