"""What a user may see of the organisation: HR and payroll everything, managers their stores, employees themselves.

A store filter only ever narrows what the user may see (`narrow`): a missing or empty one means everything the
user may see, which is every store for HR and payroll only. Pay (statements, amounts, base salaries) has its own
scope, `pay_store_ids`, which a company setting opens to managers.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable
from datetime import date
from typing import TypeVar

import sqlalchemy as sa

from app.auth.models import User
from app.core.company import managers_read_statements
from app.core.memo import remembered
from app.extensions import db
from app.org.models import Assignment, Employee, ManagerScope, Store

K = TypeVar("K", bound=Hashable)


class OutOfScope(LookupError):
    """A filter names a store the user may not see (a 404 for the user: nobody learns what lies outside)."""


def managed_store_ids(user: User) -> set[int]:
    """Stores a manager is responsible for, directly or through a region."""
    if not user.has_role("manager") or user.employee_id is None:
        return set()
    direct = sa.select(ManagerScope.store_id).where(
        ManagerScope.employee_id == user.employee_id, ManagerScope.store_id.is_not(None)
    )
    via_region = (
        sa.select(Store.id)
        .join(ManagerScope, ManagerScope.region_id == Store.region_id)
        .where(ManagerScope.employee_id == user.employee_id)
    )
    # Access checks, filters and notices all ask on one page: once per transaction; a copy, callers may change it.
    found = remembered(
        ("managed stores", user.employee_id), lambda: frozenset(db.session.scalars(direct.union(via_region)))
    )
    return set(found)


def sees_everything(user: User) -> bool:
    return user.has_role("hr", "payroll")


def visible_store_ids(user: User) -> set[int] | None:
    """Store ids the user may see, or None for all."""
    if user.has_role("hr"):
        return None
    return managed_store_ids(user)


def narrow(allowed: set[K] | None, asked: Collection[K] = ()) -> set[K] | None:
    """The stores (ids or codes) a filter covers: those asked, if every one is allowed (OutOfScope otherwise);
    nothing asked means all that is allowed, which is every store (None) only when `allowed` is None."""
    if not asked:
        return None if allowed is None else set(allowed)
    wanted = set(asked)
    if allowed is not None and not wanted <= allowed:
        raise OutOfScope(f"stores outside the user's scope: {sorted(wanted - allowed)}")
    return wanted


def pay_store_ids(user: User) -> set[int] | None:
    """Stores whose people's pay (statements, amounts, base salaries) the user may read besides their own:
    every store (None) for HR and payroll, a manager's own stores when the company lets managers read their
    team's statements, none otherwise."""
    if sees_everything(user):
        return None
    if not managers_read_statements():
        return set()
    return managed_store_ids(user)


def can_read_pay(user: User, employee: Employee, on: date) -> bool:
    """Whether the user may read this employee's pay today: their own, or a team member's (see pay_store_ids)."""
    if user.employee_id == employee.id:
        return True
    stores = pay_store_ids(user)
    if stores is None:
        return True
    return bool(stores) and _matches(employee, team_condition(stores, on))


def team_condition(store_ids: set[int], on: date) -> sa.ColumnElement[bool]:
    """Employees assigned on `on` to one of the stores and not gone by then."""
    return sa.and_(
        Employee.id.in_(
            sa.select(Assignment.employee_id).where(
                Assignment.store_id.in_(store_ids),
                Assignment.start_date <= on,
                sa.or_(Assignment.end_date.is_(None), Assignment.end_date >= on),
            )
        ),
        sa.or_(Employee.exit_date.is_(None), Employee.exit_date >= on),
    )


def visible_employees_condition(user: User, on: date) -> sa.ColumnElement[bool]:
    """A WHERE clause limiting employees to those the user may see."""
    if user.has_role("hr"):
        return sa.true()
    conditions = []
    stores = managed_store_ids(user)
    if stores:
        conditions.append(team_condition(stores, on))
    if user.employee_id is not None:
        conditions.append(Employee.id == user.employee_id)
    return sa.or_(*conditions) if conditions else sa.false()


def can_see_employee(user: User, employee: Employee, on: date) -> bool:
    return _matches(employee, visible_employees_condition(user, on))


def _matches(employee: Employee, condition: sa.ColumnElement[bool]) -> bool:
    """Whether the employee's row meets the condition (asked of the database, which holds the assignments)."""
    return bool(
        db.session.scalar(sa.select(sa.func.count()).select_from(Employee).where(Employee.id == employee.id, condition))
    )
