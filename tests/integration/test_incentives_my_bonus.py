""" "My bonus": paid lines explained in the employee's language, the estimate for the period under way, and the
store manager's printable page for staff without a login."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest

from app.core import clock
from app.extensions import db
from app.incentives import runs
from app.periods import Period
from tests.conftest import MID_QUARTER


def current_quarter() -> Period:
    return Period.containing(clock.today(), "quarter")


@pytest.fixture
def worked(app, frozen_time, add_month_responses, build_worked_example):
    frozen_time(MID_QUARTER)  # the estimate is for the quarter under way
    worked = build_worked_example()
    run = runs.create_run("STORE-NPS-CSAT", "2026-Q3")
    runs.compute(run)
    runs.adjust(run, "W1", "5.00", "prime de tutorat", worked.users["hr1"])
    runs.submit(run, worked.users["hr1"])
    runs.approve(run, worked.users["hr2"])
    draft = runs.create_run("STORE-NPS-CSAT", "2026-Q2")
    runs.compute(draft)
    db.session.commit()
    # The quarter under way: the same answers as the worked example, so far.
    quarter = current_quarter()
    add_month_responses(
        worked.store, quarter.first_month, [9] * 66 + [8] * 30 + [3] * 24, [5] * 69 + [2] * 11, quarter.year
    )
    return worked


def amounts(page: str, name: str) -> Decimal:
    raw = page.split(f'data-test="{name}">')[1].split("<")[0]
    number = re.sub(r"[^\d,.-]", "", raw).replace(".", "").replace(",", ".")
    return Decimal(number)


def test_my_bonus_explains_my_approved_line_in_french(app, worked, client_for, text):
    page = text(client_for("w1@test.example").get("/my/bonus"))
    paid = page.split('data-test="paid-run"')[1]
    assert "2026-Q3" in paid
    assert "Montant de cette ligne : 290,63 €." in paid
    assert "Le NPS de votre magasin (S1), 2026-Q3 : 35,0 (n = 120, marge ± 14,2)." in html.unescape(paid)
    assert "prime de tutorat" in paid
    assert "295,63 €" in paid.split('data-test="paid-total"')[1].split("</strong>")[0]
    assert page.count('data-test="paid-run"') == 1  # the draft run of 2026-Q2 is not shown
    assert paid.count('class="chart chart-curve chart-small"') == 2  # each component drawn on its curve


def test_an_english_speaker_reads_the_explanation_in_english(app, worked, client_for, text):
    page = html.unescape(text(client_for("h1@test.example").get("/my/bonus")))
    assert "Amount of this line: €192.70." in page
    assert "61 of 92 days" in page


def test_during_the_period_an_estimate_range_is_shown_and_marked_as_such(app, worked, client_for, text):
    page = text(client_for("w1@test.example").get("/my/bonus"))
    estimate = page.split('data-test="estimate"')[1].split("</section>")[0]
    assert 'data-test="estimate-badge"' in estimate
    low, likely, high = (amounts(estimate, n) for n in ("estimate-low", "estimate-likely", "estimate-high"))
    quarter = current_quarter()
    assert likely == (Decimal("290.63") if quarter.days == 92 else likely)
    assert low <= likely <= high
    assert low == Decimal("0.00")  # NPS 20.8 and the CSAT's lower Wilson bound are under the first thresholds
    assert "n = 120" in estimate and "± 14,2" in estimate
    assert estimate.count('class="chart chart-curve"') == 2
    assert estimate.count('class="chart-marker"') == 2  # where each KPI sits on its curve


def test_an_account_without_an_employee_record_gets_a_plain_message(app, worked, make_user, client_for, text):
    make_user("lonely@test.example", "employee")
    response = client_for("lonely@test.example").get("/my/bonus")
    assert response.status_code == 200
    assert 'data-test="paid-run"' not in text(response)


@pytest.fixture
def manager(app, worked, make_employee, make_user, make_store, client_for):
    boss = make_employee(worked.store, number="M1", job_role="store_manager", manages=[worked.store])
    make_user("m1@test.example", "manager", "employee", employee=boss)
    elsewhere = make_store("S2", region="East")
    return {"client": client_for("m1@test.example"), "elsewhere": elsewhere}


def test_a_store_manager_prints_an_estimate_page_per_team_member(app, worked, manager, company_settings, text):
    company_settings(managers_read_statements=True)  # estimates are amounts: the company lets managers read them
    response = manager["client"].get(f"/stores/{worked.store.id}/estimate")
    assert response.status_code == 200
    page = text(response)
    for number in ("W1", "H1", "M1"):
        assert f'data-employee="{number}"' in page
    assert page.count('class="print-page"') == 3
    assert page.count('data-test="estimate-badge"') == 3
    assert "data-print" in page and "<script>" not in page


def test_a_manager_cannot_open_another_stores_estimates(app, worked, manager, client_for):
    assert manager["client"].get(f"/stores/{manager['elsewhere'].id}/estimate").status_code == 404
    employee = client_for("w1@test.example")
    assert employee.get(f"/stores/{worked.store.id}/estimate").status_code == 403
    assert client_for("hr1@test.example").get(f"/stores/{worked.store.id}/estimate").status_code == 200
