"""Bonus run pages for HR: list and create, review lines with filters and store totals, coin flips and fallbacks
before approval, the run's history, and the actions (compute, submit, approve, reject, adjust), each through
runs.py, which holds every rule on a run's state.

The page offers the run's next step as its main button. A state that forbids an action, and a four-eyes refusal,
show the run page again with the reason (409); a bad field re-renders it with the error under the field (400).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from app.auth.access import allow
from app.auth.forms import ActionForm
from app.extensions import db
from app.feedback import flags
from app.incentives import runs, wording
from app.incentives.blueprint import bp
from app.incentives.forms_runs import AdjustForm, CommentForm, CreateRunForm, RejectForm
from app.incentives.models import (
    RUN_WITH_SCHEME,
    BonusRun,
    LineQuestion,
    RunAdjustment,
    RunLine,
    RunStatus,
    Scheme,
    SchemeVersion,
)
from app.incentives.objectives import custom_kpi_names
from app.incentives.routes_common import acting_user, currency, trace_charts
from app.incentives.scheme_format import read_document
from app.incentives.schemes import SchemeError
from app.org.models import Employee, Store
from app.periods import Period

PER_PAGE = 50
REVIEW_STATUSES = (RunStatus.DRAFT, RunStatus.SUBMITTED)
CREATE_FIELDS = {"period", "corrective_reason"}


def _run_or_404(run_id: int) -> BonusRun:
    run = db.session.get(BonusRun, run_id, options=RUN_WITH_SCHEME)
    if run is None:
        abort(404)
    return run


def _version_choices() -> list[SelectChoice]:
    versions = db.session.scalars(
        sa.select(SchemeVersion).join(Scheme).order_by(Scheme.code, SchemeVersion.version.desc())
    )
    return [SelectChoice(f"{v.scheme.code}:{v.version}", f"{v.scheme.code} v{v.version} — {v.name}") for v in versions]


def _render_list(form: CreateRunForm, status: int = 200):
    all_runs = db.session.scalars(
        sa.select(BonusRun)
        .options(selectinload(BonusRun.version).selectinload(SchemeVersion.scheme))
        .order_by(BonusRun.period.desc(), BonusRun.id.desc())
    ).all()
    counts = dict(
        db.session.execute(sa.select(RunLine.run_id, sa.func.count()).group_by(RunLine.run_id)).tuples().all()
    )
    return render_template("incentives/runs.html", runs=all_runs, counts=counts, form=form), status


@bp.route("/runs")
@allow("hr")
def runs_list():
    """List every run (newest period first) with a form to open a new one."""
    form = CreateRunForm()
    form.version.choices = _version_choices()
    return _render_list(form)


@bp.route("/runs/new", methods=["POST"])
@allow("hr")
def run_create():
    """Open a draft run for a scheme version and a period (a corrective one, for a period already paid, with a
    written reason)."""
    form = CreateRunForm()
    form.version.choices = _version_choices()
    if not form.validate_on_submit():
        return _render_list(form, 400)
    code, _sep, number = form.version.data.partition(":")
    try:
        run = runs.create_run(code, form.period.data, int(number), form.corrective_reason.data)
    except (runs.RunError, SchemeError) as exc:
        db.session.rollback()
        field = exc.field if isinstance(exc, runs.RunError) and exc.field in CREATE_FIELDS else "period"
        target = getattr(form, field)
        target.errors = [*target.errors, exc.message if isinstance(exc, runs.RunError) else str(exc)]
        return _render_list(form, 409 if isinstance(exc, runs.RunStateError) else 400)
    db.session.commit()
    if run.corrective:
        flash(
            _(
                "Draft corrective run %(id)d opened: once computed, it pays only the difference with run %(paid)d.",
                id=run.id,
                paid=run.corrects_run_id,
            ),
            "success",
        )
    else:
        flash(_("Draft run %(id)d opened: compute it to see its lines.", id=run.id), "success")
    for warning in runs.run_warnings(run):
        flash(warning, "warning")
    return redirect(url_for("incentives.run_detail", run_id=run.id))


def _filtered_lines(run: BonusRun) -> tuple[sa.Select, dict]:
    filters = {
        "store": request.args.get("store", type=int),
        "q": request.args.get("q", "").strip(),
        "late": request.args.get("late") == "1",
    }
    query = (
        sa.select(RunLine)
        .join(Employee, Employee.id == RunLine.employee_id)
        .where(RunLine.run_id == run.id)
        .options(selectinload(RunLine.employee), selectinload(RunLine.store))
    )
    if filters["store"]:
        query = query.where(RunLine.store_id == filters["store"])
    if filters["q"]:
        pattern = f"%{filters['q'].lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(Employee.number).like(pattern),
                sa.func.lower(Employee.first_name).like(pattern),
                sa.func.lower(Employee.last_name).like(pattern),
            )
        )
    if filters["late"]:
        query = query.where(RunLine.objectives_late.is_(True))
    return query.order_by(Employee.number, RunLine.id), filters


def _adjust_form_from_args() -> AdjustForm:
    form = AdjustForm()
    if request.method == "GET":
        form.employee.data = request.args.get("employee", "")
        form.corrects.data = request.args.get("corrects", "")
        form.reason.data = request.args.get("reason", "")
        form.question.data = request.args.get("question", "")
    return form


def _render_run(
    run: BonusRun,
    *,
    adjust: AdjustForm | None = None,
    reject: RejectForm | None = None,
    comment: CommentForm | None = None,
    refusal: str | None = None,
    status: int = 200,
):
    """The run page; `refusal` is why the action just asked for was refused (shown at the top, with `status`)."""
    query, filters = _filtered_lines(run)
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    review = run.status in REVIEW_STATUSES and run.computed_at is not None
    late_lines = db.session.scalar(
        sa.select(sa.func.count()).where(RunLine.run_id == run.id, RunLine.objectives_late.is_(True))
    )
    adjustments = db.session.scalars(
        sa.select(RunAdjustment)
        .where(RunAdjustment.run_id == run.id)
        .options(selectinload(RunAdjustment.employee))
        .order_by(RunAdjustment.id)
    ).all()
    user = acting_user()
    return (
        render_template(
            "incentives/run_detail.html",
            run=run,
            page=page,
            filters=filters,
            stores=runs.store_totals(run),
            all_stores=db.session.scalars(sa.select(Store).order_by(Store.code)).all(),
            coin_flips=runs.run_coin_flips(run) if review else [],
            fallbacks=runs.fallback_stores(run) if review else [],
            review=review,
            late_lines=late_lines,
            adjustments=adjustments,
            step=runs.next_step(run, user),
            four_eyes=runs.four_eyes_refusal(run, user) if run.status == RunStatus.SUBMITTED else None,
            approval=runs.approval_refusal(run) if run.status == RunStatus.SUBMITTED else None,
            warnings=runs.run_warnings(run),
            flag_warnings=flags.run_flag_warnings(read_document(run.version.document), Period.parse(run.period))
            if review
            else [],
            refusal=refusal,
            adjust=adjust or _adjust_form_from_args(),
            reject=reject or RejectForm(formdata=None),
            comment=comment or CommentForm(formdata=None),
            action=ActionForm(),
        ),
        status,
    )


@bp.route("/runs/<int:run_id>")
@allow("hr")
def run_detail(run_id: int):
    """Review a run: its lines (filtered), totals by store, stores to check before approval, and its actions."""
    return _render_run(_run_or_404(run_id))


@bp.route("/runs/<int:run_id>/lines/<int:line_id>")
@allow("hr")
def run_line(run_id: int, line_id: int):
    """Explain one line of a run step by step, from its stored trace."""
    run = _run_or_404(run_id)
    line = db.session.get(RunLine, line_id)
    if line is None or line.run_id != run.id:
        abort(404)
    adjustments = [(a.amount, a.reason) for a in run.adjustments if a.employee_id == line.employee_id]
    explanation = wording.explain_line(line.trace, "fr", currency(), adjustments=adjustments, custom=custom_kpi_names())
    questions = db.session.scalars(sa.select(LineQuestion).where(LineQuestion.line_id == line.id)).all()
    return render_template(
        "incentives/run_line.html",
        run=run,
        line=line,
        explanation=explanation,
        questions=questions,
        line_charts=trace_charts(line.trace),
    )


def _act(run: BonusRun, action, success: str, form=None):
    """Carry out one run action and commit, or show the run page with why not: 409 for the state or four eyes,
    400 for a bad field."""
    form = form or ActionForm()
    if not form.validate_on_submit():
        return _render_run(run, comment=form, status=400)
    try:
        action()
    except (runs.RunStateError, runs.FourEyesError) as exc:
        db.session.rollback()
        return _render_run(run, refusal=exc.message, status=409)
    except runs.RunError as exc:
        db.session.rollback()
        if isinstance(form, CommentForm) and exc.field == "comment":
            form.comment.errors = [*form.comment.errors, exc.message]
            return _render_run(run, comment=form, status=400)
        return _render_run(run, refusal=exc.message, status=400)
    db.session.commit()
    flash(success, "success")
    return redirect(url_for("incentives.run_detail", run_id=run.id))


@bp.route("/runs/<int:run_id>/compute", methods=["POST"])
@allow("hr")
def run_compute(run_id: int):
    """Compute (or recompute) a draft run from today's data, in one transaction."""
    run = _run_or_404(run_id)
    return _act(run, lambda: runs.compute(run), _("Run computed."))


@bp.route("/runs/<int:run_id>/submit", methods=["POST"])
@allow("hr")
def run_submit(run_id: int):
    """Submit a computed draft for approval by another HR user, with an optional comment."""
    run = _run_or_404(run_id)
    form = CommentForm()
    return _act(run, lambda: runs.submit(run, acting_user(), form.comment.data), _("Run submitted for approval."), form)


@bp.route("/runs/<int:run_id>/approve", methods=["POST"])
@allow("hr")
def run_approve(run_id: int):
    """Approve a submitted run (four eyes: not its submitter, an adjuster, or anyone it pays), with an optional
    comment."""
    run = _run_or_404(run_id)
    form = CommentForm()
    return _act(run, lambda: runs.approve(run, acting_user(), form.comment.data), _("Run approved."), form)


@bp.route("/runs/<int:run_id>/reject", methods=["POST"])
@allow("hr")
def run_reject(run_id: int):
    """Send a submitted run back to draft with a comment."""
    run = _run_or_404(run_id)
    form = RejectForm()
    if not form.validate_on_submit():
        try:
            runs.require_rejectable(run)
        except runs.RunStateError as exc:
            return _render_run(run, refusal=exc.message, status=409)
        return _render_run(run, reject=form, status=400)
    try:
        runs.reject(run, acting_user(), form.comment.data)
    except runs.RunStateError as exc:
        db.session.rollback()
        return _render_run(run, refusal=exc.message, status=409)
    except runs.RunError as exc:
        db.session.rollback()
        form.comment.errors = [*form.comment.errors, exc.message]
        return _render_run(run, reject=form, status=400)
    db.session.commit()
    flash(_("Run sent back to draft."), "success")
    return redirect(url_for("incentives.run_detail", run_id=run.id))


ADJUST_FIELDS = {"amount": "amount", "reason": "reason", "employee": "employee", "corrects": "corrects"}


@bp.route("/runs/<int:run_id>/adjust", methods=["POST"])
@allow("hr")
def run_adjust(run_id: int):
    """Add a signed adjustment with its reason to a draft run (a correction names a line of an approved run)."""
    run = _run_or_404(run_id)
    form = AdjustForm()
    if not form.validate_on_submit():
        try:
            runs.require_adjustable(run)
        except runs.RunStateError as exc:
            return _render_run(run, refusal=exc.message, status=409)
        return _render_run(run, adjust=form, status=400)
    corrects = None
    if form.corrects.data:
        if not form.corrects.data.strip().isdigit():
            form.corrects.errors = [*form.corrects.errors, _("A line id is a whole number.")]
            return _render_run(run, adjust=form, status=400)
        corrects = int(form.corrects.data)
    try:
        runs.adjust(run, form.employee.data.strip(), form.amount.data, form.reason.data, acting_user(), corrects)
    except runs.RunStateError as exc:
        db.session.rollback()
        return _render_run(run, refusal=exc.message, status=409)
    except runs.RunError as exc:
        db.session.rollback()
        target = getattr(form, ADJUST_FIELDS.get(exc.field or "", "amount"))
        target.errors = [*target.errors, exc.message]
        return _render_run(run, adjust=form, status=400)
    db.session.commit()
    flash(_("Adjustment added."), "success")
    return redirect(url_for("incentives.run_detail", run_id=run.id))
