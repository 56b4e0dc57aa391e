"""Bonus runs: create, compute in one transaction, adjust, submit, approve (four eyes), reject, mark exported.

Every rule on a run's state lives here: which moves are allowed (`TRANSITIONS`), one ordinary run paid per scheme
and period (a second one is a corrective run, with a written reason, that pays only the difference), runs only
within the scheme version's validity, approval only once the period has ended (unless advances are allowed), and
four eyes. Services flush and write the audit log and the run's history; the request or CLI command commits once.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import pgettext
from sqlalchemy.orm import selectinload

from app.absences.services import absence_facts
from app.audit.services import current_actor, record
from app.auth.models import User
from app.core import clock
from app.dbtypes import Money, utcnow
from app.extensions import db
from app.incentives import engine, figures, gross_pay, interessement
from app.incentives.models import (
    PAID_STATUSES,
    AdjustmentKind,
    BonusRun,
    ObjectivePublication,
    RunAdjustment,
    RunEvent,
    RunLine,
    RunStatus,
    Scheme,
    SchemeVersion,
)
from app.incentives.schemes import document_of, freeze, get_version
from app.money import MoneyError, round_cents, to_decimal
from app.notify import events as notify_events
from app.org.models import Assignment, Employee, Region, Store
from app.periods import Period, PeriodError
from app.webhooks import events as webhook_events

# The only moves a run can make; anything else is refused with RunStateError.
TRANSITIONS = {
    (RunStatus.DRAFT, RunStatus.SUBMITTED),
    (RunStatus.SUBMITTED, RunStatus.APPROVED),
    (RunStatus.SUBMITTED, RunStatus.DRAFT),  # rejected with a comment
    (RunStatus.APPROVED, RunStatus.EXPORTED),
    (RunStatus.EXPORTED, RunStatus.EXPORTED),  # exporting again is allowed and changes nothing
}
COMMENT_MAX = 2000
REASON_MIN = 10


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
    labels: dict[str, str] = {
        RunStatus.DRAFT: pgettext("run status", "draft"),
        RunStatus.SUBMITTED: pgettext("run status", "submitted"),
        RunStatus.APPROVED: pgettext("run status", "approved"),
        RunStatus.EXPORTED: pgettext("run status", "exported"),
    }
    return labels.get(status, status)


def event_label(action: str) -> str:
    """A step of a run's history in the reader's language."""
    labels = {
        "create": pgettext("run history", "created"),
        "compute": pgettext("run history", "computed"),
        "submit": pgettext("run history", "submitted"),
        "reject": pgettext("run history", "sent back to draft"),
        "approve": pgettext("run history", "approved"),
        "export": pgettext("run history", "exported for payroll"),
    }
    return labels.get(action, action)


def check_transition(run: BonusRun, to: RunStatus) -> None:
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


def _event(run: BonusRun, action: str, actor: str | None = None, comment: str | None = None) -> None:
    """Add a step to the run's history (the audit log gets its own record from the caller)."""
    db.session.add(RunEvent(run=run, action=action, actor=actor or current_actor()[1], comment=comment or None))


def _comment(comment: str | None, *, required: bool = False) -> str | None:
    text = (comment or "").strip()
    if required and not text:
        raise RunError(_("say why the run goes back"), "comment")
    if len(text) > COMMENT_MAX:
        raise RunError(_("at most %(n)d characters", n=COMMENT_MAX), "comment")
    return text or None


def lock_scheme(scheme_id: int) -> None:
    """Serialise the decisions about one scheme's runs until the transaction ends (create, submit, approve).

    Two HR users submitting or approving two runs of the same period at once would each see no other run and both
    go through (PITFALLS: read-then-write); so each first locks the scheme's row, then checks and writes:
    `SELECT … FOR UPDATE` on PostgreSQL, a no-op UPDATE on SQLite, which takes the database's write lock.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            sa.update(Scheme).where(Scheme.id == scheme_id).values(id=Scheme.id),
            execution_options={"synchronize_session": False},
        )
        return
    db.session.execute(sa.select(Scheme.id).where(Scheme.id == scheme_id).with_for_update())


def runs_of(scheme_id: int, period: str, statuses: Iterable[str] | None = None) -> list[BonusRun]:
    """The runs of a scheme (any version) for a period, oldest first, optionally of some statuses only."""
    query = (
        sa.select(BonusRun)
        .join(SchemeVersion, SchemeVersion.id == BonusRun.version_id)
        .where(SchemeVersion.scheme_id == scheme_id, BonusRun.period == period)
        .order_by(BonusRun.id)
    )
    if statuses is not None:
        query = query.where(BonusRun.status.in_(list(statuses)))
    return list(db.session.scalars(query.execution_options(populate_existing=True)))


def _ordinary_non_draft(scheme_id: int, period: str, other_than: BonusRun | None = None) -> BonusRun | None:
    found = [
        r
        for r in runs_of(scheme_id, period, (RunStatus.SUBMITTED, *PAID_STATUSES))
        if not r.corrective and r is not other_than
    ]
    paid = [r for r in found if r.status in PAID_STATUSES]
    return (paid or found or [None])[0]


def paid_runs_before(run: BonusRun) -> list[BonusRun]:
    """The approved and exported runs of the run's scheme and period, other than the run itself."""
    return [r for r in runs_of(run.version.scheme_id, run.period, PAID_STATUSES) if r.id != run.id]


def _refuse_second_ordinary(version: SchemeVersion, period: Period, run: BonusRun | None = None) -> None:
    """Refuse an ordinary run beside another one of the same scheme and period that is submitted, approved or
    exported: the period would be paid twice."""
    other = _ordinary_non_draft(version.scheme_id, str(period), other_than=run)
    if other is None:
        return
    code = version.scheme.code
    if other.status in PAID_STATUSES:
        raise RunStateError(
            _(
                "%(code)s is already paid for %(period)s by run %(id)d (%(status)s): a second run must be a "
                "corrective run, with a written reason, that pays only the difference",
                code=code,
                period=period,
                id=other.id,
                status=status_label(other.status),
            ),
            "period",
        )
    raise RunStateError(
        _(
            "run %(id)d of %(code)s for %(period)s is waiting for approval: approve or reject it first",
            id=other.id,
            code=code,
            period=period,
        ),
        "period",
    )


def _check_validity(version: SchemeVersion, period: Period) -> None:
    """Refuse a period outside the scheme version's validity dates."""
    document = document_of(version)
    if document.valid_for(period):
        return
    named = {
        "period": period,
        "code": version.scheme.code,
        "version": version.version,
        "start": document.valid_from.isoformat(),
    }
    if document.valid_to is None:
        message = _("%(period)s is outside the validity of %(code)s v%(version)d (valid from %(start)s)", **named)
    else:
        message = _(
            "%(period)s is outside the validity of %(code)s v%(version)d (valid from %(start)s to %(end)s)",
            end=document.valid_to.isoformat(),
            **named,
        )
    raise RunError(message, "period")


def _check_basis(run: BonusRun) -> None:
    """Refuse a corrective run whose difference was computed against other paid runs than there are now."""
    if not run.corrective or run.computed_at is None:
        return
    now = already_paid(run).runs
    if now != sorted(run.corrective_basis or []):
        raise RunStateError(
            _(
                "what was already paid for %(period)s changed since run %(id)d was computed (paid runs now: "
                "%(runs)s): recompute it",
                period=run.period,
                id=run.id,
                runs=", ".join(str(i) for i in now) or "—",
            )
        )


def period_ended(run: BonusRun) -> bool:
    """Whether the run's period is over in the company's time zone (its last day is past)."""
    return Period.parse(run.period).end < clock.today()


def advances_allowed() -> bool:
    return bool(current_app.config.get("PRIMO_ALLOW_ADVANCE_RUNS"))


def _not_ended_message(run: BonusRun) -> str:
    end = Period.parse(run.period).end.isoformat()
    if advances_allowed():
        return _(
            "%(period)s is not over (last day %(end)s): approving the run before then pays it as an advance",
            period=run.period,
            end=end,
        )
    return _(
        "%(period)s is not over (last day %(end)s): the run can be computed and submitted, and approved once the "
        "period has ended",
        period=run.period,
        end=end,
    )


def create_run(
    code: str, period_label: str, version_number: int | None = None, corrective_reason: str | None = None
) -> BonusRun:
    """Open a draft run of a scheme version (latest by default) for a period of the scheme's type.

    A period that already has a submitted, approved or exported ordinary run of the scheme is refused, unless HR
    gives a written reason: the run is then corrective, and pays only the difference with what was paid.
    """
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
    _check_validity(version, period)
    reason = (corrective_reason or "").strip()
    lock_scheme(version.scheme_id)
    corrected = None
    if reason:
        if len(reason) < REASON_MIN:
            raise RunError(_("at least %(n)d characters", n=REASON_MIN), "corrective_reason")
        corrected = next((r for r in runs_of(version.scheme_id, str(period), PAID_STATUSES) if not r.corrective), None)
        if corrected is None:
            raise RunStateError(
                _(
                    "nothing of %(code)s is paid for %(period)s yet: open an ordinary run, not a corrective one",
                    code=code,
                    period=period,
                ),
                "corrective_reason",
            )
    else:
        _refuse_second_ordinary(version, period)
    actor = current_actor()[1]
    run = BonusRun(version=version, period=str(period), created_by=actor)
    if corrected is not None:
        run.corrects_run_id = corrected.id
        run.corrective_reason = reason
    db.session.add(run)
    db.session.flush()
    _event(run, "create", actor, reason or None)
    summary = f"{code} v{version.version} {period}"
    if corrected is not None:
        summary += f", corrective of run {corrected.id}: {reason}"
    record(
        "run.create",
        "run",
        run.id,
        summary=summary,
        after={"corrects_run_id": run.corrects_run_id, "corrective_reason": run.corrective_reason},
    )
    return run


def run_warnings(run: BonusRun) -> list[str]:
    """What HR should know before going on with a run: a period not over, outside the validity, stale basis."""
    warnings = []
    period = Period.parse(run.period)
    if run.status in (RunStatus.DRAFT, RunStatus.SUBMITTED):
        try:
            _check_validity(run.version, period)
        except RunError as exc:
            warnings.append(exc.message)
        if not period_ended(run):
            warnings.append(_not_ended_message(run))
        try:
            _check_basis(run)
        except RunError as exc:
            warnings.append(exc.message)
    return warnings


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
    """Engine facts of the given employees (all their assignments and absences), by employee id."""
    ids = set(employee_ids)
    if not ids:
        return {}
    people = _plain_facts(sa.select(Employee.id).where(Employee.id.in_(ids)))
    return {id_: facts for id_, facts in people}


def period_facts(period: Period) -> tuple[list[engine.EmployeeFacts], dict[str, int], dict[str, int]]:
    """Every employee with an assignment overlapping the period, as engine facts, with employee and store ids.

    Four plain queries whatever the number of employees (no ORM objects, no IN lists of ids): the employees, all
    their assignments with store and region, their absences in the period, and the store ids.
    """
    people = _plain_facts(sa.select(Employee.id).where(_in_period(period)), period.start, period.end)
    employee_ids = {facts.employee_number: id_ for id_, facts in people}
    store_ids = {code: id_ for id_, code in db.session.execute(sa.select(Store.id, Store.code))}
    return [facts for _id, facts in people], employee_ids, store_ids


def _plain_facts(
    chosen: sa.Select, start: date | None = None, end: date | None = None
) -> list[tuple[int, engine.EmployeeFacts]]:
    """Engine facts of the employees whose ids `chosen` selects, by id order, in three queries of plain rows:
    the employees, all their assignments with store and region, and their absences overlapping [start, end]."""
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
        .where(Employee.id.in_(chosen))
        .order_by(Employee.id)
    ).all()
    stays: dict[int, list[engine.AssignmentFact]] = {}
    for row in db.session.execute(
        sa.select(Assignment.employee_id, Store.code, Region.name, Assignment.start_date, Assignment.end_date)
        .join(Store, Store.id == Assignment.store_id)
        .join(Region, Region.id == Store.region_id)
        .where(Assignment.employee_id.in_(chosen))
        .order_by(Assignment.employee_id, Assignment.start_date, Assignment.id)
    ):
        stays.setdefault(row[0], []).append(engine.AssignmentFact(row[1], row[2], row[3], row[4]))
    absences = absence_facts(chosen, start, end)
    return [
        (
            p.id,
            engine.EmployeeFacts(
                employee_number=p.number,
                job_role=p.job_role,
                fte=p.fte,
                annual_base=p.annual_base_salary,
                hire_date=p.hire_date,
                exit_date=p.exit_date,
                assignments=tuple(stays.get(p.id, ())),
                absences=absences.get(p.id, ()),
            ),
        )
        for p in people
    ]


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
    """Compute a draft run's lines from today's data, replacing earlier lines; manual adjustments are kept.

    A corrective run keeps only the employees whose amount differs from what the paid runs of the scheme and period
    gave them: their lines (the full amount due now) and, per pay code, an `already_paid` adjustment that takes
    back what was paid. Those with no difference get nothing.
    """
    _require_status(run, RunStatus.DRAFT, _("run %(id)d is %(status)s: only a draft can be recomputed"))
    period = Period.parse(run.period)
    _check_validity(run.version, period)
    document = document_of(run.version)
    facts, employee_ids, store_ids = period_facts(period)
    if document.is_interessement:
        result: engine.RunResult | interessement.InteressementResult = _compute_interessement(run, period, facts)
        traces = [interessement.share_trace(line, result) for line in result.lines]
    else:
        spec = document.spec(run.version.version)
        try:
            result = engine.compute_run(spec, period, facts, figures.gather(spec, period))
        except engine.EngineError as exc:
            raise RunError(str(exc)) from None
        traces = [engine.trace_to_dict(line) for line in result.lines]
    # Intéressement has no objectives to publish beforehand: its agreement is the scheme.
    late = _objectives_late(run.version, period) and not document.is_interessement
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
            "trace": trace,
            "objectives_late": late,
        }
        for line, trace in zip(result.lines, traces, strict=True)
    ]
    unchanged = 0
    if run.corrective:
        rows, unchanged = _corrective_rows(run, rows)
    if rows:
        _insert_lines(rows)
    db.session.flush()
    db.session.expire(run, ["lines", "adjustments"])
    lines_total = sum((Decimal(r["amount"]) for r in rows), Decimal("0.00"))  # type: ignore[arg-type]
    run.total = lines_total + sum((a.amount for a in run.adjustments), Decimal("0.00"))
    run.computed_at = utcnow()
    _event(run, "compute")
    summary = f"{len(rows)} lines"
    if run.corrective:
        summary += f", {unchanged} employees unchanged, against paid runs {run.corrective_basis}"
    record(
        "run.compute",
        "run",
        run.id,
        summary=summary,
        before=before,
        after={"total": run.total, "lines": len(rows)},
    )
    return result


def _compute_interessement(
    run: BonusRun, period: Period, facts: list[engine.EmployeeFacts]
) -> interessement.InteressementResult:
    return compute_interessement(run.version, period, facts)


def compute_interessement(
    version: SchemeVersion, period: Period, facts: list[engine.EmployeeFacts]
) -> interessement.InteressementResult:
    """Compute an intéressement version over a period (a run's, or a simulation's): beneficiaries with their gross
    pay, the pools' KPIs, the PASS of the year. Writes nothing."""
    spec = document_of(version).interessement_spec(version.version)
    settings = gross_pay.load_settings()
    pass_amount = settings.pass_for(period.year)
    if pass_amount is None:
        raise RunError(_("no PASS is set for %(year)d: add it to the intéressement settings", year=period.year), "pass")
    try:
        people, excluded = interessement.beneficiaries_of(facts, period, gross_pay.gross_pay_for(period))
        return interessement.compute_interessement(
            spec, period, people, figures.gather(spec, period), pass_amount, excluded=excluded
        )
    except engine.EngineError as exc:
        raise RunError(str(exc)) from None


@dataclass(frozen=True)
class AlreadyPaid:
    """What was paid for a run's scheme and period: the paid runs it comes from, the net per employee and pay code,
    and each employee's first line in the run a corrective run corrects (the line its correction names)."""

    runs: list[int]
    amounts: dict[tuple[int, str], Decimal]
    corrected_lines: dict[int, int]


def already_paid(run: BonusRun) -> AlreadyPaid:
    """The lines and adjustments of the other approved and exported runs of the run's scheme and period, and the
    manual corrections of their lines paid in runs of other periods (an adjustment naming the line), netted."""
    here = {r.id: r.version.pay_code for r in paid_runs_before(run)}
    amounts: dict[tuple[int, str], Decimal] = defaultdict(lambda: Decimal("0.00"))
    runs = set(here)
    if here:
        for run_id, employee_id, amount in db.session.execute(
            sa.select(RunLine.run_id, RunLine.employee_id, sa.func.sum(RunLine.amount, type_=Money()))
            .where(RunLine.run_id.in_(list(here)))
            .group_by(RunLine.run_id, RunLine.employee_id)
        ):
            amounts[(employee_id, here[run_id])] += amount or 0
        pay_code = sa.func.coalesce(RunAdjustment.pay_code, SchemeVersion.pay_code)
        lines_here = sa.select(RunLine.id).where(RunLine.run_id.in_(list(here)))
        for run_id, employee_id, code, amount in db.session.execute(
            sa.select(
                RunAdjustment.run_id,
                RunAdjustment.employee_id,
                pay_code,
                sa.func.sum(RunAdjustment.amount, type_=Money()),
            )
            .join(BonusRun, BonusRun.id == RunAdjustment.run_id)
            .join(SchemeVersion, SchemeVersion.id == BonusRun.version_id)
            .where(
                BonusRun.status.in_(PAID_STATUSES),
                BonusRun.id != run.id,
                sa.or_(RunAdjustment.run_id.in_(list(here)), RunAdjustment.corrects_line_id.in_(lines_here)),
            )
            .group_by(RunAdjustment.run_id, RunAdjustment.employee_id, pay_code)
        ):
            amounts[(employee_id, code)] += amount or 0
            runs.add(run_id)
    corrected = dict(
        db.session.execute(
            sa.select(RunLine.employee_id, sa.func.min(RunLine.id))
            .where(RunLine.run_id == run.corrects_run_id)
            .group_by(RunLine.employee_id)
        )
        .tuples()
        .all()
    )
    return AlreadyPaid(sorted(runs), dict(amounts), corrected)


def _corrective_rows(run: BonusRun, rows: list[dict[str, object]]) -> tuple[list[dict[str, object]], int]:
    """Keep the lines of employees whose amount changed, write what they were paid back as `already_paid`
    adjustments (signed, on the pay code that paid it), and record the basis; returns the lines kept and how many
    employees are unchanged."""
    paid = already_paid(run)
    code = run.version.pay_code
    zero = Decimal("0.00")
    due: dict[tuple[int, str], Decimal] = defaultdict(lambda: zero)
    for row in rows:
        due[(int(row["employee_id"]), code)] += row["amount"]  # type: ignore[call-overload,operator]
    keys = set(due) | set(paid.amounts)
    changed = {key[0] for key in keys if due.get(key, zero) != paid.amounts.get(key, zero)}
    db.session.execute(
        sa.delete(RunAdjustment).where(
            RunAdjustment.run_id == run.id, RunAdjustment.kind == AdjustmentKind.ALREADY_PAID
        )
    )
    actor = current_actor()[1]
    reason = f"already paid for {run.period} by run {', '.join(str(i) for i in paid.runs)}"
    for (employee_id, pay_code), amount in sorted(paid.amounts.items()):
        if employee_id in changed and amount != 0:
            db.session.add(
                RunAdjustment(
                    run_id=run.id,
                    employee_id=employee_id,
                    amount=-amount,
                    kind=AdjustmentKind.ALREADY_PAID,
                    pay_code=pay_code,
                    corrects_line_id=paid.corrected_lines.get(employee_id),
                    reason=reason,
                    created_by=actor,
                )
            )
    run.corrective_basis = paid.runs
    kept = [row for row in rows if row["employee_id"] in changed]
    return kept, len({employee for employee, _pay in keys} - changed)


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
    """Add a signed manual amount to a draft run, with its reason; it survives recomputation.

    A correction names the line it corrects: a line of the same employee in an approved or exported run.
    """
    require_adjustable(run)
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
        if corrected is not None and corrected.employee_id != employee.id:
            raise RunError(_("That line pays another employee."), "corrects")
        if corrected is None or corrected.run.status not in PAID_STATUSES:
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


def _require_status(run: BonusRun, status: RunStatus, message: str) -> None:
    """Refuse with `message` (translated, naming %(id)d and %(status)s) unless the run has `status`."""
    if run.status != status:
        raise RunStateError(message % {"id": run.id, "status": status_label(run.status)})


def require_adjustable(run: BonusRun) -> None:
    """Refuse adjusting a run that is no longer a draft (the page asks before it reads the form)."""
    _require_status(run, RunStatus.DRAFT, _("run %(id)d is %(status)s: adjust a draft, or correct it in a later run"))


def require_rejectable(run: BonusRun) -> None:
    """Refuse rejecting a run that is not waiting for approval (the page asks before it reads the form)."""
    _require_status(run, RunStatus.SUBMITTED, _("run %(id)d is %(status)s: only a submitted run can be rejected"))


def _check_one_paid_run(run: BonusRun, to: RunStatus) -> None:
    """Under the scheme's lock, with the run's status read again: the move is still allowed, an ordinary run is the
    only one of its period past draft, and a corrective run's difference was computed against the runs paid now."""
    lock_scheme(run.version.scheme_id)
    db.session.refresh(run, ["status"])  # another request may have moved it while this one waited for the lock
    check_transition(run, to)
    if run.corrective:
        _check_basis(run)
    else:
        _refuse_second_ordinary(run.version, Period.parse(run.period), run)


def submit(run: BonusRun, user: User, comment: str | None = None) -> None:
    """Send a computed draft for approval; the scheme version freezes and the months read are locked."""
    check_transition(run, RunStatus.SUBMITTED)
    if run.computed_at is None:
        raise RunStateError(_("run %(id)d has not been computed", id=run.id))
    note = _comment(comment)
    _check_validity(run.version, Period.parse(run.period))
    _check_one_paid_run(run, RunStatus.SUBMITTED)
    run.status = RunStatus.SUBMITTED
    run.submitted_by = user.email
    run.submitted_at = utcnow()
    run.reject_comment = None
    freeze(run.version)
    spec = document_of(run.version).spec(run.version.version)
    figures.lock_months(holder(run), figures.periods_read(spec, Period.parse(run.period)))
    _event(run, "submit", user.email, note)
    record(
        "run.submit",
        "run",
        run.id,
        summary=note or "",
        before={"status": RunStatus.DRAFT},
        after={"status": RunStatus.SUBMITTED, "comment": note},
    )
    notify_events.run_submitted(run, user)


def paid_employee_ids(run: BonusRun) -> set[int]:
    ids = set(db.session.scalars(sa.select(RunLine.employee_id).where(RunLine.run_id == run.id)))
    return ids | {a.employee_id for a in run.adjustments}


def four_eyes_refusal(run: BonusRun, user: User) -> str | None:
    """Why this user may not approve this run (four eyes), or None: not HR, its submitter, an adjuster, paid by it."""
    if not user.has_role("hr"):
        return _("%(email)s is not an HR user", email=user.email)
    if user.email == run.submitted_by:
        return _("%(email)s submitted this run: another HR user must approve it", email=user.email)
    if any(a.manual and a.created_by == user.email for a in run.adjustments):
        return _("%(email)s adjusted this run: another HR user must approve it", email=user.email)
    if user.employee_id is not None and user.employee_id in paid_employee_ids(run):
        return _("%(email)s is paid by this run: another HR user must approve it", email=user.email)
    return None


def approval_refusal(run: BonusRun) -> str | None:
    """Why a submitted run cannot be approved now by anyone, or None: outside the validity, a basis that moved,
    a period not over (unless advances are allowed)."""
    try:
        _check_validity(run.version, Period.parse(run.period))
        _check_basis(run)
    except RunError as exc:
        return exc.message
    if not period_ended(run) and not advances_allowed():
        return _not_ended_message(run)
    return None


def approve(run: BonusRun, user: User, comment: str | None = None) -> None:
    """Approve a submitted run as a second HR user: not its submitter, not an adjuster, not paid by it; once its
    period has ended (before then, only when advances are allowed, and the run is marked as an advance)."""
    check_transition(run, RunStatus.APPROVED)
    refusal = four_eyes_refusal(run, user)
    if refusal:
        raise FourEyesError(refusal)
    note = _comment(comment)
    _check_one_paid_run(run, RunStatus.APPROVED)
    refusal = approval_refusal(run)
    if refusal:
        raise RunStateError(refusal)
    run.status = RunStatus.APPROVED
    run.approved_by = user.email
    run.approved_at = utcnow()
    run.advance = not period_ended(run)
    figures.lock_months(holder(run), [Period.parse(run.period)], paid=True)
    _event(run, "approve", user.email, note)
    record(
        "run.approve",
        "run",
        run.id,
        summary=("advance; " if run.advance else "") + (note or ""),
        before={"status": RunStatus.SUBMITTED},
        after={"status": RunStatus.APPROVED, "advance": run.advance, "comment": note},
    )
    # Render and store every statement of the run in the background, once the approval commits.
    from app.reports.jobs import queue_statements_for  # reports imports incentives, so not at module level

    queue_statements_for(run)
    webhook_events.run_approved(run)


def reject(run: BonusRun, user: User, comment: str) -> None:
    """Send a submitted run back to draft with a comment; its months are unlocked."""
    require_rejectable(run)
    check_transition(run, RunStatus.DRAFT)
    note = _comment(comment, required=True)
    run.status = RunStatus.DRAFT
    run.reject_comment = note
    figures.release_months(holder(run))
    _event(run, "reject", user.email, note)
    record(
        "run.reject",
        "run",
        run.id,
        summary=(note or "")[:200],
        before={"status": RunStatus.SUBMITTED},
        after={"status": RunStatus.DRAFT, "comment": note},
    )


def mark_exported(run: BonusRun) -> None:
    """Mark an approved run exported (paid) on its first export; later exports change nothing here."""
    check_transition(run, RunStatus.EXPORTED)
    if run.status != RunStatus.EXPORTED:
        run.status = RunStatus.EXPORTED
        run.exported_at = utcnow()
        _event(run, "export")
        record("run.export", "run", run.id, before={"status": RunStatus.APPROVED}, after={"status": RunStatus.EXPORTED})


def next_step(run: BonusRun, user: User) -> str:
    """What the run waits for, as this user sees it: compute, submit, approve, wait_other (four eyes), wait
    (the period, a basis to recompute), export, or paid."""
    if run.status == RunStatus.DRAFT:
        return "submit" if run.computed_at is not None else "compute"
    if run.status == RunStatus.SUBMITTED:
        if four_eyes_refusal(run, user):
            return "wait_other"
        return "wait" if approval_refusal(run) else "approve"
    return "export" if run.status == RunStatus.APPROVED else "paid"


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


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
        "status": str(run.status),
        "total": str(run.total),
        "computed_at": _moment(run.computed_at),
        "submitted_by": run.submitted_by,
        "approved_by": run.approved_by,
        "corrective": run.corrective,
        "corrects_run_id": run.corrects_run_id,
        "corrective_reason": run.corrective_reason,
        "corrective_basis": run.corrective_basis,
        "advance": run.advance,
        "reject_comment": run.reject_comment,
        "history": [{"action": e.action, "by": e.actor, "at": _moment(e.at), "comment": e.comment} for e in run.events],
        "lines": [
            {
                "id": line.id,
                "employee_number": line.employee.number,
                "store_code": line.store.code,
                "amount": str(line.amount),
                "objectives_late": line.objectives_late,
                "trace": line.trace,
                **_subpools(line.trace),
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
                "kind": a.kind,
                "pay_code": a.pay_code or run.version.pay_code,
            }
            for a in run.adjustments
        ],
    }


user_by_email = _user


def _subpools(trace: dict) -> dict[str, object]:
    """An intéressement share's sub-pools as `runs show --json` adds them: each sub-pool of the employee's pool,
    its total and the employee's base and part in it (before the individual cap)."""
    if not interessement.is_share_trace(trace):
        return {}
    parts = {p["basis"]: p for p in trace["parts"]}
    return {
        "subpools": [
            {
                "basis": s["basis"],
                "share": s["share"],
                "pool_amount": s["amount"],
                "basis_total": s["basis_total"],
                "employee_base": parts[s["basis"]]["base"],
                "employee_part": str(round_cents(Decimal(parts[s["basis"]]["amount"]))),
            }
            for s in trace["pool"]["subpools"]
        ]
    }


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
        # An intéressement share carries its pool's components.
        for c in trace.get("components") or trace.get("pool", {}).get("components", []):
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
