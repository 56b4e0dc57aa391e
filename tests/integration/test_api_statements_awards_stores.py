"""The API's statement downloads, awards in a manager's name, and store upserts: the same rules as the web and the
command line, problems naming the item and field, every change audited."""

from __future__ import annotations

import io

import openpyxl
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.extensions import db
from app.org.models import Store
from app.recognition.models import Award

PROBLEM = "application/problem+json"


# --- statements ---------------------------------------------------------------------------------------------------


def test_an_approved_runs_statement_downloads_as_pdf_and_xlsx(build_worked_example, make_run, api, api_token, pdf_text):
    build_worked_example()
    run = make_run("approved")
    token = api_token("statements:read", hr_email="hr1@test.example")
    pdf = api(token, "GET", f"/api/v1/runs/{run.id}/statements/W1.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "290,63" in pdf_text(pdf.data)  # W1 reads French: the worked example's whole quarter
    assert len(pdf.headers["X-Content-SHA256"]) == 64
    xlsx = api(token, "GET", f"/api/v1/runs/{run.id}/statements/H1.xlsx")
    assert xlsx.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    values = [cell for row in book.active.iter_rows(values_only=True) for cell in row if cell is not None]
    assert any(str(v) in ("192.7", "192.70") for v in values)
    # The copy of record: the same bytes again.
    again = api(token, "GET", f"/api/v1/runs/{run.id}/statements/W1.pdf")
    assert again.data == pdf.data


def test_statements_of_a_run_not_yet_approved_are_not_given(build_worked_example, make_run, api, api_token):
    build_worked_example()
    run = make_run("submitted")
    token = api_token("statements:read", hr_email="hr1@test.example")
    response = api(token, "GET", f"/api/v1/runs/{run.id}/statements/W1.pdf")
    assert response.status_code == 409 and response.mimetype == PROBLEM
    assert "approved" in response.get_json()["detail"]


def test_a_statement_needs_its_scope_and_a_paid_employee(build_worked_example, make_run, api, api_token, make_employee):
    build_worked_example()
    run = make_run("approved")
    assert api(api_token("runs:read"), "GET", f"/api/v1/runs/{run.id}/statements/W1.pdf").status_code == 403
    token = api_token("statements:read")
    assert api(token, "GET", f"/api/v1/runs/{run.id}/statements/NOPE.pdf").status_code == 404
    assert api(token, "GET", f"/api/v1/runs/{run.id + 99}/statements/W1.pdf").status_code == 404
    other = make_employee(db.session.scalar(sa.select(Store).where(Store.code == "S1")), number="X9")
    response = api(token, "GET", f"/api/v1/runs/{run.id}/statements/{other.number}.xlsx")
    assert response.status_code == 404 and response.mimetype == PROBLEM


# --- awards -------------------------------------------------------------------------------------------------------


def _award(world, **overrides):
    return {
        "manager": "manager@test.example",
        "employee_number": world["employee"].number,
        "points": 40,
        "message": "Thank you for the great window display",
    } | overrides


def test_a_token_awards_points_in_the_managers_name_out_of_their_budget(api, api_token, world, give_budget):
    give_budget(world["manager_emp"], 100)
    token = api_token("points:write")
    response = api(token, "POST", "/api/v1/awards", json=_award(world))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["points"] == 40 and body["budget_left"] == 60 and body["manager"] == "manager@test.example"
    award = db.session.get(Award, body["id"])
    assert award.giver_id == world["manager_emp"].id and award.giver_user_id == world["users"]["manager"].id
    actor = db.session.scalar(sa.select(AuditEvent.actor).where(AuditEvent.action == "award.create"))
    assert actor.startswith("api-token:")
    # Named by employee number instead of e-mail: the same manager, the same budget.
    by_number = api(token, "POST", "/api/v1/awards", json=_award(world, manager=world["manager_emp"].number))
    assert by_number.status_code == 201 and by_number.get_json()["budget_left"] == 20


def test_an_award_past_the_budget_is_a_409_and_spends_nothing(api, api_token, world, give_budget):
    give_budget(world["manager_emp"], 30)
    response = api(api_token("points:write"), "POST", "/api/v1/awards", json=_award(world, points=31))
    assert response.status_code == 409 and response.mimetype == PROBLEM
    assert response.get_json()["errors"][0]["field"] == "points"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Award)) == 0


def test_an_award_outside_the_managers_team_or_by_a_non_manager_is_refused(api, api_token, world, give_budget):
    give_budget(world["manager_emp"], 100)
    token = api_token("points:write")
    stranger = api(token, "POST", "/api/v1/awards", json=_award(world, employee_number=world["stranger"].number))
    assert stranger.status_code == 422 and stranger.get_json()["errors"][0]["field"] == "employee"
    themselves = api(token, "POST", "/api/v1/awards", json=_award(world, employee_number=world["manager_emp"].number))
    assert themselves.status_code == 422
    not_manager = api(token, "POST", "/api/v1/awards", json=_award(world, manager="employee@test.example"))
    assert not_manager.status_code == 422
    nobody = api(token, "POST", "/api/v1/awards", json=_award(world, manager="ghost@test.example"))
    assert nobody.status_code == 422 and nobody.get_json()["errors"][0]["field"] == "manager"
    short = api(token, "POST", "/api/v1/awards", json=_award(world, message="thanks"))
    assert short.status_code == 422 and short.get_json()["errors"][0]["field"] == "message"
    assert api(api_token("points:read"), "POST", "/api/v1/awards", json=_award(world)).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Award)) == 0


# --- stores -------------------------------------------------------------------------------------------------------


def test_stores_are_upserted_with_the_import_checks(api, api_token, world):
    token = api_token("stores:write")
    batch = {
        "stores": [
            {"store_code": "C1", "name": "Lyon Part-Dieu", "region": "East", "opened_on": "2024-05-01"},
            {"store_code": "A1", "name": "Renamed", "region": "North", "opened_on": "2020-01-01"},
        ]
    }
    response = api(token, "POST", "/api/v1/stores/bulk", json=batch)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"new": 1, "changed": 1, "unchanged": 0}
    assert db.session.scalar(sa.select(Store.name).where(Store.code == "A1")) == "Renamed"
    assert api(token, "POST", "/api/v1/stores/bulk", json=batch).get_json() == {"new": 0, "changed": 0, "unchanged": 2}
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.actor.like("api-token:%"))).all()
    assert {"store.create", "store.update", "region.create"} <= set(actions)


def test_a_bad_store_rejects_the_whole_batch_naming_item_and_field(api, api_token, world):
    token = api_token("stores:write")
    batch = {
        "stores": [
            {"store_code": "D1", "name": "Fine", "region": "East"},
            {"store_code": "D2", "name": "", "region": "East", "opened_on": "31/02/2024"},
            {"store_code": "D1", "name": "Twice", "region": "East"},
        ]
    }
    response = api(token, "POST", "/api/v1/stores/bulk", json=batch)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    errors = {(e["item"], e["field"]) for e in response.get_json()["errors"]}
    assert {(2, "name"), (2, "opened_on"), (3, "store_code")} <= errors
    assert db.session.scalar(sa.select(Store).where(Store.code == "D1")) is None
    assert api(api_token("stores:read"), "POST", "/api/v1/stores/bulk", json=batch).status_code == 403
