"""Managers' monthly points budgets: HR's allowance, optional roll-over, what awards spent and what is left.

A budget is a ledger too: HR's allowance changes and every award's spending are appended entries, so what is
left is a sum, never a counter edited in place. A month that rolls over hands what is left at its end to the
next month. All budget writes of a manager serialise on the manager's employee row (`row_locks.py`): one lock per
manager covers every month, as roll-over links each month to the next.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sqlalchemy as sa
from flask_babel import gettext as _

from app.audit.services import current_actor, record
from app.auth.models import User, UserRole
from app.extensions import db
from app.org.models import Employee
from app.periods import Period, PeriodError
from app.recognition.models import Budget, BudgetEntry
from app.recognition.row_locks import lock_employees


class BudgetError(ValueError):
    """A budget change or spending that cannot be done; the message says why."""


class BudgetExceeded(BudgetError):
    """An award bigger than what is left of the manager's budget."""


@dataclass(frozen=True)
class Month:
    allowance: int = 0
    spent: int = 0
    rollover: bool = False


@dataclass(frozen=True)
class BudgetStatus:
    """One manager's budget for one month."""

    month: str
    allowance: int
    carried: int  # rolled over from the previous month
    spent: int
    rollover: bool

    @property
    def available(self) -> int:
        return self.allowance + self.carried

    @property
    def left(self) -> int:
        return self.allowance + self.carried - self.spent


def month_label(text: str) -> str:
    """Return a month as "YYYY-MM", or raise BudgetError."""
    try:
        period = Period.parse(text)
    except PeriodError as exc:
        raise BudgetError(str(exc)) from None
    if period.kind != "month":
        raise BudgetError(_("%(text)s is not a month (YYYY-MM)", text=repr(text)))
    return str(period)


def monthly_totals(manager_id: int) -> dict[str, Month]:
    """Return each month's allowance, spending and roll-over flag for a manager (read under their lock)."""
    allowance = sa.func.coalesce(
        sa.func.sum(sa.case((BudgetEntry.kind == "allowance", BudgetEntry.points), else_=0)), 0
    )
    spent = sa.func.coalesce(sa.func.sum(sa.case((BudgetEntry.kind == "spend", -BudgetEntry.points), else_=0)), 0)
    rows = db.session.execute(
        sa.select(Budget.month, Budget.rollover, allowance, spent)
        .outerjoin(BudgetEntry, BudgetEntry.budget_id == Budget.id)
        .where(Budget.manager_id == manager_id)
        .group_by(Budget.id, Budget.month, Budget.rollover)
    )
    return {month: Month(int(a), int(s), bool(r)) for month, r, a, s in rows}


def walk(months: dict[str, Month], last: str) -> dict[str, BudgetStatus]:
    """Return the status of every month from the first with a budget up to `last`, carrying roll-overs."""
    statuses: dict[str, BudgetStatus] = {}
    if not months:
        return {last: BudgetStatus(last, 0, 0, 0, False)}
    period = Period.parse(min(min(months), last))
    end = Period.parse(max(max(months), last))
    carried = 0
    while period <= end:
        label = str(period)
        month = months.get(label, Month())
        status = BudgetStatus(label, month.allowance, carried, month.spent, month.rollover)
        statuses[label] = status
        carried = status.left if month.rollover and status.left > 0 else 0
        period = period.shifted(1)
    return statuses


def budget_status(manager_id: int, month: str) -> BudgetStatus:
    """Return what a manager was given, carried over, spent and has left in a month."""
    return walk(monthly_totals(manager_id), month)[month]


def _check_never_below_zero(statuses: dict[str, BudgetStatus]) -> None:
    for status in statuses.values():
        if status.left < 0:
            raise BudgetError(
                _(
                    "%(month)s would be overspent: %(spent)d points already awarded, %(available)d available",
                    month=status.month,
                    spent=status.spent,
                    available=status.available,
                )
            )


def _budget_row(manager_id: int, month: str) -> Budget:
    budget = db.session.scalar(sa.select(Budget).where(Budget.manager_id == manager_id, Budget.month == month))
    if budget is None:
        budget = Budget(manager_id=manager_id, month=month, rollover=False)
        db.session.add(budget)
        db.session.flush()
    return budget


def set_budget(manager: Employee, month: str, points: int, rollover: bool | None = None) -> tuple[BudgetStatus, bool]:
    """Set a manager's allowance for a month (and its roll-over flag); return the new status and whether it changed.

    Refused when it would leave a month with more awarded than available.
    """
    month = month_label(month)
    if type(points) is not int or points < 0:
        raise BudgetError(_("the allowance must be a whole number of points, 0 or more, not %(points)s", points=points))
    if not is_manager(manager):
        raise BudgetError(
            _("%(name)s (%(number)s) has no manager account", name=manager.full_name, number=manager.number)
        )
    lock_employees([manager.id])
    months = monthly_totals(manager.id)
    before = months.get(month, Month())
    after = replace(before, allowance=points, rollover=before.rollover if rollover is None else rollover)
    if after == before and month in months:
        return walk(months, month)[month], False
    months[month] = after
    statuses = walk(months, month)
    _check_never_below_zero(statuses)
    budget = _budget_row(manager.id, month)
    budget.rollover = after.rollover
    if after.allowance != before.allowance:
        _actor_id, actor = current_actor()
        db.session.add(
            BudgetEntry(
                budget_id=budget.id, kind="allowance", points=after.allowance - before.allowance, created_by=actor
            )
        )
    db.session.flush()
    record(
        "budget.set",
        "budget",
        budget.id,
        summary=f"budget of {manager.number} for {month}: {after.allowance} points"
        + (", rolls over" if after.rollover else ""),
        before={"allowance": before.allowance, "rollover": before.rollover},
        after={"allowance": after.allowance, "rollover": after.rollover},
    )
    return statuses[month], True


def spend(
    manager_id: int, month: str, points: int, award_id: int, months: dict[str, Month] | None = None
) -> BudgetEntry:
    """Spend an award's points from the manager's budget; the caller holds the manager's lock.

    `months` may pass the totals the caller read under that lock. Raises BudgetExceeded when fewer points are left.
    """
    months = dict(months) if months is not None else monthly_totals(manager_id)
    status = walk(months, month)[month]
    if points > status.left:
        raise BudgetExceeded(
            _(
                "only %(left)d points are left in the budget for %(month)s, not %(points)d",
                left=status.left,
                month=month,
                points=points,
            )
        )
    current = months.get(month, Month())
    months[month] = replace(current, spent=current.spent + points)
    _check_never_below_zero(walk(months, month))
    budget = _budget_row(manager_id, month)
    _actor_id, actor = current_actor()
    entry = BudgetEntry(budget_id=budget.id, kind="spend", points=-points, award_id=award_id, created_by=actor)
    db.session.add(entry)
    db.session.flush()
    return entry


def manager_users() -> list[User]:
    """Users with the manager role and an employee record, by name."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .join(Employee, Employee.id == User.employee_id)
            .where(UserRole.role == "manager", User.active.is_(True))
            .order_by(Employee.last_name, Employee.first_name, Employee.id)
        )
    )


def is_manager(employee: Employee) -> bool:
    return bool(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.employee_id == employee.id, UserRole.role == "manager")
        )
    )


def manager_by_email(email: str) -> Employee:
    """Return the employee record of the manager who logs in with `email`, or raise BudgetError."""
    from app.auth.services import find_user

    user = find_user(email)
    if user is None:
        raise BudgetError(_("no user %(email)s", email=repr(email)))
    if not user.has_role("manager"):
        raise BudgetError(_("%(email)s is not a manager", email=email))
    if user.employee is None:
        raise BudgetError(_("%(email)s has no employee record", email=email))
    return user.employee


def month_statuses(month: str) -> list[tuple[User, BudgetStatus]]:
    """Return every manager's budget for a month (HR's budget page)."""
    month = month_label(month)
    return [(user, budget_status(user.employee_id, month)) for user in manager_users() if user.employee_id]
