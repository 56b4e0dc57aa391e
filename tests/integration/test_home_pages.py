"""Each role's home page: what needs the user now, only within what they may see, with an empty state for each."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core import clock
from app.dbtypes import utcnow
from app.extensions import db
from tests.conftest import MID_QUARTER, login

pytestmark = pytest.mark.usefixtures("english")


def _section(page: str, role: str) -> str:
    """The part of the home page that belongs to one role (empty when the page has no such section)."""
    match = re.search(rf'<section class="home-role" data-home="{role}">(.*?)\n</section>', page, re.S)
    return match.group(1) if match else ""


def _card(page: str, test: str) -> str:
    match = re.search(rf'<section class="card" data-test="{test}">(.*?)</section>', page, re.S)
    assert match, f"no card {test}"
    return match.group(1)


def _home(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@contextmanager
def _counting_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


@pytest.mark.parametrize(
    ("role", "sections"),
    [
        ("hr", {"hr"}),
        ("payroll", {"payroll"}),
        ("manager", {"manager", "employee"}),
        ("employee", {"employee"}),
    ],
)
def test_each_role_sees_the_sections_of_its_roles_only(client_as, role, sections):
    page = _home(client_as(role))
    shown = {r for r in ("hr", "payroll", "manager", "employee") if _section(page, r)}
    assert shown == sections


def test_every_card_says_nothing_to_do_in_an_empty_company(client_as):
    hr = _home(client_as("hr"))
    for card in ("home-runs", "home-questions", "home-imports", "home-objectives"):
        assert 'data-test="empty"' in _card(hr, card), card
    assert "No survey file imported yet." in hr
    payroll = _home(client_as("payroll"))
    assert "Nothing to do: no approved run waits for export." in payroll
    assert "none" in _card(payroll, "home-benefits")
    manager = _home(client_as("manager"))
    for card in ("home-cases", "home-budget", "home-thank"):
        assert 'data-test="empty"' in _card(manager, card), card
    employee = _home(client_as("employee"))
    for card in ("home-estimate", "home-statement", "home-compliments", "pulse-card"):
        assert 'data-test="empty"' in _card(employee, card), card
    assert 'data-balance="0"' in employee


def test_an_employee_sees_their_own_points_and_store_compliments_never_another_s(client_as, world, credit, add_answer):
    today = clock.today()
    credit(world["employee"], 120, today)
    credit(world["stranger"], 777, today)
    add_answer(world["north"], comment="Eve found the right size at once.", employee=world["employee"])
    add_answer(world["south"], comment="Sam was lovely in the south store.", employee=world["stranger"])

    page = _home(client_as("employee"))
    points = _card(page, "home-points")
    assert 'data-balance="120"' in points and "777" not in page
    assert 'data-expires="' in points  # the points earned today expire one day: the date is named
    assert "Eve found the right size at once." in page
    assert "Sam was lovely" not in page


def test_an_employee_sees_their_last_statement_with_a_link(client_as, paid_world, paid_run):
    client = client_as("anonymous")
    login(client, "whole@test.example")
    card = _card(_home(client), "home-statement")
    assert f"/runs/{paid_run.id}/statement/{paid_world['whole'].id}" in card
    assert "2026-Q3" in card
    assert re.search(r"\d", card)


def test_an_employee_sees_the_estimate_with_their_store_kpis_against_thresholds(
    client_as, paid_world, frozen_time, add_month_responses
):
    frozen_time(MID_QUARTER)
    add_month_responses(paid_world["s1"], 10, [10] * 20 + [3] * 5, [5] * 10)
    client = client_as("anonymous")
    login(client, "whole@test.example")
    card = _card(_home(client), "home-estimate")
    assert 'data-test="estimate-range"' in card and "2026-Q4" in card
    assert 'data-kpi="nps"' in card and "n = 25" in card and "30 · 50 · 70" in card
    assert "réponses nécessaires à ce stade" in card  # 25 answers, under the scheme's minimum: the fallback would apply


def test_a_manager_sees_only_their_stores_trend_cases_and_customers_to_thank(
    client_as, world, add_response, add_case, add_answer, add_month_responses, frozen_time, give_budget
):
    frozen_time(MID_QUARTER)
    add_month_responses(world["north"], 11, [10, 10, 3], [5, 4])
    add_month_responses(world["south"], 11, [0, 0], [1])
    late = utcnow() - timedelta(days=5)
    add_case(add_response(world["north"], answered_at=late), due_at=late + timedelta(hours=48))
    add_case(add_response(world["north"]))
    add_case(add_response(world["south"], answered_at=late), due_at=late + timedelta(hours=48))
    add_answer(world["north"], employee=world["employee"])
    add_answer(world["north"])  # names nobody: nobody to thank
    add_answer(world["south"], employee=world["stranger"])
    give_budget(world["manager_emp"], 200)

    page = _home(client_as("manager"))
    trend = _card(page, "home-trend")
    assert 'data-store="A1"' in trend and 'data-store="B1"' not in trend
    assert 'data-month="2026-11"' in trend and 'data-month="2026-08"' in trend
    cases = _card(page, "home-cases")
    assert re.search(r'data-test="cases-overdue"><span class="home-figure kpi-warning" data-count="1"', cases)
    assert re.search(r'data-test="cases-due"><span class="home-figure" data-count="1"', cases)
    assert "/cases?status=overdue" in cases
    assert 'data-left="200"' in _card(page, "home-budget")
    thank = _card(page, "home-thank")
    assert 'data-count="1"' in thank and "/happy" in thank


def test_hr_sees_runs_to_approve_then_payroll_sees_them_to_export(client_as, paid_world, make_run):
    client = client_as("anonymous")
    login(client, "hr1@test.example")
    run = make_run("submitted")
    runs = _card(_home(client), "home-runs")
    assert "To approve" in runs and f"/runs/{run.id}" in runs and "To export" not in runs

    from app.incentives import runs as run_service

    run_service.approve(run, run_service.user_by_email("hr2@test.example"))
    db.session.commit()
    assert "To export" in _card(_home(client), "home-runs")
    payroll = client_as("anonymous")
    login(payroll, "pay@test.example")
    card = _card(_home(payroll), "home-export")
    assert f'/payroll#run-{run.id}"' in card


def test_hr_sees_the_stores_under_the_minimum_sample_and_the_objectives_to_publish(
    client_as, world, add_month_responses, frozen_time, paid_world
):
    frozen_time(MID_QUARTER)
    add_month_responses(world["north"], 10, [10] * 30, [])
    page = _home(client_as("hr"))
    samples = _card(page, "home-samples")
    assert "2026-Q4" in samples
    assert "B1" in samples and "A1 ·" not in samples
    objectives = _card(page, "home-objectives")
    assert 'data-published="no"' in objectives and "STORE-NPS-CSAT" in objectives
    assert "late: the period began on" in objectives and "to publish before" in objectives


def test_hr_sees_the_latest_imports_with_skipped_rows_and_undo(client_as, world):
    from app.feedback.models import ImportBatch

    db.session.add(ImportBatch(source="file", filename="june.csv", rows_inserted=40, rows_skipped=2))
    db.session.add(ImportBatch(source="file", filename="july.csv", rows_inserted=3, undone_at=utcnow()))
    db.session.commit()
    card = _card(_home(client_as("hr")), "home-imports")
    assert "june.csv" in card and "2 rows skipped" in card
    assert "july.csv" in card and "undone" in card
    assert "/feedback/batches" in card


def test_the_home_pages_read_a_bounded_number_of_queries(client_as, world, make_store, make_employee, add_answer):
    clients = {role: client_as(role) for role in ("hr", "manager", "employee", "payroll")}
    counts = {}
    for role, client in clients.items():
        _home(client)  # the first page of a session reads a few things once
        # End the transaction, as the commits below do: its expired objects and its memo (app.core.memo) go, the
        # same cold start as the second count's.
        db.session.commit()
        with _counting_queries() as before:
            _home(client)
        counts[role] = len(before)
    for n in range(6):  # more stores, people and compliments: no more queries
        store = make_store(f"X{n}")
        make_employee(store)
        add_answer(store)
        add_answer(world["north"], employee=world["employee"])
    for role, client in clients.items():
        db.session.commit()
        with _counting_queries() as after:
            _home(client)
        assert len(after) == counts[role], role
        assert len(after) <= 40, (role, len(after))
