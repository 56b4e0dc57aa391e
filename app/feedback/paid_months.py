"""Which months of feedback bonus runs have read (or paid on): their responses can no longer move."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from app.extensions import db
from app.feedback.models import PeriodLock
from app.periods import Period


def locked_months(months: Iterable[int]) -> list[int]:
    """The months (yyyymm) among `months` that any run holds a lock on, in order."""
    wanted = sorted(set(months))
    if not wanted:
        return []
    return list(
        db.session.scalars(
            sa.select(PeriodLock.month).where(PeriodLock.month.in_(wanted)).distinct().order_by(PeriodLock.month)
        )
    )


def months_locked(months: Iterable[int]) -> bool:
    """True when a bonus run has locked any of these months (runs lock what they read once submitted)."""
    return bool(locked_months(months))


def month_paid(month: int) -> bool:
    """True once an approved run has paid on this month."""
    query = sa.select(PeriodLock.id).where(PeriodLock.month == month, PeriodLock.paid.is_(True)).limit(1)
    return db.session.scalar(query) is not None


def month_label(month: int) -> str:
    """202607 → "2026-07"."""
    return str(Period.from_month_key(month))
