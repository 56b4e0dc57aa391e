"""An employee opens and downloads their statement; a payroll user exports the approved run (headless Chromium)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def _text(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout.decode()
    return re.sub(r"[\u00a0\u202f ]+", " ", out)


def test_employee_opens_and_downloads_their_statement(live_server, paid_run, page, console_errors, tmp_path):
    log_in(page, live_server, "whole@test.example")
    page.goto(f"{live_server}/my/statements")
    with page.expect_navigation():
        page.click('[data-test="open-statement"]')
    assert re.search(rf"/runs/{paid_run.id}/statement/\d+$", page.url)
    final = page.locator('[data-test="final-amount"]').inner_text()
    assert re.sub(r"[\u00a0\u202f ]+", " ", final) == "290,63 €"
    assert page.locator("svg.chart-curve").count() == 2
    with page.expect_download() as download_info:
        page.click('[data-test="download-pdf"]')
    saved = tmp_path / "statement.pdf"
    download_info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    assert "290,63 €" in _text(saved) and "± 14,2" in _text(saved)
    assert console_errors == []


def test_payroll_user_exports_the_run(live_server, paid_run, page, console_errors, tmp_path):
    log_in(page, live_server, "pay@test.example")
    page.goto(f"{live_server}/payroll")
    form = page.locator(f'[data-run="{paid_run.id}"] [data-test="export-form"]')
    form.locator("select[name=fmt]").select_option("xlsx")
    with page.expect_download() as download_info:
        form.locator('[data-test="export-run"]').click()
    saved = tmp_path / "payroll.xlsx"
    download_info.value.save_as(saved)
    workbook = load_workbook(saved)
    assert workbook.sheetnames == ["data", "control"]
    rows = list(workbook["data"].iter_rows(values_only=True))
    assert rows[0][:3] == ("payroll_id", "employee_number", "last_name") and len(rows) == 4
    page.goto(f"{live_server}/payroll")
    assert page.locator(f'[data-run="{paid_run.id}"] [data-test="export-row"]').count() == 1
    # Exported once: the run now sits with the runs already paid, and says so.
    assert page.locator(f'[data-run="{paid_run.id}"][data-state="paid"] [data-test="already-paid"]').is_visible()
    assert console_errors == []
