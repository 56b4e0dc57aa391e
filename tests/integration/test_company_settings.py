"""The company settings page and what "managers read their team's statements" opens or closes.

Off by default: managers see no individual's pay (statements, the store's bonus estimates, a base salary).
The environment gives the value until HR saves the page, which then decides.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from app.audit.models import AuditEvent
from app.core.company import managers_read_statements
from app.extensions import db
from tests.conftest import csrf_token


@pytest.fixture
def configured(app: Flask) -> Iterator[None]:
    """PRIMO_MANAGERS_READ_STATEMENTS=1 for one test (put back after)."""
    saved = app.config["PRIMO_MANAGERS_READ_STATEMENTS"]
    app.config["PRIMO_MANAGERS_READ_STATEMENTS"] = True
    yield
    app.config["PRIMO_MANAGERS_READ_STATEMENTS"] = saved


def _save(client, **fields: str):
    return client.post("/settings", data={"csrf_token": csrf_token(client, "/settings"), **fields})


def test_managers_read_no_statement_by_default(app):
    assert managers_read_statements() is False


def test_hr_turns_the_setting_on_and_off_and_each_change_is_audited(client_as, world):
    hr = client_as("hr")
    page = hr.get("/settings").get_data(as_text=True)
    assert 'name="managers_read_statements"' in page and "checked" not in page
    assert _save(hr, managers_read_statements="y").status_code == 302
    assert managers_read_statements() is True
    assert "checked" in hr.get("/settings").get_data(as_text=True)
    assert _save(hr).status_code == 302
    assert managers_read_statements() is False
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "company.settings").order_by(AuditEvent.id)
    ).all()
    assert [(e.actor, e.before, e.after) for e in events] == [
        ("hr@test.example", {"managers_read_statements": False}, {"managers_read_statements": True}),
        ("hr@test.example", {"managers_read_statements": True}, {"managers_read_statements": False}),
    ]


def test_the_page_refuses_a_post_without_its_token(client_as, world):
    assert client_as("hr").post("/settings", data={"managers_read_statements": "y"}).status_code == 400
    assert managers_read_statements() is False


def test_the_environment_decides_until_the_page_is_saved(client_as, world, configured):
    assert managers_read_statements() is True
    hr = client_as("hr")
    assert "PRIMO_MANAGERS_READ_STATEMENTS (on)" in hr.get("/settings").get_data(as_text=True)
    _save(hr)  # HR says no: the saved value wins over the environment from now on
    assert managers_read_statements() is False
    assert "PRIMO_MANAGERS_READ_STATEMENTS" not in hr.get("/settings").get_data(as_text=True)


def test_a_manager_sees_a_team_members_salary_only_when_the_company_allows(client_as, world, company_settings):
    manager = client_as("manager")
    path = f"/employees/{world['employee'].id}"
    page = manager.get(path).get_data(as_text=True)
    assert 'data-test="salary"' not in page and "30,000.00" not in page
    own = manager.get(f"/employees/{world['manager_emp'].id}").get_data(as_text=True)
    assert 'data-test="salary"' in own  # their own pay, always
    assert 'data-test="salary"' in client_as("hr").get(path).get_data(as_text=True)
    assert 'data-test="salary"' in client_as("employee").get(path).get_data(as_text=True)
    company_settings(managers_read_statements=True)
    assert 'data-test="salary"' in manager.get(path).get_data(as_text=True)


def test_a_manager_is_offered_the_bonus_estimates_only_when_the_company_allows(client_as, world, company_settings):
    manager = client_as("manager")
    store = f"/stores/{world['north'].id}"
    assert "/estimate" not in manager.get(store).get_data(as_text=True)
    assert manager.get(f"{store}/estimate").status_code == 404
    company_settings(managers_read_statements=True)
    assert "/estimate" in manager.get(store).get_data(as_text=True)
    assert manager.get(f"{store}/estimate").status_code == 200
    assert manager.get(f"/stores/{world['south'].id}/estimate").status_code == 404  # never another team's
