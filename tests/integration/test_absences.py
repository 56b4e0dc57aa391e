"""Absences through the database: the import (CLI and pages), the kinds page, and presence in runs, simulations,
statements (page, PDF, Excel) and "my bonus" on the worked example."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.absences.models import Absence, AbsenceKind
from app.audit.models import AuditEvent
from app.extensions import db
from app.incentives import runs, simulation
from app.reports.statements import documents
from tests.conftest import csrf_token, login

SPACES = re.compile(r"[\u00a0\u202f ]+")
FIVE_DAYS_UNPAID = (
    "employee_number,start,end,kind\nW1,2026-08-03,2026-08-07,unpaid_leave\nH1,03/08/2026,07/08/2026,unpaid_leave\n"
)


@pytest.fixture
def import_file(runner, tmp_path):
    """import_file(text): run `flask absences import` on a CSV with that text, returning the result."""

    def run(content: str | bytes, name: str = "absences.csv"):
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return runner.invoke(args=["absences", "import", str(path)])

    return run


@pytest.fixture
def hr_client(app, make_user):
    make_user("hr@test.example", "hr")
    client = app.test_client()
    assert login(client, "hr@test.example").status_code == 302
    return client


def amounts_of(run) -> dict[str, Decimal]:
    return {line.employee.number: line.amount for line in run.lines}


def computed_run():
    run = runs.create_run("STORE-NPS-CSAT", "2026-Q3")
    runs.compute(run)
    db.session.commit()
    return run


# --- the import ----------------------------------------------------------------------------------------------


def test_the_cli_imports_absences_and_the_same_file_again_changes_nothing(build_worked_example, import_file):
    build_worked_example()
    first = import_file(FIVE_DAYS_UNPAID)
    assert first.exit_code == 0, first.output
    assert "2 new, 0 already imported" in first.output
    again = import_file(FIVE_DAYS_UNPAID)
    assert again.exit_code == 0 and "0 new, 2 already imported" in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Absence)) == 2
    audited = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "absence.create")).all()
    assert sorted(e.summary for e in audited) == [
        "H1 unpaid_leave 2026-08-03→2026-08-07",
        "W1 unpaid_leave 2026-08-03→2026-08-07",
    ]


def test_a_kind_may_be_named_by_its_french_name_in_a_windows_1252_file(build_worked_example, import_file):
    build_worked_example()
    result = import_file(
        "employee_number;start;end;kind\nW1;01/09/2026;30/09/2026;Congé de maternité\n".encode("cp1252")
    )
    assert result.exit_code == 0, result.output + result.stderr
    absence = db.session.scalar(sa.select(Absence))
    assert absence.kind.code == "maternity_leave" and absence.days == 30


def test_a_file_with_bad_rows_is_refused_whole_naming_row_and_column(build_worked_example, import_file):
    build_worked_example()
    result = import_file(
        "employee_number,start,end,kind\n"
        "W1,2026-08-03,2026-08-07,unpaid_leave\n"
        "NOBODY,2026-08-03,2026-08-07,unpaid_leave\n"
        "W1,2026-08-03,2026-08-07,holiday on the moon\n"
        "H1,2026-08-07,2026-08-03,unpaid_leave\n"
        "H1,2026-13-01,2026-08-03,unpaid_leave\n"
    )
    assert result.exit_code == 1
    assert "row 3, employee_number: no employee NOBODY" in result.stderr
    assert "row 4, kind: unknown kind 'holiday on the moon'" in result.stderr
    assert "row 5, end: 2026-08-03 is before start 2026-08-07" in result.stderr
    assert "row 6, start: '2026-13-01' is not a date" in result.stderr
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Absence)) == 0


def test_hr_previews_then_confirms_an_absences_file_on_the_import_page(app, build_worked_example, hr_client):
    build_worked_example()
    template = hr_client.get("/import/absences/template.csv")
    assert template.status_code == 200 and template.data.startswith("\ufeffemployee_number;start;end;kind".encode())
    upload = {"file": (io.BytesIO(FIVE_DAYS_UNPAID.encode()), "absences.csv"), "csrf_token": csrf_token(hr_client, "/")}
    preview = hr_client.post("/import/absences", data=upload, content_type="multipart/form-data")
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "2 new, 0 changed, 0 unchanged" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Absence)) == 0  # nothing written yet
    token = re.search(r"/import/absences/([^/]+)/confirm", page).group(1)
    done = hr_client.post(f"/import/absences/{token}/confirm", data={"csrf_token": csrf_token(hr_client, "/")})
    assert done.status_code == 302 and done.headers["Location"].endswith("/settings/absences")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Absence)) == 2


def test_a_bad_absences_file_on_the_page_is_a_400_naming_the_row(app, build_worked_example, hr_client):
    build_worked_example()
    bad = "employee_number,start,end,kind\nW1,2026-08-07,2026-08-03,unpaid_leave\n"
    upload = {"file": (io.BytesIO(bad.encode()), "absences.csv"), "csrf_token": csrf_token(hr_client, "/")}
    response = hr_client.post("/import/absences", data=upload, content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<td>2</td><td>end</td><td>2026-08-03 is before start 2026-08-07</td>" in page


# --- kinds ---------------------------------------------------------------------------------------------------


def test_a_new_database_has_the_default_kinds_and_hr_can_change_one(app, hr_client):
    page = hr_client.get("/settings/absences").get_data(as_text=True)
    counts = {k.code: k.counts_as_presence for k in db.session.scalars(sa.select(AbsenceKind))}
    assert counts == {
        "maternity_leave": True,
        "paternity_leave": True,
        "adoption_leave": True,
        "work_accident": True,
        "occupational_illness": True,
        "sick_leave": False,
        "unpaid_leave": False,
    }
    assert 'data-kind="sick_leave"' in page
    form = {
        "sick_leave-label_en": "sick leave",
        "sick_leave-label_fr": "arrêt maladie",
        "sick_leave-counts_as_presence": "y",
        "sick_leave-csrf_token": csrf_token(hr_client, "/settings/absences"),
    }
    assert hr_client.post("/settings/absences/sick_leave", data=form).status_code == 302
    assert db.session.scalar(sa.select(AbsenceKind.counts_as_presence).where(AbsenceKind.code == "sick_leave"))
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "absence_kind.update"))
    assert event.before == {"counts_as_presence": False} and event.after == {"counts_as_presence": True}


def test_hr_adds_a_kind_and_a_duplicate_code_is_a_400(app, hr_client):
    form = {
        "code": "training",
        "label_en": "training",
        "label_fr": "formation",
        "counts_as_presence": "y",
        "csrf_token": csrf_token(hr_client, "/settings/absences"),
    }
    assert hr_client.post("/settings/absences", data=form).status_code == 302
    again = hr_client.post("/settings/absences", data=form)
    assert again.status_code == 400 and "training already exists" in again.get_data(as_text=True)


# --- presence in runs, simulations, statements ---------------------------------------------------------------


def test_five_days_of_unpaid_leave_lower_the_worked_example_by_hand(build_worked_example, import_file):
    """W1: 375.00 × 77.5 % × 87/92 = 290.625 × 87 / 92 = 274.830… → 274.83 (290.63 without the leave).
    H1, hired 1 August: 290.625 × (61 − 5) / 92 = 176.902… → 176.90 (192.70 without)."""
    build_worked_example()
    assert import_file(FIVE_DAYS_UNPAID).exit_code == 0
    run = computed_run()
    assert amounts_of(run) == {"W1": Decimal("274.83"), "H1": Decimal("176.90")}
    trace = next(line.trace for line in run.lines if line.employee.number == "W1")
    assert (trace["assigned_days"], trace["presence_days"]) == (92, 87)
    assert trace["absences"] == [
        {"kind": "unpaid_leave", "days": 5, "label_en": "unpaid leave", "label_fr": "congé sans solde"}
    ]


def test_maternity_leave_does_not_lower_the_bonus(build_worked_example, import_file):
    build_worked_example()
    assert import_file("employee_number,start,end,kind\nW1,2026-07-01,2026-09-30,maternity_leave\n").exit_code == 0
    run = computed_run()
    assert amounts_of(run) == {"W1": Decimal("290.63"), "H1": Decimal("192.70")}
    assert next(line.trace for line in run.lines if line.employee.number == "W1")["absences"] == []


def test_a_simulation_counts_presence_the_same_way(build_worked_example, import_file):
    build_worked_example()
    version = simulation.find_version("STORE-NPS-CSAT")
    assert simulation.simulate(version, "2026-Q3").total == Decimal("483.33")
    assert import_file(FIVE_DAYS_UNPAID).exit_code == 0
    assert simulation.simulate(version, "2026-Q3").total == Decimal("451.73")


def test_sick_leave_counted_as_presence_by_hr_reaches_a_recomputed_draft(build_worked_example, import_file):
    build_worked_example()
    assert import_file("employee_number,start,end,kind\nW1,2026-08-03,2026-08-07,sick_leave\n").exit_code == 0
    run = computed_run()
    assert amounts_of(run)["W1"] == Decimal("274.83")
    db.session.scalar(sa.select(AbsenceKind).where(AbsenceKind.code == "sick_leave")).counts_as_presence = True
    db.session.commit()
    runs.compute(run)
    db.session.commit()
    db.session.expire_all()
    assert amounts_of(run)["W1"] == Decimal("290.63")


@pytest.fixture
def approved_with_leave(build_worked_example, import_file, make_run):
    worked = build_worked_example()
    assert import_file(FIVE_DAYS_UNPAID).exit_code == 0
    return worked, make_run("approved")


def test_the_statement_pdf_and_page_show_presence_as_days_less_leave(app, approved_with_leave, pdf_text):
    worked, run = approved_with_leave
    french = SPACES.sub(" ", pdf_text(documents.obtain(run, worked.whole, "pdf").content))
    assert "92 jours − 5 jours de congé sans solde = 87/92" in french
    assert "274,83 €" in french
    english = SPACES.sub(" ", pdf_text(documents.obtain(run, worked.hired, "pdf").content))
    assert "61 days − 5 days unpaid leave = 56/92" in english
    client = app.test_client()
    assert login(client, "w1@test.example").status_code == 302
    page = SPACES.sub(" ", client.get(f"/runs/{run.id}/statement/{worked.whole.id}").get_data(as_text=True))
    assert "92 jours − 5 jours de congé sans solde = 87/92" in page


def test_the_excel_statement_lists_each_kind_taken_off(approved_with_leave):
    worked, run = approved_with_leave
    ws = load_workbook(io.BytesIO(documents.obtain(run, worked.hired, "xlsx").content)).active
    rows = {row[0].value: row[1].value for row in ws.iter_rows() if row[0].value}
    assert rows["Days assigned to the store"] == 61
    assert rows["Less: unpaid leave (days not counted as presence)"] == -5
    assert rows["Days present"] == 56
    assert rows["Presence"] == "61 days − 5 days unpaid leave = 56/92"


def test_my_bonus_explains_the_leave(app, approved_with_leave, client_for, text):
    page = SPACES.sub(" ", text(client_for("w1@test.example").get("/my/bonus")))
    assert "92 jours − 5 jours de congé sans solde = 87/92" in page
    assert "Montant de cette ligne : 274,83 €." in page


def test_the_sample_absences_file_imports_after_the_sample_stores_and_employees(runner):
    samples = Path(__file__).parents[2] / "examples" / "imports"
    for group, name in (("stores", "stores.csv"), ("employees", "employees.csv"), ("absences", "absences.csv")):
        result = runner.invoke(args=[group, "import", str(samples / name)])
        assert result.exit_code == 0, result.output + result.stderr
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Absence)) == 3


def test_the_run_page_shows_hr_the_absence_days_taken_off_a_line(app, build_worked_example, import_file, client_for):
    build_worked_example()
    assert import_file(FIVE_DAYS_UNPAID).exit_code == 0
    run = computed_run()
    page = client_for("hr1@test.example").get(f"/runs/{run.id}").get_data(as_text=True)
    row = page.split('data-employee="W1"')[1].split("</tr>")[0]
    assert "87/92" in row and "5 days of absence deducted" in row


def test_hr_sees_an_employees_absences_and_removes_one_imported_by_mistake(
    app, build_worked_example, import_file, client_for
):
    worked = build_worked_example()
    assert import_file(FIVE_DAYS_UNPAID).exit_code == 0
    hr = client_for("hr1@test.example")
    page = hr.get(f"/employees/{worked.whole.id}").get_data(as_text=True)
    absence_id = int(re.search(r'data-absence="(\d+)"', page).group(1))
    assert "unpaid leave" in page.split('data-test="absences"')[1]
    # The employee's own page does not list absences (they may say why someone was away): HR only.
    own = client_for("w1@test.example").get(f"/employees/{worked.whole.id}").get_data(as_text=True)
    assert 'data-test="absences"' not in own
    removed = hr.post(f"/absences/{absence_id}/delete", data={"csrf_token": csrf_token(hr, "/")})
    assert removed.status_code == 302
    assert db.session.get(Absence, absence_id) is None
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "absence.delete"))
    assert event.summary == "W1 unpaid_leave 2026-08-03→2026-08-07"
    assert amounts_of(computed_run())["W1"] == Decimal("290.63")
