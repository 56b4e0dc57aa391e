"""The feed of public awards, leaderboards with anonymous names, the employee page, HR's report and settings."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.core import clock
from app.extensions import db
from app.periods import Period
from app.recognition.models import BadgeGrant, RecognitionPreference
from app.recognition.settings import load_settings
from app.recognition.social import hr_report, leaderboard
from tests.conftest import login

pytestmark = pytest.mark.usefixtures("english")  # these tests read English messages


def south_manager(make_employee, make_user, world):
    boss = make_employee(world["south"], job_role="store_manager", manages=[world["south"]], first_name="Bo")
    return make_user("south@test.example", "manager", "employee", employee=boss)


def test_the_feed_shows_public_awards_of_the_stores_one_may_see(
    client_as, world, make_employee, make_user, give, give_budget
):
    give_budget(world["manager_emp"], 1000)
    manager = world["users"]["manager"]
    give(manager, world["employee"], 50, message="Public thanks for the window display")
    give(manager, world["employee"], 20, message="Private word about the late shift", public=False)
    south = south_manager(make_employee, make_user, world)
    give_budget(south.employee, 100)
    give(south, world["stranger"], 10, message="Southern thanks for the delivery")

    page = client_as("employee").get("/recognition/feed").get_data(as_text=True)
    assert "Public thanks for the window display" in page
    assert "Private word" not in page
    assert "Southern thanks" not in page  # another region
    hr_page = client_as("hr").get("/recognition/feed").get_data(as_text=True)
    assert "Southern thanks" in hr_page and "Private word" not in hr_page
    by_store = client_as("hr").get(f"/recognition/feed?store={world['south'].id}").get_data(as_text=True)
    assert "Southern thanks" in by_store and "window display" not in by_store
    by_region = client_as("hr").get(f"/recognition/feed?region={world['north'].region_id}").get_data(as_text=True)
    assert "window display" in by_region and "Southern" not in by_region
    assert client_as("employee").get(f"/recognition/feed?store={world['south'].id}").status_code == 404
    assert client_as("manager").get(f"/recognition/feed?region={world['south'].region_id}").status_code == 404
    # The employee sees the private award on their own page.
    assert "Private word" in client_as("employee").get("/recognition/").get_data(as_text=True)


def test_leaderboards_rank_points_earned_and_hide_names_of_those_who_opted_out(
    client_as, world, make_employee, credit, give, give_budget, month
):
    give_budget(world["manager_emp"], 1000)
    manager = world["users"]["manager"]
    colleague = make_employee(world["north"], first_name="Cleo")
    quiet = make_employee(world["north"], first_name="Quinn")
    give(manager, world["employee"], 100)
    give(manager, colleague, 300)
    give(manager, quiet, 100)
    credit(world["employee"], 1000, clock.today())  # an opening balance is not earned in the month
    db.session.add(RecognitionPreference(employee_id=quiet.id, hide_name=True))
    db.session.commit()

    rows = leaderboard(Period.parse(month()), {world["north"].id})
    assert [(r.rank, r.employee_id, r.points) for r in rows] == [
        (1, colleague.id, 300),
        (2, world["employee"].id, 100),
        (2, quiet.id, 100),
    ]
    assert rows[2].name is None
    page = client_as("employee").get(f"/recognition/leaderboard?store={world['north'].id}").get_data(as_text=True)
    assert "Cleo" in page and "Quinn" not in page
    assert page.count('data-test="anonymous"') == 1
    last_month = client_as("employee").get(f"/recognition/leaderboard?month={Period.parse(month()).previous()}")
    assert "Nobody earned points" in last_month.get_data(as_text=True)
    assert client_as("employee").get("/recognition/leaderboard?month=2026-Q1").status_code == 404


def test_an_employee_hides_their_name_from_the_leaderboards(client_as, world, post):
    client = client_as("employee")
    response = post(client, "/recognition/privacy", {"hide_name": "y"}, page="/recognition/")
    assert response.status_code == 302
    assert db.session.get(RecognitionPreference, world["employee"].id).hide_name is True
    post(client, "/recognition/privacy", {}, page="/recognition/")
    db.session.expire_all()
    assert db.session.get(RecognitionPreference, world["employee"].id).hide_name is False


def test_the_employee_page_shows_balance_tier_history_badges_and_the_catalogue(
    client_as, world, make_user, credit, give, give_budget, make_badge, make_reward
):
    give_budget(world["manager_emp"], 1000)
    badge = make_badge("teamwork", icon="team.svg")
    credit(world["employee"], 500, clock.today() - timedelta(days=40))
    give(world["users"]["manager"], world["employee"], 80, badge=badge, message="Thanks for training the new hire")
    make_reward(name="Cinema ticket", cost=100)
    page = client_as("employee").get("/recognition/").get_data(as_text=True)
    assert 'data-test="balance">580<' in page
    assert 'data-test="tier">Bronze<' in page
    assert "Thanks for training the new hire" in page
    assert "badges/team.svg" in page and 'data-test="badges"' in page
    assert 'data-test="rewards"' in page and "Cinema ticket" in page
    assert 'data-test="privacy-form"' in page

    manager_view = client_as("manager").get(f"/recognition/employees/{world['employee'].id}")
    assert manager_view.status_code == 200
    assert 'data-test="privacy-form"' not in manager_view.get_data(as_text=True)
    assert client_as("manager").get(f"/recognition/employees/{world['stranger'].id}").status_code == 404
    assert client_as("employee").get(f"/recognition/employees/{world['manager_emp'].id}").status_code == 404
    assert client_as("hr").get(f"/recognition/employees/{world['stranger'].id}").status_code == 200
    assert client_as("hr").get("/recognition/").status_code == 302  # no employee record: to the feed


def test_hr_report_shows_awards_per_manager_share_recognised_and_part_time(
    client_as, world, make_employee, give, give_budget, month
):
    give_budget(world["manager_emp"], 1000)
    part_timer = make_employee(world["north"], fte=Decimal("0.5"), annual_base_salary=Decimal("15000.00"))
    make_employee(world["north"])
    give(world["users"]["manager"], world["employee"], 100)
    give(world["users"]["manager"], world["employee"], 50)
    give(world["users"]["manager"], part_timer, 30)

    managers, groups = hr_report(Period.containing(clock.today(), "month"))
    line = next(m for m in managers if m.manager.id == world["manager_emp"].id)
    assert (line.awards, line.points, line.recipients, line.team) == (3, 180, 2, 3)
    assert line.share == Decimal("66.7")
    by_label = {g.label: g for g in groups}
    assert (by_label["part_time"].headcount, by_label["part_time"].recognised, by_label["part_time"].points) == (
        1,
        1,
        30,
    )
    full = by_label["full_time"]
    assert (full.headcount, full.recognised, full.points, full.share) == (4, 1, 150, Decimal("25.0"))
    page = client_as("hr").get(f"/recognition/report?period={month()}").get_data(as_text=True)
    assert re.search(r'data-test="share">66[.,]7', page) and 'data-group="part_time"' in page
    assert client_as("hr").get("/recognition/report?period=nonsense").status_code == 400


def test_hr_changes_the_recognition_settings(client_as, world, post):
    hr = client_as("hr")
    data = {
        "max_award_points": "300",
        "expiry_months": "18",
        "leaver_policy": "keep",
        "bronze": "100",
        "silver": "1000",
        "gold": "3000",
        "benefit_pay_code": "BIK",
        "day_off_pay_code": "DAY",
        "compliment_points": "25",
        "automatic_points_per_month": "5000",
    }
    assert post(hr, "/recognition/settings", data, "/recognition/settings").status_code == 302
    settings = load_settings()
    assert settings.automatic_points_per_month == 5000
    assert (settings.max_award_points, settings.expiry_months, settings.leaver_policy) == (300, 18, "keep")
    assert settings.tier_list == [("bronze", 100), ("silver", 1000), ("gold", 3000)]
    wrong = post(hr, "/recognition/settings", {**data, "silver": "50"}, "/recognition/settings")
    assert wrong.status_code == 400 and "rise from bronze to gold" in wrong.get_data(as_text=True)
    assert load_settings().tiers["silver"] == 1000


def test_hr_sets_budgets_on_the_budget_page(client_as, world, give, month, post):
    hr = client_as("hr")
    page = hr.get("/recognition/budgets").get_data(as_text=True)
    assert world["manager_emp"].full_name in page
    data = {"manager": world["manager_emp"].id, "month": month(), "points": "600", "rollover": "y"}
    response = post(hr, f"/recognition/budgets?month={month()}", data, "/recognition/budgets")
    assert response.status_code == 302
    page = hr.get(f"/recognition/budgets?month={month()}").get_data(as_text=True)
    assert 'data-test="left">600<' in page
    give(world["users"]["manager"], world["employee"], 500)
    lower = post(hr, "/recognition/budgets", {**data, "points": "100"}, "/recognition/budgets")
    assert lower.status_code == 409 and "overspent" in lower.get_data(as_text=True)
    assert hr.get("/recognition/budgets?month=2026-13").status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BadgeGrant)) == 0


def test_a_manager_sees_the_notice_of_the_employee_pages_only_for_themselves(client, world, credit):
    from app.periods import month_add

    credit(world["employee"], 70, month_add(clock.today() + timedelta(days=10), -12))
    login(client, world["users"]["manager"].email)
    page = client.get(f"/recognition/employees/{world['employee'].id}").get_data(as_text=True)
    assert "70 points expire" in page  # shown on the employee's page, whoever reads it
    own = client.get("/recognition/").get_data(as_text=True)
    assert "70 points expire" not in own


def test_the_expiry_notice_can_be_included_in_any_page(app, world, credit):
    from flask import render_template_string
    from flask_login import login_user

    from app.periods import month_add

    credit(world["employee"], 70, month_add(clock.today() + timedelta(days=10), -12))
    template = '{% include "recognition/_expiry_notice.html" %}'
    with app.test_request_context("/"):
        login_user(world["users"]["employee"])
        assert "70 points expire" in render_template_string(template)
    with app.test_request_context("/"):
        login_user(world["users"]["hr"])  # no employee record, no notice
        assert "expiry-notice" not in render_template_string(template)
