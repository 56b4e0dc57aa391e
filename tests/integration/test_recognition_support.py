"""Helpers shared by the recognition tests (no test here): budgets, rewards, awards, points and responses.

Modules that import `english` run in English whatever the French catalogue holds, as they read English messages.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.auth.models import User
from app.core import clock
from app.extensions import db
from app.feedback.models import FollowUpCase, SurveyResponse
from app.org.models import Employee, Store
from app.recognition import points
from app.recognition.awards import award_points
from app.recognition.badges import save_badge
from app.recognition.budgets import set_budget
from app.recognition.catalogue import save_reward
from app.recognition.models import Award, Badge, PointsEntry, Reward
from app.recognition.settings import load_settings, save_settings

_external_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def english(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages and CLI messages in English for users whose language nothing else decides (HR, the CLI)."""
    monkeypatch.setitem(app.config, "PRIMO_DEFAULT_LANGUAGE", "en")


def today() -> date:
    return clock.today()


def month(day: date | None = None) -> str:
    day = day or today()
    return f"{day.year:04d}-{day.month:02d}"


def give_budget(manager: Employee, points_: int, on: date | None = None, rollover: bool = False) -> None:
    set_budget(manager, month(on), points_, rollover)
    db.session.commit()


def make_reward(**fields: Any) -> Reward:
    values: dict[str, Any] = {"name": "Cinema ticket", "kind": "gift_card", "cost": 100, "icon": "card.svg"}
    values.update(fields)
    reward = save_reward(None, **values)
    db.session.commit()
    return reward


def make_badge(code: str = "thanks", rule: str | None = None, points_: int | None = None, **fields: Any) -> Badge:
    values: dict[str, Any] = {"name": code.title(), "icon": "star.svg", "criteria": "", "description": ""}
    values.update(fields)
    badge = save_badge(None, code=code, rule=rule, points_given=points_, **values)
    db.session.commit()
    return badge


def give(
    manager: User,
    employee: Employee,
    points_: int,
    on: date | None = None,
    message: str = "Great work with the customers today",
    **kwargs: Any,
) -> Award:
    award = award_points(manager, employee, points_, message, on=on or today(), **kwargs)
    db.session.commit()
    return award


def credit(employee: Employee, points_: int, on: date) -> PointsEntry:
    """Credit points directly (an opening balance), bypassing budgets."""
    entry = points.earn(employee.id, points_, on, note="test credit")
    db.session.commit()
    return entry


def set_settings(**changes: Any) -> None:
    from dataclasses import replace

    save_settings(replace(load_settings(), **changes))
    db.session.commit()


def add_response(
    store: Store,
    *,
    nps: int | None = 10,
    comment: str | None = "Lovely welcome and precise advice.",
    employee: Employee | None = None,
    day: date | None = None,
    excluded: bool = False,
) -> SurveyResponse:
    day = day or today()
    response = SurveyResponse(
        source="test",
        external_id=f"rec-{next(_external_ids)}",
        store_id=store.id,
        answered_at=datetime.combine(day, time(10), tzinfo=UTC),
        local_date=day,
        local_month=day.year * 100 + day.month,
        channel="email",
        nps=nps,
        comment=comment,
        employee_id=employee.id if employee else None,
        excluded=excluded,
    )
    db.session.add(response)
    db.session.commit()
    return response


def bulk_responses(store: Store, day: date, scores: list[int]) -> None:
    """Insert many responses at once (Core insert), for NPS figures."""
    rows = [
        {
            "source": "bulk",
            "external_id": f"bulk-{next(_external_ids)}",
            "store_id": store.id,
            "answered_at": datetime.combine(day, time(12), tzinfo=UTC),
            "local_date": day,
            "local_month": day.year * 100 + day.month,
            "channel": "email",
            "nps": score,
            "contact_consent": False,
            "excluded": False,
        }
        for score in scores
    ]
    db.session.execute(sa.insert(SurveyResponse), rows)
    db.session.commit()


def resolved_case(store: Store, closed_on: date, assignee: Employee | None = None) -> FollowUpCase:
    response = add_response(store, nps=2, comment="Long wait", day=closed_on)
    closed_at = datetime.combine(closed_on, time(12), tzinfo=UTC)
    case = FollowUpCase(
        response_id=response.id,
        store_id=store.id,
        status="resolved",
        due_at=closed_at + timedelta(hours=48),
        assignee_id=assignee.id if assignee else None,
        closed_at=closed_at,
        outcome_code="apology",
    )
    db.session.add(case)
    db.session.commit()
    return case


def token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None, page: str = "/recognition/catalogue"):
    return client.post(path, data={"csrf_token": token(client, page), **(data or {})})


def entries(employee: Employee) -> list[PointsEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(PointsEntry).where(PointsEntry.employee_id == employee.id).order_by(PointsEntry.id)
        )
    )


def balance(employee: Employee, as_of: date | None = None) -> int:
    db.session.expire_all()
    return points.summary_of(db.session.get(Employee, employee.id), as_of).balance
