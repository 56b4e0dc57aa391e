"""The payroll page: approved runs to export, exported runs already paid (with their exports), and the export
actions.

An export is a state change (it is logged and marks the run exported), so it is a POST form whose response is the
file itself; the page only lists. Exporting again logs another export with the same rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, render_template
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.auth.access import allow
from app.core.downloads import download
from app.extensions import db
from app.incentives.models import PAID_STATUSES, BonusRun, RunStatus, SchemeVersion
from app.reports import payroll
from app.reports.access import conflict
from app.reports.blueprint import bp
from app.reports.forms import BenefitsExportForm, PayrollExportForm


def _page(export: PayrollExportForm | None = None, benefits: BenefitsExportForm | None = None, status: int = 200):
    final = db.session.scalars(
        sa.select(BonusRun)
        .where(BonusRun.status.in_(PAID_STATUSES))
        .options(selectinload(BonusRun.version).selectinload(SchemeVersion.scheme))
        .order_by(BonusRun.period.desc(), BonusRun.id.desc())
    ).all()
    return (
        render_template(
            "reports/payroll.html",
            to_export=[r for r in final if r.status == RunStatus.APPROVED],
            paid=[r for r in final if r.status == RunStatus.EXPORTED],
            exports=payroll.exports_by_run(r.id for r in final),
            form=export or PayrollExportForm(),
            benefits=benefits or BenefitsExportForm(),
            benefit_exports=payroll.benefit_exports(),
        ),
        status,
    )


def _file(export: payroll.Export) -> Response:
    return download(export.content, export.filename, export.mimetype, {"X-Rows-SHA256": export.log.rows_sha256})


@bp.route("/payroll")
@allow("payroll", "hr")
def payroll_index():
    """Approved runs to export, exported runs already paid, every export made of them, and the benefits export."""
    return _page()


@bp.route("/payroll/runs/<int:run_id>/export", methods=["POST"])
@allow("payroll", "hr")
def payroll_export(run_id: int):
    """Export an approved run for payroll (xlsx or CSV): logged, marks the run exported, returns the file."""
    run = db.session.get(BonusRun, run_id)
    if run is None:
        abort(404)
    form = PayrollExportForm()
    if not form.validate_on_submit():
        return _page(export=form, status=400)
    try:
        export = payroll.export_run(run, form.fmt.data, current_user.email, form.decimal_separator.data)
    except payroll.NotExportable as exc:
        db.session.rollback()
        conflict(str(exc))
    except payroll.PayrollError as exc:
        db.session.rollback()
        form.fmt.errors = [*form.fmt.errors, str(exc)]
        return _page(export=form, status=400)
    db.session.commit()
    return _file(export)


@bp.route("/payroll/benefits", methods=["POST"])
@allow("payroll", "hr")
def payroll_benefits():
    """Export a period's recognition benefits and days off for payroll (logged), returning the file."""
    form = BenefitsExportForm()
    if not form.validate_on_submit():
        return _page(benefits=form, status=400)
    try:
        export = payroll.export_benefits(
            form.period.data, form.fmt.data, current_user.email, form.decimal_separator.data
        )
    except payroll.PayrollError as exc:
        db.session.rollback()
        form.period.errors = [*form.period.errors, str(exc)]
        return _page(benefits=form, status=400)
    db.session.commit()
    return _file(export)
