"""What a user may see of the organisation: HR and payroll everything, managers their stores, employees themselves."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.auth.models import User
from app.extensions import db
from app.org.models import Assignment, Employee, ManagerScope, Store


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
    return set(db.session.scalars(direct.union(via_region)))


def sees_everything(user: User) -> bool:
    return user.has_role("hr", "payroll")


def visible_store_ids(user: User) -> set[int] | None:
    """Store ids the user may see, or None for all."""
    if user.has_role("hr"):
        return None
    return managed_store_ids(user)


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
    return bool(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Employee)
            .where(Employee.id == employee.id, visible_employees_condition(user, on))
        )
    )
