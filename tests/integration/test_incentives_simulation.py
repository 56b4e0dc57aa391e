"""Simulation: a version run on a past period shows cost, spread and coin flips, compares versions, saves nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.incentives import simulation
from app.incentives.schemes import freeze, get_version


@pytest.fixture(autouse=True)
def french_by_default(app):
    """These pages are read as the company default, French (the suite's default is English)."""
    app.config["PRIMO_DEFAULT_LANGUAGE"] = "fr"
    yield
    app.config["PRIMO_DEFAULT_LANGUAGE"] = "en"


@pytest.fixture
def worked(app, build_worked_example):
    return build_worked_example()


@pytest.fixture
def hr(app, worked, client_for):
    return client_for("hr1@test.example")


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def test_the_empty_form_suggests_last_quarter(hr, text):
    response = hr.get("/simulation")
    assert response.status_code == 200
    assert 'data-test="simulation-form"' in text(response)


def test_simulating_the_worked_example_shows_cost_spread_and_coin_flips(hr, text):
    page = text(hr.get("/simulation?scheme=STORE-NPS-CSAT:1&period=2026-Q3"))
    result = page.split('data-test="simulation-0"')[1]
    assert "483,33 €" in result.split('data-test="sim-total"')[1].split("</dd>")[0]
    assert "2 of 2" in result or "2 sur 2" in result
    assert 'class="chart chart-histogram"' in result
    assert 'data-store="S1"' in result.split('data-test="sim-stores"')[1]
    assert "West" in result.split('data-test="sim-regions"')[1]
    flips = result.split('data-test="sim-coin-flips"')[1].split("</table>")[0]
    assert "S1" in flips and "35,0" in flips


def test_a_simulation_writes_nothing(hr, worked):
    before = row_counts()
    hr.get("/simulation?scheme=STORE-NPS-CSAT:1&period=2026-Q3")
    result = simulation.simulate(get_version("STORE-NPS-CSAT"), "2026-Q3")
    assert result.total == Decimal("483.33")
    assert not db.session.new and not db.session.dirty and not db.session.deleted
    db.session.rollback()
    assert row_counts() == before


def test_two_versions_side_by_side(hr, example_data, import_example, text):
    freeze(get_version("STORE-NPS-CSAT"))
    richer = example_data()
    richer["target"]["value"] = "6"
    import_example(richer)
    page = text(hr.get("/simulation?scheme=STORE-NPS-CSAT:1&compare=STORE-NPS-CSAT:2&period=2026-Q3"))
    assert 'data-test="simulation-1"' in page
    comparison = page.split('data-test="comparison"')[1].split("</table>")[0]
    # Version 2 pays 6 %: 348.75 + 231.24.
    assert "483,33 €" in comparison and "579,99 €" in comparison and "96,66 €" in comparison
    s1 = comparison.split('data-store="S1"')[1].split("</tr>")[0]
    assert "96,66 €" in s1


def test_a_period_of_the_wrong_kind_is_named(hr, text):
    response = hr.get("/simulation?scheme=STORE-NPS-CSAT:1&period=2026-07")
    assert response.status_code == 400
    assert "period:" in text(response) and "per quarter" in text(response)
    unknown = hr.get("/simulation?scheme=NOPE:1&period=2026-Q3")
    assert unknown.status_code == 400


def test_the_share_paid_counts_employees_not_lines(worked, make_store, make_employee):
    from datetime import date

    silent = make_store("S9", region="East")  # no answers: its people are paid 0 on the fallback
    make_employee(silent, number="Z1", hire_date=date(2020, 1, 1))
    result = simulation.simulate(get_version("STORE-NPS-CSAT"), "2026-Q3")
    assert (result.employees, result.employees_paid) == (3, 2)
    assert result.bins[0] == (Decimal(0), Decimal(0), 1)
    assert result.fallbacks == 2  # S9's NPS and CSAT
