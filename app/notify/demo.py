"""Demo notifications for `flask seed-demo`: a few users' choices, what `flask notify send-due` would find today
(cases opened and overdue, points about to expire, compliments), the statement notices of the approved runs, and
the e-mails of earlier events marked as sent.

`staff@example.com` is a store employee whose record has no e-mail address: everything meant for them waits on
their home page. Nothing is e-mailed here (the demo has no SMTP server); the immediate notices recorded today stay
pending for the queue. Runs last: after the users, the runs, recognition and the pulse. Flushes only.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.auth.models import User
from app.core import clock
from app.extensions import db
from app.incentives.models import BonusRun, RunLine, RunStatus
from app.notify import events
from app.notify.kinds import Mode
from app.notify.models import Notification
from app.notify.services import set_modes

STAFF = "staff@example.com"
# Some users' own choices, so the preferences page shows more than the defaults.
CHOICES = {
    "manager@example.com": {"case_opened": Mode.DIGEST, "case_overdue": Mode.IMMEDIATE},
    "regional@example.com": {"case_opened": Mode.OFF, "case_overdue": Mode.DIGEST},
    "employee@example.com": {"points_awarded": Mode.DIGEST, "compliment_received": Mode.IMMEDIATE},
    "hr2@example.com": {"run_awaiting_approval": Mode.IMMEDIATE, "points_awarded": Mode.OFF},
}
# What happened before today went out by e-mail at the time.
ALREADY_SENT = ("points_awarded", "run_awaiting_approval", "statement_ready")


def _user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def seed_notifications(today: date) -> dict[str, int]:
    """Record the demo's notifications and choices; return how many of each status."""
    for email, modes in CHOICES.items():
        user = _user(email)
        if user is not None:
            set_modes(user, {kind: mode for kind, mode in modes.items()})
    for run in db.session.scalars(sa.select(BonusRun).where(BonusRun.status == RunStatus.APPROVED.value)):
        paid = list(db.session.scalars(sa.select(RunLine.employee_id).where(RunLine.run_id == run.id).distinct()))
        events.statements_ready(run.id, run.period, paid)
    now = clock.now()
    events.opened_cases(now)
    events.overdue_cases(now)
    events.expiring_points(today)
    events.compliments(today)
    db.session.flush()
    db.session.execute(
        sa.update(Notification)
        .where(Notification.kind.in_(ALREADY_SENT), Notification.status == "pending")
        .values(status="sent", sent_at=Notification.created_at, attempts=1),
        execution_options={"synchronize_session": False},
    )
    counts = db.session.execute(sa.select(Notification.status, sa.func.count()).group_by(Notification.status))
    return {status: int(n) for status, n in counts}
