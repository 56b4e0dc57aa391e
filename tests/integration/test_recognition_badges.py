"""Badges: HR's pages, and the rules `flask badges evaluate` applies once per rule, employee and period."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.recognition.models import Badge, BadgeGrant, PointsEntry

pytestmark = pytest.mark.usefixtures("english")  # these tests read English messages

MONTH = "2026-03"


def grants() -> list[tuple[str, int, str | None]]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(BadgeGrant).order_by(BadgeGrant.rule, BadgeGrant.employee_id))
    return [(g.rule, g.employee_id, g.period) for g in rows]


def evaluate(runner, period: str = MONTH):
    result = runner.invoke(args=["badges", "evaluate", "--period", period])
    assert result.exit_code == 0, result.output
    return result


def test_hr_creates_and_edits_badges(client_as, world, post):
    hr = client_as("hr")
    data = {
        "code": "Kind-Words",
        "name": "Kind words",
        "icon": "heart.svg",
        "description": "A customer thanked you by name",
        "criteria": "Named in a promoter's comment",
        "points": "25",
        "rule": "promoter_compliment",
        "active": "y",
    }
    assert post(hr, "/recognition/badges/new", data, "/recognition/badges/new").status_code == 302
    badge = db.session.scalar(sa.select(Badge))
    assert (badge.code, badge.icon, badge.points, badge.rule) == ("kind-words", "heart.svg", 25, "promoter_compliment")
    taken = post(hr, "/recognition/badges/new", {**data, "name": "Other"}, "/recognition/badges/new")
    assert taken.status_code == 400 and "is taken" in taken.get_data(as_text=True)
    same_rule = post(hr, "/recognition/badges/new", {**data, "code": "other"}, "/recognition/badges/new")
    assert same_rule.status_code == 400 and "already has this rule" in same_rule.get_data(as_text=True)
    no_icon = post(
        hr, "/recognition/badges/new", {**data, "code": "x", "rule": "", "icon": "nope.svg"}, "/recognition/badges/new"
    )
    assert no_icon.status_code == 400
    edit = post(hr, f"/recognition/badges/{badge.id}", {**data, "points": "", "active": ""}, "/recognition/badges")
    assert edit.status_code == 302
    db.session.expire_all()
    assert (badge.points, badge.active) == (None, False)
    listing = hr.get("/recognition/badges").get_data(as_text=True)
    assert "Kind words" in listing and "badges/heart.svg" in listing


def test_five_detractors_recovered_in_a_month_earn_the_badge_once(runner, world, make_badge, resolved_case):
    make_badge("recovery", rule="detractors_recovered", points_=40, icon="phone.svg")
    employee, manager = world["employee"], world["manager_emp"]
    for day in (2, 5, 9, 17, 30):
        resolved_case(world["north"], date(2026, 3, day), assignee=employee)
    for day in (3, 4, 6, 7):  # unassigned: they count for the store's manager, who has only four
        resolved_case(world["north"], date(2026, 3, day))
    resolved_case(world["north"], date(2026, 4, 1))  # April

    result = evaluate(runner)
    assert "1 badges granted" in result.output
    assert grants() == [("detractors_recovered", employee.id, MONTH)]
    earned = db.session.scalar(sa.select(PointsEntry).where(PointsEntry.grant_id.is_not(None)))
    assert (earned.employee_id, earned.points, earned.store_id) == (employee.id, 40, world["north"].id)

    resolved_case(world["north"], date(2026, 3, 8))  # the manager's fifth
    again = evaluate(runner)
    assert "1 badges granted, 1 already granted" in again.output
    assert grants() == sorted(
        [("detractors_recovered", employee.id, MONTH), ("detractors_recovered", manager.id, MONTH)],
        key=lambda g: g[1],
    )
    assert "0 badges granted, 2 already granted" in evaluate(runner).output


def test_a_named_promoter_compliment_earns_the_badge_once_per_month(runner, world, add_answer, make_badge):
    make_badge("kind-words", rule="promoter_compliment", icon="quote.svg")
    add_answer(world["north"], nps=10, employee=world["employee"], day=date(2026, 3, 3))
    add_answer(world["north"], nps=9, employee=world["employee"], day=date(2026, 3, 20))
    add_answer(world["north"], nps=8, employee=world["manager_emp"], day=date(2026, 3, 4))  # a passive
    add_answer(world["north"], nps=10, employee=world["manager_emp"], comment="  ", day=date(2026, 3, 4))
    add_answer(world["south"], nps=10, employee=world["stranger"], excluded=True, day=date(2026, 3, 4))
    add_answer(world["south"], nps=10, employee=world["stranger"], day=date(2026, 4, 2))

    evaluate(runner, "2026-Q1")
    assert grants() == [("promoter_compliment", world["employee"].id, "2026-03")]
    evaluate(runner, MONTH)  # the month inside the quarter already counted
    assert len(grants()) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PointsEntry)) == 0  # no points on this badge


def test_best_nps_progression_of_each_region_goes_to_the_stores_team(
    runner, world, make_store, make_employee, bulk_responses, make_badge
):
    make_badge("rising-star", rule="nps_progression", points_=30, icon="chart-up.svg")
    north, south = world["north"], world["south"]
    north2 = make_store("A2", region="North")
    small = make_store("A3", region="North")
    colleague = make_employee(north2)
    make_employee(small)
    feb, mar = date(2026, 2, 10), date(2026, 3, 10)
    bulk_responses(north, feb, [10] * 15 + [0] * 15)  # NPS 0 → 40: +40
    bulk_responses(north, mar, [10] * 21 + [0] * 9)
    bulk_responses(north2, feb, [10] * 10 + [0] * 20)  # -33.3 → +33.3: +66.6 (as printed), the region's best
    bulk_responses(north2, mar, [10] * 20 + [0] * 10)
    bulk_responses(small, feb, [0] * 20)  # -100 → +100 but under 30 answers
    bulk_responses(small, mar, [10] * 20)
    bulk_responses(south, feb, [10] * 30)  # falls: no badge in the South
    bulk_responses(south, mar, [10] * 20 + [0] * 10)

    result = evaluate(runner)
    assert "1 badges granted" in result.output
    assert grants() == [("nps_progression", colleague.id, MONTH)]
    reason = db.session.scalar(sa.select(BadgeGrant.reason))
    assert reason == "A2: NPS +66.6 in 2026-03 against 2026-02"
    evaluate(runner)
    assert len(grants()) == 1


def test_progression_waits_for_the_period_to_end_and_rules_need_their_badge(runner, world, make_badge, month):

    result = evaluate(runner, month())
    assert "no active badge has this rule" in result.output
    make_badge("rising-star", rule="nps_progression")
    assert "is not over yet" in evaluate(runner, month()).output
    bad = runner.invoke(args=["badges", "evaluate", "--period", "2026-14"])
    assert bad.exit_code == 1 and "no month 14" in bad.output
    future = runner.invoke(args=["badges", "evaluate", "--period", "2099"])
    assert future.exit_code == 1 and "has not started yet" in future.output


def test_the_database_refuses_a_second_grant_for_the_same_rule_employee_and_period(world, make_badge):
    badge = make_badge("kind-words", rule="promoter_compliment")
    for _ in range(2):
        db.session.add(
            BadgeGrant(
                badge_id=badge.id,
                employee_id=world["employee"].id,
                rule="promoter_compliment",
                period=MONTH,
                granted_on=date(2026, 4, 1),
            )
        )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
