""" "My bonus": an employee's paid lines explained in plain words, questions on them, and the estimate for the period
under way; and the printable estimate page a store manager hands to staff who have no login."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from app.auth.access import allow
from app.core import clock
from app.extensions import db
from app.incentives import charts, estimate, questions, wording
from app.incentives.blueprint import bp
from app.incentives.forms_runs import AskForm
from app.incentives.models import PAID_STATUSES, BonusRun, RunAdjustment, RunLine, SchemeVersion
from app.incentives.objectives import custom_kpi_names
from app.incentives.routes_common import currency, trace_charts
from app.money import ZERO
from app.org.models import Employee, Store
from app.org.scope import pay_store_ids, team_condition


def _estimate_views(estimates: list[estimate.Estimate]) -> list[tuple[estimate.Estimate, list]]:
    """Each estimate with, per component, its figure so far drawn on its curve."""
    views = []
    for item in estimates:
        components = []
        for view in item.components:
            trace = view.trace
            point = trace.measured if trace.measured is not None else trace.value
            marker = charts.measured_marker(point, trace.measure, trace.lower, trace.upper)
            chart = charts.curve_chart(
                wording.curve_of_trace({"curve": trace.curve}),
                trace.direction,
                title=_("Where %(kpi)s sits on its curve", kpi=trace.kpi_code.upper()),
                kpi_code=trace.kpi_code,
                marker=marker,
                x_label=trace.kpi_code.upper(),
            )
            components.append((view, chart))
        views.append((item, components))
    return views


def _paid_runs(employee: Employee) -> list[dict]:
    """The employee's approved and exported runs: lines, adjustments and total, newest period first."""
    lines = db.session.scalars(
        sa.select(RunLine)
        .join(BonusRun, BonusRun.id == RunLine.run_id)
        .where(RunLine.employee_id == employee.id, BonusRun.status.in_(PAID_STATUSES))
        .options(joinedload(RunLine.run).joinedload(BonusRun.version).joinedload(SchemeVersion.scheme))
        .order_by(BonusRun.period.desc(), BonusRun.id.desc(), RunLine.id)
    ).all()
    adjustments = db.session.scalars(
        sa.select(RunAdjustment)
        .join(BonusRun, BonusRun.id == RunAdjustment.run_id)
        .where(RunAdjustment.employee_id == employee.id, BonusRun.status.in_(PAID_STATUSES))
        .order_by(RunAdjustment.id)
    ).all()
    by_run: dict[int, dict] = {}
    for line in lines:
        entry = by_run.setdefault(line.run_id, {"run": line.run, "lines": [], "adjustments": []})
        entry["lines"].append(line)
    for a in adjustments:
        entry = by_run.setdefault(a.run_id, {"run": a.run, "lines": [], "adjustments": []})
        entry["adjustments"].append(a)
    for entry in by_run.values():
        entry["total"] = sum((line.amount for line in entry["lines"]), ZERO) + sum(
            (a.amount for a in entry["adjustments"]), ZERO
        )
        # A corrective run takes back what the period's earlier runs paid: the total is the difference.
        entry["already_paid"] = -sum((a.amount for a in entry["adjustments"] if not a.manual), ZERO)
        entry["due_now"] = entry["total"] + entry["already_paid"]
    return sorted(by_run.values(), key=lambda e: (e["run"].period, e["run"].id), reverse=True)


def _render_my_bonus(ask: AskForm | None = None, ask_line: int | None = None, status: int = 200):
    employee = current_user.employee
    today = clock.today()
    if employee is None:
        return render_template("incentives/my_bonus.html", employee=None, paid=[], views=[], today=today), status
    lang = wording.language_of(employee.language)
    custom = custom_kpi_names()
    paid = _paid_runs(employee)
    explanations = {
        line.id: wording.explain_line(line.trace, lang, currency(), custom=custom)
        for entry in paid
        for line in entry["lines"]
    }
    charts_of = {line.id: trace_charts(line.trace) for entry in paid for line in entry["lines"]}
    asked = defaultdict(list)
    for q in questions.questions_of(employee):
        asked[q.line_id].append(q)
    estimates = estimate.estimates_for([employee.id], today).get(employee.id, [])
    return (
        render_template(
            "incentives/my_bonus.html",
            employee=employee,
            paid=paid,
            explanations=explanations,
            charts_of=charts_of,
            asked=asked,
            ask=ask or AskForm(),
            ask_line=ask_line,
            views=_estimate_views(estimates),
            range=estimate.total(estimates),
            today=today,
        ),
        status,
    )


@bp.route("/my/bonus")
@allow("employee")
def my_bonus():
    """My paid bonuses explained line by line, my questions, and an estimate for the period under way."""
    return _render_my_bonus()


@bp.route("/my/bonus/lines/<int:line_id>/question", methods=["POST"])
@allow("employee")
def my_bonus_question(line_id: int):
    """Ask HR a question about one of my paid lines."""
    employee = current_user.employee
    line = db.session.get(RunLine, line_id)
    if employee is None or line is None or line.employee_id != employee.id or line.run.status not in PAID_STATUSES:
        abort(404)
    form = AskForm()
    if not form.validate_on_submit():
        return _render_my_bonus(form, line.id, 400)
    try:
        questions.ask(line, employee, form.question.data)
    except questions.QuestionError as exc:
        db.session.rollback()
        form.question.errors = [*form.question.errors, str(exc)]
        return _render_my_bonus(form, line.id, 400)
    db.session.commit()
    flash(_("Your question was sent to HR. The answer will appear here."), "success")
    return redirect(url_for("incentives.my_bonus") + f"#line-{line.id}")


@bp.route("/stores/<int:store_id>/estimate")
@allow("hr", "manager")
def store_estimate(store_id: int):
    """A printable estimate page for each member of a store's team (staff without a login included).

    Estimates are amounts: a manager prints them only while the company lets managers read their team's pay.
    """
    ids = pay_store_ids(current_user)
    store = db.session.get(Store, store_id)
    if store is None or (ids is not None and store.id not in ids):
        abort(404)
    today: date = clock.today()
    team = db.session.scalars(
        sa.select(Employee)
        .where(team_condition({store.id}, today))
        .order_by(Employee.last_name, Employee.first_name, Employee.number)
    ).all()
    estimates = estimate.estimates_for([e.id for e in team], today)
    members = [(e, _estimate_views(estimates.get(e.id, [])), estimate.total(estimates.get(e.id, []))) for e in team]
    return render_template("incentives/store_estimate.html", store=store, members=members, today=today)
