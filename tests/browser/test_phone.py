"""The pages an employee and a manager open on a phone (375 × 740): nothing scrolls sideways, and the statement
and case lists are cards that show their amount, due time and status."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import DEMO_PASSWORD, log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
SCROLL_WIDTH = "document.scrollingElement.scrollWidth"


@pytest.fixture
def phone(browser, seeded):
    """A page in a phone-sized window, over the demo company."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    # The store dashboard over two years of demo answers takes several seconds on a busy PostgreSQL.
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _fits(page) -> None:
    """The page is no wider than the phone: nothing to scroll sideways."""
    width = page.evaluate(SCROLL_WIDTH)
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


def _inside(page, locator) -> None:
    """The element is visible and lies within the phone's width."""
    assert locator.is_visible(), locator
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, box


def test_an_employee_reads_their_bonus_statements_and_recognition_on_a_phone(live_server, phone):
    log_in(phone, live_server, "employee@example.com", DEMO_PASSWORD)
    phone.goto(f"{live_server}/my/bonus")
    _fits(phone)

    phone.goto(f"{live_server}/my/statements")
    _fits(phone)
    cards = phone.locator('[data-test="statement-list"] tbody tr')
    assert cards.count() >= 1
    assert phone.locator('[data-test="statement-list"] thead').bounding_box()["height"] <= 1  # cards, not a table
    for i in range(cards.count()):
        card = cards.nth(i)
        _inside(phone, card.locator('[data-test="amount"]'))
        assert re.search(r"\d+,\d\d\s€", card.locator('[data-test="amount"]').inner_text())
        _inside(phone, card.locator('[data-test="status"]'))
        _inside(phone, card.locator('[data-test="open-statement"]'))

    with phone.expect_navigation():
        cards.first.locator('[data-test="open-statement"]').click()
    _fits(phone)
    _inside(phone, phone.locator('[data-test="final-amount"]'))
    _inside(phone, phone.locator('[data-test="approved-at"]'))
    _inside(phone, phone.locator("svg.chart-curve").first)

    phone.goto(f"{live_server}/recognition/")
    _fits(phone)


def test_a_manager_works_their_cases_and_dashboard_on_a_phone(live_server, phone):
    log_in(phone, live_server, "manager@example.com", DEMO_PASSWORD)
    phone.goto(f"{live_server}/cases?status=all")  # open and closed: every kind of card
    _fits(phone)
    cards = phone.locator('[data-test="case-queue"] tbody tr[data-case]')
    assert cards.count() >= 1
    for i in range(cards.count()):
        card = cards.nth(i)
        due, status = card.locator('[data-test="due"]'), card.locator('[data-test="status"]')
        _inside(phone, due)
        _inside(phone, status)
        assert re.search(r"\d\d:\d\d", due.inner_text()) and status.locator("[data-status]").count() == 1

    phone.goto(f"{live_server}/dashboard")
    assert re.search(r"/dashboard/store/\d+", phone.url)
    _fits(phone)
    _inside(phone, phone.locator("svg.chart-trend").first)
    _inside(phone, phone.locator('[data-kpi="nps"] .figure'))


def test_on_a_wide_screen_the_case_list_stays_a_table(live_server, page, seeded):
    log_in(page, live_server, "manager@example.com", DEMO_PASSWORD)
    page.goto(f"{live_server}/cases")
    assert page.locator('[data-test="case-queue"] thead').is_visible()
    assert page.locator('[data-test="case-queue"] thead th').first.bounding_box()["height"] > 10
