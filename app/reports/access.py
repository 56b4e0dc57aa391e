"""Who may see which statements: HR every run, payroll every approved run, managers their team's statements of
approved runs, employees their own. Anything else is a 404, so nobody learns that a statement exists."""

from __future__ import annotations

from typing import NoReturn

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _
from werkzeug.exceptions import Conflict

from app.auth.models import User
from app.extensions import db
from app.incentives.models import BonusRun, RunLine
from app.org.models import Employee, Store
from app.org.scope import managed_store_ids
from app.reports.documents import is_final
from app.reports.models import RenderJob


def run_or_404(run_id: int, user: User) -> BonusRun:
    """A run the user may see statements of: any for HR, approved or exported ones for everyone else."""
    run = db.session.get(BonusRun, run_id)
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
    if sees_all(user) or user.employee_id == employee.id:
        return True
    return bool(managed_store_ids(user) & line_store_ids(run, employee.id))


def statement_or_404(run_id: int, employee_id: int, user: User) -> tuple[BonusRun, Employee]:
    run = run_or_404(run_id, user)
    employee = db.session.get(Employee, employee_id)
    if employee is None or not can_see_statement(user, run, employee):
        abort(404)
    return run, employee


def bulk_store_codes(user: User, run: BonusRun) -> list[str] | None:
    """Store codes the user may render in bulk for a run: None means every store (HR, payroll)."""
    if sees_all(user):
        return None
    managed = managed_store_ids(user)
    in_run = sa.select(RunLine.store_id).where(RunLine.run_id == run.id)
    return list(
        db.session.scalars(
            sa.select(Store.code).where(Store.id.in_(in_run), Store.id.in_(managed)).order_by(Store.code)
        )
    )


def visible_job_condition(user: User) -> sa.ColumnElement[bool]:
    if sees_all(user):
        return sa.true()
    return RenderJob.requested_by == user.email


def job_or_404(job_id: int, user: User) -> RenderJob:
    job = db.session.get(RenderJob, job_id)
    if job is None or not (sees_all(user) or job.requested_by == user.email):
        abort(404)
    return job


def conflict(message: str) -> NoReturn:
    """Stop with a 409 page that says why the action is refused."""
    exc = Conflict(description=_("This cannot be done now: %(reason)s", reason=message))
    exc.primo_message = True  # type: ignore[attr-defined]
    raise exc
