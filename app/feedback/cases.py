"""Follow-up cases: a detractor who agreed to be contacted is called back by the store within 48 hours."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.feedback.models import FollowUpCase, SurveyResponse

FOLLOW_UP_DELAY = timedelta(hours=48)
DETRACTOR_MAX = 6


def needs_case(response: SurveyResponse) -> bool:
    return bool(response.contact_consent and response.nps is not None and response.nps <= DETRACTOR_MAX)


def open_case_for_response(response: SurveyResponse) -> FollowUpCase | None:
    """Open the follow-up case a newly stored response calls for (flush only)."""
    if not needs_case(response) or response.excluded:
        return None
    case = FollowUpCase(
        response_id=response.id,
        store_id=response.store_id,
        status="open",
        due_at=response.answered_at + FOLLOW_UP_DELAY,
    )
    db.session.add(case)
    return case


def open_cases_for_batch(batch_id: int) -> int:
    """Open the cases of every consenting detractor of an import batch in one pass; returns how many."""
    rows = db.session.execute(
        sa.select(SurveyResponse.id, SurveyResponse.store_id, SurveyResponse.answered_at).where(
            SurveyResponse.batch_id == batch_id,
            SurveyResponse.contact_consent.is_(True),
            SurveyResponse.nps <= DETRACTOR_MAX,
            SurveyResponse.excluded.is_(False),
        )
    ).all()
    if rows:
        db.session.execute(
            sa.insert(FollowUpCase),
            [
                {
                    "response_id": r.id,
                    "store_id": r.store_id,
                    "status": "open",
                    "due_at": r.answered_at + FOLLOW_UP_DELAY,
                }
                for r in rows
            ],
        )
    return len(rows)
