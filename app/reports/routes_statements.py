"""Statement pages and downloads, a run's statements with bulk rendering and its progress, my statements.

Downloads of an approved run return its stored copy (stored by the queue after approval, or on the first
download if the queue has not got there yet: a write of the one immutable rendering, never a change a user sees).
"""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from flask import Response, abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.auth.access import allow
from app.auth.forms import ActionForm
from app.core.downloads import download
from app.extensions import db
from app.incentives.models import BonusRun, RunLine
from app.org.models import Employee, Store
from app.reports import access, jobs
from app.reports.blueprint import bp
from app.reports.forms import BulkForm
from app.reports.models import RenderJob
from app.reports.statements import documents, sources
from app.reports.statements.data import StatementData
from app.reports.statements.html import build_statement_html


def _download(content: bytes, filename: str, fmt: str, sha: str | None = None) -> Response:
    return download(content, filename, documents.MIMETYPES[fmt], {"X-Content-SHA256": sha} if sha else None)


def _page_logo(data: StatementData) -> str | None:
    """The logo URL for a web page: only a file of app/static (the CSP would refuse anything else anyway)."""
    found = sources.static_logo(data.logo)
    return url_for("static", filename=found) if found else None


@bp.route("/runs/<int:run_id>/statement/<int:employee_id>")
@allow("hr", "payroll", "manager", "employee")
def statement_page(run_id: int, employee_id: int):
    """One employee's statement for a run, as a page, with its PDF and Excel downloads."""
    run, employee = access.statement_or_404(run_id, employee_id, current_user)
    try:
        data = sources.statement_for(run, employee)
    except sources.StatementNotFound:
        abort(404)
    stored = documents.stored(run.id, employee.id, "pdf") if documents.is_final(run) else None
    if stored is not None:
        # Show the generation time of the copy of record, which the downloads return.
        data = replace(data, generated_at=stored.created_at)
    return build_statement_html(data, page=True, logo_src=_page_logo(data), stored=stored)


def _statement_file(run_id: int, employee_id: int, fmt: str):
    run, employee = access.statement_or_404(run_id, employee_id, current_user)
    try:
        statement = documents.obtain(run, employee, fmt)
    except documents.DocumentError:
        abort(404)
    db.session.commit()
    return _download(statement.content, documents.filename(run, employee, fmt), fmt, statement.sha256)


@bp.route("/runs/<int:run_id>/statement/<int:employee_id>.pdf")
@allow("hr", "payroll", "manager", "employee")
def statement_pdf(run_id: int, employee_id: int):
    """The statement as PDF (the stored copy for an approved run)."""
    return _statement_file(run_id, employee_id, "pdf")


@bp.route("/runs/<int:run_id>/statement/<int:employee_id>.xlsx")
@allow("hr", "payroll", "manager", "employee")
def statement_xlsx(run_id: int, employee_id: int):
    """The statement as an Excel workbook (the stored copy for an approved run)."""
    return _statement_file(run_id, employee_id, "xlsx")


@bp.route("/my/statements")
@allow("employee")
def my_statements():
    """My statements: every approved run that pays me, newest period first."""
    employee_id = current_user.employee_id
    paid = sources.paid_runs_of(employee_id) if employee_id is not None else []
    rows = [run for run, _amount in paid]
    amounts = {run.id: amount for run, amount in paid}
    return render_template("reports/my_statements.html", runs=rows, employee_id=employee_id, amounts=amounts)


def _team_lines(run: BonusRun, store_codes: list[str] | None):
    query = (
        sa.select(Employee, Store.code, RunLine.amount)
        .join(RunLine, RunLine.employee_id == Employee.id)
        .join(Store, Store.id == RunLine.store_id)
        .where(RunLine.run_id == run.id)
        .order_by(Store.code, Employee.number)
    )
    if store_codes is not None:
        query = query.where(Store.code.in_(store_codes))
    return db.session.execute(query).all()


def _store_choices(run: BonusRun, codes: list[str] | None) -> list[SelectChoice]:
    """All the run's stores (and "all") for HR and payroll; a manager's own stores (and "all mine") for a manager."""
    if codes is not None:
        mine = [SelectChoice("", _("All my stores"))] if len(codes) > 1 else []
        return mine + [SelectChoice(c, c) for c in codes]
    in_run = sa.select(RunLine.store_id).where(RunLine.run_id == run.id)
    found = db.session.scalars(sa.select(Store.code).where(Store.id.in_(in_run)).order_by(Store.code))
    return [SelectChoice("", _("All stores"))] + [SelectChoice(c, c) for c in found]


def _render_run(run: BonusRun, form: BulkForm | None = None, status: int = 200):
    codes = access.bulk_store_codes(current_user, run)
    form = form or BulkForm()
    form.store.choices = _store_choices(run, codes)
    return (
        render_template(
            "reports/run_statements.html",
            run=run,
            lines=_team_lines(run, codes),
            form=form,
            jobs=render_jobs_of(run.id),
            action=ActionForm(),
            final=documents.is_final(run),
            stored=len(documents.stored_employee_ids(run.id, "pdf")),
        ),
        status,
    )


@bp.route("/runs/<int:run_id>/statements")
@allow("hr", "payroll", "manager")
def run_statements(run_id: int):
    """A run's statements (a manager's: their stores'), bulk rendering and its progress."""
    run = access.run_or_404(run_id, current_user)
    if access.bulk_store_codes(current_user, run) == []:
        abort(404)
    return _render_run(run)


@bp.route("/runs/<int:run_id>/statements/bulk", methods=["POST"])
@allow("hr", "payroll", "manager")
def run_statements_bulk(run_id: int):
    """Queue a ZIP of PDFs or one merged PDF of a run's statements: one store's, or all the user may read (every
    store only for HR and payroll; a manager's own stores for a manager)."""
    run = access.run_or_404(run_id, current_user)
    codes = access.bulk_store_codes(current_user, run)
    if codes == []:
        abort(404)
    form = BulkForm()
    form.store.choices = _store_choices(run, codes)
    # Decided before the form's own checks: an empty store must never widen a manager's view, whatever the
    # choices offered, and a store outside it is a 404 with nothing queued.
    stores = access.bulk_stores_or_404(current_user, run, (form.store.data or "").strip() or None)
    if not form.validate_on_submit():
        return _render_run(run, form, 400)
    try:
        job = jobs.create_job(run, form.fmt.data, stores, requested_by=current_user.email)
    except jobs.JobError as exc:
        db.session.rollback()
        form.store.errors = [*form.store.errors, str(exc)]
        return _render_run(run, form, 400)
    db.session.commit()
    flash(
        _("Rendering %(n)d statements in the background; the file appears here when it is ready.", n=job.total),
        "success",
    )
    return redirect(url_for("reports.run_statements", run_id=run.id))


@bp.route("/runs/<int:run_id>/statements/store", methods=["POST"])
@allow("hr")
def run_statements_store(run_id: int):
    """Queue (again) the storing of an approved run's statements, e.g. after a worker was down."""
    run = access.run_or_404(run_id, current_user)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        jobs.queue_statements_for(run)
    except jobs.JobError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_run(run, status=409)
    db.session.commit()
    flash(_("The statements will be rendered and stored in the background."), "success")
    return redirect(url_for("reports.run_statements", run_id=run.id))


@bp.app_template_global()
def render_jobs_of(run_id: int) -> list[RenderJob]:
    """The latest rendering jobs of a run the current user may follow (for `reports/_render_progress.html`)."""
    return list(
        db.session.scalars(
            sa.select(RenderJob)
            .where(RenderJob.run_id == run_id, access.visible_job_condition(current_user))
            .order_by(RenderJob.id.desc())
            .limit(10)
        )
    )


def _download_url(job: RenderJob) -> str | None:
    if job.status == "done" and job.kind in ("zip", "pdf"):
        return url_for("reports.render_job_download", job_id=job.id)
    return None


@bp.route("/runs/<int:run_id>/render-jobs")
@allow("hr", "payroll", "manager")
def run_render_jobs(run_id: int):
    """Progress of a run's rendering jobs, as JSON for the page's poller."""
    run = access.run_or_404(run_id, current_user)
    if access.bulk_store_codes(current_user, run) == []:
        abort(404)
    return jsonify(jobs=[jobs.as_json(j, _download_url(j)) for j in render_jobs_of(run.id)])


@bp.route("/render-jobs/<int:job_id>/download")
@allow("hr", "payroll", "manager")
def render_job_download(job_id: int):
    """The ZIP or merged PDF a finished bulk job produced."""
    job = access.job_or_404(job_id, current_user)
    if job.status != "done" or job.result is None or job.kind not in ("zip", "pdf"):
        abort(404)
    suffix = f"-{job.store_code}" if job.store_code else ""
    name = f"statements-run-{job.run_id}{suffix}.{job.kind}"
    return _download(job.result, name, job.kind)
