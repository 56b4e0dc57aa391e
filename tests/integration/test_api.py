"""The JSON API (`/api/v1`) through the test client: tokens, scopes, problems, pagination and the resources."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.auth.models import ApiToken
from app.extensions import db
from app.feedback import sources
from app.feedback.models import SurveyResponse
from app.incentives.models import BonusRun
from app.org.models import Employee
from tests.conftest import csrf_token, login

PROBLEM = "application/problem+json"


def _employee_row(number: str, store: str, **overrides: str) -> dict[str, str]:
    row = {
        "employee_number": number,
        "payroll_id": f"P-{number}",
        "first_name": "Ana",
        "last_name": "Lopez",
        "email": f"{number.lower()}@example.com",
        "job_role": "sales_associate",
        "store_code": store,
        "hire_date": "2024-03-01",
        "fte": "0.8",
        "annual_base_salary": "24000.50",
        "language": "fr",
    }
    return row | overrides


def test_openapi_document_is_3_1_and_describes_every_api_route(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0"
    routes = {
        rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api_v1.")
    }
    assert routes == set(spec["paths"])
    problem = spec["components"]["responses"]["NOT_FOUND"]["content"]
    assert list(problem) == [PROBLEM]


def test_docs_page_is_served_from_local_files_only(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/static/api-docs.js" in page
    assert "http://" not in page and "https://" not in page
    assert client.get("/static/api-docs.js").status_code == 200


def test_a_call_without_a_token_is_a_401_problem_even_with_an_hr_session(api, client_as, world):
    hr = client_as("hr")
    response = hr.get("/api/v1/employees")
    assert response.status_code == 401
    assert response.mimetype == PROBLEM
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.get_json()["status"] == 401


def test_a_wrong_revoked_or_expired_token_is_refused(api, api_token, world):
    token = api_token("employees:read")
    assert api(token, "GET", "/api/v1/employees").status_code == 200
    assert api(token[:-2] + "xx", "GET", "/api/v1/employees").status_code == 401
    assert api("primo_000000000000_abc", "GET", "/api/v1/employees").status_code == 401
    row = db.session.scalar(sa.select(ApiToken))
    row.expires_at = row.created_at - timedelta(seconds=1)
    db.session.commit()
    assert api(token, "GET", "/api/v1/employees").status_code == 401


def test_a_token_is_stored_only_as_the_hash_of_its_secret(api_token):
    token = api_token("stores:read")
    row = db.session.scalar(sa.select(ApiToken))
    secret = token.rsplit("_", 1)[1]
    assert secret not in json.dumps([row.prefix, row.secret_sha256, row.name])
    assert len(row.secret_sha256) == 64


def test_a_token_without_the_scope_gets_a_403_problem(api, api_token, world):
    token = api_token("stores:read")
    response = api(token, "GET", "/api/v1/employees")
    assert response.status_code == 403
    assert response.mimetype == PROBLEM
    assert "employees:read" in response.get_json()["detail"]


def test_a_token_stops_working_when_its_creator_leaves_hr(api, api_token, world):
    from app.auth.services import set_roles

    token = api_token("stores:read")
    creator = db.session.scalar(sa.select(ApiToken)).created_by
    set_roles(creator, ["payroll"])
    db.session.commit()
    assert api(token, "GET", "/api/v1/stores").status_code == 401


def test_employees_are_listed_by_cursor_with_money_as_strings(api, api_token, world):
    token = api_token("employees:read")
    first = api(token, "GET", "/api/v1/employees?limit=2").get_json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = api(token, "GET", f"/api/v1/employees?limit=2&cursor={first['next_cursor']}").get_json()
    assert second["next_cursor"] is None
    numbers = [e["employee_number"] for e in first["items"] + second["items"]]
    assert numbers == sorted(numbers) and len(numbers) == 3
    one = first["items"][0]
    assert one["annual_base_salary"] == "30000.00"
    assert one["hire_date"] == "2020-01-01"


def test_a_cursor_the_api_did_not_give_is_a_400(api, api_token, world):
    token = api_token("employees:read")
    for cursor in ("garbage!", "MTIz", "bnVsbA", "ImFcdTAwMDBiIg"):  # not base64, 123, null, "a\x00b"
        response = api(token, "GET", f"/api/v1/employees?cursor={cursor}")
        assert response.status_code == 400, cursor
        assert response.mimetype == PROBLEM


def test_one_employee_and_an_unknown_one(api, api_token, world):
    token = api_token("employees:read")
    number = world["employee"].number
    assert api(token, "GET", f"/api/v1/employees/{number}").get_json()["store_code"] == "A1"
    missing = api(token, "GET", "/api/v1/employees/NOPE")
    assert missing.status_code == 404 and missing.mimetype == PROBLEM


def test_bulk_upsert_creates_and_updates_with_the_import_checks(api, api_token, world):
    token = api_token("employees:write")
    existing = world["employee"].number
    batch = {
        "employees": [
            _employee_row("E100", "A1"),
            _employee_row(
                existing, "A1", payroll_id=world["employee"].payroll_id, first_name="Eva", hire_date="2020-01-01"
            ),
        ]
    }
    response = api(token, "POST", "/api/v1/employees/bulk", json=batch)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"new": 1, "changed": 1, "unchanged": 0}
    created = db.session.scalar(sa.select(Employee).where(Employee.number == "E100"))
    assert str(created.annual_base_salary) == "24000.50"
    events = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.actor.like("api-token:%"))).all()
    assert "employee.create" in events and "employee.update" in events


def test_bulk_upsert_is_all_or_nothing_and_names_the_item_and_field(api, api_token, world):
    token = api_token("employees:write")
    batch = {"employees": [_employee_row("E200", "A1"), _employee_row("E201", "ZZZ", fte="1.5")]}
    response = api(token, "POST", "/api/v1/employees/bulk", json=batch)
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    errors = response.get_json()["errors"]
    assert {(e["item"], e["field"]) for e in errors} >= {(2, "store_code"), (2, "fte")}
    assert db.session.scalar(sa.select(Employee).where(Employee.number == "E200")) is None


def test_a_body_that_does_not_match_the_schema_is_a_422_problem(api, api_token, world):
    token = api_token("employees:write")
    response = api(token, "POST", "/api/v1/employees/bulk", json={"employees": "nope"})
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert "employees" in json.dumps(response.get_json()["errors"])


def test_text_with_a_nul_character_is_a_400_before_any_query(api, api_token, world):
    token = api_token("employees:read", "employees:write")
    assert api(token, "GET", "/api/v1/employees/A%00B").status_code == 400
    audited = db.session.scalar(sa.select(AuditEvent.summary).where(AuditEvent.action == "api.call"))
    assert audited == "GET /api/v1/employees/A\\x00B → 400"
    response = api(token, "POST", "/api/v1/employees/bulk", json={"employees": [_employee_row("E\x00", "A1")]})
    assert response.status_code == 400


def _survey(external_id: str, **overrides: object) -> dict[str, object]:
    return {
        "external_id": external_id,
        "store_code": "A1",
        "answered_at": "2026-10-03T10:00:00+02:00",
        "nps": 9,
    } | overrides


def test_survey_responses_are_stored_once_per_source_and_external_id(api, api_token, world):
    sources.create_source("kiosk", "generic")
    db.session.commit()
    token = api_token("responses:write")
    batch = {"source": "kiosk", "responses": [_survey("r1"), _survey("r2", nps=3, csat=2)]}
    first = api(token, "POST", "/api/v1/responses", json=batch)
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["created"] == 2
    again = api(token, "POST", "/api/v1/responses", json=batch).get_json()
    assert again["created"] == 0 and again["duplicates"] == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 2


def test_a_batch_with_one_bad_response_stores_nothing(api, api_token, world):
    sources.create_source("kiosk", "generic")
    db.session.commit()
    token = api_token("responses:write")
    batch = {"source": "kiosk", "responses": [_survey("r1"), _survey("r2", nps=11)]}
    response = api(token, "POST", "/api/v1/responses", json=batch)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["item"] == 2
    assert response.get_json()["errors"][0]["field"] == "nps"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 0
    unknown = api(token, "POST", "/api/v1/responses", json={"source": "nope", "responses": [_survey("r1")]})
    assert unknown.status_code == 404


def test_a_token_creates_computes_and_submits_a_run_but_cannot_approve_it(api, api_token, build_worked_example):
    build_worked_example()
    token = api_token("runs:read", "runs:write", hr_email="hr1@test.example")
    created = api(token, "POST", "/api/v1/runs", json={"scheme": "STORE-NPS-CSAT", "period": "2026-Q3"})
    assert created.status_code == 201, created.get_json()
    run_id = created.get_json()["id"]
    computed = api(token, "POST", f"/api/v1/runs/{run_id}/compute").get_json()
    assert computed["total"] == str(db.session.get(BonusRun, run_id).total)
    lines = api(token, "GET", f"/api/v1/runs/{run_id}/lines").get_json()["items"]
    assert {line["employee_number"] for line in lines} == {"W1", "H1"}
    assert all(isinstance(line["amount"], str) for line in lines)
    submitted = api(token, "POST", f"/api/v1/runs/{run_id}/submit", json={"comment": "from the HRIS"})
    assert submitted.get_json()["status"] == "submitted"
    assert submitted.get_json()["submitted_by"] == "hr1@test.example"
    again = api(token, "POST", f"/api/v1/runs/{run_id}/submit", json={})
    assert again.status_code == 409 and again.mimetype == PROBLEM
    assert api(token, "POST", f"/api/v1/runs/{run_id}/approve").status_code in (404, 405)
    assert db.session.get(BonusRun, run_id).status == "submitted"


def test_a_run_for_a_bad_period_is_a_422_naming_the_field(api, api_token, build_worked_example):
    build_worked_example()
    token = api_token("runs:write", hr_email="hr1@test.example")
    response = api(token, "POST", "/api/v1/runs", json={"scheme": "STORE-NPS-CSAT", "period": "2026-13"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "period"


def test_payroll_export_of_an_approved_run_gives_the_file_and_marks_it_exported(
    api, api_token, build_worked_example, make_run
):
    build_worked_example()
    draft = make_run("draft")
    token = api_token("payroll:read", "runs:read")
    refused = api(token, "POST", f"/api/v1/runs/{draft.id}/payroll-export")
    assert refused.status_code == 409 and refused.mimetype == PROBLEM
    run = make_run("approved")
    response = api(token, "POST", f"/api/v1/runs/{run.id}/payroll-export?format=xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert sheet.max_row >= 3
    assert api(token, "GET", f"/api/v1/runs/{run.id}").get_json()["status"] == "exported"


def test_every_call_is_audited_and_updates_the_tokens_last_use(api, api_token, world):
    token = api_token("stores:read")
    api(token, "GET", "/api/v1/stores")
    api(token, "GET", "/api/v1/stores/NOPE")
    calls = db.session.scalars(
        sa.select(AuditEvent.summary).where(AuditEvent.action == "api.call").order_by(AuditEvent.id)
    ).all()
    assert calls == ["GET /api/v1/stores → 200", "GET /api/v1/stores/NOPE → 404"]
    assert db.session.scalar(sa.select(ApiToken)).last_used_at is not None


def test_calls_past_the_tokens_rate_limit_get_a_429_problem(app, api, api_token, world, monkeypatch):
    monkeypatch.setitem(app.config, "PRIMO_API_TOKEN_LIMIT", "3 per minute")
    token = api_token("stores:read")
    other = api_token("stores:read")
    statuses = [api(token, "GET", "/api/v1/stores").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = api(token, "GET", "/api/v1/stores")
    assert limited.mimetype == PROBLEM and int(limited.headers["Retry-After"]) >= 1
    assert api(other, "GET", "/api/v1/stores").status_code == 200  # counted per token


def test_hr_creates_a_token_on_the_page_sees_it_once_and_revokes_it(app, client, world, api):
    login(client, world["users"]["hr"].email)
    form = {
        "csrf_token": csrf_token(client, "/settings/api-tokens"),
        "name": "HRIS",
        "scopes": ["employees:read", "stores:read"],
        "expires_on": (date.today() + timedelta(days=90)).isoformat(),
    }
    page = client.post("/settings/api-tokens", data=form).get_data(as_text=True)
    token = page.split('data-test="api-token-secret"')[1].split("<code>")[1].split("</code>")[0]
    assert api(token, "GET", "/api/v1/employees").status_code == 200
    assert token not in client.get("/settings/api-tokens").get_data(as_text=True)
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "HRIS"))
    revoke = client.post(
        f"/settings/api-tokens/{row.id}/revoke", data={"csrf_token": csrf_token(client, "/settings/api-tokens")}
    )
    assert revoke.status_code == 302
    assert api(token, "GET", "/api/v1/employees").status_code == 401
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_type == "api_token")).all()
    assert {"api_token.create", "api_token.revoke"} <= set(actions)


def test_schemes_list_their_versions_for_creating_runs(api, api_token, build_worked_example):
    build_worked_example()
    token = api_token("runs:read")
    schemes = api(token, "GET", "/api/v1/schemes").get_json()["items"]
    assert [s["code"] for s in schemes] == ["STORE-NPS-CSAT"]
    assert schemes[0]["versions"][0]["version"] == 1


def test_points_balance_of_an_employee(api, api_token, world, runner, tmp_path):
    number = world["employee"].number
    opening = tmp_path / "points.csv"
    opening.write_text(f"employee_number,points,earned_on,reason\n{number},120,{date.today().isoformat()},opening\n")
    imported = runner.invoke(args=["points", "import", str(opening)])
    assert imported.exit_code == 0, imported.output
    token = api_token("points:read")
    response = api(token, "GET", f"/api/v1/employees/{number}/points")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["balance"] == 120
    assert response.get_json()["lifetime"] == 120
    assert api(token, "GET", "/api/v1/employees/NOPE/points").status_code == 404


def test_kpi_values_are_stored_all_or_nothing_and_replaced_when_sent_again(api, api_token, world):
    from app.feedback import other_kpis
    from app.feedback.models import KpiValue

    other_kpis.define_kpi("shrink", "Shrinkage", "%", "lower", "mean")
    db.session.commit()
    token = api_token("kpis:write")
    values = [{"kpi_code": "shrink", "store_code": "A1", "period": "2026-10", "value": "1.25"}]
    first = api(token, "POST", "/api/v1/kpi-values", json={"values": values})
    assert first.status_code == 200, first.get_json()
    assert first.get_json() == {"new": 1, "changed": 0, "unchanged": 0}
    again = api(token, "POST", "/api/v1/kpi-values", json={"values": [values[0] | {"value": "1.50"}]})
    assert again.get_json() == {"new": 0, "changed": 1, "unchanged": 0}
    bad = values + [{"kpi_code": "nope", "store_code": "A1", "period": "2026-11", "value": "3"}]
    refused = api(token, "POST", "/api/v1/kpi-values", json={"values": bad})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == [{"item": 2, "field": "kpi_code", "message": "unknown KPI 'nope'"}]
    stored = db.session.scalars(sa.select(KpiValue)).all()
    assert [v.value for v in stored] == [Decimal("1.50")]


def test_a_token_cannot_be_created_already_expired(app, client, world):
    login(client, world["users"]["hr"].email)
    form = {
        "csrf_token": csrf_token(client, "/settings/api-tokens"),
        "name": "Old",
        "scopes": ["stores:read"],
        "expires_on": (date.today() - timedelta(days=1)).isoformat(),
    }
    response = client.post("/settings/api-tokens", data=form)
    assert response.status_code == 400
    assert "a day in the future" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(ApiToken)) is None
