"""Programme ROI: recognition points and their cost, the unspent liability, bonus cost and the NPS change beside
them, on the page and in the workbook read back with openpyxl."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from app.extensions import db
from app.periods import Period
from app.recognition.catalogue import change_redemption, request_redemption
from app.reports import roi


def _programme(world, give_budget, give, make_reward, add_responses):
    """130 points awarded in A1 in 2026-Q3, 100 spent on a 12.50 € reward; NPS from -25 in Q2 to +50 in Q3."""
    on = date(2026, 8, 10)
    give_budget(world["manager_emp"], 500, on=on)
    give(world["users"]["manager"], world["employee"], 40, on=on)
    give(world["users"]["manager"], world["employee"], 60, on=on)
    reward = make_reward(cost=100, euro_value=Decimal("12.50"))
    redemption = request_redemption(world["employee"], reward, on=date(2026, 8, 20))
    change_redemption(redemption, "approve", on=date(2026, 8, 21))
    change_redemption(redemption, "fulfil", on=date(2026, 8, 22))
    db.session.commit()
    give_budget(world["manager_emp"], 500, on=date(2026, 9, 1))
    give(world["users"]["manager"], world["employee"], 30, on=date(2026, 9, 1))
    add_responses(world["north"], datetime(2026, 5, 10, 10, tzinfo=UTC), nps=[10, 0, 0, 7])
    add_responses(world["north"], datetime(2026, 8, 10, 10, tzinfo=UTC), nps=[10, 10, 9, 0])


def test_roi_sets_points_costs_and_the_nps_change_side_by_side(world, give_budget, give, make_reward, add_responses):
    _programme(world, give_budget, give, make_reward, add_responses)
    rows = {r.key: r for r in roi.report(Period.parse("2026-Q3"), "store")}
    a1 = rows["A1"]
    assert (a1.points_awarded, a1.points_redeemed, a1.redeemed_cost) == (130, 100, Decimal("12.50"))
    assert a1.unspent_points == 30
    assert a1.liability == Decimal("3.75")  # 30 points at 0.125 € a point, rounded half-up
    assert a1.nps == Decimal("50.0") and a1.nps_change == Decimal("75.0")  # -25 in Q2, +50 in Q3
    assert rows["B1"].points_awarded == 0 and rows["B1"].nps is None
    [north] = [r for r in roi.report(Period.parse("2026-Q3"), "region") if r.key == "North"]
    assert north.points_awarded == 130


def test_roi_workbook_and_page_carry_the_figures_and_the_caveat(
    world, give_budget, give, make_reward, add_responses, client_as
):
    _programme(world, give_budget, give, make_reward, add_responses)
    client = client_as("hr")
    page = client.get("/reports/roi?period=2026-Q3").get_data(as_text=True)
    assert 'data-test="caveat"' in page and "Correlation, not causation" in page
    response = client.get("/reports/roi.xlsx?period=2026-Q3")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["roi"]
    header = [c.value for c in sheet[1]]
    a1 = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert (a1["key"], a1["points_awarded"], a1["points_redeemed"], a1["unspent_points"]) == ("A1", 130, 100, 30)
    assert Decimal(str(a1["redeemed_cost"])) == Decimal("12.50") and a1["nps_change"] == 75
    trend = {row[0].value: row[1].value for row in book["redemption_trend"].iter_rows(min_row=2)}
    assert trend["2026-08"] == 100 and len(trend) == 12
    assert "Correlation, not causation" in book["read_me"]["A1"].value
    assert client.get("/reports/roi?period=2026-13").status_code == 400


def _two_pulses(world, make_store, make_pulse, add_pulse_answers):
    """Q2: every store shown. Q3: A2 has 3 answers, so A1 is hidden too (North − A1 would give A2); B1 shown."""
    a2 = make_store("A2", region="North")
    q2, q3 = make_pulse(None, period="2026-Q2", name="Spring"), make_pulse(None, period="2026-Q3", name="Summer")
    add_pulse_answers(q2, world["north"], [10] * 10)
    add_pulse_answers(q2, a2, [0] * 5)
    add_pulse_answers(q2, world["south"], [10] * 5)
    add_pulse_answers(q3, world["north"], [10] * 6)
    add_pulse_answers(q3, a2, [9, 9, 9])
    add_pulse_answers(q3, world["south"], [10, 10, 10, 0, 0, 0])


def test_roi_shows_the_enps_change_only_where_the_pulse_results_may_show_it(
    world, make_store, make_pulse, add_pulse_answers
):
    _two_pulses(world, make_store, make_pulse, add_pulse_answers)
    rows = {r.key: r for r in roi.report(Period.parse("2026-Q3"), "store")}
    assert (rows["B1"].enps, rows["B1"].enps_change, rows["B1"].enps_hidden) == (
        Decimal("0.0"),
        Decimal("-100.0"),
        False,
    )
    for code in ("A1", "A2"):  # A2 under 5 answers; A1 because North minus A1 would give A2's 3 answers
        assert rows[code].enps_hidden and rows[code].enps is None and rows[code].enps_change is None, code
    north = next(r for r in roi.report(Period.parse("2026-Q3"), "region") if r.key == "North")
    assert (north.enps, north.enps_change) == (Decimal("100.0"), Decimal("66.7"))  # 9 of 9 promoters; 33.3 in Q2
    # A monthly report inside one quarterly survey: the same survey on both sides measures no change.
    august = {r.key: r for r in roi.report(Period.parse("2026-08"), "store")}
    assert august["B1"].enps == Decimal("0.0") and august["B1"].enps_change is None


def test_roi_page_and_workbook_say_not_enough_answers_instead_of_an_enps(
    world, make_store, make_pulse, add_pulse_answers, client_as
):
    _two_pulses(world, make_store, make_pulse, add_pulse_answers)
    client = client_as("hr")
    page = client.get("/reports/roi?period=2026-Q3").get_data(as_text=True)
    assert page.count('data-test="enps-hidden"') == 2 and page.count('data-test="enps"') == 1
    assert "Summer (2026-Q3)" in page
    book = load_workbook(io.BytesIO(client.get("/reports/roi.xlsx?period=2026-Q3").data))
    sheet = book["roi"]
    header = [c.value for c in sheet[1]]
    rows = {
        row["key"]: row
        for row in (dict(zip(header, [c.value for c in r], strict=True)) for r in sheet.iter_rows(min_row=2))
    }
    assert (rows["A1"]["enps"], rows["A1"]["enps_change"]) == ("not enough answers", "not enough answers")
    assert rows["A2"]["enps"] == "not enough answers"
    assert (rows["B1"]["enps"], rows["B1"]["enps_change"]) == (0, -100)
