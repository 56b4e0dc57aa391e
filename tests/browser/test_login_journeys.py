"""Log in as each demo user in a real browser, see the navigation their roles give, log out."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "primo-demo"
HR_NAV = [
    "dashboard",
    "stores",
    "employees",
    "cases",
    "happy",
    "flags",
    "payroll",
    "schemes",
    "runs",
    "questions",
    "simulation",
    "reports",
    "pulse",
    "imports",
    "mappings",
    "surveys",
    "kpis",
    "responses",
    "recognition",
    "users",
    "audit",
    "settings",
    "api-tokens",
    "webhooks",
]
MANAGER_NAV = [
    "dashboard",
    "stores",
    "employees",
    "cases",
    "happy",
    "flags",
    "award",
    "bonus",
    "objectives",
    "statements",
    "points",
    "me",
]
EXPECTED_NAV = {
    "hr@example.com": HR_NAV,
    "hr2@example.com": HR_NAV,
    "manager@example.com": MANAGER_NAV,
    "regional@example.com": MANAGER_NAV,
    "employee@example.com": ["cases", "happy", "bonus", "objectives", "statements", "points", "me"],
    "payroll@example.com": ["payroll"],
}


@pytest.mark.parametrize("email", list(EXPECTED_NAV))
def test_login_nav_and_logout(live_server, seeded, page, console_errors, email):
    log_in(page, live_server, email, DEMO_PASSWORD)
    assert page.url == f"{live_server}/"
    assert page.locator("nav .who").inner_text() == email

    nav = page.locator("nav [data-nav]")
    assert sorted(nav.evaluate_all("links => links.map(a => a.dataset.nav)")) == sorted(EXPECTED_NAV[email])

    with page.expect_navigation():
        page.click('[data-test="logout"]')
    assert page.url == f"{live_server}/login"
    assert page.locator("nav").count() == 0

    page.goto(f"{live_server}/")
    assert re.fullmatch(re.escape(f"{live_server}/login") + r"(\?.*)?", page.url), page.url
    assert page.locator('input[name="password"]').is_visible()

    assert console_errors == []


def test_wrong_password_shows_error_and_stays_onlog_in(live_server, seeded, page, console_errors):
    log_in(page, live_server, "hr@example.com", "not-the-password")
    assert page.url == f"{live_server}/login"
    error = page.locator(".flash-error")
    assert error.is_visible()
    assert error.inner_text().strip()
    assert page.locator("nav").count() == 0
    assert console_errors == []


def test_login_page_has_no_horizontal_scroll_on_phone(live_server, page, console_errors):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server}/login")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"login page is {width}px wide at a 375px viewport"
    assert console_errors == []


def test_language_switch_on_the_login_page_and_in_the_account(live_server, seeded, page, console_errors):
    page.goto(f"{live_server}/login")
    if page.locator('[data-test="language-switch"] button[value="en"]').count():
        with page.expect_navigation():
            page.click('[data-test="language-switch"] button[value="en"]')
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Log in to Primo"

    with page.expect_navigation():
        page.click('[data-test="language-switch"] button[value="fr"]')
    assert page.url == f"{live_server}/login"
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() == "Se connecter à Primo"

    log_in(page, live_server, "hr@example.com", DEMO_PASSWORD)
    assert page.locator("html").get_attribute("lang") == "fr", "the choice made on the login page carries on"

    with page.expect_navigation():
        page.click('[data-test="account"]')
    assert page.locator("h1").inner_text() == "Mon compte"
    page.select_option('[data-test="account-language"] select[name="language"]', "en")
    with page.expect_navigation():
        page.click('[data-test="account-language"] button[type="submit"]')
    assert page.url == f"{live_server}/account"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "My account"

    with page.expect_navigation():
        page.click('[data-test="logout"]')
    assert page.locator("html").get_attribute("lang") == "en", "the saved language greets the next login"
    assert console_errors == []
