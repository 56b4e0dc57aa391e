"""Shared set-up for the incentive page tests: the worked example through the database, logged-in clients, POSTs.

The helpers are plain functions (not fixtures) so that each test module builds only what it needs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from app.extensions import db
from app.incentives.scheme_format import read_document
from app.incentives.schemes import save_document
from tests.conftest import login
from tests.integration.test_runs import add_responses

EXAMPLE = Path(__file__).parents[2] / "examples" / "schemes" / "store-nps-csat.json"


def example_data() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def import_example(data: dict[str, Any] | None = None):
    version, _outcome = save_document(read_document(data or example_data()))
    db.session.commit()
    return version


@dataclass
class Worked:
    """Store S1 (West) with the worked example's answers in 2026-Q3, W1 all quarter, H1 from 1 August."""

    store: Any
    whole: Any
    hired: Any
    users: dict[str, Any]


def worked_example(make_store, make_employee, make_user, *, with_scheme: bool = True) -> Worked:
    s1 = make_store("S1", region="West")
    add_responses(s1, 7, [9] * 66 + [8] * 30 + [3] * 24, [5] * 69 + [2] * 11)
    whole = make_employee(
        s1, number="W1", annual_base_salary=Decimal("30000.00"), hire_date=date(2020, 1, 1), language="fr"
    )
    hired = make_employee(
        s1, number="H1", annual_base_salary=Decimal("30000.00"), hire_date=date(2026, 8, 1), language="en"
    )
    users = {
        "hr1": make_user("hr1@test.example", "hr"),
        "hr2": make_user("hr2@test.example", "hr"),
        "w1": make_user("w1@test.example", "employee", employee=whole),
        "h1": make_user("h1@test.example", "employee", employee=hired),
    }
    if with_scheme:
        import_example()
    return Worked(s1, whole, hired, users)


def client_for(app, email: str) -> FlaskClient:
    client = app.test_client()
    response = login(client, email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None, *, from_page: str = "/runs"):
    """POST with a CSRF token taken from a page the user may open."""
    return client.post(path, data={"csrf_token": token(client, from_page), **(data or {})})


def text(response) -> str:
    """The page, with Babel's no-break spaces as plain ones (the default locale is French: 290,63 €)."""
    return response.get_data(as_text=True).replace("\u00a0", " ").replace("\u202f", " ")


def test_the_worked_example_set_up_is_complete(app, make_store, make_employee, make_user):
    worked = worked_example(make_store, make_employee, make_user)
    assert worked.store.code == "S1"
    assert {u.email for u in worked.users.values()} >= {"hr1@test.example", "hr2@test.example"}
