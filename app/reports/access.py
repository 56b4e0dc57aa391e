"""Who may see which statements: HR every run, payroll every approved run, employees their own, and managers their
team's statements of approved runs only when the company lets them (a setting, off by default). Anything else is
a 404, so nobody learns that a statement exists."""

from __future__ import annotations

from typing import NoReturn

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _
from werkzeug.exceptions import Conflict

from app.auth.models import User
from app.extensions import db
from app.incentives.models import RUN_WITH_SCHEME, BonusRun, RunLine
from app.org.models import Employee, Store
from app.org.scope import OutOfScope, narrow, pay_store_ids
from app.reports.models import RenderJob
from app.reports.statements.documents import is_final


def run_or_404(run_id: int, user: User) -> BonusRun:
    """A run the user may see statements of: any for HR, approved or exported ones for everyone else."""
    run = db.session.get(BonusRun, run_id, options=RUN_WITH_SCHEME)
    if run is None or (not user.has_role("hr") and not is_final(run)):
        abort(404)
    return run


def sees_all(user: User) -> bool:
    return user.has_role("hr", "payroll")


def line_store_ids(run: BonusRun, employee_id: int) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(RunLine.store_id).where(RunLine.run_id == run.id, RunLine.employee_id == employee_id)
        )
    )


def can_see_statement(user: User, run: BonusRun, employee: Employee) -> bool:
    if user.employee_id == employee.id:
        return True
    stores = pay_store_ids(user)
    return stores is None or bool(stores & line_store_ids(run, employee.id))


def statement_or_404(run_id: int, employee_id: int, user: User) -> tuple[BonusRun, Employee]:
    run = run_or_404(run_id, user)
    employee = db.session.get(Employee, employee_id)
    if employee is None or not can_see_statement(user, run, employee):
        abort(404)
    return run, employee


def bulk_store_codes(user: User, run: BonusRun) -> list[str] | None:
    """Codes of the run's stores whose statements the user may read: None means every store (HR, payroll); an
    empty list, none (a manager of other stores, or any manager while the company keeps statements from them)."""
    stores = pay_store_ids(user)
    if stores is None:
        return None
    in_run = sa.select(RunLine.store_id).where(RunLine.run_id == run.id)
    return list(
        db.session.scalars(sa.select(Store.code).where(Store.id.in_(in_run), Store.id.in_(stores)).order_by(Store.code))
    )


def bulk_stores_or_404(user: User, run: BonusRun, asked: str | None) -> list[str] | None:
    """The stores a bulk rendering covers: the one asked, or when none is, all the user may read (None: every
    store, for HR and payroll only). A store the user may not read is a 404."""
    allowed = bulk_store_codes(user, run)
    try:
        covered = narrow(None if allowed is None else set(allowed), [asked] if asked else [])
    except OutOfScope:
        abort(404)
    if covered is None:
        return None
    if not covered:
        abort(404)
    return sorted(covered)


def visible_job_condition(user: User) -> sa.ColumnElement[bool]:
    if sees_all(user):
        return sa.true()
    return RenderJob.requested_by == user.email


def job_or_404(job_id: int, user: User) -> RenderJob:
    """A finished or running bulk job the user may follow: any for HR and payroll; for a manager, one they asked
    for, while every store it covers is still one whose statements they may read."""
    job = db.session.get(RenderJob, job_id)
    if job is None:
        abort(404)
    if sees_all(user):
        return job
    if job.requested_by != user.email or not job.store_codes:
        abort(404)
    run = db.session.get(BonusRun, job.run_id)
    if run is None or not set(job.store_codes) <= set(bulk_store_codes(user, run) or []):
        abort(404)
    return job


def conflict(message: str) -> NoReturn:
    """Stop with a 409 page that says why the action is refused."""
    exc = Conflict(description=_("This cannot be done now: %(reason)s", reason=message))
    exc.primo_message = True  # type: ignore[attr-defined]
    raise exc
