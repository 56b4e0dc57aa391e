"""The bodies of the shared test factories: survey answers, cases, the worked example, paid runs, recognition.

Imported by tests/conftest.py, which hands each one to the tests as a fixture (and by the access table's path
builders in tests/access/, which get no fixtures); test modules ask for the fixtures, they do not import this.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import subprocess
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import zip_longest
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from app.auth.models import User
from app.core import clock
from app.dbtypes import utcnow
from app.extensions import db
from app.feedback.cases import FOLLOW_UP_DELAY
from app.feedback.models import FollowUpCase, ResponseContact, SurveyResponse
from app.feedback.survey_rows import ALL_COLUMNS
from app.incentives import runs
from app.incentives.models import BonusRun
from app.incentives.scheme_format import read_document
from app.incentives.schemes import save_document
from app.org.models import Assignment, Employee, Store
from app.periods import local_date
from app.pulse.services import Wording, answer, create_survey, surveyed_store
from app.recognition import points
from app.recognition.awards import award_points
from app.recognition.badges import save_badge
from app.recognition.budgets import set_budget
from app.recognition.catalogue import save_reward
from app.recognition.models import Award, Badge, PointsEntry, Reward
from app.recognition.settings import load_settings, save_settings

EXAMPLE_SCHEME = Path(__file__).parents[1] / "examples" / "schemes" / "store-nps-csat.json"
INTERESSEMENT_SCHEME = Path(__file__).parents[1] / "examples" / "schemes" / "interessement-nps.json"
TZ = "Europe/Paris"
CUSTOMER_NAME = "Jeanne Clientèle"
CUSTOMER_CONTACT = "jeanne.clientele@example.org"
SPACES = re.compile(r"[\u00a0\u202f ]+")

_external_ids = itertools.count(1)


def _external_id(prefix: str) -> str:
    return f"{prefix}-{next(_external_ids)}"


# --- survey answers and follow-up cases --------------------------------------------------------------------


def survey_row(external_id: str, store: str = "A1", **cells: str) -> dict[str, str]:
    """The cells of one survey file row: a promoter of store A1 on 15 June 2026, unless `cells` say otherwise."""
    values = dict.fromkeys(ALL_COLUMNS, "")
    values.update(
        external_id=external_id, store_code=store, answered_at="2026-06-15T10:00:00", channel="email", nps="9"
    )
    values.update(cells)
    return values


def write_survey_csv(
    path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = ALL_COLUMNS, encoding: str = "utf-8"
) -> Path:
    """Write survey rows as a CSV file with a header of `columns`."""
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for values in rows:
            writer.writerow([values.get(c, "") for c in columns])
    return path


def add_month_responses(store: Store, month: int, nps: list[int], csat: list[int], year: int = 2026) -> None:
    """Store answers for a month of 2026 in one bulk insert (NPS and CSAT on separate answers)."""
    rows = []
    for index, score in enumerate(nps + [None] * len(csat)):
        csat_score = csat[index - len(nps)] if index >= len(nps) else None
        day = date(year, month, 1 + index % 28)
        rows.append(
            {
                "source": "test",
                "external_id": f"{store.code}-{year}{month:02d}-{index}",
                "store_id": store.id,
                "answered_at": datetime(year, month, day.day, 10, tzinfo=UTC),
                "local_date": day,
                "local_month": year * 100 + month,
                "channel": "email",
                "nps": score,
                "csat": csat_score,
                "contact_consent": False,
                "excluded": False,
            }
        )
    db.session.execute(sa.insert(SurveyResponse), rows)
    db.session.commit()


def add_responses(
    store: Store,
    when: datetime | str = "2026-08-14T10:00:00+00:00",
    *,
    nps=(),
    csat=(),
    ces=(),
    excluded: bool = False,
) -> list[int]:
    """Insert responses answered at `when` (one per score position; nps[i], csat[i], ces[i] share a response)."""
    moment = datetime.fromisoformat(when) if isinstance(when, str) else when
    day = local_date(moment, TZ)
    rows = []
    for n, c, e in zip_longest(nps, csat, ces):
        rows.append(
            {
                "source": "test",
                "external_id": _external_id("r"),
                "store_id": store.id,
                "answered_at": moment,
                "local_date": day,
                "local_month": day.year * 100 + day.month,
                "channel": "email",
                "nps": n,
                "csat": c,
                "ces": e,
                "contact_consent": False,
                "excluded": excluded,
            }
        )
    db.session.execute(sa.insert(SurveyResponse), rows)
    db.session.commit()
    return list(
        db.session.scalars(
            sa.select(SurveyResponse.id).where(SurveyResponse.external_id.in_([r["external_id"] for r in rows]))
        )
    )


def add_worked_answers(store: Store) -> None:
    """Store S1, 2026-Q3: 66 promoters, 30 passives, 24 detractors; 69 of 80 CSAT answers are 4 or 5."""
    nps = [10] * 40 + [9] * 26 + [8] * 20 + [7] * 10 + [6] * 12 + [3] * 12
    csat = [5] * 50 + [4] * 19 + [3] * 6 + [1] * 5
    add_responses(store, "2026-07-05T09:00:00+00:00", nps=nps[:60], csat=csat[:40])
    add_responses(store, "2026-09-20T16:00:00+00:00", nps=nps[60:], csat=csat[40:], ces=[6, 7, 5, 2])


def add_response(
    store: Store,
    *,
    nps: int | None = 2,
    csat: int | None = None,
    consent: bool = True,
    answered_at: datetime | None = None,
    comment: str | None = "Waited twenty minutes at the till.",
    employee: Employee | None = None,
    name: str | None = CUSTOMER_NAME,
    contact: str | None = CUSTOMER_CONTACT,
    excluded: bool = False,
    reason: str | None = None,
) -> SurveyResponse:
    """Store a response as the import would (local date and month fixed), with the contact if consented."""
    answered_at = answered_at or utcnow() - timedelta(hours=1)
    day = local_date(answered_at, TZ)
    response = SurveyResponse(
        source="test",
        external_id=_external_id("ext"),
        store_id=store.id,
        answered_at=answered_at,
        local_date=day,
        local_month=day.year * 100 + day.month,
        channel="email",
        nps=nps,
        csat=csat,
        comment=comment,
        employee_id=employee.id if employee else None,
        contact_consent=consent,
        excluded=excluded,
        excluded_reason=reason,
    )
    if consent and (name or contact):
        response.contact = ResponseContact(
            customer_name=name, customer_contact=contact, purge_after=day + timedelta(days=90)
        )
    db.session.add(response)
    db.session.commit()
    return response


def add_case(
    response: SurveyResponse,
    *,
    assignee: Employee | None = None,
    status: str = "open",
    due_at: datetime | None = None,
) -> FollowUpCase:
    case = FollowUpCase(
        response_id=response.id,
        store_id=response.store_id,
        status=status,
        due_at=due_at or response.answered_at + FOLLOW_UP_DELAY,
        assignee_id=assignee.id if assignee else None,
    )
    db.session.add(case)
    db.session.commit()
    return case


# --- pages -----------------------------------------------------------------------------------------------------


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """Read the CSRF token a page hands out."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None, page: str = "/"):
    """POST a form with the CSRF token of a page the user may open (their home page unless told)."""
    return client.post(path, data={"csrf_token": csrf_token(client, page), **(data or {})})


def text(response) -> str:
    """The page, with Babel's no-break spaces as plain ones (the default locale is French: 290,63 €)."""
    return response.get_data(as_text=True).replace("\u00a0", " ").replace("\u202f", " ")


def pdf_text(content: bytes) -> str:
    """The PDF's text as pdftotext reads it, with every kind of space folded into one plain space."""
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True)
    return SPACES.sub(" ", result.stdout.decode("utf-8"))


# --- the worked example: a scheme, its store and employees, runs ------------------------------------------------


def example_data() -> dict[str, Any]:
    return json.loads(EXAMPLE_SCHEME.read_text(encoding="utf-8"))


def import_example(data: dict[str, Any] | None = None):
    version, _outcome = save_document(read_document(data or example_data()))
    db.session.commit()
    return version


@dataclass
class Worked:
    """Store S1 (West) with the worked example's answers in 2026-Q3, W1 all quarter, H1 from 1 August."""

    store: Any
    whole: Any
    hired: Any
    users: dict[str, Any]


def worked_example(make_store, make_employee, make_user, *, with_scheme: bool = True) -> Worked:
    s1 = make_store("S1", region="West")
    add_month_responses(s1, 7, [9] * 66 + [8] * 30 + [3] * 24, [5] * 69 + [2] * 11)
    whole = make_employee(
        s1, number="W1", annual_base_salary=Decimal("30000.00"), hire_date=date(2020, 1, 1), language="fr"
    )
    hired = make_employee(
        s1, number="H1", annual_base_salary=Decimal("30000.00"), hire_date=date(2026, 8, 1), language="en"
    )
    users = {
        "hr1": make_user("hr1@test.example", "hr"),
        "hr2": make_user("hr2@test.example", "hr"),
        "w1": make_user("w1@test.example", "employee", employee=whole),
        "h1": make_user("h1@test.example", "employee", employee=hired),
    }
    if with_scheme:
        import_example()
    return Worked(s1, whole, hired, users)


def make_run(runner, status: str) -> BonusRun:
    """The worked example's run of 2026-Q3, created through the CLI, computed, and taken to `status`."""
    created = runner.invoke(args=["runs", "create", "--scheme", "STORE-NPS-CSAT", "--period", "2026-Q3"])
    assert created.exit_code == 0, created.output
    run = db.session.get(BonusRun, int(created.output.strip().splitlines()[-1]))
    runs.compute(run)
    db.session.commit()
    if status in ("submitted", "approved"):
        runs.submit(run, runs.user_by_email("hr1@test.example"))
        db.session.commit()
    if status == "approved":
        runs.approve(run, runs.user_by_email("hr2@test.example"))
        db.session.commit()
    return run


def paid_world(make_store, make_employee, make_user, runner) -> dict:
    """The worked example (S1, 2026-Q3): W1 the whole quarter (fr), H1 hired 1 August (en), M1 moving from S1 to S2
    on 17 August; S2 has the same answers. Users: HR pair, W1 and H1 as employees, S2's manager, payroll."""
    s1 = make_store("S1", region="West", name="Lyon Part-Dieu")
    s2 = make_store("S2", region="West", name="Lyon Confluence")
    for store in (s1, s2):
        add_month_responses(store, 7, [9] * 66 + [8] * 30 + [3] * 24, [5] * 69 + [2] * 11)
    whole = make_employee(
        s1, number="W1", first_name="Wanda", last_name="Whole", language="fr", hire_date=date(2020, 1, 1)
    )
    hired = make_employee(
        s1, number="H1", first_name="Hugo", last_name="Hired", language="en", hire_date=date(2026, 8, 1)
    )
    mover = make_employee(
        s1, number="M1", first_name="Mia", last_name="Mover", language="fr", hire_date=date(2020, 1, 1)
    )
    mover.assignments[0].end_date = date(2026, 8, 16)
    mover.assignments.append(Assignment(store=s2, start_date=date(2026, 8, 17)))
    boss = make_employee(s2, number="B2", job_role="store_manager", manages=[s2], hire_date=date(2026, 10, 1))
    db.session.commit()
    users = {
        "hr1": make_user("hr1@test.example", "hr"),
        "hr2": make_user("hr2@test.example", "hr"),
        "whole": make_user("whole@test.example", "employee", employee=whole),
        "hired": make_user("hired@test.example", "employee", employee=hired),
        "boss": make_user("boss@test.example", "manager", "employee", employee=boss),
        "payroll": make_user("pay@test.example", "payroll"),
    }
    assert runner.invoke(args=["schemes", "import", str(EXAMPLE_SCHEME)]).exit_code == 0
    return {"s1": s1, "s2": s2, "whole": whole, "hired": hired, "mover": mover, "users": users}


def interessement_world(make_store, make_employee, make_user, runner, tmp_path: Path) -> dict:
    """The second worked example (docs/interessement-example.md), 2026-Q3: S1 NPS 35.0, S2 60.0, S3 20.0; E02 on
    maternity leave (it counts as presence), E03 hired too recently, E06 left on 3 July; gross pay imported; the
    scheme INT-NPS. Users: the HR pair, payroll, and Chloé (E04) as an employee."""
    stores = {
        "S1": make_store("S1", region="Nord", name="Lille Centre"),
        "S2": make_store("S2", region="Nord", name="Lille Europe"),
        "S3": make_store("S3", region="Nord", name="Roubaix"),
    }
    answers = {"S1": (66, 30, 24), "S2": (100, 40, 10), "S3": (36, 36, 18)}
    for code, (promoters, passives, detractors) in answers.items():
        add_month_responses(stores[code], 8, [10] * promoters + [7] * passives + [2] * detractors, [])
    people = [
        ("E01", "S1", "Alice", "Martin", date(2020, 1, 6), None, "fr", "7500.00"),
        ("E02", "S1", "Béatrice", "Durand", date(2019, 3, 1), None, "fr", "2600.00"),
        ("E03", "S1", "Hugo", "Petit", date(2026, 7, 15), None, "fr", "4100.00"),
        ("E04", "S2", "Chloé", "Bernard", date(2018, 1, 8), None, "en", "9000.00"),
        ("E05", "S2", "David", "Roux", date(2021, 1, 4), None, "fr", "6000.00"),
        ("E06", "S2", "Léo", "Fournier", date(2022, 1, 3), date(2026, 7, 3), "fr", "650.00"),
        ("E07", "S3", "Emma", "Girard", date(2020, 1, 6), None, "fr", "7200.00"),
    ]
    employees = {}
    for number, store, first, last, hired, left, language, _gross in people:
        employees[number] = make_employee(
            stores[store],
            number=number,
            first_name=first,
            last_name=last,
            hire_date=hired,
            exit_date=left,
            language=language,
        )
    pay = tmp_path / "gross-pay.csv"
    pay.write_text(
        "employee_number,period,gross_pay\n" + "".join(f"{p[0]},2026-Q3,{p[7]}\n" for p in people), encoding="utf-8"
    )
    imported = runner.invoke(args=["interessement", "import-gross-pay", str(pay)])
    assert imported.exit_code == 0, imported.output
    assert runner.invoke(args=["schemes", "import", str(INTERESSEMENT_SCHEME)]).exit_code == 0
    users = {
        "hr1": make_user("hr1@test.example", "hr"),
        "hr2": make_user("hr2@test.example", "hr"),
        "payroll": make_user("pay@test.example", "payroll"),
        "chloe": make_user("chloe@test.example", "employee", employee=employees["E04"]),
    }
    return {"stores": stores, "employees": employees, "users": users, "gross_pay_file": pay}


# --- recognition ------------------------------------------------------------------------------------------------


def month(day: date | None = None) -> str:
    """A month label ("2026-07"), this month's by default."""
    day = day or clock.today()
    return f"{day.year:04d}-{day.month:02d}"


def give_budget(manager: Employee, points_: int, on: date | None = None, rollover: bool = False) -> None:
    set_budget(manager, month(on), points_, rollover)
    db.session.commit()


def make_reward(**fields: Any) -> Reward:
    values: dict[str, Any] = {"name": "Cinema ticket", "kind": "gift_card", "cost": 100, "icon": "card.svg"}
    values.update(fields)
    reward = save_reward(None, **values)
    db.session.commit()
    return reward


def make_badge(code: str = "thanks", rule: str | None = None, points_: int | None = None, **fields: Any) -> Badge:
    values: dict[str, Any] = {"name": code.title(), "icon": "star.svg", "criteria": "", "description": ""}
    values.update(fields)
    badge = save_badge(None, code=code, rule=rule, points_given=points_, **values)
    db.session.commit()
    return badge


def give(
    manager: User,
    employee: Employee,
    points_: int,
    on: date | None = None,
    message: str = "Great work with the customers today",
    **kwargs: Any,
) -> Award:
    award = award_points(manager, employee, points_, message, on=on or clock.today(), **kwargs)
    db.session.commit()
    return award


def credit(employee: Employee, points_: int, on: date) -> PointsEntry:
    """Credit points directly (an opening balance), bypassing budgets."""
    entry = points.earn(employee.id, points_, on, note="test credit")
    db.session.commit()
    return entry


def set_settings(**changes: Any) -> None:
    save_settings(replace(load_settings(), **changes))
    db.session.commit()


def add_answer(
    store: Store,
    *,
    nps: int | None = 10,
    comment: str | None = "Lovely welcome and precise advice.",
    employee: Employee | None = None,
    day: date | None = None,
    excluded: bool = False,
) -> SurveyResponse:
    """A response with a comment answered on `day` (today by default): a promoter's compliment unless told."""
    day = day or clock.today()
    response = SurveyResponse(
        source="test",
        external_id=_external_id("rec"),
        store_id=store.id,
        answered_at=datetime.combine(day, time(10), tzinfo=UTC),
        local_date=day,
        local_month=day.year * 100 + day.month,
        channel="email",
        nps=nps,
        comment=comment,
        employee_id=employee.id if employee else None,
        excluded=excluded,
    )
    db.session.add(response)
    db.session.commit()
    return response


def bulk_responses(store: Store, day: date, scores: list[int]) -> None:
    """Insert many responses at once (Core insert), for NPS figures."""
    rows = [
        {
            "source": "bulk",
            "external_id": _external_id("bulk"),
            "store_id": store.id,
            "answered_at": datetime.combine(day, time(12), tzinfo=UTC),
            "local_date": day,
            "local_month": day.year * 100 + day.month,
            "channel": "email",
            "nps": score,
            "contact_consent": False,
            "excluded": False,
        }
        for score in scores
    ]
    db.session.execute(sa.insert(SurveyResponse), rows)
    db.session.commit()


def resolved_case(store: Store, closed_on: date, assignee: Employee | None = None) -> FollowUpCase:
    response = add_answer(store, nps=2, comment="Long wait", day=closed_on)
    closed_at = datetime.combine(closed_on, time(12), tzinfo=UTC)
    case = FollowUpCase(
        response_id=response.id,
        store_id=store.id,
        status="resolved",
        due_at=closed_at + timedelta(hours=48),
        assignee_id=assignee.id if assignee else None,
        closed_at=closed_at,
        outcome_code="apology",
    )
    db.session.add(case)
    db.session.commit()
    return case


def entries(employee: Employee) -> list[PointsEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(PointsEntry).where(PointsEntry.employee_id == employee.id).order_by(PointsEntry.id)
        )
    )


def balance(employee: Employee, as_of: date | None = None) -> int:
    db.session.expire_all()
    return points.summary_of(db.session.get(Employee, employee.id), as_of).balance


# --- pulse surveys ------------------------------------------------------------------------------------------------


def make_pulse(stores: list[Store] | None = None, period: str = "2026-Q3", name: str = "Pulse", items=()) -> Any:
    """An open pulse survey of the stores given (all of them when None)."""
    survey = create_survey(name, period, [s.code for s in stores or []], items=[Wording(f"{q} (fr)", q) for q in items])
    db.session.commit()
    return survey


def add_pulse_answers(survey: Any, store: Store, scores: list[int], items: dict[str, int] | None = None) -> None:
    """Anonymous answers of one store (as its printed code gives them), one per eNPS score."""
    surveyed = surveyed_store(survey, store)
    assert surveyed is not None, f"{store.code} is not in the survey"
    for score in scores:
        answer(survey, surveyed, score, dict(items or {}))
    db.session.commit()
