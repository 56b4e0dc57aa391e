"""Objectives: each eligible employee's page and PDF (French, with a translation), their acknowledgment, and HR's
view of who has acknowledged a publication."""

from __future__ import annotations

from datetime import datetime, time

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import allow
from app.auth.forms import ActionForm
from app.core import clock
from app.core.downloads import download
from app.extensions import db
from app.incentives import charts, objectives
from app.incentives.blueprint import bp
from app.incentives.models import ObjectivePublication
from app.incentives.routes_common import currency
from app.org.models import Employee
from app.periods import Period


def _publication_or_404(publication_id: int) -> ObjectivePublication:
    publication = db.session.get(ObjectivePublication, publication_id)
    if publication is None:
        abort(404)
    return publication


def _me() -> Employee:
    employee = current_user.employee
    if employee is None:
        abort(404)
    return employee


def _late(publication: ObjectivePublication) -> bool:
    start = Period.parse(publication.period).start
    zone = clock.zone()
    return publication.published_at > datetime.combine(start, time(), zone)


def _curves(publication: ObjectivePublication) -> list:
    document, _spec, _period = objectives.spec_and_period(publication)
    return [
        charts.curve_chart(
            c.curve, c.direction, title=c.kpi_code.upper(), kpi_code=c.kpi_code, x_label=c.kpi_code.upper()
        )
        for c in document.components
    ]


@bp.route("/objectives/<int:publication_id>")
@allow("hr")
def publication_detail(publication_id: int):
    """Show a publication: every eligible employee and when they acknowledged their objectives."""
    publication = _publication_or_404(publication_id)
    employees = objectives.eligible_employees(publication)
    acks = objectives.acks_of(publication)
    document = objectives.objectives_document(publication, None, None, currency())
    return render_template(
        "incentives/publication.html",
        publication=publication,
        employees=employees,
        acks=acks,
        acknowledged=sum(1 for e in employees if e.id in acks),
        late=_late(publication),
        document=document,
        curves=_curves(publication),
    )


@bp.route("/my/objectives")
@allow("employee")
def my_objectives():
    """List the objectives published to me, newest period first, with whether I acknowledged them."""
    employee = current_user.employee
    found = objectives.publications_for(employee) if employee is not None else []
    acks = {p.id: objectives.acks_of(p).get(employee.id) for p, _lines in found} if employee else {}
    return render_template("incentives/my_objectives.html", found=found, acks=acks, employee=employee)


def _my_publication(publication_id: int):
    employee = _me()
    publication = _publication_or_404(publication_id)
    lines = objectives.lines_for(publication, employee)
    if not lines:
        abort(404)  # not addressed to this employee: someone else's objectives
    return employee, publication, lines


@bp.route("/my/objectives/<int:publication_id>")
@allow("employee")
def my_objective(publication_id: int):
    """Read my objectives for one period in plain words (French, with my language's translation)."""
    employee, publication, lines = _my_publication(publication_id)
    document = objectives.objectives_document(publication, employee, lines, currency())
    return render_template(
        "incentives/my_objective.html",
        document=document,
        publication=publication,
        ack=objectives.acks_of(publication).get(employee.id),
        curves=_curves(publication),
        action=ActionForm(),
    )


@bp.route("/my/objectives/<int:publication_id>.pdf")
@allow("employee")
def my_objective_pdf(publication_id: int):
    """Download my objectives as a PDF."""
    employee, publication, lines = _my_publication(publication_id)
    document = objectives.objectives_document(publication, employee, lines, currency())
    html = render_template(
        "incentives/objectives_pdf.html",
        document=document,
        publication=publication,
        ack=objectives.acks_of(publication).get(employee.id),
        curves=_curves(publication),
        company=current_app.config["PRIMO_COMPANY_NAME"],
    )
    from app.core.pdf import render_pdf  # WeasyPrint loads only when a PDF is asked for

    pdf = render_pdf(html, stylesheets=("incentives.css",))
    filename = f"objectives-{publication.version.scheme.code}-{publication.period}-{employee.number}.pdf"
    return download(pdf, filename, "application/pdf")


@bp.route("/my/objectives/<int:publication_id>/ack", methods=["POST"])
@allow("employee")
def my_objective_ack(publication_id: int):
    """Record that I have read my objectives (the first time counts)."""
    employee, publication, _lines = _my_publication(publication_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    ack, created = objectives.acknowledge(publication, employee)
    db.session.commit()
    if created:
        flash(_("Thank you: your acknowledgment is recorded."), "success")
    else:
        flash(_("You had already acknowledged these objectives."), "info")
    return redirect(url_for("incentives.my_objective", publication_id=publication.id))
