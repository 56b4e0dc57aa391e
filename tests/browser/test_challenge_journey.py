"""HR sets a store a challenge in a real browser; the store meets it and its employees see the bar, then the points."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("english")]


def test_a_store_meets_its_challenge_and_its_employees_see_the_points(
    live_server, page, console_errors, world, runner, add_responses, frozen_time
):
    frozen_time(datetime(2026, 8, 8, 10, tzinfo=UTC))
    log_in(page, live_server, world["users"]["hr"].email, next_path="/recognition/challenges")
    form = page.locator('[data-test="challenge-form"]')
    form.locator('input[name="name"]').fill("A1: delight 90 % of customers")
    form.locator('select[name="team"]').select_option("store:A1")
    form.locator('select[name="kpi"]').select_option("csat")
    form.locator('input[name="goal"]').fill("90")
    form.locator('input[name="starts_on"]').fill("2026-08-01")
    form.locator('input[name="ends_on"]').fill("2026-08-10")
    form.locator('input[name="points"]').fill("100")
    with page.expect_navigation():
        form.locator('button[type="submit"]').click()
    assert page.locator(".flash-success").is_visible()
    assert "A1: delight 90 % of customers" in page.locator('[data-test="challenge-list"]').inner_text()

    add_responses(world["north"], "2026-08-05T10:00:00+00:00", csat=[5] * 20)
    with page.expect_navigation():
        page.click('[data-test="logout"]')
    log_in(page, live_server, world["users"]["employee"].email, next_path="/recognition/")
    challenge = page.locator('[data-test="team-challenges"] [data-test="challenge"]')
    assert challenge.get_attribute("data-status") == "running"
    assert challenge.locator("progress").get_attribute("value") == "100"
    assert "20 of 30 answers" in challenge.inner_text()
    assert page.locator('[data-test="balance"]').inner_text() == "0"

    add_responses(world["north"], "2026-08-09T10:00:00+00:00", csat=[5] * 8 + [3] * 2)
    with page.expect_navigation():
        page.click('[data-test="logout"]')
    frozen_time(datetime(2026, 8, 11, 9, tzinfo=UTC))
    result = runner.invoke(args=["challenges", "settle"])
    assert result.output.startswith("1 met, 0 missed, 200 points paid"), result.output  # two members, 100 each

    log_in(page, live_server, world["users"]["employee"].email, next_path="/recognition/")
    challenge = page.locator('[data-test="team-challenges"] [data-test="challenge"]')
    assert challenge.get_attribute("data-status") == "met"
    assert "Goal met!" in challenge.inner_text()
    assert page.locator('[data-test="balance"]').inner_text() == "100"
    assert "challenge A1: delight 90 % of customers" in page.locator('[data-test="history"]').inner_text()
    assert console_errors == []
