"""Access lines for the JSON API and the token page: a person's session never opens an API route (401 for all,
a token is needed), the OpenAPI document and its docs page are public, tokens are HR's."""

from __future__ import annotations

from tests.access import Case, everyone, fixed, only

NEEDS_TOKEN = everyone(401, anonymous=401)

TABLE: dict[str, Case] = {
    "api_docs.openapi_json": Case("GET", fixed("/api/v1/openapi.json"), everyone(200, anonymous=200)),
    "api_docs.docs": Case("GET", fixed("/api/v1/docs"), everyone(200, anonymous=200)),
    "api_v1.list_stores": Case("GET", fixed("/api/v1/stores"), NEEDS_TOKEN),
    "api_v1.get_store": Case("GET", lambda w, r: f"/api/v1/stores/{w['north'].code}", NEEDS_TOKEN),
    "api_v1.list_employees": Case("GET", fixed("/api/v1/employees"), NEEDS_TOKEN),
    "api_v1.get_employee": Case("GET", lambda w, r: f"/api/v1/employees/{w['employee'].number}", NEEDS_TOKEN),
    "api_v1.upsert_employees": Case("POST", fixed("/api/v1/employees/bulk"), NEEDS_TOKEN),
    "api_v1.create_responses": Case("POST", fixed("/api/v1/responses"), NEEDS_TOKEN),
    "api_v1.list_runs": Case("GET", fixed("/api/v1/runs"), NEEDS_TOKEN),
    "api_v1.get_run": Case("GET", fixed("/api/v1/runs/1"), NEEDS_TOKEN),
    "api_v1.list_run_lines": Case("GET", fixed("/api/v1/runs/1/lines"), NEEDS_TOKEN),
    "api_v1.create_run": Case("POST", fixed("/api/v1/runs"), NEEDS_TOKEN),
    "api_v1.compute_run": Case("POST", fixed("/api/v1/runs/1/compute"), NEEDS_TOKEN),
    "api_v1.submit_run": Case("POST", fixed("/api/v1/runs/1/submit"), NEEDS_TOKEN),
    "api_v1.export_payroll": Case("POST", fixed("/api/v1/runs/1/payroll-export"), NEEDS_TOKEN),
    "api_v1.get_points": Case("GET", lambda w, r: f"/api/v1/employees/{w['employee'].number}/points", NEEDS_TOKEN),
    "api_v1.put_kpi_values": Case("POST", fixed("/api/v1/kpi-values"), NEEDS_TOKEN),
    "api_v1.list_schemes": Case("GET", fixed("/api/v1/schemes"), NEEDS_TOKEN),
    "api_v1.upsert_stores": Case("POST", fixed("/api/v1/stores/bulk"), NEEDS_TOKEN),
    "api_v1.create_award": Case("POST", fixed("/api/v1/awards"), NEEDS_TOKEN),
    "api_v1.statement_pdf": Case("GET", fixed("/api/v1/runs/1/statements/N0001.pdf"), NEEDS_TOKEN),
    "api_v1.statement_xlsx": Case("GET", fixed("/api/v1/runs/1/statements/N0001.xlsx"), NEEDS_TOKEN),
    "auth.api_tokens_page": Case("GET", fixed("/settings/api-tokens"), only({"hr": 200})),
    "auth.api_token_revoke": Case("POST", fixed("/settings/api-tokens/999/revoke"), only({"hr": 400})),  # no CSRF
}
