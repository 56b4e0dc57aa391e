"""Access lines for statements, bulk rendering, payroll and HR reports.

The approved run is the one the incentive lines make (`made(world)`): it pays the world's three employees.
An employee reads their own statement, payroll and HR everyone's; the store manager (of A1) their team's only
when the company lets managers read them (off by default: a 404, as for a stranger's).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.reports.models import RenderJob
from tests.access import Case, Check, fixed, only
from tests.access.incentives import made

STATEMENT_ROLES = {"hr": 200, "payroll": 200, "manager": 404, "employee": 200}
STRANGER_ROLES = {"hr": 200, "payroll": 200, "manager": 404, "employee": 404}
RUN_ROLES = {"hr": 200, "payroll": 200, "manager": 404}
POST_ROLES = {"hr": 400, "payroll": 400, "manager": 400}
MANAGER_READS = {"manager": 200}


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
        managers_read=MANAGER_READS,
    )


# --- the bulk form, filled in -----------------------------------------------------------------------------------


def bulk_form(store: str | None):
    """The bulk form with `store` chosen ("" chosen empty, None left out of the post)."""
    return lambda world, role: {"fmt": "zip"} | ({"store": store} if store is not None else {})


def bulk_jobs_of(world: dict[str, Any], role: str) -> list[RenderJob]:
    """The bulk jobs the role's user asked for, which are then cleared for the next line of the table."""
    email = world["users"][role].email if role in world["users"] else None
    found = list(
        db.session.scalars(
            sa.select(RenderJob)
            .where(RenderJob.kind != "store", RenderJob.requested_by == email)
            .order_by(RenderJob.id)
        )
    )
    db.session.execute(sa.delete(RenderJob).where(RenderJob.kind != "store"))
    db.session.commit()
    return found


def covering(**wanted: list[list[str] | None]) -> Check:
    """A check that the bulk jobs each role queued cover these stores (None: the whole run); a manager's count only
    when managers read their team's statements, and nobody else queues anything."""

    def check(world: dict[str, Any], role: str, managers_read: bool) -> None:
        covered = [job.store_codes for job in bulk_jobs_of(world, role)]
        expected = wanted.get(role, []) if role != "manager" or managers_read else []
        assert covered == expected, f"{role}: jobs cover {covered}, wanted {expected}"

    return check


# No store asked: the whole run for HR and payroll, only the manager's own store (A1) for the manager.
covers_all_they_may_read = covering(hr=[None], payroll=[None], manager=[["A1"]])
covers_own_store = covering(hr=[["A1"]], payroll=[["A1"]], manager=[["A1"]])
covers_foreign_store = covering(hr=[["B1"]], payroll=[["B1"]])


def bulk(store: str | None, leaves: Check, manager_when_allowed: int = 302) -> Case:
    """The bulk form posted with `store`: HR and payroll queue; a manager only when the company lets them."""
    return Case(
        "POST",
        run_path("/runs/{run}/statements/bulk"),
        only({"hr": 302, "payroll": 302, "manager": 404}),
        form=bulk_form(store),
        leaves=leaves,
        managers_read={"manager": manager_when_allowed},
    )


SCENARIOS: dict[str, Case] = {
    "reports.run_statements_bulk: no store chosen": bulk("", covers_all_they_may_read),
    "reports.run_statements_bulk: no store field at all": bulk(None, covers_all_they_may_read),
    "reports.run_statements_bulk: own store": bulk("A1", covers_own_store),
    "reports.run_statements_bulk: someone else's store": bulk("B1", covers_foreign_store, manager_when_allowed=404),
}


TABLE: dict[str, Case] = {
    "reports.statement_page": statement(""),
    "reports.statement_pdf": statement(".pdf"),
    "reports.statement_xlsx": statement(".xlsx"),
    "reports.my_statements": Case("GET", fixed("/my/statements"), only({"employee": 200, "manager": 200})),
    "reports.run_statements": Case(
        "GET", run_path("/runs/{run}/statements"), only(RUN_ROLES), managers_read=MANAGER_READS
    ),
    "reports.run_statements_bulk": Case("POST", run_path("/runs/{run}/statements/bulk"), only(POST_ROLES)),
    "reports.run_statements_store": Case("POST", run_path("/runs/{run}/statements/store"), only({"hr": 400})),
    "reports.run_render_jobs": Case(
        "GET", run_path("/runs/{run}/render-jobs"), only(RUN_ROLES), managers_read=MANAGER_READS
    ),
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
