"""Walk every registered URL rule as every kind of user against a hand-written table of expected statuses.

A route added without a line in `tests/access/` fails `test_every_route_is_in_the_table`, so nobody ships a
route whose access nobody thought about. Rules that take an id are called with an object of the user's own
(or their team's) and with a stranger's: someone else's object is 404, the wrong role is 403.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import tests.access
from tests.access import ROLES, Case


def full_table() -> dict[str, Case]:
    table: dict[str, Case] = {}
    for module in pkgutil.iter_modules(tests.access.__path__):
        part = importlib.import_module(f"tests.access.{module.name}").TABLE
        overlap = table.keys() & part.keys()
        assert not overlap, f"routes listed twice: {overlap}"
        table.update(part)
    return table


TABLE = full_table()


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
