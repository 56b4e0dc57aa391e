"""HR designs a scheme in a real browser (watching the curve preview follow the fields), opens, computes and
submits a run, each time with the page's main button; the submitter is told to wait for another HR user, and a
second HR user approves it with the main button (four eyes)."""

from __future__ import annotations

import re

import pytest

from app.core import clock
from app.periods import Period
from tests.browser.conftest import DEMO_PASSWORD, log_in

pytestmark = pytest.mark.browser


def _logout(page) -> None:
    with page.expect_navigation():
        page.click('[data-test="logout"]')


def test_hr_designs_a_scheme_and_two_hr_users_take_a_run_to_approval(live_server, seeded, page, console_errors):
    log_in(page, live_server, "hr@example.com", DEMO_PASSWORD)
    page.goto(f"{live_server}/schemes/new")
    preview = page.locator('[data-test="curve-preview-0"]')
    assert preview.locator(".chart-empty").count() == 1  # nothing to draw yet

    page.fill("#code", "BROWSER-NPS")
    page.fill("#name", "Prime NPS du magasin")
    page.fill("#valid_from", "2026-01-01")
    page.fill("#pay_code", "PRIME_NPS")
    page.fill("#target_value", "4")
    page.select_option("#components-0-kpi", "nps")
    page.fill("#components-0-weight", "100")
    page.select_option("#components-0-curve_type", "linear")
    # The step rows belong to the other curve type: the script hides them.
    assert page.locator('[data-test="component-0"] [data-curve-fields="steps"]').is_hidden()
    for name, value in (("threshold", "20"), ("floor", "50"), ("target", "40"), ("maximum", "60"), ("ceiling", "150")):
        page.fill(f"#components-0-{name}", value)
    preview.locator("polyline.chart-line").wait_for()
    assert preview.locator(".curve-problems").count() == 0

    page.fill("#components-0-target", "10")  # below the threshold: the preview says what is wrong
    preview.locator(".curve-problems").wait_for()
    assert "target: must be above threshold" in preview.inner_text()
    page.fill("#components-0-target", "40")
    preview.locator(".curve-problems").wait_for(state="detached")

    page.select_option("#components-1-curve_type", "steps")
    assert page.locator('[data-test="component-1"] [data-curve-fields="steps"]').is_visible()
    assert page.locator('[data-test="component-1"] [data-curve-fields="linear"]').is_hidden()

    with page.expect_navigation():
        page.click('[data-test="save-scheme"]')
    assert "/schemes/BROWSER-NPS" in page.url
    assert "BROWSER-NPS" in page.locator('[data-test="scheme-title"]').inner_text()
    assert page.locator("svg.chart-curve polyline.chart-line").count() == 1

    last_quarter = str(Period.containing(clock.today(), "quarter").previous())
    page.goto(f"{live_server}/runs")
    page.select_option("#version", "BROWSER-NPS:1")
    page.fill("#period", last_quarter)
    with page.expect_navigation():
        page.click('[data-test="create-run"] button[type="submit"]')
    assert re.search(r"/runs/\d+$", page.url), page.url
    run_url = page.url
    main = page.locator('[data-test="next-step"] button.primary')
    assert main.get_attribute("data-test") == "compute"
    with page.expect_navigation():
        main.click()
    assert page.locator('[data-test="lines"] tbody tr[data-line]').count() == 50  # the first page of lines
    assert page.locator('[data-test="review"]').is_visible()
    assert main.get_attribute("data-test") == "submit"
    page.fill('[data-test="submit-form"] textarea[name="comment"]', "Checked against last quarter")
    with page.expect_navigation():
        main.click()
    assert page.locator('[data-test="run-status"]').inner_text() == "submitted"
    # The submitter is told to wait for someone else, and is offered no approve button to be refused on.
    assert "Waiting for another HR user to approve" in page.locator('[data-test="waiting"]').inner_text()
    assert page.locator('[data-test="approve"]').count() == 0
    assert main.count() == 0
    _logout(page)

    log_in(page, live_server, "hr2@example.com", DEMO_PASSWORD)
    page.goto(run_url)
    assert main.get_attribute("data-test") == "approve"
    with page.expect_navigation():
        main.click()
    assert page.locator('[data-test="run-status"]').inner_text() == "approved"
    assert "hr2@example.com" in page.content()
    history = page.locator('[data-test="history"]').inner_text()
    assert "Checked against last quarter" in history and "approved" in history
    # Next for this run: payroll exports it.
    assert page.locator('[data-test="export-link"]').is_visible()
    assert console_errors == []
