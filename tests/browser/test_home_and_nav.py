"""Each demo role's home page and grouped navigation, on a desktop and on a phone, with JavaScript switched off:
the sections show, a menu opens by its summary, the page reached is marked current, nothing overflows at 375 px."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.conftest import DEMO_PASSWORD, log_in

pytestmark = pytest.mark.browser

# email: (home sections, a menu to open or None for a plain link, the link in it, where it leads)
ROLES = {
    "hr@example.com": ({"hr"}, "pay", "runs", "/runs"),
    "manager@example.com": ({"manager", "employee"}, "customers", "cases", "/cases"),
    "employee@example.com": ({"employee"}, "pay", "statements", "/my/statements"),
    "payroll@example.com": ({"payroll"}, None, "payroll", "/payroll"),
}
WIDTHS = {"desktop": 1280, "phone": 375}


@pytest.fixture
def page_without_js(browser) -> Iterator[object]:
    """A page whose browser runs no script at all: whatever works here does not depend on JavaScript."""
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _open_nav_on_phone(page, width: int) -> None:
    if width < 640:
        assert not page.locator("nav.nav").is_visible(), "the phone menu starts closed"
        page.click("label.nav-toggle-label")
        assert page.locator("nav.nav").is_visible()


@pytest.mark.parametrize("email", list(ROLES))
def test_home_and_grouped_nav_work_without_javascript(live_server, seeded, page_without_js, email):
    page = page_without_js
    log_in(page, live_server, email, DEMO_PASSWORD)
    for width in WIDTHS.values():  # one seeded company for both sizes: seeding is what takes time
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server}/")
        _check_home_and_nav(page, live_server, email, width)


def _check_home_and_nav(page, live_server: str, email: str, width: int) -> None:
    sections, group, link, path = ROLES[email]
    shown = set(page.locator("[data-home]").evaluate_all("els => els.map(e => e.dataset.home)"))
    assert shown == sections
    for role in sections:
        assert page.locator(f'[data-home="{role}"] .card').first.is_visible()
    assert page.locator("[data-nav-home]").get_attribute("aria-current") == "page"
    top_level = page.locator("nav.nav > a:not([data-test]), nav.nav > details").count()
    assert top_level <= 7, f"{top_level} top-level entries"
    width_now = page.evaluate("document.documentElement.scrollWidth")
    assert width_now <= width, f"the home page is {width_now}px wide at {width}px"

    _open_nav_on_phone(page, width)
    target = page.locator(f'nav [data-nav="{link}"]')
    if group is not None:
        menu = page.locator(f'nav details[data-nav-group="{group}"]')
        assert not target.is_visible(), "a menu starts closed"
        menu.locator("summary").click()
        assert menu.get_attribute("open") is not None
        assert target.is_visible()
        if width < 640:
            width_now = page.evaluate("document.documentElement.scrollWidth")
            assert width_now <= width, f"the open menu makes the page {width_now}px wide"
    with page.expect_navigation():
        target.click()
    assert page.url == f"{live_server}{path}"

    current = page.locator('nav [aria-current="page"]')
    marked = current.evaluate_all("els => els.map(e => e.dataset.nav || e.parentElement.dataset.navGroup)")
    assert marked == ([group, link] if group else [link]), marked
    assert page.locator("[data-nav-home]").get_attribute("aria-current") is None
