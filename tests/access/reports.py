"""Access lines for statements, bulk rendering, payroll and HR reports.

The approved run is the one the incentive lines make (`made(world)`): it pays the world's three employees.
An employee reads their own statement, the store manager their team's, payroll and HR everyone's.
"""

from __future__ import annotations

from typing import Any

from tests.access import Case, fixed, only
from tests.access.incentives import made

STATEMENT_ROLES = {"hr": 200, "payroll": 200, "manager": 200, "employee": 200}
STRANGER_ROLES = {"hr": 200, "payroll": 200, "manager": 404, "employee": 404}
RUN_ROLES = {"hr": 200, "payroll": 200, "manager": 200}
POST_ROLES = {"hr": 400, "payroll": 400, "manager": 400}


def run_path(template: str):
    return lambda world, role: template.format(run=made(world)["run"])


def statement_of(who: str, suffix: str = ""):
    def path(world: dict[str, Any], role: str) -> str:
        return f"/runs/{made(world)['run']}/statement/{world[who].id}{suffix}"

    return path


def statement(suffix: str) -> Case:
    return Case(
        "GET",
        statement_of("employee", suffix),
        only(STATEMENT_ROLES),
        foreign=statement_of("stranger", suffix),
        expect_foreign=only(STRANGER_ROLES),
    )


TABLE: dict[str, Case] = {
    "reports.statement_page": statement(""),
    "reports.statement_pdf": statement(".pdf"),
    "reports.statement_xlsx": statement(".xlsx"),
    "reports.my_statements": Case("GET", fixed("/my/statements"), only({"employee": 200, "manager": 200})),
    "reports.run_statements": Case("GET", run_path("/runs/{run}/statements"), only(RUN_ROLES)),
    "reports.run_statements_bulk": Case("POST", run_path("/runs/{run}/statements/bulk"), only(POST_ROLES)),
    "reports.run_statements_store": Case("POST", run_path("/runs/{run}/statements/store"), only({"hr": 400})),
    "reports.run_render_jobs": Case("GET", run_path("/runs/{run}/render-jobs"), only(RUN_ROLES)),
    "reports.render_job_download": Case(
        "GET", fixed("/render-jobs/999999/download"), only({"hr": 404, "payroll": 404, "manager": 404})
    ),
    "reports.payroll_index": Case("GET", fixed("/payroll"), only({"payroll": 200, "hr": 200})),
    "reports.payroll_export": Case("POST", run_path("/payroll/runs/{run}/export"), only({"payroll": 400, "hr": 400})),
    "reports.payroll_benefits": Case("POST", fixed("/payroll/benefits"), only({"payroll": 400, "hr": 400})),
    "reports.reports_index": Case("GET", fixed("/reports"), only({"hr": 200})),
    "reports.report_cost": Case("GET", fixed("/reports/cost"), only({"hr": 200})),
    "reports.report_cost_xlsx": Case("GET", fixed("/reports/cost.xlsx"), only({"hr": 200})),
    "reports.report_distribution": Case("GET", fixed("/reports/distribution"), only({"hr": 200})),
    "reports.report_distribution_xlsx": Case("GET", fixed("/reports/distribution.xlsx"), only({"hr": 200})),
    "reports.report_cost_vs_nps": Case("GET", fixed("/reports/cost-vs-nps"), only({"hr": 200})),
    "reports.report_cost_vs_nps_xlsx": Case("GET", fixed("/reports/cost-vs-nps.xlsx"), only({"hr": 200})),
    "reports.report_recognition": Case("GET", fixed("/reports/recognition"), only({"hr": 200})),
    "reports.report_recognition_xlsx": Case("GET", fixed("/reports/recognition.xlsx"), only({"hr": 200})),
}
