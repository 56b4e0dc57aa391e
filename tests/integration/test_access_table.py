"""Walk every registered URL rule as every kind of user against a hand-written table of expected statuses.

A route added without a line here fails `test_every_route_is_in_the_table`, so nobody ships a route whose
access nobody thought about. Rules that take an id are called with an object of the user's own (or their
team's) and with a stranger's: someone else's object is 404, the wrong role is 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

ROLES = ("anonymous", "employee", "manager", "payroll", "hr")


@dataclass(frozen=True)
class Case:
    method: str
    own: Callable[[dict[str, Any], str], str]
    expect: dict[str, int]
    foreign: Callable[[dict[str, Any], str], str] | None = None
    expect_foreign: dict[str, int] = field(default_factory=dict)


def fixed(path: str) -> Callable[[dict[str, Any], str], str]:
    return lambda world, role: path


def everyone(status: int, anonymous: int = 302) -> dict[str, int]:
    return {"anonymous": anonymous, "employee": status, "manager": status, "payroll": status, "hr": status}


def only(allowed: dict[str, int], anonymous: int = 302) -> dict[str, int]:
    expected = {role: 403 for role in ROLES}
    expected["anonymous"] = anonymous
    expected.update(allowed)
    return expected


def own_employee(world: dict[str, Any], role: str) -> str:
    # The employee's own record; for a manager someone in their team; for others, anyone.
    employee = world["employee"] if role in ("employee", "manager") else world["employee"]
    return f"/employees/{employee.id}"


def own_user(world: dict[str, Any], role: str) -> int:
    return world["users"]["hr"].id


TABLE: dict[str, Case] = {
    "core.home": Case("GET", fixed("/"), everyone(200)),
    "auth.login": Case("GET", fixed("/login"), everyone(302, anonymous=200)),
    "auth.logout": Case("POST", fixed("/logout"), everyone(400)),  # 400: no CSRF token
    "auth.change_password": Case("GET", fixed("/account/password"), everyone(200)),
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
    "audit.index": Case("GET", fixed("/audit/"), only({"hr": 200})),
}


def test_every_route_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert endpoints - TABLE.keys() == set(), "new routes need a line in the access table"
    assert TABLE.keys() - endpoints == set(), "the table names routes that no longer exist"


def _check(client, method: str, path: str, expected: int, role: str) -> None:
    response = client.open(path, method=method)
    assert response.status_code == expected, f"{role} {method} {path}: {response.status_code}, wanted {expected}"
    if role == "anonymous" and expected == 302:
        location = response.headers["Location"]
        assert location.startswith("/login?next="), location


@pytest.mark.parametrize("role", ROLES)
def test_each_route_answers_each_role_as_the_table_says(client_as, world, role):
    client = client_as(role)
    for endpoint, case in TABLE.items():
        _check(client, case.method, case.own(world, role), case.expect[role], role)
        if case.foreign is not None:
            _check(client, case.method, case.foreign(world, role), case.expect_foreign[role], role)
        assert endpoint


def test_api_paths_answer_401_not_a_redirect(client, world):
    response = client.get("/api/anything")
    # No API route exists yet: an unknown API path is a 404 in JSON, never a login page.
    assert response.status_code == 404
    assert response.is_json


def test_anonymous_redirect_keeps_the_query_string(client, world):
    response = client.get("/employees?q=eve")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/employees?q%3Deve"
