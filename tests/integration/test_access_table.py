"""Walk every registered URL rule as every kind of user against a hand-written table of expected statuses.

A route added without a line in `tests/access/` fails `test_every_route_is_in_the_table`, so nobody ships a
route whose access nobody thought about. Rules that take an id are called with an object of the user's own
(or their team's) and with a stranger's: someone else's object is 404, the wrong role is 403. Scenarios post
filled-in forms (an empty filter, someone else's store) and check what the request left behind. Everything is
walked with the company settings at their defaults, and again with managers allowed to read their team's pay.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import tests.access
from tests.access import ROLES, Case
from tests.conftest import csrf_token


def full_table(name: str = "TABLE") -> dict[str, Case]:
    table: dict[str, Case] = {}
    for module in pkgutil.iter_modules(tests.access.__path__):
        part = getattr(importlib.import_module(f"tests.access.{module.name}"), name, {})
        overlap = table.keys() & part.keys()
        assert not overlap, f"routes listed twice: {overlap}"
        table.update(part)
    return table


TABLE = full_table()
SCENARIOS = full_table("SCENARIOS")


def test_every_route_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert endpoints - TABLE.keys() == set(), "new routes need a line in the access table"
    assert TABLE.keys() - endpoints == set(), "the table names routes that no longer exist"


def _check(client, case: Case, path: str, expected: int, role: str, world) -> None:
    data = None
    if case.form is not None:
        data = case.form(world, role) | {"csrf_token": csrf_token(client, "/login" if role == "anonymous" else "/")}
    response = client.open(path, method=case.method, data=data)
    assert response.status_code == expected, f"{role} {case.method} {path}: {response.status_code}, wanted {expected}"
    if role == "anonymous" and expected == 302:
        location = response.headers["Location"]
        assert location.startswith("/login?next="), location


def _walk(client, world, role: str, cases: dict[str, Case], managers_read: bool) -> None:
    for name, case in cases.items():
        _check(client, case, case.own(world, role), case.expected(role, managers_read), role, world)
        if case.foreign is not None:
            _check(client, case, case.foreign(world, role), case.expected_foreign(role, managers_read), role, world)
        if case.leaves is not None:
            case.leaves(world, role, managers_read)
        assert name


@pytest.mark.parametrize("role", ROLES)
def test_each_route_answers_each_role_as_the_table_says(client_as, world, role):
    _walk(client_as(role), world, role, TABLE | SCENARIOS, managers_read=False)


@pytest.mark.parametrize("role", ROLES)
def test_routes_that_show_pay_answer_as_the_table_says_when_managers_read_statements(
    client_as, world, role, company_settings
):
    company_settings(managers_read_statements=True)
    changing = {name: case for name, case in TABLE.items() if case.managers_read}
    assert changing, "the table says nothing about the setting"
    changing |= SCENARIOS
    _walk(client_as(role), world, role, changing, managers_read=True)


def test_scenarios_name_routes_that_exist(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {name.partition(":")[0] for name in SCENARIOS} <= endpoints


def test_api_paths_answer_401_not_a_redirect(client, world):
    response = client.get("/api/anything")
    # No API route exists yet: an unknown API path is a 404 in JSON, never a login page.
    assert response.status_code == 404
    assert response.is_json


def test_anonymous_redirect_keeps_the_query_string(client, world):
    response = client.get("/employees?q=eve")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/employees?q%3Deve"
