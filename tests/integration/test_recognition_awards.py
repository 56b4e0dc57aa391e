"""Budgets and awards through the services, the CLI and the pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from app.core import clock
from app.extensions import db
from app.periods import month_add
from app.recognition.awards import AwardError, AwardRefused, award_points
from app.recognition.budgets import BudgetError, budget_status, set_budget
from app.recognition.models import AppendOnlyError, Award, BadgeGrant, BudgetEntry, PointsEntry

pytestmark = pytest.mark.usefixtures("english")  # these tests read English messages

# --- budgets --------------------------------------------------------------------------------------------------------


def test_hr_sets_a_budget_with_the_cli_and_the_manager_sees_what_is_left(runner, client_as, world, give, month):
    result = runner.invoke(
        args=["budgets", "set", "--manager", "manager@test.example", "--month", month(), "--points", "800"]
    )
    assert result.exit_code == 0, result.output
    assert "allowance 800" in result.output and "left 800" in result.output
    give(world["users"]["manager"], world["employee"], 150)

    page = client_as("manager").get("/recognition/award")
    assert page.status_code == 200
    assert 'data-left="650"' in page.get_data(as_text=True)


def test_setting_the_same_budget_again_writes_nothing(runner, world):
    args = ["budgets", "set", "--manager", "manager@test.example", "--month", "2026-03", "--points", "300"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code == 0 and "(unchanged)" in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BudgetEntry)) == 1


def test_the_budget_is_a_ledger_of_allowance_changes_and_spending(world, give, give_budget, month):
    manager = world["manager_emp"]
    give_budget(manager, 500)
    give(world["users"]["manager"], world["employee"], 120)
    give_budget(manager, 300)
    kinds = [(e.kind, e.points) for e in db.session.scalars(sa.select(BudgetEntry).order_by(BudgetEntry.id))]
    assert kinds == [("allowance", 500), ("spend", -120), ("allowance", -200)]
    status = budget_status(manager.id, month())
    assert (status.allowance, status.spent, status.left) == (300, 120, 180)
    entry = db.session.scalars(sa.select(BudgetEntry)).first()
    entry.points = 1
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()


def test_a_budget_below_what_was_already_awarded_is_refused(runner, world, give, give_budget, month):
    give_budget(world["manager_emp"], 500)
    give(world["users"]["manager"], world["employee"], 400)
    result = runner.invoke(
        args=["budgets", "set", "--manager", "manager@test.example", "--month", month(), "--points", "300"]
    )
    assert result.exit_code == 1
    assert "overspent" in result.output
    assert budget_status(world["manager_emp"].id, month()).allowance == 500


def test_the_cli_names_what_is_wrong(runner, world):
    cases = [
        (["--manager", "nobody@test.example", "--month", "2026-03", "--points", "1"], "no user"),
        (["--manager", "employee@test.example", "--month", "2026-03", "--points", "1"], "not a manager"),
        (["--manager", "manager@test.example", "--month", "2026-Q1", "--points", "1"], "not a month"),
        (["--manager", "manager@test.example", "--month", "2026-03", "--points", "-5"], "0 or more"),
    ]
    for args, message in cases:
        result = runner.invoke(args=["budgets", "set", *args])
        assert result.exit_code == 1, args
        assert message in result.output, (args, result.output)


def test_without_rollover_nothing_carries_and_with_rollover_what_is_left_does(world):
    manager = world["manager_emp"]
    set_budget(manager, "2026-01", 400, rollover=False)
    set_budget(manager, "2026-02", 100, rollover=True)
    set_budget(manager, "2026-03", 100)
    db.session.commit()
    award_points(world["users"]["manager"], world["employee"], 30, "Thanks for the stock count", on=date(2026, 2, 10))
    db.session.commit()
    assert budget_status(manager.id, "2026-02").carried == 0  # January did not roll over
    march = budget_status(manager.id, "2026-03")
    assert (march.carried, march.left) == (70, 170)
    assert budget_status(manager.id, "2026-04").carried == 0  # March does not roll over
    # Turning February's roll-over off is refused once March spent what it carried.
    award_points(world["users"]["manager"], world["employee"], 150, "Thanks for the inventory", on=date(2026, 3, 5))
    db.session.commit()
    with pytest.raises(BudgetError, match="overspent"):
        set_budget(manager, "2026-02", 100, rollover=False)
    db.session.rollback()


# --- awards ---------------------------------------------------------------------------------------------------------


def test_an_award_spends_the_budget_and_credits_the_points(
    runner, world, balance, entries, give_budget, make_badge, month
):
    give_budget(world["manager_emp"], 500)
    make_badge("teamwork")
    result = runner.invoke(
        args=[
            "points",
            "award",
            "--manager",
            "manager@test.example",
            "--employee",
            world["employee"].number,
            "--points",
            "120",
            "--message",
            "Thank you for covering Saturday",
            "--badge",
            "teamwork",
        ]
    )
    assert result.exit_code == 0, result.output
    award = db.session.scalar(sa.select(Award))
    assert (award.points, award.employee_id, award.store_id, award.public) == (
        120,
        world["employee"].id,
        world["north"].id,
        True,
    )
    earn = entries(world["employee"])
    assert [(e.kind, e.points, e.award_id, e.store_id) for e in earn] == [("earn", 120, award.id, world["north"].id)]
    assert balance(world["employee"]) == 120
    assert budget_status(world["manager_emp"].id, month()).left == 380
    grant = db.session.scalar(sa.select(BadgeGrant))
    assert (grant.employee_id, grant.award_id) == (world["employee"].id, award.id)


@pytest.mark.parametrize(
    ("who", "points", "message", "expected"),
    [
        ("manager_emp", 10, "Well done on the audit", "yourself"),
        ("stranger", 10, "Well done on the audit", "not in your team"),
        ("employee", 10, "Too short", "at least 10"),
        ("employee", 501, "Well done on the audit", "limited to 500"),
        ("employee", 0, "Well done on the audit", "points, a badge, or both"),
    ],
)
def test_awards_outside_the_rules_are_refused(world, who, points, message, expected, give_budget):
    give_budget(world["manager_emp"], 5000)
    with pytest.raises(AwardError, match=expected):
        award_points(world["users"]["manager"], world[who], points, message)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PointsEntry)) == 0


def test_the_per_award_maximum_is_a_company_setting(world, give, give_budget, set_settings):
    give_budget(world["manager_emp"], 5000)
    set_settings(max_award_points=50)
    with pytest.raises(AwardError, match="limited to 50"):
        award_points(world["users"]["manager"], world["employee"], 60, "Well done on the audit")
    db.session.rollback()
    assert give(world["users"]["manager"], world["employee"], 50).points == 50


def test_an_award_beyond_the_budget_left_is_refused_with_409(client_as, world, give_budget, post):
    give_budget(world["manager_emp"], 100)
    client = client_as("manager")
    response = post(
        client,
        "/recognition/award",
        {
            "employee": world["employee"].id,
            "points": "150",
            "message": "Great sale to a hesitant customer",
            "public": "y",
        },
        page="/recognition/award",
    )
    assert response.status_code == 409
    assert "only 100 points are left" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Award)) == 0


def test_a_manager_awards_through_the_page(client_as, world, give_budget, post):
    give_budget(world["manager_emp"], 300)
    client = client_as("manager")
    form = client.get("/recognition/award").get_data(as_text=True)
    assert world["employee"].full_name in form and world["stranger"].full_name not in form
    assert world["manager_emp"].full_name + " (" not in form  # never oneself
    response = post(
        client,
        "/recognition/award",
        {"employee": world["employee"].id, "points": "75", "message": "Great sale to a hesitant customer"},
        page="/recognition/award",
    )
    assert response.status_code == 302
    award = db.session.scalar(sa.select(Award))
    assert (award.points, award.public) == (75, False)  # the box was left unticked
    short = post(
        client,
        "/recognition/award",
        {"employee": world["employee"].id, "points": "5", "message": "Short"},
        page="/recognition/award",
    )
    assert short.status_code == 400
    assert 'data-field="message"' in short.get_data(as_text=True)


def test_the_cli_refuses_an_award_with_a_message(runner, world, give_budget):
    give_budget(world["manager_emp"], 300)
    result = runner.invoke(
        args=[
            "points",
            "award",
            "--manager",
            "manager@test.example",
            "--employee",
            world["employee"].number,
            "--points",
            "20",
            "--message",
            "Thanks a lot for this",
            "--badge",
            "nope",
        ]
    )
    assert result.exit_code == 1 and "no badge 'nope'" in result.output
    result = runner.invoke(
        args=[
            "points",
            "award",
            "--manager",
            "manager@test.example",
            "--employee",
            world["employee"].number,
            "--points",
            "400",
            "--message",
            "Thanks a lot for this",
        ]
    )
    assert result.exit_code == 1 and "only 300 points are left" in result.output


# --- one-click thanks for a compliment --------------------------------------------------------------------------------


def test_thanking_for_a_compliment_prefills_the_award(client_as, world, add_answer, give_budget, post):
    give_budget(world["manager_emp"], 300)
    compliment = add_answer(world["north"], employee=world["employee"], comment="Eve found the right size at once.")
    client = client_as("manager")
    page = client.get(f"/recognition/award/compliment/{compliment.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Eve found the right size at once." in html
    assert f'<option selected value="{world["employee"].id}"' in html
    assert re.search(r'<input[^>]*name="points"[^>]*value="50"', html)
    assert f'name="response_id" type="hidden" value="{compliment.id}"' in html

    response = post(
        client,
        "/recognition/award",
        {
            "employee": world["employee"].id,
            "points": "50",
            "message": "A customer praised you, thank you!",
            "public": "y",
            "response_id": compliment.id,
        },
        page="/recognition/award",
    )
    assert response.status_code == 302
    award = db.session.scalar(sa.select(Award))
    assert award.response_id == compliment.id
    again = client.get(f"/recognition/award/compliment/{compliment.id}")
    assert 'data-test="already-thanked"' in again.get_data(as_text=True)
    twice = post(
        client,
        "/recognition/award",
        {
            "employee": world["employee"].id,
            "points": "50",
            "message": "A customer praised you, thank you!",
            "public": "y",
            "response_id": compliment.id,
        },
        page="/recognition/award",
    )
    assert twice.status_code == 409


def test_only_attributed_compliments_of_the_managers_stores_can_be_thanked(client_as, world, add_answer):
    anonymous = add_answer(world["north"], employee=None)
    elsewhere = add_answer(world["south"], employee=world["stranger"])
    client = client_as("manager")
    assert client.get(f"/recognition/award/compliment/{anonymous.id}").status_code == 404
    assert client.get(f"/recognition/award/compliment/{elsewhere.id}").status_code == 404
    assert client.get("/recognition/award/compliment/999999").status_code == 404
    with pytest.raises(AwardRefused.__mro__[1]):  # AwardError: the compliment is not about this employee
        award_points(world["users"]["manager"], world["employee"], 10, "Thanks for this compliment", response=elsewhere)
    db.session.rollback()


def test_awards_are_dated_and_budgeted_in_their_month(world, give, month):
    manager = world["manager_emp"]
    day = month_add(clock.today(), -1)
    set_budget(manager, month(day), 100)
    db.session.commit()
    give(world["users"]["manager"], world["employee"], 100, on=day)
    assert budget_status(manager.id, month(day)).left == 0
    assert budget_status(manager.id, month()).left == 0
    with pytest.raises(AwardRefused):
        award_points(world["users"]["manager"], world["employee"], 1, "One more thank you", on=day)
    db.session.rollback()
