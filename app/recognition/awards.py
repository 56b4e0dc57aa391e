"""Awards: a manager gives points (and perhaps a badge) to an employee of their team, out of their monthly budget.

The checks that depend on sums (what is left of the budget) run after locking the manager's and the employee's
rows, and the budget spending, the award and the points land in the same transaction.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from app.audit.services import record
from app.auth.models import User
from app.core import clock
from app.extensions import db
from app.feedback.models import SurveyResponse
from app.notify import events as notify_events
from app.org.models import Employee
from app.org.scope import managed_store_ids, team_condition
from app.periods import Period
from app.recognition import budgets, points
from app.recognition.models import Award, Badge, BadgeGrant
from app.recognition.row_locks import lock_employees
from app.recognition.settings import load_settings

MESSAGE_MIN = 10
MESSAGE_MAX = 1000


class AwardError(ValueError):
    """An award that cannot be given; `field` names the form field at fault, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class AwardRefused(AwardError):
    """An award the current state forbids (budget spent, compliment already thanked): a 409."""


def team_of(user: User, on: date) -> list[Employee]:
    """Return the employees a manager may reward on a day: their stores' teams, themselves excepted."""
    stores = managed_store_ids(user)
    if not stores:
        return []
    query = sa.select(Employee).where(team_condition(stores, on))
    if user.employee_id is not None:
        query = query.where(Employee.id != user.employee_id)
    return list(db.session.scalars(query.order_by(Employee.last_name, Employee.first_name, Employee.id)))


def in_team(user: User, employee: Employee, on: date) -> bool:
    stores = managed_store_ids(user)
    if not stores or employee.id == user.employee_id:
        return False
    return bool(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Employee)
            .where(Employee.id == employee.id, team_condition(stores, on))
        )
    )


def compliment_for(user: User, response_id: int) -> SurveyResponse | None:
    """Return a response the manager may thank its attributed employee for, or None."""
    response = db.session.get(SurveyResponse, response_id)
    if response is None or response.employee_id is None:
        return None
    if response.store_id not in managed_store_ids(user):
        return None
    return response


def thanked_award(response_id: int) -> Award | None:
    return db.session.scalar(sa.select(Award).where(Award.response_id == response_id))


def month_of(day: date) -> str:
    return str(Period.containing(day, "month"))


def award_points(
    giver: User,
    employee: Employee,
    points_given: int,
    message: str,
    *,
    badge: Badge | None = None,
    public: bool = True,
    on: date | None = None,
    response: SurveyResponse | None = None,
) -> Award:
    """Give an employee of the manager's team points out of the manager's budget (flushed, not committed)."""
    settings = load_settings()
    on = on or clock.today()
    if not giver.has_role("manager") or giver.employee_id is None:
        raise AwardError(_("only a manager with an employee record can give awards"))
    if employee.id == giver.employee_id:
        raise AwardError(_("you cannot reward yourself"), "employee")
    message = (message or "").strip()
    if len(message) < MESSAGE_MIN:
        raise AwardError(_("the message needs at least %(n)d characters", n=MESSAGE_MIN), "message")
    if len(message) > MESSAGE_MAX:
        raise AwardError(_("the message is limited to %(n)d characters", n=MESSAGE_MAX), "message")
    if type(points_given) is not int or points_given < 0:
        raise AwardError(_("points must be a whole number, 0 or more"), "points")
    if points_given > settings.max_award_points:
        raise AwardError(_("an award is limited to %(n)d points", n=settings.max_award_points), "points")
    if points_given == 0 and badge is None:
        raise AwardError(_("give points, a badge, or both"), "points")
    if badge is not None and not badge.active:
        raise AwardError(_("the badge %(name)s is no longer given", name=badge.name), "badge")
    if not in_team(giver, employee, on):
        raise AwardError(_("%(name)s is not in your team", name=employee.full_name), "employee")
    assignment = employee.assignment_on(on)
    assert assignment is not None  # in_team checked it
    if response is not None and (response.employee_id != employee.id or compliment_for(giver, response.id) is None):
        raise AwardError(_("this compliment is not about this employee of your team"), "employee")

    lock_employees([giver.employee_id, employee.id])
    if response is not None and thanked_award(response.id) is not None:
        raise AwardRefused(_("this compliment has already been rewarded"))
    month = month_of(on)
    months = budgets.monthly_totals(giver.employee_id) if points_given else {}
    if points_given:
        left = budgets.walk(months, month)[month].left
        if points_given > left:
            raise AwardRefused(
                _("only %(left)d points are left in your budget for %(month)s", left=left, month=month), "points"
            )
    award = Award(
        giver_id=giver.employee_id,
        giver_user_id=giver.id,
        employee_id=employee.id,
        store_id=assignment.store_id,
        points=points_given,
        message=message,
        badge_id=badge.id if badge else None,
        public=public,
        awarded_on=on,
        response_id=response.id if response else None,
    )
    db.session.add(award)
    db.session.flush()
    if points_given:
        budgets.spend(giver.employee_id, month, points_given, award.id, months=months)
        points.earn(employee.id, points_given, on, award_id=award.id, store_id=assignment.store_id, note=message)
    if badge is not None:
        db.session.add(
            BadgeGrant(
                badge_id=badge.id,
                employee_id=employee.id,
                award_id=award.id,
                store_id=assignment.store_id,
                granted_on=on,
                reason=message[:500],
            )
        )
        db.session.flush()
    record(
        "award.create",
        "award",
        award.id,
        summary=f"{points_given} points to {employee.number}" + (f" with the badge {badge.code}" if badge else ""),
        after={
            "employee": employee.number,
            "points": points_given,
            "badge": badge.code if badge else None,
            "public": public,
            "on": on,
            "response": response.id if response else None,
        },
    )
    giver_name = giver.employee.full_name if giver.employee else giver.email
    notify_events.points_awarded(employee, points_given, giver_name, message, f"award:{award.id}")
    return award


def visible_award_condition(user: User) -> sa.ColumnElement[bool]:
    """Awards a user may read: public ones are for the feed; this covers the private ones too."""
    if user.has_role("hr"):
        return sa.true()
    conditions = []
    if user.employee_id is not None:
        conditions += [Award.employee_id == user.employee_id, Award.giver_id == user.employee_id]
    stores = managed_store_ids(user)
    if stores:
        conditions.append(Award.store_id.in_(stores))
    return sa.or_(*conditions) if conditions else sa.false()


def awards_given(user: User, limit: int = 20) -> list[Award]:
    """Return the latest awards a manager gave."""
    if user.employee_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Award)
            .where(Award.giver_id == user.employee_id)
            .order_by(Award.awarded_on.desc(), Award.id.desc())
            .limit(limit)
        )
    )
