"""What each role's home page shows: what needs the user now, and how their part of the company is doing.

One function per role returns a small dataclass built from the features' own services (the bonus estimate, the
points summary, the case notice, the budgets, the KPI tallies); the page only lays them out. Each reads a bounded
number of rows in a handful of queries, whatever the size of the company.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.extensions import db
from app.feedback import aggregate
from app.feedback.cases import case_notice, compliments
from app.feedback.kpi import KpiSummary
from app.feedback.models import ImportBatch, SurveyResponse
from app.feedback.ranking import min_responses
from app.incentives import engine, estimate
from app.incentives.models import (
    BonusRun,
    LineQuestion,
    ObjectivePublication,
    RunStatus,
    Scheme,
    SchemeVersion,
)
from app.incentives.schemes import schemes_with_versions
from app.money import ZERO
from app.org.models import Employee, Store
from app.org.scope import managed_store_ids
from app.periods import Period
from app.pulse.models import PulseSurvey
from app.pulse.services import open_surveys_for
from app.recognition import points
from app.recognition.awards import month_of
from app.recognition.benefits import benefits_for_period
from app.recognition.budgets import BudgetStatus, budget_status
from app.recognition.ledger import Summary
from app.recognition.models import Award
from app.reports.statements import sources

LATEST = 3  # compliments, imports and the like: the few newest, the page behind the link has the rest
TREND_MONTHS = 4
LISTED = 8  # runs, stores or schemes named on a card before "and N more"


# --- employee --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiLine:
    """One KPI a bonus reads, as it stands: figure, margin, answers, and the curve's thresholds around it."""

    kpi_code: str
    scope_key: str
    value: Decimal | None
    moe: Decimal | None
    n: int
    min_responses: int
    thresholds: tuple[Decimal, ...]
    achievement: Decimal  # likely, in %

    @property
    def too_few(self) -> bool:
        return self.n < self.min_responses


@dataclass(frozen=True)
class LastStatement:
    run_id: int
    period: str
    scheme_name: str
    amount: Decimal


@dataclass(frozen=True)
class EmployeeHome:
    employee: Employee
    period: Period | None  # of the first scheme that applies
    low: Decimal
    likely: Decimal
    high: Decimal
    schemes: int
    kpis: tuple[KpiLine, ...]
    last_statement: LastStatement | None
    points: Summary
    compliments: tuple[SurveyResponse, ...]
    pulses: tuple[tuple[PulseSurvey, bool], ...]


def _kpi_lines(estimates: list[estimate.Estimate]) -> tuple[KpiLine, ...]:
    lines = []
    for item in estimates:
        for view in item.components:
            trace = view.trace
            curve = engine.curve_from_dict(trace.curve)
            lines.append(
                KpiLine(
                    kpi_code=trace.kpi_code,
                    scope_key=trace.scope_key if trace.scope != "company" else "",
                    value=trace.value,
                    moe=trace.moe,
                    n=trace.n,
                    min_responses=trace.min_responses,
                    thresholds=tuple(sorted(set(engine.curve_thresholds(curve)))),
                    achievement=view.likely,
                )
            )
    return tuple(lines)


def _last_statement(employee_id: int) -> LastStatement | None:
    """The newest approved or exported run that pays the employee, with what it pays them."""
    paid = sources.paid_runs_of(employee_id, limit=1)
    if not paid:
        return None
    run, amount = paid[0]
    return LastStatement(run.id, run.period, run.version.name, amount)


def employee_home(user: User, today: date) -> EmployeeHome | None:
    """The user's own bonus estimate, KPIs, last statement, points, compliments and pulse surveys."""
    employee = user.employee
    if employee is None:
        return None
    estimates = estimate.estimates_for([employee.id], today).get(employee.id, [])
    low, likely, high = estimate.total(estimates)
    latest = db.session.scalars(compliments(user, today).limit(LATEST)).all()
    return EmployeeHome(
        employee=employee,
        period=estimates[0].period if estimates else None,
        low=low,
        likely=likely,
        high=high,
        schemes=len(estimates),
        kpis=_kpi_lines(estimates),
        last_statement=_last_statement(employee.id),
        points=points.summary_of(employee, today),
        compliments=tuple(latest),
        pulses=tuple(open_surveys_for(employee)),
    )


# --- manager ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManagerHome:
    stores: tuple[Store, ...]
    months: tuple[Period, ...]  # oldest first, ending with this month
    trend: dict[tuple[int, Period], KpiSummary]
    overdue: int
    due: int
    budget: BudgetStatus | None
    to_thank: int


def _unthanked_count(user: User, today: date, store_ids: set[int]) -> int:
    """Compliments of the user's stores naming a team member nobody has thanked yet."""
    query = (
        compliments(user, today)
        .where(SurveyResponse.store_id.in_(store_ids), SurveyResponse.employee_id.is_not(None))
        .where(~sa.exists().where(Award.response_id == SurveyResponse.id))
        .order_by(None)
    )
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0)


def manager_home(user: User, today: date) -> ManagerHome | None:
    """The NPS and CSAT of the user's stores month by month, their cases, budget and customers to thank."""
    if not user.has_role("manager"):
        return None
    ids = managed_store_ids(user)
    stores = tuple(db.session.scalars(sa.select(Store).where(Store.id.in_(ids or {-1})).order_by(Store.code)))
    this_month = Period.containing(today, "month")
    months = tuple(this_month.shifted(step) for step in range(1 - TREND_MONTHS, 1))
    trend = aggregate.kpis_by_store_and_period("month", months[0], this_month, ids) if ids else {}
    notice = case_notice(user)
    budget = budget_status(user.employee_id, month_of(today)) if user.employee_id is not None else None
    return ManagerHome(
        stores=stores,
        months=months,
        trend=trend,
        overdue=notice["overdue"],
        due=notice["new"],
        budget=budget,
        to_thank=_unthanked_count(user, today, ids) if ids else 0,
    )


# --- HR --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreSample:
    store: Store
    n: int


@dataclass(frozen=True)
class Publication:
    """A scheme whose objectives are due to reach employees before a period starts."""

    scheme_code: str
    scheme_name: str
    period: Period
    published: bool

    @property
    def deadline(self) -> date:
        return self.period.start


@dataclass(frozen=True)
class HrHome:
    to_approve: tuple[BonusRun, ...]
    to_export: tuple[BonusRun, ...]
    imports: tuple[ImportBatch, ...]
    unanswered: int
    oldest_question: datetime | None
    sample_period: Period
    min_responses: int
    thin_stores: tuple[StoreSample, ...]
    store_count: int
    publications: tuple[Publication, ...]


def _waiting_runs() -> tuple[tuple[BonusRun, ...], tuple[BonusRun, ...]]:
    runs = db.session.scalars(
        sa.select(BonusRun)
        .where(BonusRun.status.in_([RunStatus.SUBMITTED, RunStatus.APPROVED]))
        .options(selectinload(BonusRun.version).selectinload(SchemeVersion.scheme))
        .order_by(BonusRun.period, BonusRun.id)
    ).all()
    return (
        tuple(r for r in runs if r.status == RunStatus.SUBMITTED),
        tuple(r for r in runs if r.status == RunStatus.APPROVED),
    )


def _thin_stores(period: Period, minimum: int) -> tuple[tuple[StoreSample, ...], int]:
    """Stores open during `period` with fewer NPS answers than the minimum sample, fewest first."""
    stores = db.session.scalars(
        sa.select(Store).where(sa.or_(Store.opened_on.is_(None), Store.opened_on <= period.end)).order_by(Store.code)
    ).all()
    tallies = aggregate.tallies_by_store(period)
    thin = [
        StoreSample(s, tallies[s.id].nps_n if s.id in tallies else 0)
        for s in stores
        if (tallies[s.id].nps_n if s.id in tallies else 0) < minimum
    ]
    return tuple(sorted(thin, key=lambda t: (t.n, t.store.code))), len(stores)


def _publications(today: date) -> tuple[Publication, ...]:
    """Each scheme's objectives for the period under way and the next one, published or not yet."""
    schemes = schemes_with_versions()
    wanted: list[tuple[Scheme, Period]] = []
    for scheme in schemes:
        if not scheme.versions or scheme.latest.document.get("kind") == "interessement":
            continue  # intéressement publishes no objectives: the agreement is the scheme
        current = Period.containing(today, scheme.latest.period_type)  # type: ignore[arg-type]
        wanted += [(scheme, current), (scheme, current.shifted(1))]
    if not wanted:
        return ()
    published = set(
        db.session.execute(
            sa.select(SchemeVersion.scheme_id, ObjectivePublication.period)
            .join(ObjectivePublication, ObjectivePublication.version_id == SchemeVersion.id)
            .where(
                SchemeVersion.scheme_id.in_({s.id for s, _p in wanted}),
                ObjectivePublication.period.in_({str(p) for _s, p in wanted}),
            )
        ).tuples()
    )
    return tuple(
        Publication(scheme.code, scheme.latest.name, period, (scheme.id, str(period)) in published)
        for scheme, period in wanted
    )


def hr_home(user: User, today: date) -> HrHome | None:
    """Runs waiting for a decision or an export, the latest imports, open questions, thin samples, objectives."""
    if not user.has_role("hr"):
        return None
    to_approve, to_export = _waiting_runs()
    imports = db.session.scalars(sa.select(ImportBatch).order_by(ImportBatch.id.desc()).limit(LATEST)).all()
    unanswered, oldest = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(LineQuestion.asked_at)).where(LineQuestion.answered_at.is_(None))
    ).one()
    period = Period.containing(today, "quarter")
    minimum = min_responses()
    thin, store_count = _thin_stores(period, minimum)
    return HrHome(
        to_approve=to_approve,
        to_export=to_export,
        imports=tuple(imports),
        unanswered=int(unanswered or 0),
        oldest_question=oldest,
        sample_period=period,
        min_responses=minimum,
        thin_stores=thin,
        store_count=store_count,
        publications=_publications(today),
    )


# --- payroll ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenefitTotals:
    period: Period
    benefits: int
    days_off: int
    amount: Decimal


@dataclass(frozen=True)
class PayrollHome:
    to_export: tuple[BonusRun, ...]
    benefits: tuple[BenefitTotals, ...]  # last month, then this month


def _benefit_totals(period: Period) -> BenefitTotals:
    rows = benefits_for_period(period)
    return BenefitTotals(
        period=period,
        benefits=sum(1 for r in rows if r.kind == "benefit"),
        days_off=sum(1 for r in rows if r.kind == "day_off"),
        amount=sum((r.amount for r in rows), ZERO),
    )


def payroll_home(user: User, today: date) -> PayrollHome | None:
    """Approved runs not exported yet, and the benefits and days off of last month and this one."""
    if not user.has_role("payroll"):
        return None
    _waiting, to_export = _waiting_runs()
    month = Period.containing(today, "month")
    return PayrollHome(to_export=to_export, benefits=(_benefit_totals(month.shifted(-1)), _benefit_totals(month)))
