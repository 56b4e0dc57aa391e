"""Notifications: real e-mails through a local SMTP server, sent from the queue, once per event, in the user's
language; the weekly digest and `flask notify send-due`; the preferences page and the home-page notices."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.notify import services
from app.notify.kinds import Mode
from app.notify.models import Notification


@pytest.fixture
def team(world, give_budget):
    """The world with the employee reachable at their own address, and a budget for their manager."""
    world["employee"].email = "eve@shop.example"
    db.session.commit()
    give_budget(world["manager_emp"], 500)
    return world


def rows() -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).order_by(Notification.id)))


@pytest.mark.parametrize(
    ("language", "subject", "said"),
    [("fr", "Vous avez reçu 40 points", "vous a donné 40 points"), ("en", "You received 40 points", "gave you 40")],
)
def test_an_award_is_emailed_from_the_queue_in_the_employees_language(
    team, give, smtp_server, job_queue, drain, language, subject, said
):
    team["employee"].language = language
    db.session.commit()
    give(team["users"]["manager"], team["employee"], 40, message="Thanks for the calm with that customer")
    assert smtp_server.messages == []  # nothing leaves before the queue runs
    assert drain(job_queue) == 1
    [message] = smtp_server.messages
    assert message["To"] == "eve@shop.example"
    assert message["Subject"] == subject
    assert message["Content-Language"] == language
    assert message["X-Primo-Notification"].startswith("primo-n")
    assert message["From"].addresses[0].addr_spec == "primo@shop.example"
    body = message.get_content()
    assert said in body and "Thanks for the calm with that customer" in body
    assert [(r.kind, r.status) for r in rows()] == [("points_awarded", "sent")]


def test_a_failed_send_is_tried_again_later_and_sent_once(
    app, team, give, smtp_server, closed_port, job_queue, drain, monkeypatch
):
    port = app.config["PRIMO_SMTP_PORT"]
    monkeypatch.setitem(app.config, "PRIMO_SMTP_PORT", closed_port)  # the server is down
    give(team["users"]["manager"], team["employee"], 40)
    drain(job_queue)
    [row] = rows()
    assert (row.status, row.attempts) == ("pending", 1)
    assert "Connection refused" in row.last_error or row.last_error
    assert job_queue.scheduled_count() == 1  # the retry waits a minute

    monkeypatch.setitem(app.config, "PRIMO_SMTP_PORT", port)  # back up
    drain(job_queue, later=120)
    assert len(smtp_server.messages) == 1
    db.session.expire_all()
    assert rows()[0].status == "sent"
    # A duplicate task (a consumer that died after sending, a second enqueue) sends nothing more.
    job_queue.primo_notify(row.id)
    drain(job_queue)
    assert services.deliver(row.id) is False
    assert len(smtp_server.messages) == 1


def test_a_message_is_given_up_after_its_last_retry(app, team, give, closed_port, job_queue, drain, monkeypatch):
    monkeypatch.setitem(app.config, "PRIMO_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "PRIMO_SMTP_PORT", closed_port)
    monkeypatch.setitem(app.config, "PRIMO_SMTP_SECURITY", "none")
    give(team["users"]["manager"], team["employee"], 40)
    drain(job_queue, later=3 * 3600)
    db.session.expire_all()
    [row] = rows()
    assert (row.status, row.attempts) == ("failed", 5)


def test_two_senders_at_once_send_a_notification_once(team, give, smtp_server, concurrently):
    give(team["users"]["manager"], team["employee"], 40)  # no job_queue: the task is left to the two senders
    row_id = rows()[0].id
    outcomes = concurrently(lambda: str(services.deliver(row_id)), lambda: str(services.deliver(row_id)))
    assert sorted(outcomes) == ["False", "True"]
    assert len(smtp_server.messages) == 1


def test_the_same_event_is_recorded_once_even_from_two_writers_at_once(team, concurrently):
    user_id = team["users"]["employee"].id

    def record() -> str:
        from app.auth.models import User

        found = services.notify(
            db.session.get(User, user_id), "points_awarded", "award:77", points=5, giver="M", message="m"
        )
        db.session.commit()
        return "recorded" if found is not None else "already"

    assert sorted(concurrently(record, record)) == ["already", "recorded"]
    assert record() == "already"
    assert len(rows()) == 1


def test_off_records_nothing_and_digest_waits_for_the_weekly_email(
    team, give, give_budget, smtp_server, job_queue, drain, runner, frozen_time
):
    user = team["users"]["employee"]
    services.set_modes(user, {"points_awarded": Mode.DIGEST, "compliment_received": Mode.OFF})
    db.session.commit()
    frozen_time(datetime(2026, 11, 18, 10, 0, tzinfo=UTC))  # a Wednesday
    give_budget(team["manager_emp"], 500)
    give(team["users"]["manager"], team["employee"], 40)
    give(team["users"]["manager"], team["employee"], 15)
    drain(job_queue)
    assert smtp_server.messages == []
    result = runner.invoke(args=["notify", "send-due", "--as-of", "2026-11-22"])  # Sunday: the week is not over
    assert result.exit_code == 0, result.output
    assert smtp_server.messages == []

    for _ in range(2):  # Monday, then again: one digest
        result = runner.invoke(args=["notify", "send-due", "--as-of", "2026-11-23", "--json"])
        assert result.exit_code == 0, result.output
    [digest] = smtp_server.messages
    assert digest["Subject"] == "Your Primo week: 2 notifications"
    body = digest.get_content()
    assert "You received 40 points" in body and "You received 15 points" in body


def test_an_employee_without_an_email_reads_notifications_on_the_home_page(
    team, give, smtp_server, job_queue, drain, client_as, post
):
    team["employee"].email = None
    db.session.commit()
    give(team["users"]["manager"], team["employee"], 40)
    drain(job_queue)
    assert smtp_server.messages == []
    assert [r.status for r in rows()] == ["inapp"]
    client = client_as("employee")
    page = client.get("/").get_data(as_text=True)
    assert 'data-test="notify-inbox"' in page and "You received 40 points" in page
    assert post(client, "/notifications/read", {}).status_code == 302
    assert 'data-test="notify-inbox"' not in client.get("/").get_data(as_text=True)


def test_send_due_tells_managers_of_overdue_cases_and_employees_of_expiring_points_once(
    team, smtp_server, job_queue, drain, runner, add_response, add_case, credit, frozen_time
):
    frozen_time(datetime(2026, 11, 16, 9, 30, tzinfo=UTC))
    team["users"]["manager"].employee.email = "mona@shop.example"
    db.session.commit()
    case = add_case(add_response(team["north"], answered_at=datetime(2026, 11, 10, 9, 0, tzinfo=UTC)))
    credit(team["employee"], 30, date(2025, 12, 1))  # they expire on 1 December 2026
    for _ in range(2):
        result = runner.invoke(args=["notify", "send-due", "--as-of", "2026-11-16", "--json"])
        assert result.exit_code == 0, result.output
        drain(job_queue)  # what send-due records for "immediately" goes through the queue
    fresh = add_case(add_response(team["north"], answered_at=datetime(2026, 11, 16, 8, 0, tzinfo=UTC)))
    runner.invoke(args=["notify", "send-due", "--as-of", "2026-11-16"])
    assert [r.event_key for r in rows() if r.kind == "case_opened"] == [f"case:{fresh.id}"]
    kinds = sorted((r.kind, r.user_id) for r in rows() if r.kind in ("case_overdue", "points_expiring"))
    assert kinds == sorted(
        [("case_overdue", team["users"]["manager"].id), ("points_expiring", team["users"]["employee"].id)]
    )
    overdue = [m for m in smtp_server.messages if "overdue" in m["Subject"]]
    assert len(overdue) == 1 and f"case {case.id}" in overdue[0]["Subject"]


def test_send_due_refuses_a_bad_date(runner):
    result = runner.invoke(args=["notify", "send-due", "--as-of", "16/11/2026"])
    assert result.exit_code != 0
    assert "--as-of" in result.output


def test_the_preferences_page_saves_each_choice_with_an_audit_record(team, client_as, post):
    client = client_as("employee")
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "I receive points" in page and "A bonus run awaits approval" not in page
    form = {
        "points_awarded": "off",
        "compliment_received": "digest",
        "points_expiring": "digest",
        "statement_ready": "immediate",
        "question_answered": "immediate",
    }
    assert post(client, "/account/notifications", form, page="/account/notifications").status_code == 302
    modes = services.modes_of(team["users"]["employee"])
    assert (modes["points_awarded"], modes["compliment_received"]) == (Mode.OFF, Mode.DIGEST)
    from app.audit.models import AuditEvent

    [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "notify.preferences"))
    assert event.after == {"points_awarded": "off", "compliment_received": "digest"}
    forged = form | {"points_awarded": "sometimes"}
    assert post(client, "/account/notifications", forged, page="/account/notifications").status_code == 400


def test_a_case_opened_tells_the_stores_manager_in_their_language(team, add_response, smtp_server, job_queue, drain):
    from app.feedback.cases import open_case_for_response

    manager = team["users"]["manager"]
    manager.employee.email = "mona@shop.example"
    manager.employee.language = "fr"
    db.session.commit()
    case = open_case_for_response(add_response(team["north"], answered_at=datetime(2026, 11, 16, 8, 0, tzinfo=UTC)))
    db.session.commit()
    drain(job_queue)
    [message] = smtp_server.messages
    assert message["To"] == "mona@shop.example"
    assert message["Subject"] == "Un client de A1 Store A1 attend votre appel"
    assert f"{case.id}" in message.get_content() and "18 novembre 2026" in message.get_content()


@pytest.fixture(scope="module", autouse=True)
def _stop_render_pools():
    yield
    from app.reports.statements import bulk

    bulk.shutdown_pools()


def test_a_submitted_run_tells_the_other_hr_user_and_stored_statements_tell_the_employees(
    paid_world, make_run, smtp_server, job_queue, drain
):
    run = make_run("approved")  # hr1 submits, hr2 approves: statements are queued for rendering
    drain(job_queue)  # the approval e-mail, the rendering, then the "statement ready" notices it records
    awaiting = [m for m in smtp_server.messages if m["Subject"] == f"Bonus run {run.id} awaits approval"]
    assert [m["To"] for m in awaiting] == ["hr2@test.example"]
    assert "hr1@test.example submitted bonus run" in awaiting[0].get_content()
    ready = {r.user.employee.number for r in rows() if r.kind == "statement_ready"}
    assert ready == {"W1", "H1"}


def _ask_and_answer(paid_run, number: str, email: str, client_for, post, answer: str) -> None:
    """Employee `number` asks about their line of the approved run from "my bonus"; hr1 answers from the queue."""
    from app.incentives.models import LineQuestion, RunLine
    from app.org.models import Employee

    line = db.session.scalar(
        sa.select(RunLine.id).join(Employee).where(RunLine.run_id == paid_run.id, Employee.number == number)
    )
    employee = client_for(email)
    asked = post(
        employee, f"/my/bonus/lines/{line}/question", {"question": "Why is my NPS part not 100 %?"}, page="/my/bonus"
    )
    assert asked.status_code == 302
    question = db.session.scalar(sa.select(LineQuestion).where(LineQuestion.line_id == line))
    hr = client_for("hr1@test.example")
    page = f"/questions/{question.id}"
    assert post(hr, page, {"answer": answer}, page=page).status_code == 302


def test_a_question_answered_is_emailed_to_the_employee_in_their_language(
    paid_world, paid_run, client_for, post, smtp_server, job_queue, drain
):
    paid_world["whole"].email = "wanda@shop.example"  # W1 reads French
    db.session.commit()
    drain(job_queue)  # the approval's own notices and statements
    smtp_server.messages.clear()
    _ask_and_answer(paid_run, "W1", "whole@test.example", client_for, post, "Le NPS du magasin était sous la cible.")
    drain(job_queue)
    [message] = [m for m in smtp_server.messages if m["To"] == "wanda@shop.example"]
    assert message["Subject"] == "Votre question sur votre relevé 2026-Q3 a reçu une réponse"
    assert message["Content-Language"] == "fr"
    assert "hr1@test.example a répondu : « Le NPS du magasin était sous la cible. »" in message.get_content()
    [row] = [r for r in rows() if r.kind == "question_answered"]
    assert row.status == "sent"
    drain(job_queue)
    assert len([m for m in smtp_server.messages if m["To"] == "wanda@shop.example"]) == 1  # never twice


def test_a_question_answered_shows_on_the_home_page_of_an_employee_without_email(
    paid_world, paid_run, client_for, post, smtp_server, job_queue, drain
):
    assert paid_world["hired"].email is None  # H1 reads English and has no address
    drain(job_queue)
    smtp_server.messages.clear()
    _ask_and_answer(paid_run, "H1", "hired@test.example", client_for, post, "Your first month counts pro rata.")
    drain(job_queue)
    assert smtp_server.messages == []
    [row] = [r for r in rows() if r.kind == "question_answered"]
    assert row.status == "inapp"
    home = client_for("hired@test.example").get("/").get_data(as_text=True)
    assert 'data-test="notify-inbox"' in home
    assert "Your question about your 2026-Q3 statement was answered" in home


def test_the_demo_leaves_notifications_sent_pending_and_on_a_home_page_and_some_choices(seed_demo, app, frozen_time):
    from app.auth.models import User
    from app.notify.models import NotificationPreference
    from tests.conftest import MID_QUARTER, login

    frozen_time(MID_QUARTER)
    result = seed_demo()
    assert result.exit_code == 0, result.output
    assert "Demo notifications:" in result.output
    statuses = {row.status for row in rows()}
    assert {"sent", "pending", "inapp"} <= statuses
    # Only the store account without an e-mail address reads its notices on the home page.
    assert {r.user.email for r in rows() if r.status == "inapp"} == {"staff@example.com"}
    client = app.test_client()
    assert login(client, "staff@example.com", "primo-demo").status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert 'data-test="notify-inbox"' in home
    manager_choices = dict(
        db.session.execute(
            sa.select(NotificationPreference.kind, NotificationPreference.mode)
            .join(User, User.id == NotificationPreference.user_id)
            .where(User.email == "manager@example.com")
        )
        .tuples()
        .all()
    )
    assert manager_choices["case_opened"] == "digest"
