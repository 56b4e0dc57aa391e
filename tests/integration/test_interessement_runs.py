"""Intéressement through the existing run flow: compute, four eyes, payroll export on its own pay code, the sheet."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import load_workbook

from app.extensions import db
from app.incentives.models import GrossPay, SchemeVersion
from tests.conftest import INTERESSEMENT_SCHEME, csrf_token, login

EXPECTED = {"E01": "560.64", "E02": "439.36", "E04": "900.17", "E05": "803.57", "E06": "296.26", "E07": "0.00"}


def show(runner, run_id: int) -> dict:
    result = runner.invoke(args=["runs", "show", str(run_id), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_second_worked_example_runs_to_the_cent(runner, interessement_run):
    data = show(runner, interessement_run("draft"))
    amounts = {line["employee_number"]: line["amount"] for line in data["lines"]}
    assert amounts == EXPECTED
    assert data["total"] == "3000.00"
    leaver = next(line for line in data["lines"] if line["employee_number"] == "E06")
    # The keys of a bonus line stay; intéressement adds its sub-pools.
    assert {"id", "employee_number", "store_code", "amount", "objectives_late", "trace"} <= set(leaver)
    assert [s["basis"] for s in leaver["subpools"]] == ["equal", "salary", "presence"]
    assert leaver["subpools"][0] == {
        "basis": "equal",
        "share": "50",
        "pool_amount": "1000.00",
        "basis_total": "3",
        "employee_base": "1",
        "employee_part": "333.33",
    }
    assert leaver["trace"]["capped"] is True and leaver["trace"]["cap"] == "296.26"
    nps = leaver["trace"]["pool"]["components"][0]
    assert (nps["value"], nps["n"], nps["achievement"]) == ("60.0", 150, "125.0")
    assert not leaver["objectives_late"]


def test_four_eyes_then_payroll_on_the_intéressement_pay_code(runner, interessement_run, tmp_path):
    run_id = interessement_run("submitted")
    refused = runner.invoke(args=["runs", "approve", str(run_id), "--user", "hr1@test.example"])
    assert refused.exit_code == 1 and "submitted this run" in refused.stderr
    assert runner.invoke(args=["runs", "approve", str(run_id), "--user", "hr2@test.example"]).exit_code == 0
    out = tmp_path / "pay.csv"
    exported = runner.invoke(args=["payroll", "export", str(run_id), "--format", "csv", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert {r["pay_code"] for r in rows} == {"INTERESSEMENT"}
    assert {r["employee_number"]: r["amount"].replace(",", ".") for r in rows} == {
        k: v for k, v in EXPECTED.items() if v != "0.00"
    }
    assert show(runner, run_id)["status"] == "exported"


def test_a_scheme_without_a_pay_code_is_paid_on_the_company_setting(runner, interessement_world, tmp_path):
    assert runner.invoke(args=["interessement", "settings", "--pay-code", "PRIME_INTER"]).exit_code == 0
    data = json.loads(INTERESSEMENT_SCHEME.read_text(encoding="utf-8"))
    data.update(code="INT-NOCODE", pay_code="")
    path = tmp_path / "scheme.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert runner.invoke(args=["schemes", "import", str(path)]).exit_code == 0
    codes = db.session.scalars(sa.select(SchemeVersion.pay_code).order_by(SchemeVersion.id)).all()
    assert codes == ["INTERESSEMENT", "PRIME_INTER"]


def test_a_run_without_everyone_s_gross_pay_is_refused_naming_them(runner, interessement_world):
    db.session.execute(sa.delete(GrossPay).where(GrossPay.employee_id == interessement_world["employees"]["E05"].id))
    db.session.commit()
    created = runner.invoke(args=["runs", "create", "--scheme", "INT-NPS", "--period", "2026-Q3"])
    run_id = created.output.strip().splitlines()[-1]
    refused = runner.invoke(args=["runs", "compute", run_id])
    assert refused.exit_code == 1
    assert "no gross pay imported for 2026-Q3 for employees E05" in refused.stderr


def test_a_run_of_a_year_without_a_pass_is_refused(runner, interessement_world, tmp_path):
    data = json.loads(INTERESSEMENT_SCHEME.read_text(encoding="utf-8"))
    data.update(code="INT-2030", valid_from="2030-01-01")
    path = tmp_path / "scheme.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert runner.invoke(args=["schemes", "import", str(path)]).exit_code == 0
    created = runner.invoke(args=["runs", "create", "--scheme", "INT-2030", "--period", "2030-Q1"])
    run_id = created.output.strip().splitlines()[-1]
    refused = runner.invoke(args=["runs", "compute", run_id])
    assert refused.exit_code == 1 and "no PASS is set for 2030" in refused.stderr
    assert runner.invoke(args=["interessement", "settings", "--pass", "2030=52000"]).exit_code == 0
    shown = runner.invoke(args=["interessement", "settings"])
    assert "pass 2030 52000" in shown.output and "pass 2026 48060" in shown.output


def test_the_employee_reads_the_sheet_as_a_page_and_a_pdf(app, interessement_world, interessement_run, pdf_text, text):
    run_id = interessement_run("approved")
    client = app.test_client()
    login(client, "chloe@test.example")
    chloe = interessement_world["employees"]["E04"].id
    page = client.get(f"/runs/{run_id}/statement/{chloe}")
    assert page.status_code == 200, page.status_code
    body = text(page)
    assert "individual information sheet" in body
    assert "900.17" in body and "2,000.00" in body and "65.86" in body
    pdf = client.get(f"/runs/{run_id}/statement/{chloe}.pdf")
    assert pdf.status_code == 200
    words = pdf_text(pdf.data)
    for figure in ("individual information", "n = 150", "€2,000.00", "€9,085.31", "€65.86", "+€33.3084", "€900.17"):
        assert figure in words, figure


def test_hr_reads_the_scheme_and_the_run_pages_and_is_sent_to_json_to_edit(app, interessement_run):
    run_id = interessement_run("draft")
    client = app.test_client()
    login(client, "hr1@test.example")
    assert client.get("/schemes").status_code == 200
    assert client.get("/schemes/INT-NPS").status_code == 200
    edit = client.get("/schemes/INT-NPS/edit")
    assert edit.status_code == 302 and edit.headers["Location"].endswith("/schemes/INT-NPS")
    assert client.get(f"/runs/{run_id}").status_code == 200
    line = show_line(run_id, "E06")
    page = client.get(f"/runs/{run_id}/lines/{line}")
    assert page.status_code == 200
    assert "296,26" in page.get_data(as_text=True).replace("\u202f", " ").replace("\u00a0", " ")


def show_line(run_id: int, number: str) -> int:
    from app.incentives.models import RunLine
    from app.org.models import Employee

    return db.session.scalar(
        sa.select(RunLine.id).join(Employee).where(RunLine.run_id == run_id, Employee.number == number)
    )


def test_the_employee_asks_a_question_on_the_sheet_and_hr_sees_it(app, interessement_run, text):
    run_id = interessement_run("approved")
    client = app.test_client()
    login(client, "chloe@test.example")
    mine = client.get("/my/bonus")
    assert mine.status_code == 200 and "900.17" in text(mine)
    line = show_line(run_id, "E04")
    token = csrf_token(client, "/my/bonus")
    asked = client.post(
        f"/my/bonus/lines/{line}/question", data={"question": "Why is my part above the others?", "csrf_token": token}
    )
    assert asked.status_code == 302
    hr = app.test_client()
    login(hr, "hr1@test.example")
    queue = hr.get("/questions")
    assert "Why is my part above the others?" in text(queue)


def test_simulating_an_interessement_scheme_shows_its_pools_and_shares_and_writes_nothing(
    app, runner, interessement_world, text
):
    from app.incentives.models import BonusRun, RunLine

    client = app.test_client()
    login(client, "hr1@test.example")
    page = client.get("/simulation?scheme=INT-NPS:1&period=2026-Q3")
    assert page.status_code == 200, text(page)
    body = page.get_data(as_text=True)
    assert 'data-test="sim-pools"' in body and 'data-test="sim-total-cap"' in body
    words = text(page)
    # The same total as the computed run of the worked example, to the cent, and the leaver's capped share.
    assert "3,000.00" in words
    total = body.split('data-test="sim-total"')[1].split("</dd>")[0]
    assert "3,000.00" in total
    assert 'data-test="sim-paid"' in body and "5 of 6" in words  # E07's store pool gives nothing; E03 too recent
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BonusRun)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RunLine)) == 0
    # Compared with itself, side by side per store.
    both = client.get("/simulation?scheme=INT-NPS:1&compare=INT-NPS:1&period=2026-Q3")
    assert both.status_code == 200 and 'data-test="comparison"' in both.get_data(as_text=True)


def test_simulating_an_interessement_scheme_without_someone_s_gross_pay_names_them(app, interessement_world, text):
    db.session.execute(sa.delete(GrossPay).where(GrossPay.employee_id == interessement_world["employees"]["E05"].id))
    db.session.commit()
    client = app.test_client()
    login(client, "hr1@test.example")
    page = client.get("/simulation?scheme=INT-NPS:1&period=2026-Q3")
    assert page.status_code == 400 and "E05" in text(page)


def test_the_leaver_s_sheet_in_french_as_pdf_and_excel_shows_the_cap(runner, interessement_run, pdf_text, tmp_path):
    run_id = interessement_run("approved")
    pdf, xlsx = tmp_path / "e06.pdf", tmp_path / "e06.xlsx"
    for fmt, out in (("pdf", pdf), ("xlsx", xlsx)):
        done = runner.invoke(
            args=["statements", "render", str(run_id), "--employee", "E06", "--format", fmt, "--out", str(out)]
        )
        assert done.exit_code == 0, done.output
    words = pdf_text(pdf.read_bytes())
    for figure in (
        "Fiche individuelle d'intéressement",
        "départ le 3 juillet 2026",
        "Plafond atteint : retenu sur votre part",
        "-65,8615 €",
        "296,26 €",
    ):
        assert figure in words, figure
    sheet = load_workbook(xlsx).active
    cells = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert Decimal(str(cells["Votre plafond individuel"])) == Decimal("296.26")
    assert Decimal(str(cells["Votre part"])) == Decimal("296.26")


def test_an_interessement_scheme_publishes_no_objectives(app, interessement_world, text):
    client = app.test_client()
    login(client, "hr1@test.example")
    token = csrf_token(client, "/schemes/INT-NPS")
    refused = client.post("/schemes/INT-NPS/publish", data={"version": "1", "period": "2026-Q4", "csrf_token": token})
    assert refused.status_code == 400 and "has no objectives" in text(refused)


def test_the_sheet_words_presence_as_bonus_statements_do_on_page_pdf_and_excel(
    app, runner, interessement_world, interessement_run, pdf_text, text, tmp_path
):
    leave = tmp_path / "absences.csv"
    leave.write_text(
        "employee_number,start,end,kind\nE04,2026-08-10,2026-08-14,unpaid_leave\nE05,2026-08-10,2026-08-14,unpaid_leave\n",
        encoding="utf-8",
    )
    imported = runner.invoke(args=["absences", "import", str(leave)])
    assert imported.exit_code == 0, imported.output
    run_id = interessement_run("approved")
    english, french = "92 days − 5 days unpaid leave = 87/92", "92 jours − 5 jours de congé sans solde = 87/92"

    client = app.test_client()
    login(client, "chloe@test.example")
    chloe = interessement_world["employees"]["E04"].id
    assert english in text(client.get(f"/runs/{run_id}/statement/{chloe}"))
    assert english in pdf_text(client.get(f"/runs/{run_id}/statement/{chloe}.pdf").data)

    for number, wording, language in (("E04", english, "en"), ("E05", french, "fr")):
        pdf, xlsx = tmp_path / f"{number}.pdf", tmp_path / f"{number}.xlsx"
        for fmt, out in (("pdf", pdf), ("xlsx", xlsx)):
            done = runner.invoke(
                args=["statements", "render", str(run_id), "--employee", number, "--format", fmt, "--out", str(out)]
            )
            assert done.exit_code == 0, done.output
        assert wording in pdf_text(pdf.read_bytes()), number
        cells = {row[0]: row[1] for row in load_workbook(xlsx).active.iter_rows(values_only=True) if row and row[0]}
        if language == "en":
            assert cells["Presence"] == wording
            assert (cells["Days assigned in the period"], cells["Days present"]) == (92, 87)
            assert cells["Less: unpaid leave (days not counted as presence)"] == -5
        else:
            assert cells["Présence"] == wording
            assert (cells["Jours d'affectation sur la période"], cells["Jours de présence"]) == (92, 87)
    # A share without absences keeps the plain "days/period" (E01 was present all quarter).
    line = show(runner, run_id)["lines"][0]
    assert line["employee_number"] == "E01" and line["trace"]["absences"] == []
