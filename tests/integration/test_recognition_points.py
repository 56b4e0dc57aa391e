"""The points ledger in the database: balances as of any date, the expiry job, leavers, imports, notices, tiers."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.core import clock
from app.extensions import db
from app.periods import month_add
from app.recognition.ledger import expiry_date
from app.recognition.models import AppendOnlyError, PointsEntry

pytestmark = pytest.mark.usefixtures("english")  # these tests read English messages


def balance_json(runner, employee, as_of: date | None = None) -> dict:
    args = ["points", "balance", employee.number, "--json"]
    if as_of is not None:
        args += ["--as-of", as_of.isoformat()]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_balance_json_has_the_documented_shape(runner, world, credit):
    earned = clock.today() - timedelta(days=300)
    credit(world["employee"], 120, earned)
    assert balance_json(runner, world["employee"]) == {
        "balance": 120,
        "held": 0,
        "lifetime": 120,
        "tier": None,
        "expiring": [{"points": 120, "date": expiry_date(earned).isoformat()}],
    }


def test_balance_as_of_any_date_is_right_whether_or_not_the_expiry_job_ran(runner, world, credit, entries):
    earned = month_add(clock.today(), -13)
    gone = expiry_date(earned)  # a month ago
    credit(world["employee"], 120, earned)
    credit(world["employee"], 30, clock.today() - timedelta(days=10))
    before = balance_json(runner, world["employee"], gone - timedelta(days=1))
    after = balance_json(runner, world["employee"], gone)
    assert (before["balance"], after["balance"]) == (120, 0)
    assert balance_json(runner, world["employee"])["balance"] == 30

    result = runner.invoke(args=["points", "expire"])
    assert result.exit_code == 0, result.output
    assert "120 points expired in 1 entries for 1 employees" in result.output
    expired = [e for e in entries(world["employee"]) if e.kind == "expire"]
    assert [(e.points, e.on_date, e.batch_id) for e in expired] == [(-120, gone, expired[0].batch_id)]
    assert balance_json(runner, world["employee"], gone - timedelta(days=1))["balance"] == 120
    assert balance_json(runner, world["employee"], gone)["balance"] == 0
    assert balance_json(runner, world["employee"])["lifetime"] == 150

    again = runner.invoke(args=["points", "expire"])
    assert again.exit_code == 0 and "0 points expired in 0 entries" in again.output
    assert len([e for e in entries(world["employee"]) if e.kind == "expire"]) == 1


def test_expire_as_of_a_past_date_writes_only_what_was_due_then(runner, world, credit, entries):
    first = month_add(clock.today(), -14)
    second = month_add(clock.today(), -13)
    credit(world["employee"], 40, first)
    credit(world["employee"], 60, second)
    result = runner.invoke(args=["points", "expire", "--as-of", expiry_date(first).isoformat()])
    assert result.exit_code == 0, result.output
    assert [(e.points, e.on_date) for e in entries(world["employee"]) if e.kind == "expire"] == [
        (-40, expiry_date(first))
    ]
    runner.invoke(args=["points", "expire"])
    assert [(e.points, e.on_date) for e in entries(world["employee"]) if e.kind == "expire"] == [
        (-40, expiry_date(first)),
        (-60, expiry_date(second)),
    ]


def test_expire_refuses_a_day_to_come_and_a_bad_date(runner, world):
    result = runner.invoke(args=["points", "expire", "--as-of", (clock.today() + timedelta(days=1)).isoformat()])
    assert result.exit_code == 1 and "has not come yet" in result.output
    result = runner.invoke(args=["points", "expire", "--as-of", "2026-13-01"])
    assert result.exit_code == 1 and "not a date" in result.output


def test_a_leaver_forfeits_at_the_exit_date_by_default(runner, world, credit, entries):
    leaver = world["employee"]
    credit(leaver, 200, clock.today() - timedelta(days=100))
    leaver.exit_date = clock.today() - timedelta(days=10)
    db.session.commit()
    assert balance_json(runner, leaver, leaver.exit_date - timedelta(days=1))["balance"] == 200
    assert balance_json(runner, leaver)["balance"] == 0  # even before the job ran

    assert runner.invoke(args=["points", "expire"]).exit_code == 0
    forfeits = [(e.points, e.on_date, e.note) for e in entries(leaver) if e.kind == "expire"]
    assert forfeits == [(-200, leaver.exit_date, "forfeited on leaving")]
    assert runner.invoke(args=["points", "expire"]).output.startswith("0 points expired")


def test_a_leaver_keeps_the_points_until_they_expire_when_the_policy_says_so(
    runner, world, credit, entries, set_settings
):
    set_settings(leaver_policy="keep")
    leaver = world["employee"]
    earned = clock.today() - timedelta(days=100)
    credit(leaver, 200, earned)
    leaver.exit_date = clock.today() - timedelta(days=10)
    db.session.commit()
    assert balance_json(runner, leaver)["balance"] == 200
    runner.invoke(args=["points", "expire"])
    assert [e for e in entries(leaver) if e.kind == "expire"] == []
    assert balance_json(runner, leaver, expiry_date(earned))["balance"] == 0


def test_tiers_follow_lifetime_points_with_configurable_thresholds(runner, world, credit, set_settings):
    credit(world["employee"], 600, clock.today() - timedelta(days=5))
    assert balance_json(runner, world["employee"])["tier"] == "bronze"
    set_settings(tiers={"bronze": 100, "silver": 550, "gold": 1000})
    assert balance_json(runner, world["employee"])["tier"] == "silver"


def test_ledger_rows_cannot_be_changed_or_deleted(world, balance, credit):
    entry = credit(world["employee"], 10, clock.today())
    entry.points = 20
    try:
        db.session.flush()
    except AppendOnlyError:
        db.session.rollback()
    else:  # pragma: no cover
        raise AssertionError("an update went through")
    db.session.delete(db.session.get(PointsEntry, entry.id))
    try:
        db.session.flush()
    except AppendOnlyError:
        db.session.rollback()
    else:  # pragma: no cover
        raise AssertionError("a delete went through")
    assert balance(world["employee"]) == 10


# --- opening balances -----------------------------------------------------------------------------------------------


def test_opening_balances_import_once_even_when_the_file_comes_twice(runner, world, tmp_path, balance, entries):
    old = month_add(clock.today(), -2)
    path = tmp_path / "opening.csv"
    path.write_text(
        "employee_number,points,earned_on,reason\n"
        f"{world['employee'].number},250,{old.isoformat()},Balance from the old system\n"
        f"{world['employee'].number},250,{old.isoformat()},Balance from the old system\n"
        f"{world['stranger'].number},80,{clock.today().isoformat()},Balance from the old system\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["points", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 rows imported (580 points), 0 already imported" in result.output
    again = runner.invoke(args=["points", "import", str(path)])
    assert again.exit_code == 0 and "0 rows imported (0 points), 3 already imported" in again.output
    assert balance(world["employee"]) == 500
    assert [(e.kind, e.on_date, e.note) for e in entries(world["employee"])] == [
        ("earn", old, "Balance from the old system")
    ] * 2


def test_an_opening_balance_file_with_a_bad_row_imports_nothing(runner, world, tmp_path):
    path = tmp_path / "bad.csv"
    future = (clock.today() + timedelta(days=3)).isoformat()
    path.write_text(
        "employee_number,points,earned_on,reason\n"
        f"{world['employee'].number},100,2026-01-05,Good row\n"
        "N9999,100,2026-01-05,Unknown person\n"
        f"{world['employee'].number},-5,2026-01-05,Negative\n"
        f"{world['employee'].number},12.5,2026-01-05,Decimal\n"
        f"{world['employee'].number},10,05.01.2026,Bad date\n"
        f"{world['employee'].number},10,{future},Future\n"
        f"{world['employee'].number},10,2026-01-05,\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["points", "import", str(path)])
    assert result.exit_code == 1
    for expected in (
        "row 3, employee_number: no employee 'N9999'",
        "row 4, points: '-5' is not a positive whole number",
        "row 5, points: '12.5' is not a positive whole number",
        "row 6, earned_on: '05.01.2026' is not a date",
        "row 7, earned_on:",
        "is in the future",
        "row 8, reason: empty",
    ):
        assert expected in result.output, (expected, result.output)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PointsEntry)) == 0
    missing = tmp_path / "missing.csv"
    missing.write_text("employee_number,points\nN0001,5\n", encoding="utf-8")
    result = runner.invoke(args=["points", "import", str(missing)])
    assert result.exit_code == 1 and "earned_on: column missing" in result.output


# --- notices --------------------------------------------------------------------------------------------------------


def test_employees_see_a_notice_30_days_before_points_expire(client_as, world, credit):
    soon = month_add(clock.today() + timedelta(days=20), -12)
    later = month_add(clock.today() + timedelta(days=45), -12)
    credit(world["employee"], 70, soon)
    credit(world["employee"], 90, later)
    page = client_as("employee").get("/recognition/").get_data(as_text=True)
    notice = page.split('data-test="expiry-notice"', 1)[1].split("</div>", 1)[0]
    assert "70 points expire" in notice
    assert "90 points" not in notice
    assert 'data-test="balance">160<' in page


def test_no_notice_when_nothing_expires_within_30_days(client_as, world, credit):
    credit(world["employee"], 90, month_add(clock.today() + timedelta(days=45), -12))
    page = client_as("employee").get("/recognition/").get_data(as_text=True)
    assert 'data-test="expiry-notice"' not in page
