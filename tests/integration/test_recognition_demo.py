"""The demo's recognition programme: budgets, badges, catalogue, a year of awards and redemptions, expiring points."""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from app.auth.services import find_user
from app.core import clock
from app.extensions import db
from app.org.models import Employee
from app.recognition import points
from app.recognition.budgets import budget_status
from app.recognition.demo import seed_recognition
from app.recognition.models import Award, Badge, BadgeGrant, Budget, PointsEntry, Redemption, Reward
from tests.conftest import MID_QUARTER

pytestmark = pytest.mark.usefixtures("english")  # these tests read English messages


def test_the_demo_tells_a_year_of_recognition_that_adds_up(seed_demo, runner, client, frozen_time):
    frozen_time(MID_QUARTER)
    assert seed_demo().exit_code == 0
    today = clock.today()
    if db.session.scalar(sa.select(sa.func.count()).select_from(Award)) == 0:  # until seed-demo calls it itself
        from app.feedback.models import SurveyResponse

        if db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 0:
            from app.feedback.demo import seed_feedback

            seed_feedback(random.Random(20260701), today)
        counts = seed_recognition(random.Random(20260701), today)
        db.session.commit()
        assert counts["awards"] > 100 and counts["redemptions"] > 10

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Badge)) == 6
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reward)) == 9
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Budget)) == 26
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BadgeGrant).where(BadgeGrant.rule.is_not(None)))
    statuses = set(db.session.scalars(sa.select(Redemption.status)))
    assert {"fulfilled", "pending"} <= statuses

    sophie = find_user("employee@example.com").employee
    summary = points.summary_of(sophie)
    assert summary.balance > 0 and summary.held > 0
    assert points.notices_of(sophie), "the demo employee should see points expiring within 30 days"
    assert db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Redemption)
        .where(Redemption.employee_id == sophie.id, Redemption.status == "pending")
    )

    # Every ledger adds up once the expiry job has run (the demo runs it), and no budget is overspent.
    for employee_id in db.session.scalars(sa.select(PointsEntry.employee_id).distinct()):
        employee = db.session.get(Employee, employee_id)
        written = db.session.scalar(
            sa.select(sa.func.sum(PointsEntry.points)).where(PointsEntry.employee_id == employee_id)
        )
        state = points.summary_of(employee, today)
        assert written == state.balance >= 0, employee.number
    for budget in db.session.scalars(sa.select(Budget)):
        assert budget_status(budget.manager_id, budget.month).left >= 0
    assert runner.invoke(args=["points", "expire"]).output.startswith("0 points expired")
    _automatic_points_and_challenges(runner)
    _visit_the_pages(client)


def _automatic_points_and_challenges(runner) -> None:
    """The demo has rules that have paid, a settled challenge and running ones; applying again pays nothing."""
    import json

    rules = json.loads(runner.invoke(args=["points", "rules", "list", "--json"]).output)
    assert {r["event"] for r in rules if r["active"]} >= {"promoter_named", "store_kpi", "work_anniversary"}
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(PointsEntry).where(PointsEntry.rule_id.is_not(None))
    )
    challenges = json.loads(runner.invoke(args=["challenges", "list", "--json"]).output)
    assert sorted(c["status"] for c in challenges)[-2:] == ["running", "running"]
    assert any(c["status"] in ("met", "missed") for c in challenges)
    assert runner.invoke(args=["points", "rules", "apply"]).output.startswith("0 points paid")
    assert runner.invoke(args=["challenges", "settle"]).output.startswith("0 met, 0 missed")


def _visit_the_pages(client) -> None:
    """Every recognition page answers 200 on the demo data, for the people who use it."""
    from tests.conftest import login

    pages = {
        "employee@example.com": [
            "/recognition/",
            "/recognition/catalogue",
            "/recognition/feed",
            "/recognition/leaderboard",
        ],
        "manager@example.com": ["/recognition/award", "/recognition/feed", "/recognition/leaderboard"],
        "hr@example.com": [
            "/recognition/redemptions",
            "/recognition/redemptions?show=all",
            "/recognition/budgets",
            "/recognition/rewards",
            "/recognition/badges",
            "/recognition/report",
            "/recognition/settings",
            "/recognition/feed",
            "/recognition/rules",
            "/recognition/challenges",
        ],
    }
    for email, paths in pages.items():
        login(client, email, password="primo-demo")
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (email, path)
        client.post("/logout", data={"csrf_token": _token(client)})
    login(client, "employee@example.com", password="primo-demo")
    page = client.get("/recognition/").get_data(as_text=True)
    assert 'data-test="expiry-notice"' in page and 'data-status="pending"' in page
    assert 'data-test="team-challenges"' in page and 'data-status="running"' in page


def _token(client) -> str:
    import re

    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/").get_data(as_text=True))
    return match.group(1) if match else ""
