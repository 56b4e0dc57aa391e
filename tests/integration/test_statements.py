"""Statements through the database: the worked example on the PDF (read back with pdftotext) and in Excel, the
stored copy of an approved run, a transfer on one statement, the logo fetcher, access, and the CLI.
"""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.core.models import Setting
from app.core.pdf import StaticOnlyFetcher
from app.extensions import db
from app.incentives import runs
from app.incentives.models import BonusRun
from app.reports.models import StatementDocument
from app.reports.statements import documents, sources
from app.reports.statements.html import build_statement_html
from app.reports.statements.pdf import build_statement_pdf
from tests.conftest import login

SPACES = re.compile(r"[\u00a0\u202f ]+")


def _client(app, email: str):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def test_the_pdf_shows_the_worked_example_in_french(paid_run, paid_world, pdf_text):
    statement = documents.obtain(paid_run, paid_world["whole"], "pdf")
    text = pdf_text(statement.content)
    for expected in (
        "290,63 €",
        "35,0",
        "± 14,2",
        "n = 120",
        "86,25 %",
        "n = 80",
        "62,5 %",
        "77,5 %",
        "7 500,00 €",
        "375,00 €",
        "30 000,00 €",
        "92/92",
        "290,625 €",
        f"#{paid_run.id}",
        "STORE-NPS-CSAT v1",
        "Wanda Whole",
    ):
        assert expected in text, expected
    assert "≥ 85 % → 100 %" in text  # the CSAT curve in words


def test_the_pdf_of_a_mid_quarter_hire_shows_61_of_92_days_in_english(paid_run, paid_world, pdf_text):
    text = pdf_text(documents.obtain(paid_run, paid_world["hired"], "pdf").content)
    for expected in ("€192.70", "61/92", "35.0", "± 14.2", "n = 120", "62.5 %", "August 1, 2026", "€192.697"):
        assert expected in text, expected


def test_the_pdf_draws_sparse_curves_beside_the_curve_in_words_and_the_page_full_ones(
    app, paid_run, paid_world, pdf_text
):
    data = sources.statement_for(paid_run, paid_world["whole"])
    document = build_statement_html(data)
    page = _client(app, "whole@test.example").get(f"/runs/{paid_run.id}/statement/{paid_world['whole'].id}")
    page = page.get_data(as_text=True)
    axis_title = re.compile(r'text-anchor="middle" font-size="11" fill="#667085">CSAT')
    assert document.count('class="chart chart-curve"') == page.count('class="chart chart-curve"') == 2
    assert axis_title.search(page) and not axis_title.search(document)
    assert "<text " not in document and page.count("<text ") > 10
    text = pdf_text(build_statement_pdf(data))
    for words in ("< 30 → 0 %", "30 → 50 %", "50 → 100 %", "70 → 150 %", "≥ 80 % → 50 %", "≥ 90 % → 120 %"):
        assert words in text, words


WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def _words(pdf: bytes) -> tuple[float, list[tuple[float, float, float, float, str]]]:
    """The first page's width and each word's box (x0, y0, x1, y1, text), as pdftotext places them."""
    xml = subprocess.run(["pdftotext", "-bbox", "-l", "1", "-", "-"], input=pdf, capture_output=True, check=True)
    text = xml.stdout.decode("utf-8")
    width = float(re.search(r'<page width="([\d.]+)"', text).group(1))
    return width, [(float(a), float(b), float(c), float(d), unescape(w)) for a, b, c, d, w in WORD.findall(text)]


@pytest.mark.parametrize(
    ("who", "headings", "points"),
    [
        ("whole", ("Taux", "d'atteinte", "Pondération", "Part"), ("plateau", "au-delà", "maximum")),
        ("hired", ("Achievement", "Weight", "Share"), ("flat", "beyond", "maximum")),
    ],
)
def test_the_pdf_kpi_table_keeps_its_headings_apart_and_the_curve_points_beside_the_curve(
    paid_run, paid_world, who, headings, points
):
    width, words = _words(build_statement_pdf(sources.statement_for(paid_run, paid_world[who])))
    [anchor] = [w for w in words if w[4] == headings[-2]][:1]  # "Pondération" / "Weight": the heading row
    row = sorted((w for w in words if w[4] in headings and abs(w[1] - anchor[1]) < 12), key=lambda w: w[0])
    assert {w[4] for w in row} == set(headings), row
    for left, right in zip(row, row[1:], strict=False):
        if abs(left[1] - right[1]) < 2:  # on the same line: side by side, not over each other
            assert left[2] <= right[0], (left, right)
    assert all(w[2] <= width - 30 for w in words), "a word runs into the page's right margin"
    first_point = next(w for w in words if w[4] == "<")  # "< 30 → 0 %", the NPS curve's first point
    sentence = [w for w in words if w[4] in points and first_point[1] < w[1] < first_point[1] + 80]
    assert len(sentence) == len(points) and all(w[0] >= first_point[0] - 0.5 for w in sentence), sentence


def test_a_transfer_gets_one_statement_with_each_store_part(paid_run, paid_world, pdf_text):
    data = sources.statement_for(paid_run, paid_world["mover"])
    assert [(p.store_code, p.presence_days) for p in data.parts] == [("S1", 47), ("S2", 45)]
    assert data.final_amount == sum(p.amount for p in data.parts)
    text = pdf_text(documents.obtain(paid_run, paid_world["mover"], "pdf").content)
    assert "Lyon Part-Dieu" in text and "Lyon Confluence" in text
    assert "47/92" in text and "45/92" in text
    assert text.count("Relevé de prime") + text.count("Bonus statement") == 1


def test_the_statement_comes_from_the_stored_trace_not_todays_data(
    paid_world, runner, add_month_responses, make_run, pdf_text
):
    run = make_run("submitted")
    whole = paid_world["whole"]
    whole.annual_base_salary = Decimal("99999.00")
    add_month_responses(paid_world["s1"], 8, [0] * 200, [1] * 200)  # a landslide of detractors after the run
    db.session.commit()
    text = pdf_text(documents.obtain(run, whole, "pdf").content)
    assert "290,63 €" in text and "30 000,00 €" in text and "35,0" in text
    assert "99 999" not in text


def test_the_excel_statement_has_real_numbers_percentages_and_dates(paid_run, paid_world):
    workbook = load_workbook(io.BytesIO(documents.obtain(paid_run, paid_world["hired"], "xlsx").content))
    assert len(workbook.worksheets) == 1
    ws = workbook.active
    rows = {row[0].value: row for row in ws.iter_rows() if row[0].value}
    paid = rows["Amount paid"][1]
    assert paid.data_type == "n" and Decimal(str(paid.value)) == Decimal("192.70") and paid.number_format == "#,##0.00"
    weighted = rows["Weighted achievement"][1]
    assert weighted.number_format == "0.00%" and Decimal(str(weighted.value)) == Decimal("0.775")
    start = rows["Present from"][1]
    assert start.is_date and start.value == datetime(2026, 8, 1)
    assert rows["Days present"][1].value == 61 and rows["Days in the period"][1].value == 92
    nps = rows["NPS"]
    assert Decimal(str(nps[3].value)) == Decimal("35.0") and nps[3].number_format == "0.0"
    assert nps[5].value == 120 and Decimal(str(nps[6].value)) == Decimal("14.2")
    assert nps[9].number_format == "0.00%" and Decimal(str(nps[9].value)) == Decimal("0.625")


def test_a_name_starting_with_equals_is_neutralised_in_the_excel_statement(paid_run, paid_world):
    hired = paid_world["hired"]
    hired.first_name = "=HYPERLINK(1)"
    db.session.commit()
    ws = load_workbook(io.BytesIO(documents.obtain(paid_run, hired, "xlsx").content)).active
    names = [row[1] for row in ws.iter_rows() if row[0].value == "Name"]
    assert names[0].value.startswith("'=HYPERLINK") and names[0].data_type == "s"


def test_an_approved_statement_is_stored_once_and_downloads_identically(app, paid_run, paid_world):
    client = _client(app, "whole@test.example")
    url = f"/runs/{paid_run.id}/statement/{paid_world['whole'].id}.pdf"
    first = client.get(url)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    second = client.get(url)
    assert second.data == first.data
    stored = db.session.scalars(
        sa.select(StatementDocument).where(StatementDocument.employee_id == paid_world["whole"].id)
    ).all()
    assert sorted(d.format for d in stored) == ["pdf", "xlsx"]
    pdf = next(d for d in stored if d.format == "pdf")
    assert pdf.content == first.data and first.headers["X-Content-SHA256"] == pdf.sha256
    import hashlib

    assert hashlib.sha256(first.data).hexdigest() == pdf.sha256
    # Years later, whatever changed, the same bytes come back.
    paid_world["whole"].last_name = "Renamed"
    db.session.commit()
    assert client.get(url).data == first.data


def test_an_external_logo_is_never_fetched(app, paid_run, paid_world, monkeypatch, pdf_text):
    import urllib.request

    import weasyprint.urls

    def no_network(*args, **kwargs):
        raise AssertionError("tried to fetch")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setattr(weasyprint.urls, "default_url_fetcher", no_network, raising=False)
    db.session.add(Setting(key="PRIMO_LOGO", value="https://logo.example.invalid/logo.png"))
    db.session.commit()
    data = sources.statement_for(paid_run, paid_world["whole"])
    assert data.logo == "https://logo.example.invalid/logo.png"
    fetcher = StaticOnlyFetcher()
    assert pdf_text(build_statement_pdf(data, fetcher)).count("290,63") >= 1
    assert fetcher.refused == ["https://logo.example.invalid/logo.png"]


def test_the_default_logo_comes_from_app_static(paid_run, paid_world):
    data = sources.statement_for(paid_run, paid_world["whole"])
    fetcher = StaticOnlyFetcher()
    build_statement_pdf(data, fetcher)
    assert data.logo == "logo.svg" and fetcher.refused == []
    outside = replace(data, logo="../../README.md")
    fetcher = StaticOnlyFetcher()
    build_statement_pdf(outside, fetcher)
    assert len(fetcher.refused) == 1


def test_employees_see_only_their_own_statement(app, paid_run, paid_world):
    client = _client(app, "whole@test.example")
    own = f"/runs/{paid_run.id}/statement/{paid_world['whole'].id}"
    assert client.get(own).status_code == 200
    for suffix in ("", ".pdf", ".xlsx"):
        assert client.get(f"/runs/{paid_run.id}/statement/{paid_world['hired'].id}{suffix}").status_code == 404
    assert client.get(f"/runs/{paid_run.id + 99}/statement/{paid_world['whole'].id}").status_code == 404


def test_by_default_managers_read_no_statement_of_their_team(app, paid_run, paid_world):
    boss = _client(app, "boss@test.example")
    for suffix in ("", ".pdf", ".xlsx"):
        assert boss.get(f"/runs/{paid_run.id}/statement/{paid_world['mover'].id}{suffix}").status_code == 404
    assert boss.get(f"/runs/{paid_run.id}/statements").status_code == 404


def test_managers_see_their_teams_statements_when_the_company_allows_hr_and_payroll_all(
    app, paid_run, paid_world, company_settings
):
    company_settings(managers_read_statements=True)
    boss = _client(app, "boss@test.example")
    assert boss.get(f"/runs/{paid_run.id}/statement/{paid_world['mover'].id}").status_code == 200  # part in S2
    assert boss.get(f"/runs/{paid_run.id}/statement/{paid_world['whole'].id}").status_code == 404
    for email in ("hr1@test.example", "pay@test.example"):
        client = _client(app, email)
        page = client.get(f"/runs/{paid_run.id}/statement/{paid_world['whole'].id}")
        assert page.status_code == 200
        assert "290,63" in SPACES.sub(" ", page.get_data(as_text=True))


def test_a_draft_is_seen_by_hr_only(app, paid_world, runner, make_run):
    run = make_run("draft")
    assert (
        _client(app, "whole@test.example").get(f"/runs/{run.id}/statement/{paid_world['whole'].id}").status_code == 404
    )
    assert _client(app, "pay@test.example").get(f"/runs/{run.id}/statement/{paid_world['whole'].id}").status_code == 404
    hr = _client(app, "hr1@test.example")
    assert hr.get(f"/runs/{run.id}/statement/{paid_world['whole'].id}.pdf").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatementDocument)) == 0


def test_my_statements_lists_approved_runs(app, paid_run, paid_world):
    page = _client(app, "whole@test.example").get("/my/statements").get_data(as_text=True)
    assert f"/runs/{paid_run.id}/statement/{paid_world['whole'].id}" in page


def test_the_page_shows_the_figures_and_links_the_downloads(app, paid_run, paid_world):
    page = _client(app, "hired@test.example").get(f"/runs/{paid_run.id}/statement/{paid_world['hired'].id}")
    html = SPACES.sub(" ", unescape(page.get_data(as_text=True)))
    assert "€192.70" in html and "61/92" in html and "± 14.2" in html
    assert 'style="' not in html and "<script>" not in html and "onclick" not in html
    assert f"/runs/{paid_run.id}/statement/{paid_world['hired'].id}.pdf" in html


def test_cli_renders_one_statement(runner, paid_run, paid_world, tmp_path: Path, pdf_text):
    out = tmp_path / "w1.pdf"
    result = runner.invoke(
        args=["statements", "render", str(paid_run.id), "--employee", "W1", "--format", "pdf", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "290,63 €" in pdf_text(out.read_bytes())
    xlsx = tmp_path / "w1.xlsx"
    result = runner.invoke(
        args=["statements", "render", str(paid_run.id), "--employee", "W1", "--format", "xlsx", "--out", str(xlsx)]
    )
    assert result.exit_code == 0
    assert load_workbook(xlsx).active.title


def test_cli_refuses_an_unknown_employee_or_run(runner, paid_run, tmp_path: Path):
    result = runner.invoke(args=["statements", "render", str(paid_run.id), "--employee", "ZZ", "--out", "x.pdf"])
    assert result.exit_code == 1 and "no employee ZZ" in result.stderr
    result = runner.invoke(args=["statements", "render", "999", "--employee", "W1", "--out", "x.pdf"])
    assert result.exit_code == 1 and "no run 999" in result.stderr


def test_recognition_of_the_period_is_on_the_statement(paid_run, paid_world, pdf_text):
    from app.recognition.models import Badge, BadgeGrant, PointsEntry

    whole = paid_world["whole"]
    badge = Badge(code="HERO", name="Héros du NPS", icon="star.svg")
    db.session.add(badge)
    db.session.add(PointsEntry(employee_id=whole.id, kind="earn", points=120, on_date=date(2026, 8, 3)))
    db.session.add(PointsEntry(employee_id=whole.id, kind="earn", points=30, on_date=date(2026, 5, 3)))
    db.session.add(PointsEntry(employee_id=whole.id, kind="earn", points=500, on_date=date(2026, 11, 3)))
    db.session.flush()
    db.session.add(BadgeGrant(badge_id=badge.id, employee_id=whole.id, granted_on=date(2026, 9, 1)))
    db.session.commit()
    data = sources.statement_for(paid_run, whole)
    assert (data.recognition.points, data.recognition.balance) == (120, 150)
    assert [b.name for b in data.recognition.badges] == ["Héros du NPS"]
    text = pdf_text(build_statement_pdf(data))
    assert "Héros du NPS" in text and "120" in text and "150" in text


def shown_length(value: object, number_format: str) -> int:
    """How many characters Excel shows for a cell, worked out here on its own (dates ISO, amounts with grouping)."""
    if isinstance(value, datetime):
        return len(number_format)  # yyyy-mm-dd or yyyy-mm-dd hh:mm
    places = (
        number_format.split(".")[1].count("0") + number_format.split(".")[1].count("#") if "." in number_format else 0
    )
    number = Decimal(str(value)) * (100 if number_format.endswith("%") else 1)
    text = f"{number:{',' if ',' in number_format else ''}.{places}f}"
    return len(text) + number_format.endswith("%")


def test_the_excel_statement_shows_dates_and_amounts_in_full_freezes_its_title_and_filters_its_kpis(
    paid_run, paid_world
):
    ws = load_workbook(io.BytesIO(documents.obtain(paid_run, paid_world["mover"], "xlsx").content)).active
    assert ws.freeze_panes == "B2"  # the title row and the label column stay in view
    header = next(row[0].row for row in ws.iter_rows() if row[0].value == "KPI")
    assert ws.auto_filter.ref == f"A{header}:O{header + 4}"  # NPS and CSAT in each of the two stores
    assert [ws.cell(row=header + i, column=14).value for i in range(1, 5)] == ["S1", "S1", "S2", "S2"]
    checked = 0
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "n" and cell.value is not None or cell.is_date:
                width = ws.column_dimensions[cell.column_letter].width
                assert width >= shown_length(cell.value, cell.number_format) + 1, (cell.coordinate, cell.value)
                checked += 1
    assert checked > 40


def make_corrective_run(runner, reason: str) -> BonusRun:
    created = runner.invoke(
        args=["runs", "create", "--scheme", "STORE-NPS-CSAT", "--period", "2026-Q3", "--corrective-reason", reason]
    )
    assert created.exit_code == 0, created.stderr
    run = db.session.get(BonusRun, int(created.output.strip().splitlines()[-1]))
    runs.compute(run)
    db.session.commit()
    runs.submit(run, runs.user_by_email("hr1@test.example"))
    runs.approve(run, runs.user_by_email("hr2@test.example"))
    db.session.commit()
    return run


def test_a_corrective_statement_shows_already_paid_now_due_and_the_difference(
    app, paid_run, paid_world, runner, pdf_text
):
    paid_world["whole"].annual_base_salary = Decimal("36000.00")
    db.session.commit()
    run = make_corrective_run(runner, "salaire de base corrigé à 36 000 €")
    text = pdf_text(documents.obtain(run, paid_world["whole"], "pdf").content)
    for expected in (
        "Dû désormais pour T3 2026 348,75 €",
        f"Déjà versé pour T3 2026 (campagne #{paid_run.id}) -290,63 €",
        "Différence versée par cette campagne +58,12 €",
        "recalculée pour le motif suivant : salaire de base corrigé à 36 000 €",
        f"corrige la campagne n° {paid_run.id}",
        "9 000,00 €",  # the period base the difference comes from
    ):
        assert expected in text, expected
    ws = load_workbook(io.BytesIO(documents.obtain(run, paid_world["whole"], "xlsx").content)).active
    rows = {row[0].value: row for row in ws.iter_rows() if row[0].value}
    assert Decimal(str(rows["Dû désormais pour la période"][1].value)) == Decimal("348.75")
    assert Decimal(str(rows["Déjà versé pour la période"][1].value)) == Decimal("-290.63")
    assert Decimal(str(rows["Différence versée par cette campagne"][1].value)) == Decimal("58.12")
    assert rows["Campagne corrective de la campagne"][1].value == paid_run.id
    # Only W1 changed: nobody else gets a statement from the corrective run.
    assert sources.run_employee_ids(run) == [paid_world["whole"].id]
    my_bonus = _client(app, "whole@test.example").get("/my/bonus").get_data(as_text=True)
    correction = SPACES.sub(" ", my_bonus).split('data-test="correction"')[1].split("</p>")[0]
    assert "Déjà versé 290,63 €, dû désormais 348,75 €" in correction


def test_downloads_of_an_employee_number_in_cyrillic_carry_its_name(app, paid_run, paid_world):
    whole = paid_world["whole"]
    whole.number = "Ж-1"
    db.session.commit()
    hr = _client(app, "hr1@test.example")
    for fmt in ("pdf", "xlsx"):
        response = hr.get(f"/runs/{paid_run.id}/statement/{whole.id}.{fmt}")
        assert response.status_code == 200
        disposition = response.headers["Content-Disposition"]
        disposition.encode("latin-1")  # what a WSGI server (gunicorn) sends; "Ж" raised there, a 500
        assert disposition == (
            f'attachment; filename="statement-{paid_run.id}-_-1.{fmt}"; '
            f"filename*=UTF-8''statement-{paid_run.id}-%D0%96-1.{fmt}"
        )
    content = documents.bulk_statements(paid_run, "zip")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert f"S1/statement-{paid_run.id}-Ж-1.pdf" in archive.namelist()
        assert archive.getinfo(f"S1/statement-{paid_run.id}-Ж-1.pdf").flag_bits & 0x800  # names in UTF-8


def test_a_file_name_never_carries_quotes_or_path_separators(app, paid_run, paid_world):
    whole = paid_world["whole"]
    whole.number = 'W"1/../x;y'
    db.session.commit()
    response = _client(app, "hr1@test.example").get(f"/runs/{paid_run.id}/statement/{whole.id}.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="statement-{paid_run.id}-W_1_.._x;y.pdf"'


def _sheet_text(content: bytes) -> str:
    sheet = load_workbook(io.BytesIO(content)).active
    return "\n".join(" | ".join(str(c) for c in row if c is not None) for row in sheet.iter_rows(values_only=True))


def test_a_french_employees_statement_read_by_an_english_hr_user_is_in_french(app, paid_run, paid_world, pdf_text):
    hr = _client(app, "hr1@test.example")  # no language of their own: pages in English
    assert "Log out" in hr.get("/").get_data(as_text=True)
    page = SPACES.sub(
        " ", unescape(hr.get(f"/runs/{paid_run.id}/statement/{paid_world['whole'].id}").get_data(as_text=True))
    )
    for french in ("(approuvée)", "période T3 2026", "Conseiller de vente", "Prime versée pour T3 2026"):
        assert french in page, french
    assert "(approved)" not in page and "sales_associate" not in page
    pdf = pdf_text(hr.get(f"/runs/{paid_run.id}/statement/{paid_world['whole'].id}.pdf").data)
    assert "(approuvée)" in pdf and "T3 2026" in pdf
    sheet = _sheet_text(hr.get(f"/runs/{paid_run.id}/statement/{paid_world['whole'].id}.xlsx").data)
    for french in ("Statut de la campagne | approuvée", "Période | T3 2026", "magasin S1", "valeur de la période"):
        assert french in sheet, french
    assert "approved" not in sheet and "store S1" not in sheet


def test_an_english_employees_statement_read_by_a_french_user_is_in_english(app, paid_run, paid_world):
    hr = paid_world["users"]["hr1"]
    hr.language = "fr"
    db.session.commit()
    client = _client(app, hr.email)
    assert "Se déconnecter" in client.get("/").get_data(as_text=True)
    page = SPACES.sub(
        " ", unescape(client.get(f"/runs/{paid_run.id}/statement/{paid_world['hired'].id}").get_data(as_text=True))
    )
    for english in ("(approved)", "period Q3 2026", "Sales associate", "Bonus paid for Q3 2026"):
        assert english in page, english
    sheet = _sheet_text(client.get(f"/runs/{paid_run.id}/statement/{paid_world['hired'].id}.xlsx").data)
    assert "Run status | approved" in sheet and "store S1" in sheet and "value of the period" in sheet


def test_the_command_line_renders_a_french_employees_statement_in_french(
    runner, paid_world, tmp_path: Path, make_run, pdf_text
):
    run = make_run("submitted")  # not stored: rendered now, outside any request
    out = tmp_path / "w1.pdf"
    result = runner.invoke(
        args=["statements", "render", str(run.id), "--employee", "W1", "--format", "pdf", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = pdf_text(out.read_bytes())
    assert "(soumise)" in text and "T3 2026" in text and "Conseiller de vente" in text


def test_the_stored_copy_of_record_is_in_the_employees_language(app, paid_run, paid_world, pdf_text):
    from app.reports import jobs

    job = jobs.queue_statements_for(paid_run)
    db.session.commit()
    jobs.run_job(job.id)  # what the queue worker does: no request, no reader
    whole = documents.stored(paid_run.id, paid_world["whole"].id, "pdf")
    hired = documents.stored(paid_run.id, paid_world["hired"].id, "pdf")
    assert (whole.language, hired.language) == ("fr", "en")
    assert "(approuvée)" in pdf_text(whole.content) and "(approved)" in pdf_text(hired.content)


def test_the_runs_that_pay_an_employee_add_their_lines_and_adjustments_to_the_cent(app, paid_world, make_run):
    run = make_run("draft")
    employee_id = paid_world["whole"].id
    lines = sum((line.amount for line in run.lines if line.employee_id == employee_id), Decimal(0))
    runs.adjust(run, "W1", "12.35", "Missed day restored", runs.user_by_email("hr1@test.example"))
    runs.adjust(run, "W1", "-0.10", "Rounding agreed with payroll", runs.user_by_email("hr1@test.example"))
    db.session.commit()
    assert sources.paid_runs_of(employee_id) == []  # a draft pays nobody yet
    runs.submit(run, runs.user_by_email("hr1@test.example"))
    runs.approve(run, runs.user_by_email("hr2@test.example"))
    db.session.commit()
    [(paid, amount)] = sources.paid_runs_of(employee_id, limit=1)
    assert paid.id == run.id and paid.version.name
    assert amount == lines + Decimal("12.25") and amount.as_tuple().exponent == -2
