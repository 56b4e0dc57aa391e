"""Access lines for the dashboards, a store's comments and HR's other-KPI pages.

Payroll gets a 403 on the dashboards: it reads approved runs, not customer feedback.
"""

from __future__ import annotations

from tests.access import Case, fixed, only

HR_AND_MANAGER = only({"hr": 200, "manager": 200})
HR_ONLY_MANAGER_404 = only({"hr": 200, "manager": 404})

TABLE: dict[str, Case] = {
    # A manager is sent on to their store's (or region's) dashboard.
    "feedback.dashboard": Case("GET", fixed("/dashboard"), only({"hr": 200, "manager": 302})),
    # The world's manager runs store A1, not a region: every region dashboard is someone else's.
    "feedback.dashboard_region": Case(
        "GET",
        lambda w, r: f"/dashboard/region/{w['north'].region_id}",
        HR_ONLY_MANAGER_404,
        foreign=lambda w, r: f"/dashboard/region/{w['south'].region_id}",
        expect_foreign=HR_ONLY_MANAGER_404,
    ),
    "feedback.dashboard_store": Case(
        "GET",
        lambda w, r: f"/dashboard/store/{w['north'].id}",
        HR_AND_MANAGER,
        foreign=lambda w, r: f"/dashboard/store/{w['south'].id}",
        expect_foreign=HR_ONLY_MANAGER_404,
    ),
    "feedback.store_comments": Case(
        "GET",
        lambda w, r: f"/dashboard/store/{w['north'].id}/comments",
        HR_AND_MANAGER,
        foreign=lambda w, r: f"/dashboard/store/{w['south'].id}/comments",
        expect_foreign=HR_ONLY_MANAGER_404,
    ),
    "feedback.dashboard_settings": Case("POST", fixed("/dashboard/settings"), only({"hr": 400})),
    "feedback.kpi_definitions": Case("GET", fixed("/kpis"), only({"hr": 200})),
    "feedback.kpi_values": Case("GET", fixed("/kpis/values"), only({"hr": 200})),
}
