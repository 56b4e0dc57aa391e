"""What the features tell the webhooks, one function per event type: the `data` each event carries (amounts as
strings, instants in ISO 8601) and the key that makes it happen once. Each flushes only."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.feedback.models import FollowUpCase, SurveyResponse
from app.webhooks.models import WebhookEndpoint
from app.webhooks.services import CASE_OPENED, POINTS_REDEEMED, RUN_APPROVED, STATEMENTS_READY, emit, listeners


def _money(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"


def run_approved(run) -> None:  # noqa: ANN001 (a BonusRun: incentives imports this module)
    """A bonus run was approved (by a second HR user)."""
    emit(
        RUN_APPROVED,
        f"{RUN_APPROVED}:{run.id}",
        {
            "run_id": run.id,
            "scheme": run.version.scheme.code,
            "version": run.version.version,
            "period": run.period,
            "total": _money(run.total),
            "currency": current_app.config["PRIMO_CURRENCY"],
            "corrective": bool(run.corrective),
            "advance": bool(run.advance),
            "approved_by": run.approved_by,
            "approved_at": run.approved_at.isoformat() if run.approved_at else None,
        },
    )


def statements_ready(run, employee_numbers: list[str]) -> None:  # noqa: ANN001 (a BonusRun)
    """An approved run's statements are rendered and stored: they can be fetched from the API."""
    emit(
        STATEMENTS_READY,
        f"{STATEMENTS_READY}:{run.id}",
        {
            "run_id": run.id,
            "scheme": run.version.scheme.code,
            "period": run.period,
            "statements": len(employee_numbers),
            "employee_numbers": sorted(employee_numbers),
        },
    )


def case_opened(case: FollowUpCase, to: list[WebhookEndpoint] | None = None) -> None:
    """A follow-up case was opened for a detractor who agreed to be contacted (no customer details: GDPR)."""
    db.session.flush()
    response = case.response
    emit(
        CASE_OPENED,
        f"{CASE_OPENED}:{case.id}",
        {
            "case_id": case.id,
            "store_code": case.store.code if case.store else None,
            "response_id": case.response_id,
            "nps": response.nps if response is not None else None,
            "due_at": case.due_at.isoformat(),
        },
        to,
    )


def cases_opened_by(responses: sa.ColumnElement[bool]) -> None:
    """The cases a file import opened (written in bulk, for the responses `responses` picks)."""
    to = listeners(CASE_OPENED)
    if not to:
        return
    cases = db.session.scalars(
        sa.select(FollowUpCase)
        .join(SurveyResponse, FollowUpCase.response_id == SurveyResponse.id)
        .where(responses)
        .options(selectinload(FollowUpCase.store), selectinload(FollowUpCase.response))
        .order_by(FollowUpCase.id)
    )
    for case in cases:
        case_opened(case, to)


def points_redeemed(redemption, employee_number: str) -> None:  # noqa: ANN001 (a Redemption)
    """An employee spent points on a reward: the points are held until HR fulfils or refuses it."""
    reward = redemption.reward
    emit(
        POINTS_REDEEMED,
        f"{POINTS_REDEEMED}:{redemption.id}",
        {
            "redemption_id": redemption.id,
            "employee_number": employee_number,
            "reward_id": reward.id,
            "reward": reward.name,
            "reward_kind": reward.kind,
            "points": redemption.points,
            "euro_value": _money(redemption.euro_value),
            "status": redemption.status,
            "requested_on": redemption.requested_on.isoformat(),
        },
    )
