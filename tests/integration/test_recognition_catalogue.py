"""The rewards catalogue and redemptions: holds, fulfilment, rejection, cancellation, refunds, stock and benefits."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.core import clock
from app.extensions import db
from app.periods import Period
from app.recognition.benefits import BenefitRow, benefits_for_period
from app.recognition.catalogue import (
    CatalogueError,
    RedemptionRefused,
    RedemptionStateError,
    change_redemption,
    request_redemption,
)
from app.recognition.models import Redemption, Reward

pytestmark = pytest.mark.usefixtures("english")  # these tests read English messages


def held(employee) -> int:
    from app.recognition import points

    db.session.expire_all()
    return points.summary_of(employee).held


def reload(redemption: Redemption) -> Redemption:
    db.session.expire_all()
    return db.session.get(Redemption, redemption.id)


def stock_of(reward: Reward) -> int | None:
    db.session.expire_all()
    return db.session.get(Reward, reward.id).stock


def test_an_employee_redeems_through_the_page_and_hr_hands_it_over(
    client_as, world, balance, credit, entries, make_reward, post
):
    credit(world["employee"], 300, clock.today() - timedelta(days=30))
    reward = make_reward(cost=120, stock=2, euro_value=Decimal("15.00"))
    client = client_as("employee")
    response = post(client, f"/recognition/catalogue/{reward.id}/redeem")
    assert response.status_code == 302
    redemption = db.session.scalar(sa.select(Redemption))
    assert (redemption.status, redemption.points, redemption.euro_value) == ("pending", 120, Decimal("15.00"))
    assert (balance(world["employee"]), held(world["employee"]), stock_of(reward)) == (180, 120, 1)
    hold = [e for e in entries(world["employee"]) if e.kind == "hold"]
    assert [(e.points, e.ref, e.redemption_id) for e in hold] == [(-120, redemption.ref, redemption.id)]

    hr = client_as("hr")
    queue = hr.get("/recognition/redemptions").get_data(as_text=True)
    assert f'data-redemption="{redemption.id}"' in queue
    assert (
        post(hr, f"/recognition/redemptions/{redemption.id}/approve", page="/recognition/redemptions").status_code
        == 302
    )
    assert reload(redemption).status == "approved"
    assert (
        post(hr, f"/recognition/redemptions/{redemption.id}/fulfil", page="/recognition/redemptions").status_code == 302
    )
    done = reload(redemption)
    assert (done.status, done.fulfilled_on, done.decided_by) == ("fulfilled", clock.today(), "hr@test.example")
    assert (balance(world["employee"]), held(world["employee"])) == (180, 0)
    assert [e.kind for e in entries(world["employee"])] == ["earn", "hold", "redeem"]
    # Fulfilled is final for the employee: nothing to cancel any more.
    assert post(client, f"/recognition/redemptions/{redemption.id}/cancel").status_code == 409


def test_hr_rejecting_gives_the_points_and_the_item_back(client_as, world, balance, credit, make_reward, post):
    credit(world["employee"], 300, clock.today() - timedelta(days=30))
    reward = make_reward(cost=100, stock=1)
    redemption = request_redemption(world["employee"], reward)
    db.session.commit()
    assert stock_of(reward) == 0
    hr = client_as("hr")
    no_reason = post(hr, f"/recognition/redemptions/{redemption.id}/reject", page="/recognition/redemptions")
    assert no_reason.status_code == 400
    response = post(
        hr, f"/recognition/redemptions/{redemption.id}/reject", {"note": "Out of season"}, "/recognition/redemptions"
    )
    assert response.status_code == 302
    rejected = reload(redemption)
    assert (rejected.status, rejected.note, rejected.closed_on) == ("rejected", "Out of season", clock.today())
    assert (balance(world["employee"]), held(world["employee"]), stock_of(reward)) == (300, 0, 1)
    again = post(hr, f"/recognition/redemptions/{redemption.id}/approve", page="/recognition/redemptions")
    assert again.status_code == 409


def test_an_employee_cancels_only_their_own_pending_request(
    client_as, world, make_user, balance, credit, make_reward, post
):
    credit(world["employee"], 300, clock.today() - timedelta(days=30))
    reward = make_reward(cost=100, stock=3)
    redemption = request_redemption(world["employee"], reward)
    db.session.commit()
    stranger = make_user("sam@test.example", "employee", employee=world["stranger"])
    other = client_as("anonymous")
    from tests.conftest import login

    login(other, stranger.email)
    assert post(other, f"/recognition/redemptions/{redemption.id}/cancel").status_code == 404
    client = client_as("employee")
    assert post(client, f"/recognition/redemptions/{redemption.id}/cancel").status_code == 302
    assert reload(redemption).status == "cancelled"
    assert (balance(world["employee"]), stock_of(reward)) == (300, 3)
    assert post(client, f"/recognition/redemptions/{redemption.id}/cancel").status_code == 409


def test_an_approved_request_can_no_longer_be_cancelled_by_the_employee(world, credit, make_reward):
    credit(world["employee"], 300, clock.today() - timedelta(days=30))
    redemption = request_redemption(world["employee"], make_reward(cost=100))
    change_redemption(redemption, "approve")
    db.session.commit()
    with pytest.raises(RedemptionStateError, match="a redemption that is approved cannot be cancelled"):
        change_redemption(redemption, "cancel")
    db.session.rollback()


def test_redemptions_never_overdraw_points_stock_or_the_yearly_limit(
    client_as, world, balance, credit, make_reward, post
):
    credit(world["employee"], 250, clock.today() - timedelta(days=30))
    dear = make_reward(name="Weekend", cost=300)
    scarce = make_reward(name="Mug", kind="goods", cost=10, stock=1)
    limited = make_reward(name="Coffee", kind="goods", cost=20, limit_per_year=1)
    client = client_as("employee")
    refused = post(client, f"/recognition/catalogue/{dear.id}/redeem")
    assert refused.status_code == 409
    assert "Weekend costs 300 points; 250 are available" in refused.get_data(as_text=True)
    assert post(client, f"/recognition/catalogue/{scarce.id}/redeem").status_code == 302
    sold_out = post(client, f"/recognition/catalogue/{scarce.id}/redeem")
    assert sold_out.status_code == 409 and "out of stock" in sold_out.get_data(as_text=True)
    assert post(client, f"/recognition/catalogue/{limited.id}/redeem").status_code == 302
    limit = post(client, f"/recognition/catalogue/{limited.id}/redeem")
    assert limit.status_code == 409 and "1 time(s) a year" in limit.get_data(as_text=True)
    assert (balance(world["employee"]), stock_of(scarce)) == (220, 0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Redemption)) == 2


def test_a_cancelled_request_does_not_count_towards_the_yearly_limit(world, credit, make_reward):
    credit(world["employee"], 100, clock.today() - timedelta(days=3))
    reward = make_reward(cost=20, limit_per_year=1)
    first = request_redemption(world["employee"], reward)
    change_redemption(first, "cancel")
    second = request_redemption(world["employee"], reward)
    db.session.commit()
    assert reload(second).status == "pending"


def test_withdrawn_rewards_cannot_be_redeemed(client_as, world, credit, make_reward, post):
    credit(world["employee"], 100, clock.today() - timedelta(days=3))
    reward = make_reward(cost=20, active=False)
    assert "Cinema ticket" not in client_as("employee").get("/recognition/catalogue").get_data(as_text=True)
    assert post(client_as("employee"), f"/recognition/catalogue/{reward.id}/redeem").status_code == 404
    with pytest.raises(RedemptionRefused):
        request_redemption(world["employee"], reward)
    db.session.rollback()


def test_expired_points_cannot_be_spent(world, credit, make_reward):
    from app.periods import month_add

    credit(world["employee"], 500, month_add(clock.today(), -13))
    with pytest.raises(RedemptionRefused, match="0 are available"):
        request_redemption(world["employee"], make_reward(cost=100))
    db.session.rollback()


def test_a_refund_gives_spent_points_back(world, balance, credit, entries, make_reward):
    credit(world["employee"], 300, clock.today() - timedelta(days=30))
    redemption = request_redemption(world["employee"], make_reward(cost=100))
    change_redemption(redemption, "approve")
    change_redemption(redemption, "fulfil")
    db.session.commit()
    with pytest.raises(CatalogueError, match="say why"):
        change_redemption(redemption, "refund")
    change_redemption(redemption, "refund", note="Item returned")
    db.session.commit()
    assert reload(redemption).status == "refunded"
    assert balance(world["employee"]) == 300
    assert [e.kind for e in entries(world["employee"])] == ["earn", "hold", "redeem", "refund"]


# --- benefits for payroll -------------------------------------------------------------------------------------------


def fulfil(redemption: Redemption, on: date) -> None:
    change_redemption(redemption, "approve", on=on)
    change_redemption(redemption, "fulfil", on=on)


def test_benefits_and_days_off_are_kept_per_period_with_their_pay_codes(world, credit, make_reward, set_settings):
    credit(world["employee"], 2000, date(2026, 1, 5))
    gift = make_reward(name="Gift card", cost=100, euro_value=Decimal("25.50"))
    day_off = make_reward(name="Day off", kind="day_off", cost=500, euro_value=None, icon="calendar.svg")
    valued_day = make_reward(name="Paid day off", kind="day_off", cost=600, euro_value=Decimal("120.00"))
    donation = make_reward(name="Donation", kind="donation", cost=50, euro_value=None)
    on = date(2026, 2, 10)
    r_gift = request_redemption(world["employee"], gift, on=on)
    r_day = request_redemption(world["employee"], day_off, on=on)
    r_valued = request_redemption(world["employee"], valued_day, on=on)
    r_donation = request_redemption(world["employee"], donation, on=on)
    pending = request_redemption(world["employee"], gift, on=on)
    for redemption in (r_gift, r_day, r_valued, r_donation):
        fulfil(redemption, on)
    db.session.commit()
    assert pending.status == "pending"

    rows = benefits_for_period(Period.parse("2026-02"))
    assert rows == [
        BenefitRow(world["employee"].id, "AVANTAGE_NATURE", Decimal("25.50"), "benefit", r_gift.id),
        BenefitRow(world["employee"].id, "CONGE_RECOMPENSE", Decimal("0.00"), "day_off", r_day.id),
        BenefitRow(world["employee"].id, "CONGE_RECOMPENSE", Decimal("120.00"), "day_off", r_valued.id),
    ]
    assert benefits_for_period(Period.parse("2026-01")) == []
    assert len(benefits_for_period(Period.parse("2026-Q1"))) == 3

    set_settings(benefit_pay_code="BIK", day_off_pay_code="RWD_DAY")
    change_redemption(r_gift, "refund", note="Card never arrived", on=date(2026, 3, 2))
    db.session.commit()
    assert [row.pay_code for row in benefits_for_period(Period.parse("2026-02"))] == ["BIK", "RWD_DAY", "RWD_DAY"]
    assert benefits_for_period(Period.parse("2026-03")) == [
        BenefitRow(world["employee"].id, "BIK", Decimal("-25.50"), "benefit", r_gift.id)
    ]
    # Fulfilled and refunded within the quarter: the two cancel out, no row.
    assert [row.redemption_id for row in benefits_for_period(Period.parse("2026-Q1"))] == [r_day.id, r_valued.id]


# --- HR manages the catalogue ---------------------------------------------------------------------------------------


def test_hr_adds_and_changes_rewards(client_as, world, post):
    hr = client_as("hr")
    data = {
        "name": "Spa voucher",
        "kind": "gift_card",
        "description": "One afternoon",
        "cost": "800",
        "stock": "5",
        "limit_per_year": "1",
        "euro_value": "60,00",
        "icon": "gift.svg",
        "active": "y",
    }
    assert post(hr, "/recognition/rewards/new", data, "/recognition/rewards/new").status_code == 302
    reward = db.session.scalar(sa.select(Reward))
    assert (reward.cost, reward.stock, reward.limit_per_year, reward.euro_value) == (800, 5, 1, Decimal("60.00"))
    bad = post(hr, "/recognition/rewards/new", {**data, "euro_value": "12.345"}, "/recognition/rewards/new")
    assert bad.status_code == 400 and "at most two decimals" in bad.get_data(as_text=True)
    bad_icon = post(hr, "/recognition/rewards/new", {**data, "icon": "../../secret.svg"}, "/recognition/rewards/new")
    assert bad_icon.status_code == 400
    edit = post(hr, f"/recognition/rewards/{reward.id}", {**data, "stock": "", "cost": "750"}, "/recognition/rewards")
    assert edit.status_code == 302
    db.session.expire_all()
    assert (reward.cost, reward.stock) == (750, None)
    assert "Spa voucher" in hr.get("/recognition/rewards").get_data(as_text=True)
    assert hr.get(f"/recognition/rewards/{reward.id}").status_code == 200
