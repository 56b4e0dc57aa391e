"""Gather statement data from the database: a run's stored lines and adjustments, the employee, recognition.

Reads only; the result is plain `StatementData` that the builders (and worker processes) render without a database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from app.core.models import Setting
from app.core.pdf import STATIC
from app.dbtypes import utcnow
from app.extensions import db
from app.incentives.models import PAID_STATUSES, BonusRun, RunAdjustment, RunLine, SchemeVersion
from app.org.models import Employee, Store
from app.periods import Period
from app.reports.recognition import recognition_for_many
from app.reports.statements.data import (
    AdjustmentView,
    EmployeeFacts,
    KpiLabel,
    LineFacts,
    RunFacts,
    StatementData,
    build_statement_data,
)

LOGO_KEY = "PRIMO_LOGO"
DEFAULT_LOGO = "logo.svg"


class StatementNotFound(LookupError):
    """The employee has neither a line nor an adjustment in the run."""


def logo_setting() -> str:
    """The company logo for documents: a path inside app/static, from the Setting row, then the config."""
    row = db.session.get(Setting, LOGO_KEY)
    value = row.value if row is not None else current_app.config.get(LOGO_KEY, DEFAULT_LOGO)
    return str(value or "").strip()


def static_logo(value: str) -> str | None:
    """The logo path if it names a file inside app/static, else None (web pages show no logo then)."""
    if not value or "://" in value or value.startswith(("/", "data:")):
        return None
    candidate = (STATIC / value).resolve()
    if STATIC not in candidate.parents or not candidate.is_file():
        return None
    return str(candidate.relative_to(STATIC))


def custom_kpis() -> dict[str, KpiLabel]:
    """HR's own KPIs (return rate, review average…) as statement labels."""
    from app.feedback.models import KpiDefinition

    return {d.code: KpiLabel(d.name, d.unit) for d in db.session.scalars(sa.select(KpiDefinition))}


def run_facts(run: BonusRun) -> RunFacts:
    period = Period.parse(run.period)
    version: SchemeVersion = run.version
    document = version.document or {}
    return RunFacts(
        run_id=run.id,
        status=run.status,
        scheme_code=version.scheme.code,
        scheme_name=version.name,
        scheme_version=version.version,
        scheme_description=str(document.get("description") or ""),
        pay_code=version.pay_code,
        period_label=str(period),
        period_start=period.start,
        period_end=period.end,
        approved_at=run.approved_at,
        corrects_run_id=run.corrects_run_id,
        corrective_reason=run.corrective_reason,
        corrective_basis=tuple(run.corrective_basis or ()),
        advance=run.advance,
    )


def employee_facts(employee: Employee) -> EmployeeFacts:
    return EmployeeFacts(
        employee_id=employee.id,
        number=employee.number,
        payroll_id=employee.payroll_id,
        first_name=employee.first_name,
        last_name=employee.last_name,
        language=employee.language
        if employee.language in ("fr", "en")
        else current_app.config["PRIMO_DEFAULT_LANGUAGE"],
        job_role=employee.job_role,
    )


def question_hint(language: str) -> str:
    """How to raise a question, in the employee's language."""
    with force_locale(language):
        return _(
            "A question about this statement? Open “My bonus” in Primo and use “Ask a question” on the line, "
            "or write to HR quoting the run number and your employee number. HR answers in writing; an answer "
            "that changes the amount becomes an adjustment line in a later run."
        )


def paid_runs_of(employee_id: int, limit: int | None = None) -> list[tuple[BonusRun, Decimal]]:
    """The approved or exported runs that pay an employee, newest period first, each with what it pays them (their
    lines plus their adjustments: the statement's final amount)."""
    paying = sa.union(
        sa.select(RunLine.run_id).where(RunLine.employee_id == employee_id),
        sa.select(RunAdjustment.run_id).where(RunAdjustment.employee_id == employee_id),
    )
    runs = db.session.scalars(
        sa.select(BonusRun)
        .where(BonusRun.id.in_(paying), BonusRun.status.in_(PAID_STATUSES))
        .options(joinedload(BonusRun.version))  # each run has one version: joined in the same query
        .order_by(BonusRun.period.desc(), BonusRun.id.desc())
        .limit(limit)
    ).all()
    totals: dict[int, Decimal] = defaultdict(Decimal)
    if runs:
        ids = [r.id for r in runs]
        amounts = sa.union_all(  # lines and adjustments in one query; summed here: SQLite stores Money as integers
            *(
                sa.select(model.run_id, model.amount).where(model.employee_id == employee_id, model.run_id.in_(ids))
                for model in (RunLine, RunAdjustment)
            )
        )
        for run_id, amount in db.session.execute(amounts):
            totals[run_id] += amount
    return [(run, totals[run.id]) for run in runs]


def run_employee_ids(run: BonusRun, stores: Collection[str] | None = None) -> list[int]:
    """Employees with a line (in one of the stores, if given) or an adjustment in the run, by employee number."""
    lines = sa.select(RunLine.employee_id).where(RunLine.run_id == run.id)
    if stores is not None:
        lines = lines.join(Store, Store.id == RunLine.store_id).where(Store.code.in_(list(stores)))
        ids = sa.select(Employee.id).where(Employee.id.in_(lines))
    else:
        adjusted = sa.select(RunAdjustment.employee_id).where(RunAdjustment.run_id == run.id)
        ids = sa.select(Employee.id).where(sa.or_(Employee.id.in_(lines), Employee.id.in_(adjusted)))
    return list(db.session.scalars(ids.order_by(Employee.number)))


def statements_for(
    run: BonusRun, employee_ids: Iterable[int], generated_at: datetime | None = None
) -> list[StatementData]:
    """Statement data of several employees of one run, in a constant number of queries, by employee number."""
    ids = list(dict.fromkeys(employee_ids))
    if not ids:
        return []
    employees = {
        e.id: e for e in db.session.scalars(sa.select(Employee).where(Employee.id.in_(ids)).order_by(Employee.number))
    }
    lines: dict[int, list[LineFacts]] = defaultdict(list)
    for line in db.session.scalars(
        sa.select(RunLine)
        .where(RunLine.run_id == run.id, RunLine.employee_id.in_(ids))
        .options(selectinload(RunLine.store))
        .order_by(RunLine.id)
    ):
        lines[line.employee_id].append(LineFacts(line.id, line.store.name, line.trace))
    adjustments: dict[int, list[AdjustmentView]] = defaultdict(list)
    for a in db.session.scalars(
        sa.select(RunAdjustment)
        .where(RunAdjustment.run_id == run.id, RunAdjustment.employee_id.in_(ids))
        .order_by(RunAdjustment.id)
    ):
        adjustments[a.employee_id].append(AdjustmentView(a.amount, a.reason, a.created_at, a.corrects_line_id, a.kind))
    facts = run_facts(run)
    recognition = recognition_for_many(ids, facts.period_start, facts.period_end)
    config = current_app.config
    labels = custom_kpis()
    logo = logo_setting()
    moment = generated_at or utcnow()
    result = []
    for employee_id in ids:
        employee = employees.get(employee_id)
        if employee is None or (not lines[employee_id] and not adjustments[employee_id]):
            continue
        person = employee_facts(employee)
        result.append(
            build_statement_data(
                facts,
                person,
                lines[employee_id],
                adjustments[employee_id],
                recognition.get(employee_id),
                custom_kpis=labels,
                currency=config["PRIMO_CURRENCY"],
                company_name=config["PRIMO_COMPANY_NAME"],
                logo=logo,
                question_hint=question_hint(person.language),
                generated_at=moment,
                timezone=config["PRIMO_TIMEZONE"],
            )
        )
    return sorted(result, key=lambda d: d.employee_number)


def statement_for(run: BonusRun, employee: Employee, generated_at: datetime | None = None) -> StatementData:
    """One employee's statement data for a run; StatementNotFound when the run does not pay them."""
    found = statements_for(run, [employee.id], generated_at)
    if not found:
        raise StatementNotFound(f"run {run.id} has no line for employee {employee.number}")
    return found[0]
