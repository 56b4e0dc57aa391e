"""Follow-up cases through the pages: who sees which case and the customer's contact, moving a case on,
handing it over, the notice of new and overdue cases, the call guide, and the happy-customers feed.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import render_template_string
from flask_login import login_user

from app.audit.models import AuditEvent
from app.auth.models import UserRole
from app.core import clock
from app.core.models import Setting
from app.dbtypes import utcnow
from app.extensions import db
from app.feedback import routes_cases
from app.feedback.cases import (
    CaseAssignmentError,
    assign_case,
    case_notice,
    open_case_for_response,
    transition_case,
)
from app.feedback.models import FollowUpCase, ResponseContact
from app.org.models import Assignment
from tests.conftest import CUSTOMER_CONTACT, CUSTOMER_NAME, csrf_token, login

TZ = "Europe/Paris"


def post(client, path: str, data: dict[str, str], page: str):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


def reload(case: FollowUpCase) -> FollowUpCase:
    db.session.expire_all()
    return db.session.get(FollowUpCase, case.id)


def case_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-case="(\d+)"', html)]


def audit_rows(action: str | None = None) -> list[AuditEvent]:
    query = sa.select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


# --- opening ---------------------------------------------------------------------------------------


def test_a_consenting_detractor_opens_a_case_due_48_hours_after_the_answer(world, add_response):
    answered = datetime(2026, 7, 1, 8, 30, tzinfo=UTC)
    detractor = add_response(world["north"], nps=3, answered_at=answered)
    passive = add_response(world["north"], nps=7)
    silent = add_response(world["north"], nps=1, consent=False)
    case = open_case_for_response(detractor)
    assert open_case_for_response(passive) is None and open_case_for_response(silent) is None
    db.session.commit()
    assert reload(case).due_at == answered + timedelta(hours=48)
    assert case.status == "open" and case.store_id == world["north"].id


# --- who sees what ---------------------------------------------------------------------------------


def test_manager_queue_lists_overdue_cases_first_then_the_soonest_due(world, client_as, add_case, add_response):
    now = utcnow()
    later = add_case(add_response(world["north"]), due_at=now + timedelta(hours=40))
    overdue = add_case(add_response(world["north"]), due_at=now - timedelta(hours=3))
    sooner = add_case(add_response(world["north"]), due_at=now + timedelta(hours=5))
    contacted = add_case(add_response(world["north"]), status="contacted", due_at=now - timedelta(hours=1))
    closed = add_case(add_response(world["north"]), status="resolved", due_at=now - timedelta(hours=9))
    elsewhere = add_case(add_response(world["south"]), due_at=now - timedelta(hours=9))

    html = client_as("manager").get("/cases").get_data(as_text=True)
    # A contacted case is no longer overdue: someone reached the customer.
    assert case_ids(html) == [overdue.id, contacted.id, sooner.id, later.id]
    assert elsewhere.id not in case_ids(html) and closed.id not in case_ids(html)
    everything = client_as("manager").get("/cases?status=all").get_data(as_text=True)
    assert case_ids(everything)[-1] == closed.id


def test_a_manager_of_another_store_gets_404_on_the_case_and_its_forms(world, client_as, add_case, add_response):
    case = add_case(add_response(world["south"]))
    manager = client_as("manager")
    assert manager.get(f"/cases/{case.id}").status_code == 404
    token = csrf_token(manager, "/cases")
    response = manager.post(f"/cases/{case.id}/status", data={"csrf_token": token, "status": "contacted"})
    assert response.status_code == 404
    assert manager.post(f"/cases/{case.id}/assign", data={"csrf_token": token}).status_code == 404
    assert reload(case).status == "open"


def test_an_employee_sees_only_the_cases_handed_to_them(world, client_as, add_case, add_response):
    mine = add_case(add_response(world["north"]), assignee=world["employee"])
    not_mine = add_case(add_response(world["north"]))
    employee = client_as("employee")
    assert case_ids(employee.get("/cases").get_data(as_text=True)) == [mine.id]
    assert employee.get(f"/cases/{mine.id}").status_code == 200
    assert employee.get(f"/cases/{not_mine.id}").status_code == 404


def test_hr_sees_every_case_and_filters_by_store_and_status(world, client_as, add_case, add_response):
    north = add_case(add_response(world["north"]))
    south = add_case(add_response(world["south"]))
    closed = add_case(add_response(world["south"]), status="unreachable")
    hr = client_as("hr")
    assert sorted(case_ids(hr.get("/cases").get_data(as_text=True))) == [north.id, south.id]
    assert case_ids(hr.get(f"/cases?store={world['south'].id}").get_data(as_text=True)) == [south.id]
    assert case_ids(hr.get("/cases?status=unreachable").get_data(as_text=True)) == [closed.id]
    assert hr.get(f"/cases/{south.id}").status_code == 200


def test_the_contact_shows_to_the_store_manager_and_the_holder_but_not_to_hr(world, client_as, add_case, add_response):
    case = add_case(add_response(world["north"]), assignee=world["employee"])
    for role in ("manager", "employee"):
        html = client_as(role).get(f"/cases/{case.id}").get_data(as_text=True)
        assert CUSTOMER_NAME in html and CUSTOMER_CONTACT in html, role
    html = client_as("hr").get(f"/cases/{case.id}").get_data(as_text=True)
    assert CUSTOMER_NAME not in html and CUSTOMER_CONTACT not in html
    assert 'data-test="contact-hidden"' in html
    assert "Waited twenty minutes" in html  # HR still reads the answer


def test_hr_who_also_manages_the_store_sees_the_contact(world, app, add_case, add_response):
    # The store manager gets the HR role too: managing the store is what opens the contact, not HR.
    user = world["users"]["manager"]
    user.role_rows.append(UserRole(role="hr"))
    db.session.commit()
    case = add_case(add_response(world["north"]))
    client = app.test_client()
    login(client, user.email)
    assert CUSTOMER_CONTACT in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_an_erased_contact_says_so(world, client_as, add_case, add_response):
    case = add_case(add_response(world["north"]))
    db.session.execute(sa.delete(ResponseContact))
    db.session.commit()
    html = client_as("manager").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "erased after the retention period" in html
    assert CUSTOMER_NAME not in html


# --- moving a case on ------------------------------------------------------------------------------


def test_the_manager_marks_a_case_contacted_then_resolved_with_an_outcome(world, client_as, add_case, add_response):
    case = add_case(add_response(world["north"]))
    manager = client_as("manager")
    page = f"/cases/{case.id}"
    response = post(manager, f"{page}/status", {"status": "contacted", "notes": "Left a message first."}, page)
    assert response.status_code == 302
    case = reload(case)
    assert case.status == "contacted" and case.contacted_at is not None and case.closed_at is None

    response = post(manager, f"{page}/status", {"status": "resolved", "outcome": "apologised"}, page)
    assert response.status_code == 302
    case = reload(case)
    assert (case.status, case.outcome_code) == ("resolved", "apologised")
    assert case.closed_at >= case.contacted_at
    assert "Left a message first." in case.notes and "manager@test.example" in case.notes
    events = audit_rows("case.transition")
    assert [(e.before["status"], e.after["status"]) for e in events] == [
        ("open", "contacted"),
        ("contacted", "resolved"),
    ]
    assert events[-1].after["outcome_code"] == "apologised"
    assert events[-1].actor == "manager@test.example"

    html = manager.get(page).get_data(as_text=True)
    assert 'data-status="resolved"' in html and 'data-test="transition-form"' not in html


def test_resolving_straight_from_open_records_the_call(world, add_case, add_response):
    case = add_case(add_response(world["north"]))
    transition_case(case, "resolved", outcome="explained")
    db.session.commit()
    case = reload(case)
    assert case.contacted_at == case.closed_at


def test_unreachable_from_open_leaves_contacted_at_empty(world, add_case, add_response):
    case = add_case(add_response(world["north"]))
    transition_case(case, "unreachable", outcome="no_answer")
    db.session.commit()
    case = reload(case)
    assert case.contacted_at is None and case.closed_at is not None


def test_closing_without_an_outcome_is_refused_on_the_outcome_field(world, client_as, add_case, add_response):
    case = add_case(add_response(world["north"]))
    manager = client_as("manager")
    page = f"/cases/{case.id}"
    response = post(manager, f"{page}/status", {"status": "resolved"}, page)
    assert response.status_code == 400
    assert re.search(r'data-field="outcome">Choose an outcome', response.get_data(as_text=True))
    assert reload(case).status == "open"
    assert audit_rows("case.transition") == []


def test_an_outcome_must_fit_the_closing_status(world, client_as, add_case, add_response):
    case = add_case(add_response(world["north"]))
    manager = client_as("manager")
    page = f"/cases/{case.id}"
    response = post(manager, f"{page}/status", {"status": "resolved", "outcome": "wrong_number"}, page)
    assert response.status_code == 400
    assert 'data-field="outcome"' in response.get_data(as_text=True)
    response = post(manager, f"{page}/status", {"status": "unreachable", "outcome": "wrong_number"}, page)
    assert response.status_code == 302
    assert reload(case).outcome_code == "wrong_number"


@pytest.mark.parametrize("closed", ["resolved", "unreachable"])
def test_a_closed_case_never_moves_again(world, client_as, closed, add_case, add_response):
    case = add_case(add_response(world["north"]), status=closed)
    manager = client_as("manager")
    page = f"/cases/{case.id}"
    response = post(manager, f"{page}/status", {"status": "contacted"}, page)
    assert response.status_code == 409
    assert "cannot go from" in response.get_data(as_text=True)
    assert reload(case).status == closed


def test_the_person_holding_a_case_records_the_call(world, client_as, add_case, add_response):
    case = add_case(add_response(world["north"]), assignee=world["employee"])
    employee = client_as("employee")
    page = f"/cases/{case.id}"
    assert post(employee, f"{page}/status", {"status": "contacted"}, page).status_code == 302
    assert post(employee, f"{page}/note", {"notes": "Will call back Friday."}, page).status_code == 302
    assert "Will call back Friday." in reload(case).notes
    assert post(employee, f"{page}/note", {"notes": "  "}, page).status_code == 400


def test_hr_reads_a_case_but_cannot_record_calls(world, client_as, add_case, add_response):
    case = add_case(add_response(world["north"]))
    hr = client_as("hr")
    html = hr.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-test="transition-form"' not in html and 'data-test="assign-form"' not in html
    token = csrf_token(hr, "/cases")
    assert hr.post(f"/cases/{case.id}/status", data={"csrf_token": token, "status": "contacted"}).status_code == 403


# --- handing a case over ---------------------------------------------------------------------------


def test_the_manager_hands_a_case_to_a_team_member_and_takes_it_back(world, client_as, add_case, add_response):
    case = add_case(add_response(world["north"]))
    manager = client_as("manager")
    page = f"/cases/{case.id}"
    html = manager.get(page).get_data(as_text=True)
    assert f'value="{world["employee"].id}"' in html and f'value="{world["stranger"].id}"' not in html
    assert post(manager, f"{page}/assign", {"assignee": str(world["employee"].id)}, page).status_code == 302
    assert reload(case).assignee_id == world["employee"].id
    assert post(manager, f"{page}/assign", {"assignee": ""}, page).status_code == 302
    assert reload(case).assignee_id is None
    events = audit_rows("case.assign")
    assert [(e.before["assignee_id"], e.after["assignee_id"]) for e in events] == [
        (None, world["employee"].id),
        (world["employee"].id, None),
    ]


def test_a_case_goes_only_to_someone_currently_in_its_store(world, client_as, make_employee, add_case, add_response):
    case = add_case(add_response(world["north"]))
    gone = make_employee(world["north"], exit_date=date(2021, 1, 1))
    moved = make_employee(world["north"])  # moved to the south store in 2022
    moved.assignments[0].end_date = date(2022, 1, 1)
    moved.assignments.append(Assignment(store=world["south"], start_date=date(2022, 1, 2)))
    db.session.commit()
    manager = client_as("manager")
    page = f"/cases/{case.id}"
    for employee_id in (world["stranger"].id, gone.id, moved.id, 999_999):
        response = post(manager, f"{page}/assign", {"assignee": str(employee_id)}, page)
        assert response.status_code == 400, employee_id
        assert "currently working in its store" in response.get_data(as_text=True)
    assert post(manager, f"{page}/assign", {"assignee": "abc"}, page).status_code == 400
    assert reload(case).assignee_id is None and audit_rows("case.assign") == []


def test_a_closed_case_is_not_handed_over(world, add_case, add_response):
    case = add_case(add_response(world["north"]), status="resolved")
    with pytest.raises(CaseAssignmentError):
        assign_case(case, world["employee"].id, on=clock.today())


# --- privacy ---------------------------------------------------------------------------------------


def test_the_customer_contact_never_reaches_the_audit_log(world, client_as, add_case, add_response):
    case = add_case(add_response(world["north"]))
    manager = client_as("manager")
    page = f"/cases/{case.id}"
    note = f"Spoke with {CUSTOMER_NAME} at {CUSTOMER_CONTACT}."
    post(manager, f"{page}/assign", {"assignee": str(world["employee"].id)}, page)
    post(manager, f"{page}/note", {"notes": note}, page)
    post(manager, f"{page}/status", {"status": "contacted", "notes": note}, page)
    post(manager, f"{page}/status", {"status": "resolved", "outcome": "refunded", "notes": note}, page)
    assert reload(case).status == "resolved"
    assert len(audit_rows("case.assign") + audit_rows("case.note") + audit_rows("case.transition")) == 4
    rows = db.session.execute(sa.text("SELECT * FROM audit_events")).all()
    dump = " ".join(str(value) for row in rows for value in row)
    for secret in (CUSTOMER_NAME, CUSTOMER_CONTACT, "Jeanne", "clientele"):
        assert secret not in dump


# --- notice ----------------------------------------------------------------------------------------


def test_case_notice_counts_new_and_overdue_open_cases_of_the_user(world, add_case, add_response):
    now = utcnow()
    for hours in (5, 30):
        add_case(add_response(world["north"]), due_at=now + timedelta(hours=hours))
    add_case(add_response(world["north"]), due_at=now - timedelta(hours=1))
    add_case(add_response(world["north"]), status="contacted", due_at=now - timedelta(hours=1))
    add_case(add_response(world["north"]), status="resolved")
    add_case(add_response(world["south"]), due_at=now - timedelta(hours=1))
    add_case(add_response(world["north"]), assignee=world["employee"], due_at=now - timedelta(hours=2))
    users = world["users"]
    assert case_notice(users["manager"], now) == {"new": 2, "overdue": 2}
    assert case_notice(users["employee"], now) == {"new": 0, "overdue": 1}
    assert case_notice(users["hr"], now) == {"new": 0, "overdue": 0}


def test_the_notice_include_links_to_the_queue(world, app, add_case, add_response):
    add_case(add_response(world["north"]), due_at=utcnow() - timedelta(hours=1))
    template = '{% include "feedback/_case_notice.html" %}'
    with app.test_request_context("/"):
        login_user(world["users"]["manager"])
        html = render_template_string(template)
    assert 'data-test="case-notice"' in html and "0 new, 1 overdue" in html and 'href="/cases"' in html
    with app.test_request_context("/"):
        login_user(world["users"]["hr"])
        assert "case-notice" not in render_template_string(template)


# --- call guide and exclusion shown on the case ----------------------------------------------------


def test_hr_writes_the_call_guide_shown_escaped_with_line_breaks(world, client_as, add_case, add_response):
    case = add_case(add_response(world["north"]))
    hr = client_as("hr")
    guide = "Introduce yourself.\r\n<b>Listen</b> first & apologise."
    assert post(hr, "/cases/guide", {"guide": guide}, "/cases/guide").status_code == 302
    assert db.session.get(Setting, "call_guide").value == "Introduce yourself.\n<b>Listen</b> first & apologise."
    html = client_as("manager").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Introduce yourself.<br>&lt;b&gt;Listen&lt;/b&gt; first &amp; apologise.<br>" in html
    (event,) = audit_rows("setting.change")
    assert event.object_id == "call_guide" and event.before == {"value": ""}


def test_an_excluded_response_keeps_its_case_which_shows_the_exclusion(world, client_as, add_case, add_response):
    case = add_case(add_response(world["north"], excluded=True, reason="test: trial run"))
    html = client_as("manager").get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-test="excluded"' in html and "Test answer" in html and "trial run" in html
    assert case.id in case_ids(client_as("manager").get("/cases").get_data(as_text=True))


# --- happy customers -------------------------------------------------------------------------------


def response_ids(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'data-response="(\d+)"', html)}


@pytest.fixture
def praise(world, add_response):
    """Promoter comments in both stores, one attributed to the employee from the other store, and noise."""
    north, south = world["north"], world["south"]
    rows = {
        "north": add_response(north, nps=10, comment="Lovely team!", consent=False),
        "north_for_eve": add_response(north, nps=9, comment="Eve found my size.", employee=world["employee"]),
        "south": add_response(south, nps=9, comment="Quick and kind."),
        "south_for_eve": add_response(south, nps=10, comment="Eve helped while visiting.", employee=world["employee"]),
        "detractor": add_response(north, nps=4, comment="Too slow."),
        "silent": add_response(north, nps=10, comment=None),
        "excluded": add_response(north, nps=10, comment="Asked by staff to give 10.", excluded=True, reason="test"),
    }
    return {key: r.id for key, r in rows.items()}


def test_an_employee_sees_their_stores_promoters_and_the_praise_about_them(client_as, praise):
    html = client_as("employee").get("/happy").get_data(as_text=True)
    assert response_ids(html) == {praise["north"], praise["north_for_eve"], praise["south_for_eve"]}
    mine = {int(n) for n in re.findall(r'data-response="(\d+)" data-mine="1"', html)}
    assert mine == {praise["north_for_eve"], praise["south_for_eve"]}
    assert CUSTOMER_NAME not in html and CUSTOMER_CONTACT not in html


def test_managers_see_their_stores_and_hr_sees_every_store(client_as, praise):
    manager = response_ids(client_as("manager").get("/happy").get_data(as_text=True))
    assert manager == {praise["north"], praise["north_for_eve"]}
    hr = response_ids(client_as("hr").get("/happy").get_data(as_text=True))
    assert hr == {praise["north"], praise["north_for_eve"], praise["south"], praise["south_for_eve"]}


def test_managers_get_a_thank_link_to_the_recognition_award_form(client_as, praise, monkeypatch):
    html = client_as("manager").get("/happy").get_data(as_text=True)
    # Only the comment that names someone of the manager's store can be turned into an award.
    assert html.count('data-test="thank"') == 1
    assert f'href="/recognition/award/compliment/{praise["north_for_eve"]}" data-test="thank"' in html
    assert 'data-test="thank"' not in client_as("employee").get("/happy").get_data(as_text=True)
    # Without the recognition feature the feed still renders, without the link.
    monkeypatch.setattr(routes_cases, "RECOGNITION_ENDPOINT", "recognition.no_such_endpoint")
    assert 'data-test="thank"' not in client_as("manager").get("/happy").get_data(as_text=True)


def test_the_feed_shows_newest_first(world, client_as, add_response):
    old = add_response(world["north"], nps=9, comment="Old praise", answered_at=utcnow() - timedelta(days=40))
    new = add_response(world["north"], nps=9, comment="New praise")
    html = client_as("manager").get("/happy").get_data(as_text=True)
    assert html.index(f'data-response="{new.id}"') < html.index(f'data-response="{old.id}"')
