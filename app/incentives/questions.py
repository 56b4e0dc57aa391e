"""Questions on bonus lines: an employee asks about a line of their own approved run, HR answers.

An answer may lead to an adjustment: HR opens a draft run of the same scheme with the adjustment form filled in
(a correction naming the line). Every question and answer is audited. Services flush; the route commits.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.audit.services import record
from app.auth.models import User
from app.dbtypes import utcnow
from app.extensions import db
from app.incentives.models import PAID_STATUSES, BonusRun, LineQuestion, RunLine, RunStatus, Scheme, SchemeVersion
from app.notify import events as notify_events
from app.org.models import Employee


class QuestionError(ValueError):
    """A question or answer that cannot be accepted; the message names the field."""


def ask(line: RunLine, employee: Employee, text: str) -> LineQuestion:
    """Record an employee's question about one of their own lines of an approved (or exported) run."""
    if line.employee_id != employee.id:
        raise QuestionError("line: not one of your lines")
    if line.run.status not in PAID_STATUSES:
        raise QuestionError("line: the run is not approved yet")
    text = (text or "").strip()
    if len(text) < 10:
        raise QuestionError("question: at least 10 characters")
    question = LineQuestion(run_id=line.run_id, employee_id=employee.id, line_id=line.id, question=text[:2000])
    db.session.add(question)
    db.session.flush()
    record(
        "question.ask",
        "line_question",
        question.id,
        summary=f"{employee.number} about line {line.id} of run {line.run_id}",
        after={"line": line.id, "run": line.run_id},
    )
    return question


def answer(question: LineQuestion, user: User, text: str) -> None:
    """Answer (or re-answer) a question; the previous answer stays in the audit log."""
    text = (text or "").strip()
    if len(text) < 2:
        raise QuestionError("answer: required")
    before = {"answer": question.answer, "answered_by": question.answered_by}
    question.answer = text[:4000]
    question.answered_by = user.email
    question.answered_at = utcnow()
    record(
        "question.answer",
        "line_question",
        question.id,
        summary=f"answered by {user.email}",
        before=before,
        after={"answer": question.answer, "answered_by": user.email},
    )
    notify_events.question_answered(question, user)


def queue() -> list[LineQuestion]:
    """Every question, unanswered first, oldest first."""
    return list(
        db.session.scalars(
            sa.select(LineQuestion).order_by(
                LineQuestion.answered_at.is_not(None), LineQuestion.asked_at, LineQuestion.id
            )
        )
    )


def questions_of(employee: Employee) -> list[LineQuestion]:
    return list(
        db.session.scalars(
            sa.select(LineQuestion).where(LineQuestion.employee_id == employee.id).order_by(LineQuestion.asked_at)
        )
    )


def draft_runs_for(question: LineQuestion) -> list[BonusRun]:
    """Draft runs of the question's scheme (any version), where a correction can be added."""
    run = db.session.get(BonusRun, question.run_id)
    if run is None:
        return []
    scheme_id = run.version.scheme_id
    return list(
        db.session.scalars(
            sa.select(BonusRun)
            .join(SchemeVersion, SchemeVersion.id == BonusRun.version_id)
            .join(Scheme, Scheme.id == SchemeVersion.scheme_id)
            .where(Scheme.id == scheme_id, BonusRun.status == RunStatus.DRAFT)
            .order_by(BonusRun.period.desc(), BonusRun.id.desc())
        )
    )
