"""What each feature tells the notifications about, one function per event (each calls `services.notify`), and
`send_due`: the events found by looking (overdue cases, points about to expire, compliments), then the sending.

Event keys make each notification unique per user and kind: an import read twice, a retried job or a second
`send-due` finds the key taken and records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from app.auth.models import User, UserRole
from app.core import clock
from app.extensions import db
from app.feedback.aggregate import nps_category_condition
from app.feedback.models import FollowUpCase, SurveyResponse
from app.incentives.models import BonusRun
from app.notify import kinds
from app.notify.services import notify, notify_all, send_digests, send_stragglers
from app.org.models import Employee, ManagerScope, Store

COMPLIMENT_LOOKBACK = timedelta(days=7)  # compliments older than this when first seen are not news any more


def store_managers(store_id: int) -> list[User]:
    """Active manager users responsible for a store, directly or through its region."""
    region_id = sa.select(Store.region_id).where(Store.id == store_id).scalar_subquery()
    managers = sa.select(ManagerScope.employee_id).where(
        sa.or_(ManagerScope.store_id == store_id, ManagerScope.region_id == region_id)
    )
    return list(
        db.session.scalars(
            sa.select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.employee_id.in_(managers), UserRole.role == "manager", User.active.is_(True))
            .order_by(User.id)
        )
    )


def user_of(employee_id: int | None) -> User | None:
    if employee_id is None:
        return None
    return db.session.scalar(sa.select(User).where(User.employee_id == employee_id, User.active.is_(True)))


def _store_label(store_id: int) -> str:
    store = db.session.get(Store, store_id)
    return f"{store.code} {store.name}" if store else str(store_id)


def _due_day(moment: datetime) -> str:
    return clock.local(moment).date().isoformat()


def _tell_managers(case: FollowUpCase, kind: str) -> int:
    store = _store_label(case.store_id)
    due = _due_day(case.due_at)
    return notify_all(store_managers(case.store_id), kind, f"case:{case.id}", store=store, case=case.id, due=due)


# --- told by the features --------------------------------------------------------------------------------------


def case_opened(case: FollowUpCase) -> int:
    """A follow-up case was opened: its store's managers hear of it (flush only)."""
    db.session.flush()
    return _tell_managers(case, kinds.CASE_OPENED.code)


def points_awarded(employee: Employee, points: int, giver: str, message: str, event_key: str) -> int:
    """An employee received points (an award, or an automatic rule naming its own event key)."""
    user = user_of(employee.id)
    if user is None or points <= 0:
        return 0
    found = notify(user, kinds.POINTS_AWARDED.code, event_key, points=points, giver=giver, message=message)
    return int(found is not None)


def run_submitted(run, submitter: User) -> int:  # noqa: ANN001 (a BonusRun; imported lazily by its caller)
    """A bonus run awaits approval: every HR user who may approve it hears of it."""
    from app.incentives.runs import four_eyes_refusal

    hr = db.session.scalars(
        sa.select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == "hr", User.active.is_(True))
    )
    approvers = [user for user in hr if user.id != submitter.id and four_eyes_refusal(run, user) is None]
    return notify_all(
        approvers,
        kinds.RUN_AWAITING_APPROVAL.code,
        f"run:{run.id}:{run.submitted_at.isoformat() if run.submitted_at else ''}",
        run=run.id,
        scheme=run.version.scheme.code,
        period=run.period,
        by=submitter.email,
    )


def question_answered(question, by: User) -> int:  # noqa: ANN001 (a LineQuestion)
    """HR answered an employee's question about their statement (each answer is an event)."""
    user = user_of(question.employee_id)
    if user is None:
        return 0
    found = notify(
        user,
        kinds.QUESTION_ANSWERED.code,
        f"question:{question.id}:{question.answered_at.isoformat() if question.answered_at else ''}",
        period=db.session.get(BonusRun, question.run_id).period,
        by=by.email,
        answer=question.answer or "",
    )
    return int(found is not None)


def statements_ready(run_id: int, period: str, employee_ids: list[int]) -> int:
    """An approved run's statements are stored: each employee it pays hears of theirs."""
    users = db.session.scalars(
        sa.select(User).where(User.employee_id.in_(employee_ids), User.active.is_(True)).order_by(User.id)
    )
    return notify_all(list(users), kinds.STATEMENT_READY.code, f"run:{run_id}", period=period)


# --- found by looking (flask notify send-due) ------------------------------------------------------------------


def overdue_cases(now: datetime) -> int:
    """Open cases past their 48 hours: their store's managers hear of each once."""
    from app.feedback.cases import overdue_condition

    recorded = 0
    for case in db.session.scalars(sa.select(FollowUpCase).where(overdue_condition(now)).order_by(FollowUpCase.id)):
        recorded += _tell_managers(case, kinds.CASE_OVERDUE.code)
    return recorded


def opened_cases(now: datetime) -> int:
    """Open cases still within their 48 hours (a file import opens them without telling anyone): announced once."""
    recorded = 0
    query = sa.select(FollowUpCase).where(FollowUpCase.status == "open", FollowUpCase.due_at >= now)
    for case in db.session.scalars(query.order_by(FollowUpCase.id)):
        recorded += _tell_managers(case, kinds.CASE_OPENED.code)
    return recorded


def expiring_points(as_of: date) -> int:
    """Points that expire within 30 days: each employee with an account hears of each expiry date once."""
    from app.recognition.points import notices_of

    recorded = 0
    for user in db.session.scalars(
        sa.select(User).where(User.employee_id.is_not(None), User.active.is_(True)).order_by(User.id)
    ):
        for notice in notices_of(user.employee, as_of):
            found = notify(
                user,
                kinds.POINTS_EXPIRING.code,
                f"expiry:{notice.date.isoformat()}",
                points=notice.points,
                day=notice.date.isoformat(),
            )
            recorded += found is not None
    return recorded


def compliments(as_of: date) -> int:
    """Promoters who named an employee and left a comment in the week up to `as_of`: the employee hears of it."""
    rows = db.session.execute(
        sa.select(
            SurveyResponse.id,
            SurveyResponse.employee_id,
            SurveyResponse.store_id,
            SurveyResponse.comment,
            SurveyResponse.local_date,
        )
        .where(
            SurveyResponse.employee_id.is_not(None),
            nps_category_condition("promoter"),
            SurveyResponse.comment.is_not(None),
            SurveyResponse.comment != "",
            SurveyResponse.excluded.is_(False),
            SurveyResponse.local_date > as_of - COMPLIMENT_LOOKBACK,
            SurveyResponse.local_date <= as_of,
        )
        .order_by(SurveyResponse.id)
    ).all()
    recorded = 0
    for response_id, employee_id, store_id, comment, day in rows:
        user = user_of(employee_id)
        if user is None:
            continue
        found = notify(
            user,
            kinds.COMPLIMENT_RECEIVED.code,
            f"response:{response_id}",
            store=_store_label(store_id),
            comment=comment.strip()[:500],
            day=day.isoformat(),
        )
        recorded += found is not None
    return recorded


@dataclass(frozen=True)
class DueResult:
    recorded: int
    sent_immediate: int
    sent_digests: int

    def as_json_dict(self) -> dict[str, int]:
        return {"recorded": self.recorded, "sent": self.sent_immediate, "digests": self.sent_digests}


def send_due(as_of: date | None = None, now: datetime | None = None) -> DueResult:
    """Record what looking finds (cases opened or overdue, expiring points, compliments), commit, then send what is due:
    immediate notifications the queue never got, and the weekly digests. Safe to run again (nothing twice)."""
    as_of = as_of or clock.today()
    now = now or (clock.now() if as_of == clock.today() else clock.local_midnight(as_of + timedelta(days=1)))
    recorded = opened_cases(now) + overdue_cases(now) + expiring_points(as_of) + compliments(as_of)
    db.session.commit()
    return DueResult(recorded, send_stragglers(as_of), send_digests(as_of))
