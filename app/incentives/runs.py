"""Bonus runs: create, compute in one transaction, adjust, submit, approve (four eyes), reject, mark exported.

Services flush and write the audit log; the request or CLI command commits once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import pgettext
from sqlalchemy.orm import selectinload

from app.audit.services import record
from app.auth.models import User
from app.dbtypes import Money, utcnow
from app.extensions import db
from app.incentives import engine, figures
from app.incentives.models import BonusRun, ObjectivePublication, RunAdjustment, RunLine, SchemeVersion
from app.incentives.schemes import document_of, freeze, get_version
from app.money import MoneyError, round_cents, to_decimal
from app.org.models import Assignment, Employee, Region, Store
from app.periods import Period, PeriodError

# The only moves a run can make; anything else is refused with RunStateError.
TRANSITIONS = {
    ("draft", "submitted"),
    ("submitted", "approved"),
    ("submitted", "draft"),  # rejected with a comment
    ("approved", "exported"),
    ("exported", "exported"),  # exporting again is allowed and changes nothing
}


class RunError(ValueError):
    """A run request that cannot be carried out: `message` in the reader's language, and `field`, the input at
    fault when there is one. As text it is "field: message", as the CLI prints it."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.message = message
        self.field = field


class RunStateError(RunError):
    """An action the run's current status does not allow (a 409 on the page)."""


class FourEyesError(RunError):
    """The approver is the submitter, adjusted the run, or is paid by it."""


def status_label(status: str) -> str:
    """A run status in the reader's language."""
    labels = {
        "draft": pgettext("run status", "draft"),
        "submitted": pgettext("run status", "submitted"),
        "approved": pgettext("run status", "approved"),
        "exported": pgettext("run status", "exported"),
    }
    return labels.get(status, status)


def check_transition(run: BonusRun, to: str) -> None:
    """Allow only the moves in TRANSITIONS."""
    if (run.status, to) not in TRANSITIONS:
        raise RunStateError(
            _(
                "run %(id)d is %(status)s: it cannot become %(target)s",
                id=run.id,
                status=status_label(run.status),
                target=status_label(to),
            )
        )


def _period_kind(kind: str) -> str:
    return {"month": _("month"), "quarter": _("quarter"), "year": _("year")}.get(kind, kind)


def get_run(run_id: int) -> BonusRun:
    run = db.session.get(BonusRun, run_id)
    if run is None:
        raise RunError(_("no run %(id)d", id=run_id))
    return run


def holder(run: BonusRun) -> str:
    return f"run:{run.id}"


def create_run(code: str, period_label: str, version_number: int | None = None) -> BonusRun:
    """Open a draft run of a scheme version (latest by default) for a period of the scheme's type."""
    try:
        period = Period.parse(period_label)
    except PeriodError as exc:
        raise RunError(str(exc), "period") from None
    version = get_version(code, version_number)
    if period.kind != version.period_type:
        raise RunError(
            _(
                "%(code)s is paid per %(scheme_kind)s, not per %(kind)s",
                code=code,
                scheme_kind=_period_kind(version.period_type),
                kind=_period_kind(period.kind),
            ),
            "period",
        )
    run = BonusRun(version=version, period=str(period))
    db.session.add(run)
    db.session.flush()
    record("run.create", "run", run.id, summary=f"{code} v{version.version} {period}")
    return run


def employee_facts(employees: Iterable[Employee]) -> list[engine.EmployeeFacts]:
    """Engine facts of employees whose assignments, stores and regions are loaded."""
    return [
        engine.EmployeeFacts(
            employee_number=e.number,
            job_role=e.job_role,
            fte=e.fte,
            annual_base=e.annual_base_salary,
            hire_date=e.hire_date,
            exit_date=e.exit_date,
            assignments=tuple(
                engine.AssignmentFact(a.store.code, a.store.region.name, a.start_date, a.end_date)
                for a in e.assignments
            ),
        )
        for e in employees
    ]


def _with_assignments() -> sa.Select:
    return sa.select(Employee).options(
        selectinload(Employee.assignments).selectinload(Assignment.store).selectinload(Store.region)
    )


def _in_period(period: Period) -> sa.ColumnElement[bool]:
    """Employees hired by the period's end with an assignment overlapping it."""
    return sa.and_(
        Employee.id.in_(
            sa.select(Assignment.employee_id).where(
                Assignment.start_date <= period.end,
                sa.or_(Assignment.end_date.is_(None), Assignment.end_date >= period.start),
            )
        ),
        Employee.hire_date <= period.end,
    )


def period_employees(period: Period) -> list[Employee]:
    """Every employee hired by the period's end with an assignment overlapping it (one query)."""
    return list(db.session.scalars(sa.select(Employee).where(_in_period(period)).order_by(Employee.id)))


def facts_of(employee_ids: Iterable[int]) -> dict[int, engine.EmployeeFacts]:
    """Engine facts of the given employees, by employee id."""
    ids = set(employee_ids)
    if not ids:
        return {}
    employees = db.session.scalars(_with_assignments().where(Employee.id.in_(ids))).all()
    return {e.id: f for e, f in zip(employees, employee_facts(employees), strict=True)}


def period_facts(period: Period) -> tuple[list[engine.EmployeeFacts], dict[str, int], dict[str, int]]:
    """Every employee with an assignment overlapping the period, as engine facts, with employee and store ids.

    Three plain queries whatever the number of employees (no ORM objects, no IN lists of ids): the employees, all
    their assignments with store and region, and the store ids.
    """
    people = db.session.execute(
        sa.select(
            Employee.id,
            Employee.number,
            Employee.job_role,
            Employee.fte,
            Employee.annual_base_salary,
            Employee.hire_date,
            Employee.exit_date,
        )
        .where(_in_period(period))
        .order_by(Employee.id)
    ).all()
    stays: dict[int, list[engine.AssignmentFact]] = {}
    for row in db.session.execute(
        sa.select(Assignment.employee_id, Store.code, Region.name, Assignment.start_date, Assignment.end_date)
        .join(Store, Store.id == Assignment.store_id)
        .join(Region, Region.id == Store.region_id)
        .where(Assignment.employee_id.in_(sa.select(Employee.id).where(_in_period(period))))
        .order_by(Assignment.employee_id, Assignment.start_date, Assignment.id)
    ):
        stays.setdefault(row[0], []).append(engine.AssignmentFact(row[1], row[2], row[3], row[4]))
    facts = [
        engine.EmployeeFacts(
            employee_number=p.number,
            job_role=p.job_role,
            fte=p.fte,
            annual_base=p.annual_base_salary,
            hire_date=p.hire_date,
            exit_date=p.exit_date,
            assignments=tuple(stays.get(p.id, ())),
        )
        for p in people
    ]
    employee_ids = {p.number: p.id for p in people}
    store_ids = {code: id_ for id_, code in db.session.execute(sa.select(Store.id, Store.code))}
    return facts, employee_ids, store_ids


_facts = period_facts


def _objectives_late(version: SchemeVersion, period: Period) -> bool:
    """Whether the objectives reached employees only after the period began (or never)."""
    publication = db.session.scalar(
        sa.select(ObjectivePublication).where(
            ObjectivePublication.version_id == version.id, ObjectivePublication.period == str(period)
        )
    )
    if publication is None:
        return True
    zone = ZoneInfo(current_app.config["PRIMO_TIMEZONE"])
    return publication.published_at > datetime.combine(period.start, time(), zone)


def compute(run: BonusRun) -> engine.RunResult:
    """Compute a draft run's lines from today's data, replacing earlier lines; adjustments are kept."""
    if run.status != "draft":
        raise RunStateError(
            _("run %(id)d is %(status)s: only a draft can be recomputed", id=run.id, status=status_label(run.status))
        )
    period = Period.parse(run.period)
    spec = document_of(run.version).spec(run.version.version)
    facts, employee_ids, store_ids = period_facts(period)
    try:
        result = engine.compute_run(spec, period, facts, figures.gather(spec, period))
    except engine.EngineError as exc:
        raise RunError(str(exc)) from None
    late = _objectives_late(run.version, period)
    before = {
        "total": run.total,
        "lines": db.session.scalar(sa.select(sa.func.count()).where(RunLine.run_id == run.id)),
    }
    db.session.execute(sa.delete(RunLine).where(RunLine.run_id == run.id))
    rows = [
        {
            "run_id": run.id,
            "employee_id": employee_ids[line.employee_number],
            "store_id": store_ids[line.store_code],
            "amount": line.amount,
            "trace": engine.trace_to_dict(line),
            "objectives_late": late,
        }
        for line in result.lines
    ]
    if rows:
        _insert_lines(rows)
    db.session.expire(run, ["lines"])
    run.total = result.total + sum((a.amount for a in run.adjustments), Decimal("0.00"))
    run.computed_at = utcnow()
    record(
        "run.compute",
        "run",
        run.id,
        summary=f"{len(result.lines)} lines",
        before=before,
        after={"total": run.total, "lines": len(result.lines)},
    )
    return result


LINE_COLUMNS = ("run_id", "employee_id", "store_id", "amount", "trace", "objectives_late")


def _insert_lines(rows: list[dict[str, object]]) -> None:
    """Write a run's lines in one statement, inside the session's transaction.

    PostgreSQL gets a COPY (10 k lines with their traces are about 25 MB of JSON: an executemany spends seconds
    there); other databases a Core executemany. Amounts go through the Money type's own check either way.
    """
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        db.session.execute(sa.insert(RunLine.__table__), rows)
        return
    money = RunLine.__table__.c.amount.type
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY run_lines ({', '.join(LINE_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                (
                    row["run_id"],
                    row["employee_id"],
                    row["store_id"],
                    money.process_bind_param(row["amount"], connection.dialect),
                    json.dumps(row["trace"]),
                    row["objectives_late"],
                )
            )


def _user(email: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        raise RunError(_("no active account %(email)s", email=email), "user")
    if not user.has_role("hr"):
        raise RunError(_("%(email)s is not an HR user", email=email), "user")
    return user


def adjust(
    run: BonusRun, employee_number: str, amount: object, reason: str, user: User, corrects_line_id: int | None = None
) -> RunAdjustment:
    """Add a signed manual amount to a draft run, with its reason; it survives recomputation."""
    if run.status != "draft":
        raise RunStateError(
            _(
                "run %(id)d is %(status)s: adjust a draft, or correct it in a later run",
                id=run.id,
                status=status_label(run.status),
            )
        )
    if not reason or len(reason.strip()) < 3:
        raise RunError(_("required"), "reason")
    try:
        value = to_decimal(amount)
    except MoneyError as exc:
        raise RunError(str(exc), "amount") from None
    if value != round_cents(value) or value == 0:
        raise RunError(_("a non-zero amount in whole cents"), "amount")
    employee = db.session.scalar(sa.select(Employee).where(Employee.number == employee_number))
    if employee is None:
        raise RunError(_("no employee %(number)s", number=employee_number), "employee")
    if corrects_line_id is not None:
        corrected = db.session.get(RunLine, corrects_line_id)
        if corrected is None or corrected.run.status not in ("approved", "exported"):
            raise RunError(_("name a line of an approved or exported run"), "corrects")
    adjustment = RunAdjustment(
        run=run,
        employee_id=employee.id,
        amount=value,
        reason=reason.strip(),
        created_by=user.email,
        corrects_line_id=corrects_line_id,
    )
    db.session.add(adjustment)
    before = run.total
    run.total = run.total + value
    db.session.flush()
    record(
        "run.adjust",
        "run",
        run.id,
        summary=f"{employee_number}: {value} ({reason.strip()})",
        before={"total": before},
        after={"total": run.total, "employee": employee_number, "amount": value, "reason": reason.strip()},
    )
    return adjustment


def submit(run: BonusRun, user: User) -> None:
    """Send a computed draft for approval; the scheme version freezes and the months read are locked."""
    check_transition(run, "submitted")
    if run.computed_at is None:
        raise RunStateError(_("run %(id)d has not been computed", id=run.id))
    run.status = "submitted"
    run.submitted_by = user.email
    run.submitted_at = utcnow()
    run.reject_comment = None
    freeze(run.version)
    spec = document_of(run.version).spec(run.version.version)
    figures.lock_months(holder(run), figures.periods_read(spec, Period.parse(run.period)))
    record("run.submit", "run", run.id, before={"status": "draft"}, after={"status": "submitted"})


def paid_employee_ids(run: BonusRun) -> set[int]:
    ids = set(db.session.scalars(sa.select(RunLine.employee_id).where(RunLine.run_id == run.id)))
    return ids | {a.employee_id for a in run.adjustments}


def approve(run: BonusRun, user: User) -> None:
    """Approve a submitted run as a second HR user: not its submitter, not an adjuster, not paid by it."""
    check_transition(run, "approved")
    if not user.has_role("hr"):
        raise FourEyesError(_("%(email)s is not an HR user", email=user.email))
    if user.email == run.submitted_by:
        raise FourEyesError(_("%(email)s submitted this run: another HR user must approve it", email=user.email))
    if any(a.created_by == user.email for a in run.adjustments):
        raise FourEyesError(_("%(email)s adjusted this run: another HR user must approve it", email=user.email))
    if user.employee_id is not None and user.employee_id in paid_employee_ids(run):
        raise FourEyesError(_("%(email)s is paid by this run: another HR user must approve it", email=user.email))
    run.status = "approved"
    run.approved_by = user.email
    run.approved_at = utcnow()
    figures.lock_months(holder(run), [Period.parse(run.period)], paid=True)
    record("run.approve", "run", run.id, before={"status": "submitted"}, after={"status": "approved"})
    # Render and store every statement of the run in the background, once the approval commits.
    from app.reports.jobs import queue_statements_for  # reports imports incentives, so not at module level

    queue_statements_for(run)


def reject(run: BonusRun, user: User, comment: str) -> None:
    """Send a submitted run back to draft with a comment; its months are unlocked."""
    check_transition(run, "draft")
    if not comment or not comment.strip():
        raise RunError(_("say why the run goes back"), "comment")
    run.status = "draft"
    run.reject_comment = comment.strip()
    figures.release_months(holder(run))
    record(
        "run.reject",
        "run",
        run.id,
        summary=comment.strip()[:200],
        before={"status": "submitted"},
        after={"status": "draft"},
    )


def mark_exported(run: BonusRun) -> None:
    check_transition(run, "exported")
    if run.status != "exported":
        run.status = "exported"
        run.exported_at = utcnow()
        record("run.export", "run", run.id, before={"status": "approved"}, after={"status": "exported"})


def run_as_json(run: BonusRun) -> dict[str, object]:
    """The run as `flask runs show --json` prints it (amounts as strings)."""
    lines: Sequence[RunLine] = db.session.scalars(
        sa.select(RunLine)
        .where(RunLine.run_id == run.id)
        .options(selectinload(RunLine.employee), selectinload(RunLine.store))
        .order_by(RunLine.id)
    ).all()
    return {
        "id": run.id,
        "scheme": run.version.scheme.code,
        "version": run.version.version,
        "period": run.period,
        "status": run.status,
        "total": str(run.total),
        "computed_at": run.computed_at.isoformat() if run.computed_at else None,
        "submitted_by": run.submitted_by,
        "approved_by": run.approved_by,
        "lines": [
            {
                "id": line.id,
                "employee_number": line.employee.number,
                "store_code": line.store.code,
                "amount": str(line.amount),
                "objectives_late": line.objectives_late,
                "trace": line.trace,
            }
            for line in lines
        ],
        "adjustments": [
            {
                "employee_number": a.employee.number,
                "amount": str(a.amount),
                "reason": a.reason,
                "by": a.created_by,
                "corrects_line_id": a.corrects_line_id,
            }
            for a in run.adjustments
        ],
    }


user_by_email = _user


# --- review: what HR looks at before approving -----------------------------------------------------------


@dataclass(frozen=True)
class StoreTotal:
    """A store's share of a run."""

    store_id: int
    code: str
    name: str
    region: str
    lines: int
    amount: Decimal


@dataclass(frozen=True)
class FallbackStore:
    """A store where a component was paid on its fallback rule because too few customers answered."""

    store_code: str
    component_key: str
    kpi_code: str
    n: int
    min_responses: int
    fallback_used: str
    achievement: Decimal


def spec_of(run: BonusRun) -> engine.SchemeSpec:
    return document_of(run.version).spec(run.version.version)


def store_totals(run: BonusRun) -> list[StoreTotal]:
    """Lines and amount per store, in one GROUP BY."""
    rows = db.session.execute(
        sa.select(
            Store.id,
            Store.code,
            Store.name,
            Region.name.label("region"),
            sa.func.count(RunLine.id).label("lines"),
            sa.func.sum(RunLine.amount, type_=Money()).label("amount"),
        )
        .join(RunLine, RunLine.store_id == Store.id)
        .join(Region, Region.id == Store.region_id)
        .where(RunLine.run_id == run.id)
        .group_by(Store.id, Store.code, Store.name, Region.name)
        .order_by(Store.code)
    )
    return [StoreTotal(r.id, r.code, r.name, r.region, int(r.lines), r.amount or Decimal("0.00")) for r in rows]


def fallback_stores(run: BonusRun) -> list[FallbackStore]:
    """Stores paid on a fallback, read from one line's trace per store (every line of a store shares its figures)."""
    first_lines = sa.select(sa.func.min(RunLine.id)).where(RunLine.run_id == run.id).group_by(RunLine.store_id)
    found = []
    for trace in db.session.scalars(sa.select(RunLine.trace).where(RunLine.id.in_(first_lines))):
        for c in trace["components"]:
            if c.get("fallback_used"):
                found.append(
                    FallbackStore(
                        trace["store_code"],
                        c["key"],
                        c["kpi_code"],
                        int(c.get("n") or 0),
                        int(c.get("min_responses") or 0),
                        c["fallback_used"],
                        Decimal(str(c["achievement"])),
                    )
                )
    return sorted(found, key=lambda f: (f.store_code, f.component_key))


def run_coin_flips(run: BonusRun) -> list[engine.CoinFlip]:
    """The run's stores whose KPI lies within its margin of error of a curve threshold, from today's figures."""
    store_ids = sa.select(RunLine.store_id).where(RunLine.run_id == run.id).distinct()
    store_regions = dict(
        db.session.execute(sa.select(Store.code, Region.name).join(Region).where(Store.id.in_(store_ids)))
        .tuples()
        .all()
    )
    if not store_regions:
        return []
    spec = spec_of(run)
    period = Period.parse(run.period)
    return engine.coin_flips(spec, period, store_regions, figures.gather(spec, period))
