"""A manager awards points in a real browser; the employee then redeems them for a reward of the catalogue."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.recognition.models import Award, Redemption
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("english")]


def test_a_manager_awards_points_and_the_employee_redeems_them(
    live_server, page, console_errors, world, give_budget, make_reward
):
    give_budget(world["manager_emp"], 400)
    reward = make_reward(name="Cinema ticket", cost=100, stock=2)
    employee = world["employee"]

    log_in(page, live_server, world["users"]["manager"].email, next_path="/recognition/award")
    assert page.locator('[data-test="budget"]').get_attribute("data-left") == "400"
    form = page.locator('[data-test="award-form"]')
    form.locator('select[name="employee"]').select_option(str(employee.id))
    form.locator('input[name="points"]').fill("150")
    form.locator('textarea[name="message"]').fill("Thanks")
    assert "rec-short" in (page.locator(".rec-counter").get_attribute("class") or "")  # the counter warns
    form.locator('textarea[name="message"]').fill("Thank you for the superb window display!")
    form.locator('select[name="badge"]').select_option("")
    with page.expect_navigation():
        form.locator('button[type="submit"]').click()
    assert page.locator(".flash-success").is_visible()
    assert page.locator('[data-test="budget"]').get_attribute("data-left") == "250"
    with page.expect_navigation():
        page.click('[data-test="logout"]')

    log_in(page, live_server, world["users"]["employee"].email, next_path="/recognition/")
    assert page.locator('[data-test="balance"]').inner_text() == "150"
    assert "superb window display" in page.locator('[data-test="awards"]').inner_text()
    page.on("dialog", lambda dialog: dialog.accept())  # "Use 100 points for Cinema ticket?"
    card = page.locator(f'[data-reward="{reward.id}"]')
    with page.expect_navigation():
        card.locator('[data-test="redeem"]').click()
    assert page.locator(".flash-success").is_visible()
    assert page.locator('[data-test="balance"]').inner_text() == "50"
    assert page.locator('[data-test="held"]').inner_text() == "100"
    row = page.locator('[data-test="redemptions"] tbody tr').first
    assert row.get_attribute("data-status") == "pending"

    db.session.expire_all()
    award = db.session.scalar(sa.select(Award))
    redemption = db.session.scalar(sa.select(Redemption))
    assert (award.employee_id, award.points) == (employee.id, 150)
    assert (redemption.employee_id, redemption.points, redemption.status) == (employee.id, 100, "pending")
    assert console_errors == []
