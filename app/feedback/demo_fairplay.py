"""The demo company's engagement figures, invitations and anomaly flags: a burst of perfect scores and one
comment about being asked for a 10 at S01, found by the same rules as real answers."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.core import clock
from app.extensions import db
from app.feedback import flags
from app.feedback.demo import MONTHS, SOURCE
from app.feedback.models import EngagementFigure, ResponseFlag, SurveyInvitations, SurveyResponse
from app.org.models import Assignment, Store
from app.periods import Period

BURST_STORE = "S01"
BURST_ANSWERS = 12
FIGURE_MONTHS = 12


def _burst(store: Store, day: date) -> list[dict]:
    """Twelve 10s without comment within eight minutes, late in the afternoon, and one asked-for 10."""
    start = datetime.combine(day, time(18, 40), clock.zone())
    rows = []
    moments = [start + timedelta(seconds=40 * i) for i in range(BURST_ANSWERS)]
    comments = [None] * BURST_ANSWERS
    moments.append(datetime.combine(day, time(11, 5), clock.zone()))
    comments.append("Très bien, la vendeuse m'a demandé de mettre 10 pour sa prime.")
    for index, (moment, comment) in enumerate(zip(moments, comments, strict=True)):
        rows.append(
            {
                "source": SOURCE,
                "external_id": f"demo-{store.code}-burst-{index + 1:02d}",
                "store_id": store.id,
                "answered_at": moment.astimezone(UTC),
                "local_date": day,
                "local_month": day.year * 100 + day.month,
                "channel": "sms",
                "nps": 10,
                "comment": comment,
                "contact_consent": False,
                "excluded": False,
            }
        )
    return rows


def seed_fairplay(rng: random.Random, today: date) -> dict[str, int]:
    """Engagement figures and invitations for the last 12 months, the burst, and every flag computed; flush only."""
    stores = list(db.session.scalars(sa.select(Store).order_by(Store.code)))
    if not stores:
        return {"flags": 0}
    this_month = Period.containing(today, "month")
    months = [this_month.shifted(-back) for back in range(FIGURE_MONTHS, 0, -1)]
    answered = {
        (row[0], row[1]): int(row[2])
        for row in db.session.execute(
            sa.select(SurveyResponse.store_id, SurveyResponse.local_month, sa.func.count()).group_by(
                SurveyResponse.store_id, SurveyResponse.local_month
            )
        )
    }
    staff = dict(
        db.session.execute(
            sa.select(Assignment.store_id, sa.func.count())
            .where(Assignment.end_date.is_(None))
            .group_by(Assignment.store_id)
        ).all()
    )
    for store in stores:
        headcount = max(int(staff.get(store.id, 0)), 3)
        for month in months:
            db.session.add(
                EngagementFigure(
                    store_id=store.id,
                    period=str(month),
                    headcount=Decimal(headcount),
                    leavers=rng.choice((0, 0, 0, 1, 1, 2)),
                    absence_days=Decimal(rng.randrange(0, headcount * 2)),
                    worked_days=Decimal(headcount * 21),
                )
            )
            responses = answered.get((store.id, month.month_key), 0)
            db.session.add(
                SurveyInvitations(
                    store_id=store.id, period=str(month), invitations=max(responses, 1) * rng.randint(3, 6)
                )
            )
    burst_store = next((s for s in stores if s.code == BURST_STORE), stores[0])
    db.session.execute(sa.insert(SurveyResponse.__table__), _burst(burst_store, today - timedelta(days=1)))
    first = this_month.shifted(1 - MONTHS).month_key
    flags.recompute([(s.id, m.month_key) for s in stores for m in (this_month.shifted(-b) for b in range(MONTHS))])
    found = db.session.scalar(sa.select(sa.func.count()).select_from(ResponseFlag).where(ResponseFlag.month >= first))
    return {"flags": int(found or 0)}
