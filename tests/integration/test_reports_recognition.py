"""The recognition box of a statement shows the balance `flask points balance` would give, leavers included."""

from __future__ import annotations

import json
from datetime import date

from app.extensions import db
from app.reports.recognition import recognition_for


def test_a_leavers_forfeited_points_are_not_on_their_statement(runner, world, tmp_path):
    employee = world["employee"]
    opening = tmp_path / "opening.csv"
    opening.write_text(f"employee_number,points,earned_on,reason\n{employee.number},300,2026-01-15,opening\n")
    assert runner.invoke(args=["points", "import", str(opening)]).exit_code == 0
    assert recognition_for(employee.id, date(2026, 1, 1), date(2026, 3, 31)).balance == 300
    employee.exit_date = date(2026, 2, 28)
    db.session.commit()
    after_exit = recognition_for(employee.id, date(2026, 1, 1), date(2026, 3, 31))
    cli = json.loads(
        runner.invoke(args=["points", "balance", employee.number, "--as-of", "2026-03-31", "--json"]).output
    )
    assert after_exit.balance == cli["balance"] == 0
