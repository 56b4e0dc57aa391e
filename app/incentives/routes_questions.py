"""HR's queue of employees' questions on their lines: read, answer, and correct through a draft run's adjustment."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.auth.access import allow
from app.extensions import db
from app.incentives import questions, wording
from app.incentives.blueprint import bp
from app.incentives.forms_runs import AnswerForm
from app.incentives.models import LineQuestion, RunLine
from app.incentives.objectives import custom_kpi_names
from app.incentives.routes_common import acting_user, currency


@bp.route("/questions")
@allow("hr")
def questions_queue():
    """List employees' questions, unanswered first."""
    return render_template("incentives/questions.html", questions=questions.queue())


def _question_or_404(question_id: int) -> LineQuestion:
    question = db.session.get(LineQuestion, question_id)
    if question is None:
        abort(404)
    return question


def _render(question: LineQuestion, form: AnswerForm, status: int = 200):
    line = db.session.get(RunLine, question.line_id) if question.line_id else None
    explanation = (
        wording.explain_line(line.trace, "fr", currency(), custom=custom_kpi_names()) if line is not None else None
    )
    drafts = questions.draft_runs_for(question)
    reason = _("Question #%(id)d", id=question.id)
    return (
        render_template(
            "incentives/question.html",
            question=question,
            line=line,
            explanation=explanation,
            drafts=drafts,
            reason=reason,
            form=form,
        ),
        status,
    )


@bp.route("/questions/<int:question_id>", methods=["GET", "POST"])
@allow("hr")
def question_detail(question_id: int):
    """Read a question with the line it is about, answer it, or open a draft run's adjustment form for it."""
    question = _question_or_404(question_id)
    form = AnswerForm()
    if form.is_submitted():
        if not form.validate():
            return _render(question, form, 400)
        try:
            questions.answer(question, acting_user(), form.answer.data)
        except questions.QuestionError as exc:
            db.session.rollback()
            form.answer.errors = [*form.answer.errors, str(exc)]
            return _render(question, form, 400)
        db.session.commit()
        flash(_("Answer saved: the employee sees it on their bonus page."), "success")
        return redirect(url_for("incentives.question_detail", question_id=question.id))
    if question.answer:
        form.answer.data = question.answer
    return _render(question, form)
