"""An employee opens their intéressement sheet and downloads it as PDF (headless Chromium)."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser
SPACES = re.compile(r"[\u00a0\u202f ]+")


def test_an_employee_reads_their_intéressement_sheet(live_server, interessement_run, page, console_errors, tmp_path):
    run_id = interessement_run("approved")
    log_in(page, live_server, "chloe@test.example")
    page.goto(f"{live_server}/my/statements")
    with page.expect_navigation():
        page.click('[data-test="open-statement"]')
    assert re.search(rf"/runs/{run_id}/statement/\d+$", page.url)
    assert "individual information sheet" in page.locator("h1").first.inner_text()
    assert "Intéressement trimestriel à la satisfaction client" in page.locator(".st-sub").inner_text()
    share = page.locator('[data-test="share"]')
    assert "Lille Europe" in share.inner_text() and "n = 150" in SPACES.sub(" ", share.inner_text())
    assert SPACES.sub(" ", page.locator('[data-test="formula-amount"]').inner_text()) == "€2,000.00"
    assert page.locator('[data-test="subpools"] tbody tr').count() == 3
    assert SPACES.sub(" ", page.locator('[data-test="cap"]').inner_text()) == "€9,085.31"
    assert SPACES.sub(" ", page.locator('[data-test="redistributed"]').inner_text()) == "+€33.3084"
    assert SPACES.sub(" ", page.locator('[data-test="final-amount"]').inner_text()) == "€900.17"
    with page.expect_download() as download_info:
        page.click('[data-test="download-pdf"]')
    saved = tmp_path / "sheet.pdf"
    download_info.value.save_as(saved)
    text = subprocess.run(["pdftotext", "-layout", str(saved), "-"], capture_output=True, check=True).stdout.decode()
    assert "€900.17" in SPACES.sub(" ", text) and "€65.86" in SPACES.sub(" ", text)
    assert console_errors == []
