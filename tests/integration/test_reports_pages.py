"""HR reports: cost per store / region / period, distribution, cost against NPS, recognition use; each page has an
SVG chart and an xlsx download with real number cells."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.extensions import db
from tests.conftest import login


@pytest.fixture
def hr(app, paid_run):
    client = app.test_client()
    login(client, "hr1@test.example")
    return client


def _sheet(response):
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.data)).active


def test_cost_per_store_and_region(hr, paid_run):
    page = hr.get("/reports/cost?period=2026-Q3")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html and "chart-bars" in html and "S1 — Lyon Part-Dieu" in html
    rows = list(_sheet(hr.get("/reports/cost.xlsx?period=2026-Q3")).iter_rows(values_only=True))
    assert rows[0] == ("period", "store", "label", "employees", "amount")
    by_store = {r[1]: r for r in rows[1:]}
    assert set(by_store) == {"S1", "S2"}
    total = sum(Decimal(str(r[4])).quantize(Decimal("0.01")) for r in rows[1:])
    assert total == paid_run.total and by_store["S2"][3] == 1 and by_store["S1"][3] == 3
    region = list(_sheet(hr.get("/reports/cost.xlsx?period=all&by=region")).iter_rows(values_only=True))
    assert [r[1] for r in region[1:]] == ["West"] and Decimal(str(region[1][4])).quantize(Decimal("0.01")) == total
    assert region[1][3] == 3


def test_distribution_of_amounts(hr):
    page = hr.get("/reports/distribution")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "chart-histogram" in html
    sheet = _sheet(hr.get("/reports/distribution.xlsx?period=2026-Q3"))
    counts = [r[2] for r in sheet.iter_rows(min_row=2, values_only=True) if isinstance(r[0], int | float)]
    assert sum(counts) == 3
    assert sheet.cell(row=2, column=1).number_format == "#,##0.00"


def test_cost_against_nps_per_store(hr):
    page = hr.get("/reports/cost-vs-nps?period=2026-Q3")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "chart-scatter" in html and "chart-point" in html
    rows = list(_sheet(hr.get("/reports/cost-vs-nps.xlsx?period=2026-Q3")).iter_rows(values_only=True))
    s1 = next(r for r in rows if r[0] == "S1")
    assert s1[4] == pytest.approx(35.0) and s1[5] == 120 and s1[6] == pytest.approx(14.2)


def test_recognition_use_has_an_empty_state_then_figures(hr, paid_world):
    page = hr.get("/reports/recognition?period=2026-07").get_data(as_text=True)
    assert 'data-test="empty"' in page
    from app.recognition.models import Award

    boss = paid_world["users"]["boss"].employee_id
    db.session.add(
        Award(
            giver_id=boss,
            employee_id=paid_world["mover"].id,
            store_id=paid_world["s2"].id,
            points=50,
            message="Merci pour ce client rappelé",
            awarded_on=date(2026, 7, 10),
        )
    )
    db.session.commit()
    page = hr.get("/reports/recognition?period=2026-Q3").get_data(as_text=True)
    assert "chart-bars" in page and 'data-test="empty"' not in page
    rows = list(_sheet(hr.get("/reports/recognition.xlsx?period=2026-Q3")).iter_rows(values_only=True))
    assert rows[1][2:4] == (1, 50)


def test_reports_are_for_hr_only(app, paid_world):
    client = app.test_client()
    login(client, "pay@test.example")
    assert client.get("/reports/cost").status_code == 403
    assert app.test_client().get("/reports/cost").status_code == 302


def test_an_unknown_period_is_a_400_naming_it(hr):
    response = hr.get("/reports/cost?period=July")
    assert response.status_code == 400
    assert "“July” is not a period" in response.get_data(as_text=True)
