"""The statement data and its formatting, the SVG charts and the payroll rows, without the database."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from app.incentives import engine
from app.incentives.charts import curve_chart, curve_points, measured_marker
from app.incentives.engine import curve_from_dict
from app.incentives.scheme_format import read_document
from app.periods import Period
from app.reports import charts
from app.reports.payroll import PayrollFile, PayrollRow, build_payroll_csv, rows_csv
from app.reports.statements.data import AdjustmentView, EmployeeFacts, LineFacts, RunFacts, build_statement_data
from app.reports.statements.labels import Numbers

EXAMPLE = Path(__file__).parents[2] / "examples" / "schemes" / "store-nps-csat.json"
Q3 = Period.parse("2026-Q3")


def worked_lines() -> dict[str, engine.LineResult]:
    spec = read_document(json.loads(EXAMPLE.read_text(encoding="utf-8"))).spec(1)
    figures = {
        ("nps", "store", "S1", "2026-Q3"): engine.KpiFigure(Decimal("35.0"), 120, Decimal("14.2")),
        ("csat", "store", "S1", "2026-Q3"): engine.KpiFigure(Decimal("86.25"), 80, Decimal("7.55")),
    }
    people = [
        engine.EmployeeFacts(
            number,
            "sales_associate",
            Decimal(1),
            Decimal("30000"),
            hired,
            None,
            (engine.AssignmentFact("S1", "West", hired),),
        )
        for number, hired in (("W1", date(2020, 1, 1)), ("H1", date(2026, 8, 1)))
    ]
    return {line.employee_number: line for line in engine.compute_run(spec, Q3, people, figures).lines}


def statement(number: str, adjustments=()):
    line = worked_lines()[number]
    run = RunFacts(7, "approved", "STORE-NPS-CSAT", "Prime", 1, "", "PRIME", "2026-Q3", Q3.start, Q3.end)
    person = EmployeeFacts(3, number, "P3", "Ana", "Lopez", "fr")
    return build_statement_data(run, person, [LineFacts(11, "Lyon", engine.trace_to_dict(line))], adjustments)


def test_statement_data_is_read_back_from_the_stored_trace():
    data = statement("H1")
    (part,) = data.parts
    assert (part.presence_days, part.period_days, part.presence_start) == (61, 92, date(2026, 8, 1))
    assert part.amount == Decimal("192.70") and data.final_amount == Decimal("192.70")
    assert part.period_base == Decimal("7500") and part.target == Decimal("375")
    nps = part.components[0]
    assert (nps.kpi_name, nps.value, nps.n, nps.moe, nps.achievement) == (
        "NPS",
        Decimal("35.0"),
        120,
        Decimal("14.2"),
        Decimal("62.5"),
    )
    assert part.weighted_achievement == Decimal("77.5")
    assert sum(c.contribution for c in part.components) == part.weighted_achievement


def test_adjustments_add_to_the_final_amount():
    data = statement("W1", [AdjustmentView(Decimal("-0.63"), "rounding agreed")])
    assert data.lines_total == Decimal("290.63") and data.final_amount == Decimal("290.00")


def test_numbers_round_half_up_and_keep_printed_decimals():
    fr, en = Numbers("fr", "EUR"), Numbers("en", "EUR")
    assert fr.money(Decimal("290.625")).replace("\u202f", " ").replace("\u00a0", " ") == "290,63 €"
    assert en.money(Decimal("0.125")) == "€0.13"
    assert fr.printed(Decimal("35.0")) == "35,0"
    assert en.money_exact(Decimal("192.6970108")) == "€192.697"
    assert en.money_exact(Decimal("375")) == "€375.00"
    assert en.pct(Decimal("62.500")) == "62.5\u00a0%"


@pytest.mark.parametrize("direction", ["higher", "lower"])
def test_the_curve_chart_marks_the_store(direction):
    curve = {"kind": "steps", "steps": [["80", "50"], ["85", "100"], ["90", "120"]]}
    if direction == "lower":
        curve = {"kind": "steps", "steps": [["20", "50"], ["15", "100"], ["10", "120"]]}
    marker = measured_marker(Decimal("86.25"), "value", Decimal("78.70"), Decimal("93.80"))  # 86.25 ± 7.55
    svg = curve_chart(curve_from_dict(curve), direction, marker=marker, title="CSAT <b>")
    assert svg.startswith("<svg") and 'class="chart-marker"' in svg and "chart-interval" in svg
    assert "<b>" not in svg and "style=" not in svg


def test_curve_points_follow_the_engine():
    curve = {"kind": "linear", "threshold": "30", "floor": "50", "target": "50", "maximum": "70", "ceiling": "150"}
    points = dict(curve_points(curve_from_dict(curve), "higher", Decimal(0), Decimal(100)))
    assert points[Decimal(30)] == Decimal(50) and points[Decimal(50)] == Decimal(100)
    assert points[Decimal(100)] == Decimal(150) and points[Decimal(0)] == Decimal(0)


def test_histogram_bins_count_every_amount():
    bins = charts.histogram_bins([Decimal("0"), Decimal("10"), Decimal("290.63"), Decimal("290.63")], bins=3)
    assert sum(count for _a, _b, count in bins) == 4 and bins[-1][2] == 2


def row(last_name: str = "Lopez", amount: str = "290.63") -> PayrollRow:
    return PayrollRow("P1", "E1", last_name, "Ana", "PRIME", Decimal(amount), "EUR", Q3.start, Q3.end, "CC1", 7)


def test_control_hash_is_over_semicolon_rows_with_points_and_newlines():
    payroll = PayrollFile("run", "2026-Q3", 7, (row(), row("Martin", "-10.50")))
    text = (
        "P1;E1;Lopez;Ana;PRIME;290.63;EUR;2026-07-01;2026-09-30;CC1;7\n"
        "P1;E1;Martin;Ana;PRIME;-10.50;EUR;2026-07-01;2026-09-30;CC1;7\n"
    )
    assert rows_csv(payroll.rows) == text
    assert payroll.rows_sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert payroll.total == Decimal("280.13")


def test_csv_file_has_bom_header_and_decimal_commas():
    content = build_payroll_csv(PayrollFile("run", "2026-Q3", 7, (row(),)))
    assert content.startswith("\ufeffpayroll_id;employee_number;".encode())
    assert b";290,63;" in content and content.endswith(b"\r\n")
