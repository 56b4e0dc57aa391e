"""HR excludes a single response from the KPIs with a reason, and restores it: both audited, both refused once
a bonus run has paid on the response's month; and HR's list of responses with its filters.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.extensions import db
from app.feedback.exclusions import ExclusionReasonError, MonthPaidError, exclude_response, restore_response
from app.feedback.models import PeriodLock, SurveyResponse
from tests.conftest import CUSTOMER_CONTACT, CUSTOMER_NAME, csrf_token

JULY = datetime(2026, 7, 15, 10, 0, tzinfo=UTC)


def post(client, path: str, data: dict[str, str], page: str):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


def fresh(response: SurveyResponse) -> SurveyResponse:
    db.session.expire_all()
    return db.session.get(SurveyResponse, response.id)


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def lock(month: int, *, paid: bool, holder: str = "run:1") -> None:
    db.session.add(PeriodLock(month=month, holder=holder, paid=paid))
    db.session.commit()


def test_hr_excludes_a_response_with_a_reason_and_restores_it_both_audited(world, client_as, add_response):
    response = add_response(world["north"], nps=10, answered_at=JULY)
    hr = client_as("hr")
    page = f"/responses/{response.id}"
    answer = post(hr, f"{page}/exclude", {"reason": "score_begging", "details": "Staff asked  for a 10."}, page)
    assert answer.status_code == 302
    excluded = fresh(response)
    assert excluded.excluded and excluded.excluded_reason == "score_begging: Staff asked for a 10."
    assert excluded.excluded_by == "hr@test.example" and excluded.excluded_at is not None
    html = hr.get(page).get_data(as_text=True)
    assert "Suspected score begging" in html and 'data-test="restore-form"' in html

    assert post(hr, f"{page}/restore", {}, page).status_code == 302
    restored = fresh(response)
    assert not restored.excluded and restored.excluded_reason is None and restored.excluded_by is None
    (out,) = events("response.exclude")
    (back,) = events("response.restore")
    assert out.before == {"excluded": False, "excluded_reason": None}
    assert out.after == {"excluded": True, "excluded_reason": "score_begging: Staff asked for a 10."}
    assert back.before == out.after and back.after == out.before
    assert out.object_id == back.object_id == str(response.id)


def test_a_reason_is_required_and_other_needs_an_explanation(world, client_as, add_response):
    response = add_response(world["north"])
    hr = client_as("hr")
    page = f"/responses/{response.id}"
    answer = post(hr, f"{page}/exclude", {"reason": "", "details": "no reason picked"}, page)
    assert answer.status_code == 400
    assert 'data-field="reason"' in answer.get_data(as_text=True)
    answer = post(hr, f"{page}/exclude", {"reason": "other", "details": "  "}, page)
    assert answer.status_code == 400
    assert "Explain the reason" in answer.get_data(as_text=True)
    assert post(hr, f"{page}/exclude", {"reason": "made_up"}, page).status_code == 400
    assert not fresh(response).excluded and events("response.exclude") == []
    with pytest.raises(ExclusionReasonError):
        exclude_response(response, "")


def test_exclusion_and_restore_are_refused_once_the_month_is_paid(world, client_as, add_response):
    counted = add_response(world["north"], answered_at=JULY)
    excluded = add_response(world["north"], answered_at=JULY, excluded=True, reason="test")
    lock(202607, paid=False, holder="run:1")  # read by a draft run only: still free to change
    lock(202606, paid=True, holder="run:2")
    hr = client_as("hr")
    page = f"/responses/{counted.id}"
    assert 'data-test="exclude-form"' in hr.get(page).get_data(as_text=True)

    lock(202607, paid=True, holder="run:3")
    html = hr.get(page).get_data(as_text=True)
    assert 'data-test="paid"' in html and 'data-test="exclude-form"' not in html
    answer = post(hr, f"{page}/exclude", {"reason": "test"}, page)
    assert answer.status_code == 409
    assert "2026-07 is already paid" in answer.get_data(as_text=True)
    other = f"/responses/{excluded.id}"
    assert post(hr, f"{other}/restore", {}, other).status_code == 409
    assert not fresh(counted).excluded and fresh(excluded).excluded
    assert events("response.exclude") == [] and events("response.restore") == []
    with pytest.raises(MonthPaidError):
        restore_response(fresh(excluded))


def test_excluding_twice_or_restoring_a_counted_response_is_a_conflict(world, client_as, add_response):
    response = add_response(world["north"], excluded=True, reason="test")
    counted = add_response(world["north"])
    hr = client_as("hr")
    page = f"/responses/{response.id}"
    assert post(hr, f"{page}/exclude", {"reason": "test"}, page).status_code == 409
    other = f"/responses/{counted.id}"
    assert post(hr, f"{other}/restore", {}, other).status_code == 409


def test_hr_response_page_never_shows_the_customer_contact(world, client_as, add_case, add_response):
    response = add_response(world["north"])
    case = add_case(response)
    html = client_as("hr").get(f"/responses/{response.id}").get_data(as_text=True)
    assert CUSTOMER_NAME not in html and CUSTOMER_CONTACT not in html
    assert f"/cases/{case.id}" in html
    assert client_as("hr").get("/responses/999999").status_code == 404


def listed(client, query: str = "") -> set[int]:
    html = client.get(f"/responses{query}").get_data(as_text=True)
    return {int(n) for n in re.findall(r'data-response="(\d+)"', html)}


def test_the_response_list_filters_by_store_month_category_and_exclusion(
    world, client_as, app, monkeypatch, add_response
):
    promoter = add_response(world["north"], nps=9, answered_at=JULY)
    passive = add_response(world["north"], nps=8, answered_at=datetime(2026, 6, 30, 22, 30, tzinfo=UTC))
    detractor = add_response(world["south"], nps=3, answered_at=JULY, excluded=True, reason="wrong_store")
    no_nps = add_response(world["south"], nps=None, csat=5, answered_at=JULY)
    hr = client_as("hr")
    assert listed(hr) == {promoter.id, passive.id, detractor.id, no_nps.id}
    assert listed(hr, f"?store={world['south'].id}") == {detractor.id, no_nps.id}
    # 22:30 UTC on 30 June is already July in Paris: the month is the local one.
    assert listed(hr, "?month=2026-07") == {promoter.id, passive.id, detractor.id, no_nps.id}
    assert listed(hr, "?month=2026-06") == set()
    assert listed(hr, "?category=promoter") == {promoter.id}
    assert listed(hr, "?category=passive") == {passive.id}
    assert listed(hr, "?category=detractor") == {detractor.id}
    assert listed(hr, "?category=none") == {no_nps.id}
    assert listed(hr, "?excluded=yes") == {detractor.id}
    assert listed(hr, "?excluded=no&category=detractor") == set()
    bad = hr.get("/responses?month=July")
    assert bad.status_code == 400 and "2026-07" in bad.get_data(as_text=True)

    monkeypatch.setitem(app.config, "PRIMO_PAGE_SIZE", 3)
    first = hr.get("/responses?month=2026-07").get_data(as_text=True)
    assert len(re.findall(r'data-response="', first)) == 3
    assert "/responses?page=2&amp;month=2026-07" in first
    assert listed(hr, "?month=2026-07&page=2") == {passive.id}
