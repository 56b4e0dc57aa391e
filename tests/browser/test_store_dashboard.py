"""A store manager opens their dashboard in a real browser: figures with n and margin, SVG charts, another period."""

from __future__ import annotations

import random
import re

import pytest
import sqlalchemy as sa

from app.core import clock
from app.extensions import db
from app.feedback.models import ImportBatch
from app.periods import Period
from tests.browser.conftest import DEMO_PASSWORD, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_feedback(seeded) -> None:
    """The demo company's survey answers (seed-demo adds them itself once it calls seed_feedback)."""
    from app.feedback.demo import seed_feedback

    if db.session.scalar(sa.select(ImportBatch).where(ImportBatch.source == "demo")) is None:
        seed_feedback(random.Random(20260701), clock.today())
        db.session.commit()


def test_manager_reads_the_store_dashboard_and_changes_the_period(live_server, demo_feedback, page, console_errors):
    log_in(page, live_server, "manager@example.com", DEMO_PASSWORD)
    page.goto(f"{live_server}/dashboard")
    assert re.search(r"/dashboard/store/\d+$", page.url), page.url
    assert "S01" in page.locator('[data-test="dashboard-title"]').inner_text()

    nps = page.locator('[data-kpi="nps"]')
    assert re.search(r"-?\d+[.,]\d", nps.locator(".figure").inner_text())
    assert re.fullmatch(r"± \d+[.,]\d", nps.locator(".moe").inner_text())
    assert re.fullmatch(r"n = \d+", nps.locator(".n").inner_text())
    assert page.locator("svg.chart-trend").first.is_visible()
    assert page.locator("svg.chart-distribution rect.bar").count() == 11
    assert page.locator("svg.chart-trend .chart-point").count() >= 10

    last_quarter = str(Period.containing(clock.today(), "quarter").previous())
    page.select_option("#period", last_quarter)
    with page.expect_navigation():
        page.click('[data-test="period-picker"] button[type="submit"]')
    assert page.url.endswith(f"?period={last_quarter}")
    assert page.locator("#period").input_value() == last_quarter
    assert int(nps.locator(".n").inner_text().removeprefix("n = ")) >= 30

    with page.expect_navigation():
        page.click('[data-test="previous-period"]')
    assert page.url.endswith(f"?period={Period.parse(last_quarter).previous()}")
    assert console_errors == []
