"""Access lines for the core, account, organisation and audit routes."""

from __future__ import annotations

from typing import Any

from app.core.company import managers_read_statements
from tests.access import Case, everyone, fixed, only


def own_employee(world: dict[str, Any], role: str) -> str:
    # The employee's own record; for a manager someone in their team; for HR anyone.
    return f"/employees/{world['employee'].id}"


TABLE: dict[str, Case] = {
    "core.home": Case("GET", fixed("/"), everyone(200)),
    "auth.login": Case("GET", fixed("/login"), everyone(302, anonymous=200)),
    "auth.logout": Case("POST", fixed("/logout"), everyone(400)),  # 400: no CSRF token
    "auth.change_password": Case("GET", fixed("/account/password"), everyone(200)),
    "auth.account": Case("GET", fixed("/account"), everyone(200)),
    "auth.language": Case("POST", fixed("/language"), everyone(400, anonymous=400)),  # 400: no CSRF token
    "auth.reset": Case("GET", fixed("/reset/not-a-token"), everyone(404, anonymous=404)),
    "auth.users": Case("GET", fixed("/users"), only({"hr": 200})),
    "auth.user_detail": Case(
        "GET",
        lambda w, r: f"/users/{w['users']['hr'].id}",
        only({"hr": 200}),
        foreign=lambda w, r: f"/users/{w['users']['employee'].id}",
        expect_foreign=only({"hr": 200}),
    ),
    "auth.user_disable": Case("POST", lambda w, r: f"/users/{w['users']['employee'].id}/disable", only({"hr": 400})),
    "auth.user_enable": Case("POST", lambda w, r: f"/users/{w['users']['employee'].id}/enable", only({"hr": 400})),
    "auth.user_reset_link": Case(
        "POST", lambda w, r: f"/users/{w['users']['employee'].id}/reset-link", only({"hr": 400})
    ),
    "org.stores": Case("GET", fixed("/stores"), only({"hr": 200, "manager": 200})),
    "org.store_detail": Case(
        "GET",
        lambda w, r: f"/stores/{w['north'].id}",
        only({"hr": 200, "manager": 200}),
        foreign=lambda w, r: f"/stores/{w['south'].id}",
        expect_foreign=only({"hr": 200, "manager": 404}),
    ),
    "org.employees": Case("GET", fixed("/employees"), only({"hr": 200, "manager": 200})),
    "org.employee_detail": Case(
        "GET",
        own_employee,
        only({"hr": 200, "manager": 200, "employee": 200}),
        foreign=lambda w, r: f"/employees/{w['stranger'].id}",
        expect_foreign=only({"hr": 200, "manager": 404, "employee": 404}),
    ),
    "org.employees_export": Case("GET", fixed("/employees/export.csv"), only({"hr": 200})),
    "org.import_upload": Case("GET", fixed("/import/employees"), only({"hr": 200})),
    "org.import_confirm": Case("POST", fixed("/import/employees/abc/confirm"), only({"hr": 400})),
    "org.import_template": Case("GET", fixed("/import/employees/template.csv"), only({"hr": 200})),
    "audit.index": Case("GET", fixed("/audit/"), only({"hr": 200})),
    "core.company_settings": Case("GET", fixed("/settings"), only({"hr": 200})),
}

SCENARIOS: dict[str, Case] = {
    # Saved by HR only; it posts the value in force, so the lines after it are walked with the same settings.
    "core.company_settings: save": Case(
        "POST",
        fixed("/settings"),
        only({"hr": 302}),
        form=lambda world, role: {"managers_read_statements": "y"} if managers_read_statements() else {},
    ),
}
