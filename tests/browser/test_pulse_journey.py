"""An employee answers a pulse survey in a real browser; HR sees their store hidden until it has 5 answers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.pulse.models import PulseAnswer
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("english")]


def _store_row(page, code: str):
    return page.locator(f'[data-test="by-store"] tr[data-store="{code}"]')


def test_an_employee_answers_a_pulse_and_hr_sees_the_store_hidden_below_five_answers(
    live_server, browser, page, console_errors, world, make_store, make_pulse, add_pulse_answers
):
    north, south = world["north"], world["south"]
    south_two = make_store("B2", region="South")
    survey = make_pulse([north, south, south_two], name="Autumn pulse")
    add_pulse_answers(survey, north, [9, 7, 10])
    add_pulse_answers(survey, south, [8] * 6)
    add_pulse_answers(survey, south_two, [10, 10, 9, 6, 3, 8])

    # The employee finds the survey on their home page and answers it.
    log_in(page, live_server, world["users"]["employee"].email)
    with page.expect_navigation():
        page.locator('[data-test="pulse-link"]').click()
    form = page.locator('[data-test="pulse-answer"]')
    form.locator('input[name="enps"][value="9"]').check()
    with page.expect_navigation():
        form.locator('button[type="submit"]').click()
    assert page.locator(".flash-success").is_visible()
    code = page.locator('[data-test="new-code"] .pulse-code').inner_text().strip()
    assert len(code) == 14
    assert page.locator('input[name="enps"][value="9"]').is_checked()  # their browser shows their answer back
    db.session.expire_all()
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(PulseAnswer).where(PulseAnswer.store_id == north.id))
        == 4
    )

    # HR reads the results: A1 has 4 answers, so it shows no figure; B2 does.
    hr = browser.new_context()
    hr_page = hr.new_page()
    try:
        log_in(hr_page, live_server, world["users"]["hr"].email)
        hr_page.goto(f"{live_server}/pulse/{survey.id}")
        assert _store_row(hr_page, "A1").get_attribute("data-hidden") == "yes"
        assert "not enough answers" in _store_row(hr_page, "A1").inner_text()
        assert _store_row(hr_page, "B2").get_attribute("data-hidden") == "no"
        assert _store_row(hr_page, "B2").locator('[data-test="n"]').inner_text() == "6"
        # With A1's 4 answers hidden, showing South's two stores would let anyone work A1 out from the company total.
        assert _store_row(hr_page, "B1").get_attribute("data-hidden") == "yes"

        # A colleague without a login answers with the store's printed code: A1 reaches 5 answers and shows.
        hr_page.goto(f"{live_server}/pulse/{survey.id}/codes")
        a1_code = hr_page.locator('.pulse-sheet[data-store="A1"] [data-test="code"]').inner_text().strip()
        kiosk = browser.new_context().new_page()
        kiosk.goto(f"{live_server}/pulse/code")
        kiosk.fill('input[name="code"]', a1_code.lower())
        with kiosk.expect_navigation():
            kiosk.click('[data-test="code-form"] button[type="submit"]')
        kiosk.locator('[data-test="pulse-answer"] input[name="enps"][value="6"]').check()
        with kiosk.expect_navigation():
            kiosk.click('[data-test="pulse-answer"] button[type="submit"]')
        assert kiosk.locator('[data-test="new-code"]').is_visible()
        kiosk.context.close()

        hr_page.goto(f"{live_server}/pulse/{survey.id}")
        assert _store_row(hr_page, "A1").get_attribute("data-hidden") == "no"
        assert _store_row(hr_page, "A1").locator('[data-test="n"]').inner_text() == "5"
    finally:
        hr.close()
    assert console_errors == []
