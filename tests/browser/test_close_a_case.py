"""A store manager works through a follow-up case in a real browser: queue, case, contacted, resolved."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.dbtypes import utcnow
from app.extensions import db
from app.feedback.models import FollowUpCase
from tests.conftest import CUSTOMER_CONTACT, PASSWORD

pytestmark = pytest.mark.browser


def test_a_manager_closes_a_case_from_the_queue(live_server, page, console_errors, world, add_case, add_response):
    overdue = add_case(add_response(world["north"], nps=1), due_at=utcnow() - timedelta(hours=2))
    add_case(add_response(world["north"], nps=5))
    add_case(add_response(world["south"], nps=0))

    page.goto(f"{live_server}/login?next=/cases")
    page.fill('input[name="email"]', world["users"]["manager"].email)
    page.fill('input[name="password"]', PASSWORD)
    with page.expect_navigation():
        page.click('form:has(input[name="password"]) button[type="submit"]')
    assert page.url == f"{live_server}/cases"

    rows = page.locator('[data-test="case-queue"] tbody tr')
    assert rows.count() == 2
    assert rows.first.get_attribute("data-case") == str(overdue.id)
    assert "overdue" in (rows.first.get_attribute("class") or "")

    with page.expect_navigation():
        rows.first.locator("a").click()
    assert page.url == f"{live_server}/cases/{overdue.id}"
    assert CUSTOMER_CONTACT in page.locator('[data-test="contact"]').inner_text()

    form = page.locator('[data-test="transition-form"]')
    form.locator('select[name="status"]').select_option("contacted")
    form.locator('textarea[name="notes"]').fill("Reached on the second try.")
    with page.expect_navigation():
        form.locator('button[type="submit"]').click()
    assert page.locator('[data-test="case-status"]').get_attribute("data-status") == "contacted"
    assert page.locator('[data-test="overdue"]').count() == 0

    form = page.locator('[data-test="transition-form"]')
    form.locator('select[name="status"]').select_option("resolved")
    form.locator('select[name="outcome"]').select_option("refunded")
    with page.expect_navigation():
        form.locator('button[type="submit"]').click()

    assert page.locator('[data-test="case-status"]').get_attribute("data-status") == "resolved"
    assert page.locator('[data-test="outcome"]').inner_text().strip() == "Refunded"
    assert page.locator('[data-test="closed-at"]').is_visible()
    assert page.locator('[data-test="transition-form"]').count() == 0
    assert "Reached on the second try." in page.locator('[data-test="notes"]').inner_text()
    assert page.locator(".flash-success").is_visible()

    db.session.expire_all()
    closed = db.session.get(FollowUpCase, overdue.id)
    assert (closed.status, closed.outcome_code) == ("resolved", "refunded")

    page.goto(f"{live_server}/cases")
    assert page.locator('[data-test="case-queue"] tbody tr').count() == 1
    assert console_errors == []
