"""Questions on lines: an employee asks about their own approved line, HR answers and may correct it through a
pre-filled adjustment in a draft run of the same scheme."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.extensions import db
from app.incentives import runs
from app.incentives.models import LineQuestion, RunAdjustment, RunLine


@pytest.fixture
def approved(app, build_worked_example):
    """The worked example's run for 2026-Q3, approved by a second HR user."""
    worked = build_worked_example()
    run = runs.create_run("STORE-NPS-CSAT", "2026-Q3")
    runs.compute(run)
    runs.submit(run, worked.users["hr1"])
    runs.approve(run, worked.users["hr2"])
    db.session.commit()
    line = db.session.scalar(sa.select(RunLine).where(RunLine.run_id == run.id, RunLine.employee_id == worked.whole.id))
    other = db.session.scalar(
        sa.select(RunLine).where(RunLine.run_id == run.id, RunLine.employee_id == worked.hired.id)
    )
    return {"worked": worked, "run": run, "line": line, "other": other}


@pytest.fixture
def ask(post):
    """ask(client, line_id, question): ask a question on a line from "my bonus"."""
    return lambda client, line_id, question: post(
        client, f"/my/bonus/lines/{line_id}/question", {"question": question}, page="/my/bonus"
    )


def test_an_employee_asks_about_their_own_line(app, approved, client_for, text, ask):
    w1 = client_for("w1@test.example")
    response = ask(w1, approved["line"].id, "Why is my NPS part only 62.5 %?")
    assert response.status_code == 302
    question = db.session.scalar(sa.select(LineQuestion))
    assert (question.line_id, question.employee_id) == (approved["line"].id, approved["worked"].whole.id)
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "question.ask")) is not None
    assert "Why is my NPS part only 62.5 %?" in text(w1.get("/my/bonus"))


def test_a_question_needs_ten_characters(app, approved, client_for, text, ask):
    w1 = client_for("w1@test.example")
    response = ask(w1, approved["line"].id, "why?")
    assert response.status_code == 400
    assert 'data-field="question"' in text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LineQuestion)) == 0


def test_nobody_asks_about_someone_elses_line_or_an_unapproved_one(app, approved, client_for, ask):
    w1 = client_for("w1@test.example")
    assert ask(w1, approved["other"].id, "This is not my line at all").status_code == 404
    draft = runs.create_run("STORE-NPS-CSAT", "2026-Q2")
    runs.compute(draft)
    db.session.commit()
    draft_line = db.session.scalar(sa.select(RunLine.id).where(RunLine.run_id == draft.id))
    assert ask(w1, draft_line, "A question on a draft line").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LineQuestion)) == 0


def test_hr_sees_the_queue_answers_and_the_employee_reads_the_answer(app, approved, client_for, post, text, ask):
    w1 = client_for("w1@test.example")
    ask(w1, approved["line"].id, "Why is my NPS part only 62.5 %?")
    question = db.session.scalar(sa.select(LineQuestion))
    hr = client_for("hr1@test.example")
    queue = text(hr.get("/questions"))
    assert f'class="open" data-question="{question.id}"' in queue
    detail = text(hr.get(f"/questions/{question.id}"))
    assert "62.5 %" in detail and "n = 120" in detail  # the question and how the line was computed
    empty = post(hr, f"/questions/{question.id}", {"answer": ""}, page=f"/questions/{question.id}")
    assert empty.status_code == 400
    response = post(
        hr,
        f"/questions/{question.id}",
        {"answer": "NPS 35.0 sits between 30 and 50 on the curve."},
        page=f"/questions/{question.id}",
    )
    assert response.status_code == 302
    db.session.refresh(question)
    assert question.answered_by == "hr1@test.example"
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "question.answer")) is not None
    assert "NPS 35.0 sits between 30 and 50 on the curve." in text(w1.get("/my/bonus"))
    assert f'class="answered" data-question="{question.id}"' in text(hr.get("/questions"))


def test_hr_corrects_a_line_from_a_question_with_a_prefilled_adjustment(app, approved, client_for, post, text, ask):
    w1 = client_for("w1@test.example")
    ask(w1, approved["line"].id, "My CSAT answers from September are missing.")
    question = db.session.scalar(sa.select(LineQuestion))
    hr = client_for("hr1@test.example")
    assert "No draft run of this scheme" in text(hr.get(f"/questions/{question.id}")) or "draft-runs" in text(
        hr.get(f"/questions/{question.id}")
    )
    later = runs.create_run("STORE-NPS-CSAT", "2026-Q4")
    db.session.commit()
    detail = html.unescape(text(hr.get(f"/questions/{question.id}")))
    link = detail.split('data-test="draft-runs"')[1].split('href="')[1].split('"')[0]
    assert link.startswith(f"/runs/{later.id}?")
    run_page = text(hr.get(link.split("#")[0]))
    form = run_page.split('data-test="adjust-form"')[1].split("</form>")[0]
    assert re.search(r'name="employee"[^>]*value="W1"', form)
    assert re.search(rf'name="corrects"[^>]*value="{approved["line"].id}"', form)
    assert f"Question #{question.id}" in html.unescape(form)
    response = post(
        hr,
        f"/runs/{later.id}/adjust",
        {
            "employee": "W1",
            "amount": "8.40",
            "reason": f"Question #{question.id}: late CSAT answers",
            "corrects": str(approved["line"].id),
            "question": str(question.id),
        },
    )
    assert response.status_code == 302, text(response)
    adjustment = db.session.scalar(sa.select(RunAdjustment))
    assert (adjustment.run_id, adjustment.corrects_line_id, adjustment.amount) == (
        later.id,
        approved["line"].id,
        Decimal("8.40"),
    )


def test_the_question_pages_are_for_hr_only(app, approved, client_for, ask):
    w1 = client_for("w1@test.example")
    ask(w1, approved["line"].id, "Why is my NPS part only 62.5 %?")
    question = db.session.scalar(sa.select(LineQuestion))
    assert w1.get("/questions").status_code == 403
    assert w1.get(f"/questions/{question.id}").status_code == 403
