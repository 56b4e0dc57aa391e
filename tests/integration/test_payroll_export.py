"""Payroll exports: exact header keys, numeric amounts and date cells, the control sheet's hash, CSV with BOM and
`;`, neutralised text, identical rows on a second export, the export log, approved runs only, and benefits."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.extensions import db
from app.reports import payroll
from app.reports.models import PayrollExport
from tests.conftest import csrf_token, login

HEADER = [
    "payroll_id",
    "employee_number",
    "last_name",
    "first_name",
    "pay_code",
    "amount",
    "currency",
    "period_start",
    "period_end",
    "cost_center",
    "run_id",
]


def _export(runner, run_id: int, out: Path, *extra: str):
    result = runner.invoke(args=["payroll", "export", str(run_id), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output + result.stderr
    return result


def _rows_hash(rows: list[list[object]]) -> str:
    """The control hash computed independently: `;`, `.` decimals, ISO dates, `\\n`, no header, no BOM."""
    lines = []
    for row in rows:
        cells = []
        for value in row:
            if value is None:
                cells.append("")
            elif isinstance(value, datetime):
                cells.append(value.date().isoformat())
            elif isinstance(value, float | int) and not isinstance(value, bool):
                cells.append(f"{Decimal(str(value)):.2f}" if isinstance(value, float) else str(value))
            else:
                cells.append(str(value))
        lines.append(";".join(cells) + "\n")
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def test_xlsx_has_the_data_and_control_sheets(runner, paid_run, tmp_path: Path):
    out = tmp_path / "run.xlsx"
    _export(runner, paid_run.id, out, "--user", "pay@test.example")
    workbook = load_workbook(out)
    assert workbook.sheetnames == ["data", "control"]
    data = workbook["data"]
    rows = list(data.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    by_number = {r[1]: r for r in rows[1:]}
    assert set(by_number) == {"H1", "M1", "W1"}
    whole = by_number["W1"]
    assert (whole[2], whole[3], whole[4], whole[6]) == ("Whole", "Wanda", "PRIME_SATISF", "EUR")
    assert whole[5] == pytest.approx(290.63) and whole[10] == paid_run.id
    assert whole[7] == datetime(2026, 7, 1) and whole[8] == datetime(2026, 9, 30)
    cells = {c.column_letter: c for c in data[2]}
    assert cells["F"].data_type == "n" and cells["F"].number_format == "0.00"
    assert cells["H"].is_date and cells["I"].is_date
    assert cells["K"].data_type == "n"
    control = {row[0]: row[1] for row in workbook["control"].iter_rows(values_only=True)}
    assert control["rows"] == 3 and control["run_id"] == paid_run.id
    expected_total = sum(Decimal(str(r[5])) for r in rows[1:])
    assert Decimal(str(control["total"])).quantize(Decimal("0.01")) == expected_total
    assert control["sha256"] == _rows_hash([list(r) for r in rows[1:]])


def test_exporting_twice_gives_identical_rows_and_logs_each_export(runner, paid_run, tmp_path: Path):
    first, second = tmp_path / "1.xlsx", tmp_path / "2.xlsx"
    _export(runner, paid_run.id, first, "--user", "pay@test.example")
    _export(runner, paid_run.id, second)
    rows = [list(load_workbook(p)["data"].iter_rows(values_only=True)) for p in (first, second)]
    assert rows[0] == rows[1]
    logs = db.session.scalars(sa.select(PayrollExport).order_by(PayrollExport.id)).all()
    assert [log.exported_by for log in logs] == ["pay@test.example", logs[1].exported_by]
    assert logs[1].exported_by.startswith("cli:")
    assert logs[0].rows_sha256 == logs[1].rows_sha256 and logs[0].rows == 3
    assert logs[0].file_sha256 == hashlib.sha256(first.read_bytes()).hexdigest()
    db.session.refresh(paid_run)
    assert paid_run.status == "exported" and paid_run.exported_at is not None


def test_csv_is_utf8_with_bom_semicolons_and_decimal_commas(runner, paid_run, tmp_path: Path):
    out = tmp_path / "run.csv"
    _export(runner, paid_run.id, out, "--format", "csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == HEADER
    whole = next(r for r in rows[1:] if r[1] == "W1")
    assert whole[5] == "290,63" and whole[7] == "2026-07-01" and whole[10] == str(paid_run.id)
    dotted = tmp_path / "dots.csv"
    _export(runner, paid_run.id, dotted, "--format", "csv", "--decimal-separator", ".")
    assert ";290.63;" in dotted.read_text(encoding="utf-8-sig")
    # The control hash of the xlsx is that of these rows with `.` decimals and `\n` line ends.
    log = db.session.scalars(sa.select(PayrollExport).order_by(PayrollExport.id.desc())).first()
    body = dotted.read_bytes().decode("utf-8-sig").split("\r\n", 1)[1].replace("\r\n", "\n")
    assert hashlib.sha256(body.encode()).hexdigest() == log.rows_sha256


def test_a_name_starting_with_equals_is_neutralised_never_a_number(runner, paid_run, paid_world, tmp_path: Path):
    paid_world["whole"].last_name = '=HYPERLINK("http://x")'
    paid_world["hired"].first_name = "+33 6"
    db.session.commit()
    out, csv_out = tmp_path / "run.xlsx", tmp_path / "run.csv"
    _export(runner, paid_run.id, out)
    _export(runner, paid_run.id, csv_out, "--format", "csv")
    data = load_workbook(out)["data"]
    cells = {row[1].value: row for row in data.iter_rows(min_row=2)}
    assert cells["W1"][2].value == '\'=HYPERLINK("http://x")' and cells["W1"][2].data_type == "s"
    assert cells["H1"][3].value == "'+33 6"
    assert cells["W1"][5].data_type == "n"
    text = csv_out.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "'+33 6" in text


def test_a_run_that_is_not_approved_cannot_be_exported(runner, paid_world, tmp_path: Path, make_run):
    run = make_run("submitted")
    result = runner.invoke(args=["payroll", "export", str(run.id), "--out", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 1 and "only approved runs" in result.stderr
    assert not (tmp_path / "x.xlsx").exists()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PayrollExport)) == 0


def test_cli_checks_the_user(runner, paid_run, tmp_path: Path):
    result = runner.invoke(
        args=["payroll", "export", str(paid_run.id), "--out", str(tmp_path / "x.xlsx"), "--user", "whole@test.example"]
    )
    assert result.exit_code == 1 and "neither a payroll nor an HR user" in result.stderr


def test_payroll_user_exports_from_the_page_with_a_post(app, paid_run):
    client = app.test_client()
    login(client, "pay@test.example")
    page = client.get("/payroll")
    assert page.status_code == 200 and f"#{paid_run.id}" in page.get_data(as_text=True)
    token = csrf_token(client, "/payroll")
    response = client.post(
        f"/payroll/runs/{paid_run.id}/export", data={"fmt": "csv", "decimal_separator": ",", "csrf_token": token}
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "290,63" in response.data.decode("utf-8-sig")
    listed = client.get("/payroll").get_data(as_text=True)
    assert "pay@test.example" in listed and hashlib.sha256(response.data).hexdigest() in listed
    assert client.get(f"/payroll/runs/{paid_run.id}/export").status_code == 405  # no export on GET


def test_the_page_refuses_a_draft_with_409(app, paid_world, runner, make_run):
    run = make_run("draft")
    client = app.test_client()
    login(client, "hr1@test.example")
    token = csrf_token(client, "/payroll")
    response = client.post(
        f"/payroll/runs/{run.id}/export", data={"fmt": "xlsx", "decimal_separator": ",", "csrf_token": token}
    )
    assert response.status_code == 409


def test_benefits_export_uses_the_recognition_rows(runner, paid_world, monkeypatch, tmp_path: Path):
    from app.recognition import benefits

    rows = [
        benefits.BenefitRow(paid_world["whole"].id, "AVANTAGE_NATURE", Decimal("25.00"), "benefit", 1),
        benefits.BenefitRow(paid_world["whole"].id, "AVANTAGE_NATURE", Decimal("15.50"), "benefit", 2),
        benefits.BenefitRow(paid_world["hired"].id, "CONGE_RECOMPENSE", Decimal("0.00"), "day_off", 3),
    ]
    asked = []

    def fake(period):
        asked.append(str(period))
        return rows

    monkeypatch.setattr(benefits, "benefits_for_period", fake)
    out = tmp_path / "benefits.xlsx"
    result = runner.invoke(args=["payroll", "benefits", "--period", "2026-07", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert asked == ["2026-07"]
    workbook = load_workbook(out)
    data = list(workbook["data"].iter_rows(values_only=True))
    assert list(data[0]) == HEADER
    assert [(r[1], r[4], r[5], r[10]) for r in data[1:]] == [
        ("H1", "CONGE_RECOMPENSE", 0, None),
        ("W1", "AVANTAGE_NATURE", 40.5, None),
    ]
    assert data[1][7] == datetime(2026, 7, 1) and data[1][8] == datetime(2026, 7, 31)
    control = {row[0]: row[1] for row in workbook["control"].iter_rows(values_only=True)}
    assert control["rows"] == 2 and control["kind"] == "benefits" and control["period"] == "2026-07"
    log = db.session.scalar(sa.select(PayrollExport))
    assert (log.kind, log.period, log.run_id, log.rows) == ("benefits", "2026-07", None, 2)
    bad = runner.invoke(args=["payroll", "benefits", "--period", "July", "--out", str(out)])
    assert bad.exit_code == 1 and "period" in bad.stderr


def test_rows_are_sorted_and_sum_lines_and_adjustments(paid_world, runner, make_run):
    from app.incentives import runs

    run = make_run("draft")
    runs.adjust(run, "W1", "10.00", "late survey", runs.user_by_email("hr1@test.example"))
    db.session.commit()
    runs.submit(run, runs.user_by_email("hr1@test.example"))
    runs.approve(run, runs.user_by_email("hr2@test.example"))
    db.session.commit()
    file = payroll.run_file(run)
    assert [r.employee_number for r in file.rows] == ["H1", "M1", "W1"]
    assert file.rows[-1].amount == Decimal("300.63")
    assert file.rows[-1].period_start == date(2026, 7, 1)


def test_the_data_sheet_shows_dates_and_amounts_in_full_with_a_frozen_header_and_a_filter(
    runner, paid_run, paid_world, tmp_path: Path
):
    out = tmp_path / "run.xlsx"
    _export(runner, paid_run.id, out)
    data = load_workbook(out)["data"]
    assert data.freeze_panes == "A2"
    assert data.auto_filter.ref == "A1:K4"  # the header and the three employees' rows
    whole = payroll.run_file(paid_run).rows[-1]
    # A large negative amount (a correction taking money back) must show in full too.
    big = payroll.PayrollFile(
        "run", "2026-Q3", paid_run.id, (replace(whole, amount=Decimal("-1234567.89")), whole), corrects_run_id=1
    )
    wide = load_workbook(io.BytesIO(payroll.build_payroll_xlsx(big)))["data"]
    for sheet, amount in ((data, "290.63"), (wide, "-1234567.89")):
        widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDEFGHIJK"}
        assert widths["F"] >= len(amount) + 1  # 0.00 format: French Excel shows -1234567,89, as long
        assert widths["H"] >= len("2026-07-01") + 1 and widths["I"] >= len("2026-09-30") + 1
        assert widths["C"] >= len("last_name")
    assert wide.auto_filter.ref == "A1:K3"


def test_the_payroll_page_separates_runs_to_export_from_runs_already_paid(app, paid_run):
    client = app.test_client()
    login(client, "pay@test.example")
    card = client.get("/payroll").get_data(as_text=True).split(f'data-run="{paid_run.id}"')[1].split("</section>")[0]
    assert 'data-state="to-export"' in card and 'data-test="to-export"' in card
    assert 'data-test="already-paid"' not in card
    token = csrf_token(client, "/payroll")
    client.post(
        f"/payroll/runs/{paid_run.id}/export", data={"fmt": "xlsx", "decimal_separator": ",", "csrf_token": token}
    )
    page = client.get("/payroll").get_data(as_text=True)
    card = page.split(f'data-run="{paid_run.id}"')[1].split("</section>")[0]
    assert 'data-state="paid"' in card and 'data-test="already-paid"' in card
    assert 'data-test="nothing-to-export"' in page
