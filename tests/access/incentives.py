"""Access lines for the scheme designer, objectives, runs, questions, simulation and "my bonus" pages.

HR runs everything; employees (a store manager is one too) read their own objectives and bonus; a store manager
prints the estimates of their own stores only. Objects are made on first use and kept in the `world` dict: the
example scheme published for 2026-Q3 to everyone, a second publication for store B1 only (someone else's), and an
approved run of 2026-Q3 with a question from the world's employee.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.auth.services import create_user
from app.extensions import db
from app.incentives import objectives, runs
from app.incentives.models import LineQuestion, RunLine
from app.incentives.scheme_format import read_document
from app.incentives.schemes import save_document
from tests.access import Case, fixed, only

EXAMPLE = Path(__file__).parents[2] / "examples" / "schemes" / "store-nps-csat.json"
HR = only({"hr": 200})
HR_POST = only({"hr": 400})  # no CSRF token: refused before anything changes
EMPLOYEES = only({"employee": 200, "manager": 200})
EMPLOYEES_404 = only({"employee": 404, "manager": 404})
EMPLOYEES_POST = only({"employee": 400, "manager": 400})


def made(world: dict[str, Any]) -> dict[str, Any]:
    """The incentive objects the paths need, created once per world."""
    if "_incentives" in world:
        return world["_incentives"]
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    version, _ = save_document(read_document(data))
    everyone = objectives.publish(version, "2026-Q3")
    only_b1 = dict(data, code="B1-ONLY", eligibility=dict(data["eligibility"], stores=["B1"]))
    other, _ = save_document(read_document(only_b1))
    foreign = objectives.publish(other, "2026-Q3")
    run = runs.create_run("STORE-NPS-CSAT", "2026-Q3")
    runs.compute(run)
    hr = world["users"]["hr"]
    second = create_user("hr-second@test.example", ["hr"], password="correct horse battery")
    runs.submit(run, hr)
    runs.approve(run, second)
    line = db.session.scalar(
        sa.select(RunLine).where(RunLine.run_id == run.id, RunLine.employee_id == world["employee"].id)
    )
    question = LineQuestion(run_id=run.id, employee_id=line.employee_id, line_id=line.id, question="Why so little?")
    db.session.add(question)
    db.session.commit()
    world["_incentives"] = {
        "publication": everyone.id,
        "foreign_publication": foreign.id,
        "run": run.id,
        "line": line.id,
        "question": question.id,
    }
    return world["_incentives"]


def path(template: str):
    return lambda world, role: template.format(**made(world), north=world["north"].id, south=world["south"].id)


TABLE: dict[str, Case] = {
    "incentives.schemes": Case("GET", fixed("/schemes"), HR),
    "incentives.scheme_new": Case("GET", fixed("/schemes/new"), HR),
    "incentives.scheme_edit": Case("GET", path("/schemes/STORE-NPS-CSAT/edit"), HR),
    "incentives.curve_preview_fragment": Case("GET", fixed("/schemes/curve-preview?curve_type=linear"), HR),
    "incentives.scheme_detail": Case("GET", path("/schemes/STORE-NPS-CSAT"), HR),
    "incentives.scheme_export": Case("GET", path("/schemes/STORE-NPS-CSAT/export.json"), HR),
    "incentives.scheme_import": Case("GET", fixed("/schemes/import"), HR),
    "incentives.scheme_import_template": Case("GET", fixed("/schemes/import/template.json"), HR),
    "incentives.scheme_publish": Case("POST", path("/schemes/STORE-NPS-CSAT/publish"), HR_POST),
    "incentives.publication_detail": Case("GET", path("/objectives/{publication}"), HR),
    "incentives.my_objectives": Case("GET", fixed("/my/objectives"), EMPLOYEES),
    "incentives.my_objective": Case(
        "GET",
        path("/my/objectives/{publication}"),
        EMPLOYEES,
        foreign=path("/my/objectives/{foreign_publication}"),
        expect_foreign=EMPLOYEES_404,
    ),
    "incentives.my_objective_pdf": Case(
        "GET",
        path("/my/objectives/{publication}.pdf"),
        EMPLOYEES,
        foreign=path("/my/objectives/{foreign_publication}.pdf"),
        expect_foreign=EMPLOYEES_404,
    ),
    "incentives.my_objective_ack": Case("POST", path("/my/objectives/{publication}/ack"), EMPLOYEES_POST),
    "incentives.runs_list": Case("GET", fixed("/runs"), HR),
    "incentives.run_create": Case("POST", fixed("/runs/new"), HR_POST),
    "incentives.run_detail": Case("GET", path("/runs/{run}"), HR),
    "incentives.run_line": Case("GET", path("/runs/{run}/lines/{line}"), HR),
    "incentives.run_compute": Case("POST", path("/runs/{run}/compute"), HR_POST),
    "incentives.run_submit": Case("POST", path("/runs/{run}/submit"), HR_POST),
    "incentives.run_approve": Case("POST", path("/runs/{run}/approve"), HR_POST),
    "incentives.run_reject": Case("POST", path("/runs/{run}/reject"), HR_POST),
    "incentives.run_adjust": Case("POST", path("/runs/{run}/adjust"), HR_POST),
    "incentives.questions_queue": Case("GET", fixed("/questions"), HR),
    "incentives.question_detail": Case("GET", path("/questions/{question}"), HR),
    "incentives.simulation_page": Case("GET", path("/simulation?scheme=STORE-NPS-CSAT:1&period=2026-Q3"), HR),
    "incentives.interessement_page": Case("GET", fixed("/interessement"), HR),
    "incentives.gross_pay_template": Case("GET", fixed("/interessement/gross-pay/template.csv"), HR),
    "incentives.gross_pay_import": Case("POST", fixed("/interessement/gross-pay"), HR_POST),
    "incentives.interessement_settings": Case("POST", fixed("/interessement/settings"), HR_POST),
    "incentives.my_bonus": Case("GET", path("/my/bonus"), EMPLOYEES),
    "incentives.my_bonus_question": Case("POST", path("/my/bonus/lines/{line}/question"), EMPLOYEES_POST),
    # Estimates are amounts: a manager prints them only when the company lets managers read their team's pay.
    "incentives.store_estimate": Case(
        "GET",
        path("/stores/{north}/estimate"),
        only({"hr": 200, "manager": 404}),
        foreign=path("/stores/{south}/estimate"),
        expect_foreign=only({"hr": 200, "manager": 404}),
        managers_read={"manager": 200},
    ),
}
