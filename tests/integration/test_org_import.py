"""Organisation import/export: `flask stores|employees import`, `flask employees export` and the HR import pages.

Files are checked whole (one bad row rejects everything, every problem listed by row and column), importing
the same file twice changes nothing, a changed store opens a new assignment, and the export reads back exactly.
"""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.core.models import PendingUpload
from app.extensions import db
from app.org.models import Assignment, Employee, ManagerScope, Region, Store
from app.org.services import EMPLOYEE_COLUMNS, STORE_COLUMNS
from tests.conftest import csrf_token, login

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "imports"
STORES_EXAMPLE = EXAMPLES / "stores.csv"
EMPLOYEES_EXAMPLE = EXAMPLES / "employees.csv"
ON_POSTGRESQL = os.environ.get("PRIMO_TEST_DATABASE_URL", "").startswith("postgres")


# --- helpers ---------------------------------------------------------------------------------------


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def table_counts() -> dict[str, int]:
    """Row counts of everything an import may write."""
    models = (Region, Store, Employee, Assignment, ManagerScope, AuditEvent, PendingUpload)
    return {model.__name__: count(model) for model in models}


def audit_events(action: str | None = None) -> list[AuditEvent]:
    query = sa.select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def employee(number: str) -> Employee:
    db.session.expire_all()
    found = db.session.scalar(sa.select(Employee).where(Employee.number == number))
    assert found is not None, f"no employee {number}"
    return found


def emp_row(number: str, store: str = "A1", **fields: str) -> dict[str, str]:
    """One employee-file row with sensible defaults, in canonical (export) form."""
    row = {
        "employee_number": number,
        "payroll_id": f"PAY-{number}",
        "first_name": "Ann",
        "last_name": f"Test{number}",
        "email": "",
        "job_role": "sales_associate",
        "store_code": store,
        "store_since": "2021-01-04",
        "hire_date": "2021-01-04",
        "exit_date": "",
        "fte": "1",
        "annual_base_salary": "30000.00",
        "cost_center": "CC1",
        "language": "en",
        "manages": "",
    }
    row.update(fields)
    return row


def csv_bytes(rows: list[dict[str, str]], columns=EMPLOYEE_COLUMNS, sep: str = ",", bom: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row[c] for c in columns])
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8")


def write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def cli_import(runner, kind: str, path: Path):
    return runner.invoke(args=[kind, "import", str(path)])


def cli_export(runner, tmp_path: Path, name: str = "export.csv", *options: str) -> bytes:
    path = tmp_path / name
    result = runner.invoke(args=["employees", "export", str(path), *options])
    assert result.exit_code == 0, result.output
    return path.read_bytes()


def exported_rows(runner, tmp_path: Path) -> dict[str, dict[str, str]]:
    """The current employees as import rows (decimal points), keyed by employee number."""
    text = cli_export(runner, tmp_path, "current.csv", "--decimal-separator", ".").decode("utf-8-sig")
    return {row["employee_number"]: row for row in csv.DictReader(io.StringIO(text), delimiter=";")}


def summary_line(new: int, changed: int, unchanged: int) -> str:
    return f"{new} new, {changed} changed, {unchanged} unchanged"


def xlsx_bytes(header: list[str], rows: list[list[Any]], text_cells: tuple[str, ...] = ()) -> bytes:
    """A real XLSX workbook; columns named in `text_cells` are formatted as text ("@")."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    for column_index, name in enumerate(header, start=1):
        if name in text_cells:
            for row_index in range(2, len(rows) + 2):
                sheet.cell(row=row_index, column=column_index).number_format = "@"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def page_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def upload(client, kind: str, content: bytes, filename: str):
    token = page_token(client.get(f"/import/{kind}").get_data(as_text=True))
    return client.post(
        f"/import/{kind}",
        data={"file": (io.BytesIO(content), filename), "csrf_token": token},
        content_type="multipart/form-data",
    )


def preview_summary(html: str) -> tuple[int, int, int]:
    """The (new, changed, unchanged) counts of a preview page, whatever its language."""
    match = re.search(r'data-test="summary">([^<]*)<', html)
    assert match, "no summary on the preview page"
    new, changed, unchanged = (int(n) for n in re.findall(r"\d+", match.group(1)))
    return new, changed, unchanged


def confirm_action(html: str, kind: str) -> str:
    match = re.search(rf'action="(/import/{kind}/[^"/]+/confirm)"', html)
    assert match, "no confirm form on the preview page"
    return match.group(1)


def confirm(client, preview_html: str, kind: str):
    return client.post(confirm_action(preview_html, kind), data={"csrf_token": page_token(preview_html)})


def error_cells(html: str) -> list[tuple[str, str]]:
    """(row, column) of every problem listed on an import page."""
    return re.findall(r"<tr><td>(\d*)</td><td>([a-z_]*)</td><td>", html)


@pytest.fixture
def two_stores(make_store) -> dict[str, Store]:
    return {"A1": make_store("A1", region="North"), "B1": make_store("B1", region="South")}


@pytest.fixture
def example_stores(runner) -> None:
    result = cli_import(runner, "stores", STORES_EXAMPLE)
    assert result.exit_code == 0, result.output


# --- stores (CLI) ----------------------------------------------------------------------------------


def test_stores_import_creates_stores_regions_and_audit_events(runner, app):
    result = cli_import(runner, "stores", STORES_EXAMPLE)

    assert result.exit_code == 0, result.output
    assert summary_line(3, 0, 0) in result.stdout
    stores = {s.code: s for s in db.session.scalars(sa.select(Store))}
    assert set(stores) == {"00123", "LYO01", "PAR01"}  # the leading zeros of 00123 survive
    assert stores["PAR01"].name == "Paris Rivoli"
    assert stores["PAR01"].region.name == "Île-de-France"
    assert stores["00123"].opened_on == date(2019, 1, 10)
    assert count(Region) == 3
    created = audit_events("store.create")
    assert {e.object_id for e in created} == {"00123", "LYO01", "PAR01"}
    paris = next(e for e in created if e.object_id == "PAR01")
    assert paris.after == {"name": "Paris Rivoli", "region": "Île-de-France", "opened_on": "2015-04-01"}
    assert paris.actor == "cli"
    assert len(audit_events("region.create")) == 3


def test_stores_import_twice_changes_nothing_the_second_time(runner, app):
    assert cli_import(runner, "stores", STORES_EXAMPLE).exit_code == 0
    before = table_counts()

    again = cli_import(runner, "stores", STORES_EXAMPLE)

    assert again.exit_code == 0, again.output
    assert summary_line(0, 0, 3) in again.stdout
    assert table_counts() == before


def test_stores_import_updates_a_changed_store_and_audits_before_and_after(runner, app, make_store, tmp_path):
    store = make_store("A1", region="North", name="Old name")
    rows = [{"store_code": "A1", "name": "New name", "region": "West", "opened_on": "2021-06-01"}]
    path = write(tmp_path, "stores.csv", csv_bytes(rows, STORE_COLUMNS))

    result = cli_import(runner, "stores", path)

    assert result.exit_code == 0, result.output
    assert summary_line(0, 1, 0) in result.stdout
    db.session.expire_all()
    assert (store.name, store.region.name, store.opened_on) == ("New name", "West", date(2021, 6, 1))
    [event] = audit_events("store.update")
    assert event.object_id == "A1"
    assert event.before == {"name": "Old name", "region": "North", "opened_on": "2020-01-01"}
    assert event.after == {"name": "New name", "region": "West", "opened_on": "2021-06-01"}


def test_stores_import_rejects_the_whole_file_listing_every_bad_row(runner, app, tmp_path):
    rows = [
        {"store_code": "S1", "name": "Fine", "region": "North", "opened_on": "2020-01-01"},
        {"store_code": "S2", "name": "", "region": "North", "opened_on": "2020-01-01"},
        {"store_code": "S3", "name": "Bad date", "region": "North", "opened_on": "31/02/2020"},
        {"store_code": "S1", "name": "Twice", "region": "North", "opened_on": ""},
    ]
    path = write(tmp_path, "stores.csv", csv_bytes(rows, STORE_COLUMNS))
    before = table_counts()

    result = cli_import(runner, "stores", path)

    assert result.exit_code != 0
    assert "row 3, name: required" in result.stderr
    assert "row 4, opened_on:" in result.stderr
    assert "row 5, store_code: S1 already appears on row 2" in result.stderr
    assert "Error" not in result.stdout
    assert table_counts() == before


def test_stores_import_rejects_names_too_long_for_the_database(runner, app, tmp_path):
    rows = [{"store_code": "S1", "name": "x" * 201, "region": "r" * 121, "opened_on": ""}]
    path = write(tmp_path, "stores.csv", csv_bytes(rows, STORE_COLUMNS))

    result = cli_import(runner, "stores", path)

    assert result.exit_code != 0
    assert "row 2, name: " in result.stderr
    assert "row 2, region: " in result.stderr
    assert count(Store) == 0


def test_stores_import_accepts_a_region_name_of_100_characters(runner, app, tmp_path):
    region = "Région " + "x" * 93
    rows = [{"store_code": "S1", "name": "Long region", "region": region, "opened_on": ""}]
    path = write(tmp_path, "stores.csv", csv_bytes(rows, STORE_COLUMNS))

    result = cli_import(runner, "stores", path)

    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(Region.name)) == region


def test_stores_import_reads_xlsx_with_date_cells_and_leading_zero_codes(runner, app, tmp_path):
    content = xlsx_bytes(
        list(STORE_COLUMNS),
        [["00123", "Marseille", "South", date(2019, 1, 10)], ["B7", "Brest", "West", datetime(2020, 5, 4)]],
        text_cells=("store_code",),
    )
    path = write(tmp_path, "stores.xlsx", content)

    result = cli_import(runner, "stores", path)

    assert result.exit_code == 0, result.output
    stores = {s.code: s for s in db.session.scalars(sa.select(Store))}
    assert set(stores) == {"00123", "B7"}
    assert stores["00123"].opened_on == date(2019, 1, 10)
    assert stores["B7"].opened_on == date(2020, 5, 4)
    assert summary_line(0, 0, 2) in cli_import(runner, "stores", path).stdout


# --- employees (CLI) -------------------------------------------------------------------------------


def test_employees_import_creates_employees_assignments_scopes_and_audit(runner, app, example_stores):
    result = cli_import(runner, "employees", EMPLOYEES_EXAMPLE)

    assert result.exit_code == 0, result.output
    assert summary_line(5, 0, 0) in result.stdout
    camille = employee("00042")
    assert camille.payroll_id == "000042"
    assert camille.cost_center == "0100"
    assert camille.fte == Decimal("1")
    assert [(a.store.code, a.start_date, a.end_date) for a in camille.assignments] == [
        ("PAR01", date(2019, 5, 1), None)
    ]
    assert [s.label for s in camille.scopes] == ["PAR01"]
    ines = employee("E1003")
    assert ines.annual_base_salary == Decimal("1234567.89")
    assert sorted(s.label for s in ines.scopes) == ["Auvergne-Rhône-Alpes", "Île-de-France"]
    assert all(s.store is None for s in ines.scopes)
    noah = employee("E1004")
    assert noah.exit_date == date(2023, 12, 31)
    assert noah.fte == Decimal("0.75")
    assert employee("E1002").email is None
    created = audit_events("employee.create")
    assert len(created) == 5
    lea = next(e for e in created if e.object_id == "E1001")
    assert lea.after["annual_base_salary"] == "28500.50"
    assert lea.after["store_code"] == "PAR01"
    assert lea.after["hire_date"] == "2021-03-01"


def test_employees_import_without_store_since_starts_the_assignment_on_the_hire_date(runner, app, two_stores, tmp_path):
    path = write(tmp_path, "e.csv", csv_bytes([emp_row("E1", store_since="", hire_date="2022-02-14")]))

    assert cli_import(runner, "employees", path).exit_code == 0

    [assignment] = employee("E1").assignments
    assert (assignment.store.code, assignment.start_date, assignment.end_date) == ("A1", date(2022, 2, 14), None)
    assert summary_line(0, 0, 1) in cli_import(runner, "employees", path).stdout


def test_employees_import_keeps_leading_zeros_of_text_columns(runner, app, make_store, tmp_path):
    make_store("007", region="North")
    row = emp_row("00123", store="007", payroll_id="000456", cost_center="0042", manages="007")
    path = write(tmp_path, "e.csv", csv_bytes([row]))

    result = cli_import(runner, "employees", path)

    assert result.exit_code == 0, result.output
    imported = employee("00123")
    assert (imported.payroll_id, imported.cost_center) == ("000456", "0042")
    assert imported.assignments[0].store.code == "007"
    assert [s.label for s in imported.scopes] == ["007"]


def test_employees_import_reads_semicolon_csv_with_bom_and_decimal_commas(runner, app, two_stores, tmp_path):
    row = emp_row("E1", fte="0,75", annual_base_salary="1234567,89", email="Ann.Test@Example.COM")
    content = csv_bytes([row], sep=";", bom=True).replace(b"\n", b"\r\n")
    path = write(tmp_path, "e.csv", content)

    result = cli_import(runner, "employees", path)

    assert result.exit_code == 0, result.output
    assert summary_line(1, 0, 0) in result.stdout
    imported = employee("E1")
    assert imported.fte == Decimal("0.75")
    assert imported.annual_base_salary == Decimal("1234567.89")
    assert imported.email == "ann.test@example.com"
    exported = cli_export(runner, tmp_path).decode()
    assert "E1;PAY-E1;Ann;TestE1;ann.test@example.com;sales_associate;A1;2021-01-04;2021-01-04;;0,75;1234567,89;" in (
        exported
    )
    assert summary_line(0, 0, 1) in cli_import(runner, "employees", path).stdout


def test_employees_import_reads_xlsx_with_date_cells_and_text_leading_zeros(runner, app, two_stores, tmp_path):
    values = {
        "employee_number": "00123",
        "payroll_id": "000456",
        "first_name": "Zoé",
        "last_name": "Roux",
        "email": "zoe@example.com",
        "job_role": "logistics",
        "store_code": "B1",
        "store_since": datetime(2021, 4, 1),
        "hire_date": date(2021, 3, 1),
        "exit_date": None,
        "fte": 0.5,
        "annual_base_salary": 1234567.89,
        "cost_center": "0042",
        "language": "fr",
        "manages": "North",
    }
    content = xlsx_bytes(
        list(EMPLOYEE_COLUMNS),
        [[values[c] for c in EMPLOYEE_COLUMNS]],
        text_cells=("employee_number", "payroll_id", "cost_center"),
    )
    path = write(tmp_path, "employees.xlsx", content)

    result = cli_import(runner, "employees", path)

    assert result.exit_code == 0, result.output
    zoe = employee("00123")
    assert (zoe.payroll_id, zoe.cost_center) == ("000456", "0042")
    assert zoe.hire_date == date(2021, 3, 1)
    assert zoe.exit_date is None
    assert (zoe.assignments[0].store.code, zoe.assignments[0].start_date) == ("B1", date(2021, 4, 1))
    assert zoe.fte == Decimal("0.5")
    assert zoe.annual_base_salary == Decimal("1234567.89")
    assert cli_export(runner, tmp_path).decode().splitlines()[1] == (
        "00123;000456;Zoé;Roux;zoe@example.com;logistics;B1;2021-04-01;2021-03-01;;0,5;1234567,89;0042;fr;North"
    )
    before = table_counts()
    again = cli_import(runner, "employees", path)
    assert summary_line(0, 0, 1) in again.stdout
    assert table_counts() == before


def test_employees_import_twice_changes_nothing_and_writes_no_audit_event(runner, app, example_stores):
    assert cli_import(runner, "employees", EMPLOYEES_EXAMPLE).exit_code == 0
    before = table_counts()

    again = cli_import(runner, "employees", EMPLOYEES_EXAMPLE)

    assert again.exit_code == 0, again.output
    assert summary_line(0, 0, 5) in again.stdout
    assert table_counts() == before


def test_employees_import_updates_changed_fields_with_audit_before_and_after(runner, app, two_stores, tmp_path):
    first = write(tmp_path, "1.csv", csv_bytes([emp_row("E1"), emp_row("E2")]))
    assert cli_import(runner, "employees", first).exit_code == 0
    changed = emp_row("E1", annual_base_salary="31000.50", fte="0.8", job_role="logistics", manages="B1|North")
    second = write(tmp_path, "2.csv", csv_bytes([changed, emp_row("E2")]))

    result = cli_import(runner, "employees", second)

    assert result.exit_code == 0, result.output
    assert summary_line(0, 1, 1) in result.stdout
    e1 = employee("E1")
    assert (e1.annual_base_salary, e1.fte, e1.job_role) == (Decimal("31000.50"), Decimal("0.8"), "logistics")
    assert sorted(s.label for s in e1.scopes) == ["B1", "North"]
    assert len(e1.assignments) == 1
    [event] = audit_events("employee.update")
    assert event.object_id == "E1"
    assert event.before == {
        "annual_base_salary": "30000.00",
        "fte": "1.0000",
        "job_role": "sales_associate",
        "manages": "",
    }
    assert event.after == {
        "annual_base_salary": "31000.50",
        "fte": "0.8",
        "job_role": "logistics",
        "manages": "B1|North",
    }


def test_store_change_closes_the_assignment_the_day_before_and_opens_a_new_one(runner, app, two_stores, tmp_path):
    first = write(tmp_path, "1.csv", csv_bytes([emp_row("E1", store="A1")]))
    assert cli_import(runner, "employees", first).exit_code == 0
    moved = write(tmp_path, "2.csv", csv_bytes([emp_row("E1", store="B1", store_since="2024-03-01")]))

    result = cli_import(runner, "employees", moved)

    assert result.exit_code == 0, result.output
    assert summary_line(0, 1, 0) in result.stdout
    history = [(a.store.code, a.start_date, a.end_date) for a in employee("E1").assignments]
    assert history == [("A1", date(2021, 1, 4), date(2024, 2, 29)), ("B1", date(2024, 3, 1), None)]
    [event] = audit_events("employee.update")
    assert event.before == {"store_code": "A1", "store_since": "2021-01-04"}
    assert event.after == {"store_code": "B1", "store_since": "2024-03-01"}
    before = table_counts()
    assert summary_line(0, 0, 1) in cli_import(runner, "employees", moved).stdout
    assert table_counts() == before


@pytest.mark.parametrize(
    ("store_since", "message"),
    [("", "required when the store changes"), ("2021-01-04", "is not after the start in A1")],
    ids=["store-since-missing", "store-since-not-after-current-start"],
)
def test_store_change_needs_a_store_since_after_the_current_start(
    runner, app, two_stores, tmp_path, store_since, message
):
    first = write(tmp_path, "1.csv", csv_bytes([emp_row("E1", store="A1")]))
    assert cli_import(runner, "employees", first).exit_code == 0
    before = table_counts()
    moved = write(tmp_path, "2.csv", csv_bytes([emp_row("E1", store="B1", store_since=store_since)]))

    result = cli_import(runner, "employees", moved)

    assert result.exit_code != 0
    assert "row 2, store_since: " in result.stderr
    assert message in result.stderr
    assert table_counts() == before
    assert [(a.store.code, a.end_date) for a in employee("E1").assignments] == [("A1", None)]


def test_store_since_before_the_hire_date_is_refused_for_an_existing_employee_too(runner, app, two_stores, tmp_path):
    assert cli_import(runner, "employees", write(tmp_path, "1.csv", csv_bytes([emp_row("E1")]))).exit_code == 0
    before = table_counts()
    early = write(tmp_path, "2.csv", csv_bytes([emp_row("E1", store_since="2019-01-01")]))  # hired 2021-01-04

    result = cli_import(runner, "employees", early)

    assert result.exit_code != 0
    assert "row 2, store_since: before the hire date" in result.stderr
    assert table_counts() == before


def test_transferred_employee_appears_on_the_managers_team_page(runner, world, client_as, tmp_path):
    north, stranger = world["north"], world["stranger"]
    number, store_id = stranger.number, north.id
    manager = client_as("manager")
    assert number not in manager.get(f"/stores/{store_id}").get_data(as_text=True)
    rows = exported_rows(runner, tmp_path)
    rows[number].update(store_code="A1", store_since="2024-03-01")
    path = write(tmp_path, "moved.csv", csv_bytes(list(rows.values())))

    result = cli_import(runner, "employees", path)

    assert result.exit_code == 0, result.output
    assert summary_line(0, 1, 2) in result.stdout
    page = manager.get(f"/stores/{store_id}")
    assert page.status_code == 200
    assert number in page.get_data(as_text=True)
    assert number not in client_as("hr").get(f"/stores/{world['south'].id}").get_data(as_text=True)
    history = [(a.store.code, a.start_date, a.end_date) for a in employee(number).assignments]
    assert history == [("B1", date(2020, 1, 1), date(2024, 2, 29)), ("A1", date(2024, 3, 1), None)]


def test_region_in_manages_gives_the_manager_every_store_of_the_region(runner, world, make_user, app, tmp_path):
    row = emp_row("RM1", store="A1", job_role="regional_manager", manages="South")
    assert cli_import(runner, "employees", write(tmp_path, "rm.csv", csv_bytes([row]))).exit_code == 0
    make_user("rm@test.example", "manager", "employee", employee=employee("RM1"))
    client = app.test_client()
    assert login(client, "rm@test.example").status_code == 302

    south_page = client.get(f"/stores/{world['south'].id}")

    assert south_page.status_code == 200
    assert world["stranger"].number in south_page.get_data(as_text=True)
    assert client.get(f"/stores/{world['north'].id}").status_code == 404


BAD_ROWS = [
    ("unknown-store", {"store_code": "ZZ9"}, "store_code"),
    ("bad-date-format", {"hire_date": "04.01.2021"}, "hire_date"),
    ("impossible-date", {"hire_date": "2021-02-30"}, "hire_date"),
    ("fte-zero", {"fte": "0"}, "fte"),
    ("fte-above-one", {"fte": "1.2"}, "fte"),
    ("fte-not-a-number", {"fte": "full"}, "fte"),
    ("negative-salary", {"annual_base_salary": "-1.00"}, "annual_base_salary"),
    ("missing-salary", {"annual_base_salary": ""}, "annual_base_salary"),
    ("duplicate-number", {"employee_number": "E1"}, "employee_number"),
    ("duplicate-payroll-id", {"payroll_id": "PAY-E1"}, "payroll_id"),
    ("unknown-store-in-manages", {"manages": "A1|ZZ9"}, "manages"),
    ("unknown-region-in-manages", {"manages": "Atlantis"}, "manages"),
    ("exit-before-hire", {"exit_date": "2020-12-31"}, "exit_date"),
    ("unknown-job-role", {"job_role": "cashier"}, "job_role"),
    ("bad-email", {"email": "not-an-email"}, "email"),
    ("bad-language", {"language": "de"}, "language"),
    ("store-since-before-hire", {"store_since": "2020-12-31"}, "store_since"),
    ("decimal-comma-in-comma-file", {"fte": "0,5"}, "fte"),
]


@pytest.mark.parametrize(("fields", "column"), [c[1:] for c in BAD_ROWS], ids=[c[0] for c in BAD_ROWS])
def test_one_bad_row_rejects_the_whole_file(runner, app, two_stores, tmp_path, fields, column):
    rows = [emp_row("E1"), emp_row("E2", store="B1"), emp_row("E3", **fields)]
    path = write(tmp_path, "e.csv", csv_bytes(rows))
    before = table_counts()

    result = cli_import(runner, "employees", path)

    assert result.exit_code != 0
    assert re.findall(r"row (\d+), ([a-z_]+):", result.stderr) == [("4", column)]
    assert "nothing was imported" in result.stderr
    assert "Error" not in result.stdout
    assert table_counts() == before


def test_rejected_file_lists_every_bad_row_and_leaves_existing_employees_untouched(runner, app, two_stores, tmp_path):
    first = write(tmp_path, "1.csv", csv_bytes([emp_row("E1")]))
    assert cli_import(runner, "employees", first).exit_code == 0
    before = table_counts()
    rows = [
        emp_row("E1", annual_base_salary="99999.00", store="B1", store_since="2024-03-01"),  # valid on its own
        emp_row("E2", store="NOPE"),
        emp_row("E3", hire_date="yesterday", fte="2"),
        emp_row("E4", manages="A1|Nowhere"),
    ]
    path = write(tmp_path, "2.csv", csv_bytes(rows))

    result = cli_import(runner, "employees", path)

    assert result.exit_code != 0
    problems = re.findall(r"row (\d+), ([a-z_]+):", result.stderr)
    assert problems == [("3", "store_code"), ("4", "hire_date"), ("4", "fte"), ("5", "manages")]
    assert table_counts() == before
    e1 = employee("E1")
    assert e1.annual_base_salary == Decimal("30000.00")
    assert [(a.store.code, a.end_date) for a in e1.assignments] == [("A1", None)]


def test_two_rows_with_the_same_email_are_refused_naming_both_rows(runner, app, two_stores, tmp_path):
    rows = [
        emp_row("E1", email="ann.lee@example.com"),
        emp_row("E2", email="bob@example.com"),
        emp_row("E3", email="Ann.Lee@Example.COM"),
    ]
    path = write(tmp_path, "e.csv", csv_bytes(rows))

    result = cli_import(runner, "employees", path)

    assert result.exit_code != 0
    assert "row 4, email: ann.lee@example.com is also the e-mail of row 2" in result.stderr
    assert count(Employee) == 0


def test_an_email_another_employee_keeps_is_refused_naming_them(runner, app, two_stores, tmp_path):
    first = write(tmp_path, "1.csv", csv_bytes([emp_row("E1", email="ann@example.com")]))
    assert cli_import(runner, "employees", first).exit_code == 0
    before = table_counts()
    path = write(tmp_path, "2.csv", csv_bytes([emp_row("E2", email="ANN@example.com")]))

    result = cli_import(runner, "employees", path)

    assert result.exit_code != 0
    assert "row 2, email: ann@example.com is already the e-mail of employee E1" in result.stderr
    assert table_counts() == before


def test_two_employees_may_swap_their_emails_in_one_file(runner, app, two_stores, tmp_path):
    rows = [emp_row("E1", email="one@example.com"), emp_row("E2", email="two@example.com")]
    assert cli_import(runner, "employees", write(tmp_path, "1.csv", csv_bytes(rows))).exit_code == 0
    swapped = [emp_row("E1", email="two@example.com"), emp_row("E2", email="one@example.com")]

    result = cli_import(runner, "employees", write(tmp_path, "2.csv", csv_bytes(swapped)))

    assert result.exit_code == 0, result.stderr
    assert (employee("E1").email, employee("E2").email) == ("two@example.com", "one@example.com")


def test_the_import_page_lists_a_repeated_email_on_its_row(client_as):
    rows = [emp_row("E1", email="ann@example.com"), emp_row("E2", email="Ann@example.com")]
    response = upload(client_as("hr"), "employees", csv_bytes(rows), "e.csv")
    assert response.status_code == 400
    assert error_cells(response.get_data(as_text=True)) == [("3", "email")]
    assert "is also the e-mail of row 2" in response.get_data(as_text=True)


def test_file_missing_a_column_is_rejected_naming_the_column(runner, app, two_stores, tmp_path):
    columns = [c for c in EMPLOYEE_COLUMNS if c != "fte"]
    path = write(tmp_path, "e.csv", csv_bytes([emp_row("E1")], columns=columns))

    result = cli_import(runner, "employees", path)

    assert result.exit_code != 0
    assert "row 1, fte: column missing from the header" in result.stderr
    assert count(Employee) == 0


def test_a_windows_1252_file_from_french_excel_is_read_with_its_accents(runner, app, two_stores, tmp_path):
    rows = [emp_row("E1", first_name="Zoé", last_name="Lefèvre", cost_center="Siège €")]
    content = csv_bytes(rows, sep=";").decode().encode("cp1252")
    path = write(tmp_path, "e.csv", content)

    result = cli_import(runner, "employees", path)

    assert result.exit_code == 0, result.output
    found = employee("E1")
    assert (found.first_name, found.last_name, found.cost_center) == ("Zoé", "Lefèvre", "Siège €")


def test_a_file_that_is_neither_utf8_nor_windows_1252_is_rejected(runner, app, two_stores, tmp_path):
    content = csv_bytes([emp_row("E1", first_name="Zoé")]).replace("Zoé".encode(), b"Zo\x81")
    path = write(tmp_path, "e.csv", content)

    result = cli_import(runner, "employees", path)

    assert result.exit_code != 0
    assert "neither UTF-8 nor Windows-1252" in result.stderr
    assert count(Employee) == 0


def test_french_dates_are_read_day_first(runner, app, two_stores, tmp_path):
    path = write(tmp_path, "e.csv", csv_bytes([emp_row("E1", hire_date="04/01/2021", store_since="4/1/2021")]))

    result = cli_import(runner, "employees", path)

    assert result.exit_code == 0, result.output
    assert employee("E1").hire_date == date(2021, 1, 4)


def test_row_numbers_stay_those_of_the_file_after_a_blank_line(runner, app, two_stores, tmp_path):
    lines = csv_bytes([emp_row("E1"), emp_row("E2", store="ZZ9")]).decode().splitlines()
    content = "\n".join([lines[0], lines[1], "", lines[2]]) + "\n"  # the bad row is on line 4
    path = write(tmp_path, "e.csv", content.encode())

    result = cli_import(runner, "employees", path)

    assert result.exit_code != 0
    assert "row 4, store_code: unknown store ZZ9" in result.stderr


# --- export ----------------------------------------------------------------------------------------


def test_import_then_export_gives_back_the_same_file(runner, app, example_stores, tmp_path):
    assert cli_import(runner, "employees", EMPLOYEES_EXAMPLE).exit_code == 0

    result = runner.invoke(args=["employees", "export", str(tmp_path / "out.csv")])

    assert result.exit_code == 0, result.output
    assert "5 employees written" in result.stdout
    exported = (tmp_path / "out.csv").read_bytes()
    assert exported == EMPLOYEES_EXAMPLE.read_bytes()
    assert b";1234567,89;" in exported


def test_export_import_export_is_byte_identical(runner, world, tmp_path):
    rows = exported_rows(runner, tmp_path)
    eve = world["employee"].number
    rows[eve].update(store_code="B1", store_since="2024-03-01", annual_base_salary="1234567.89", fte="0.5")
    rows[world["stranger"].number].update(exit_date="2025-01-31", email="sam@example.com", manages="North|A1")
    assert cli_import(runner, "employees", write(tmp_path, "edit.csv", csv_bytes(list(rows.values())))).exit_code == 0
    first = cli_export(runner, tmp_path, "first.csv")
    before = table_counts()

    again = cli_import(runner, "employees", tmp_path / "first.csv")
    second = cli_export(runner, tmp_path, "second.csv")

    assert again.exit_code == 0, again.output
    assert summary_line(0, 0, 3) in again.stdout
    assert table_counts() == before
    assert second == first
    assert "1234567,89" in first.decode() and "A1|North" in first.decode()


def test_reimporting_an_export_changes_nothing_even_for_formula_like_values(runner, app, two_stores, tmp_path):
    path = write(tmp_path, "e.csv", csv_bytes([emp_row("E1", cost_center="-")]))
    assert cli_import(runner, "employees", path).exit_code == 0
    exported = cli_export(runner, tmp_path)

    result = cli_import(runner, "employees", write(tmp_path, "again.csv", exported))

    assert summary_line(0, 0, 1) in result.stdout
    assert employee("E1").cost_center == "-"


# --- HR pages --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "employee", "payroll"])
def test_import_pages_are_for_hr_only(client_as, role):
    client = client_as(role)
    assert client.get("/import/employees").status_code == 403
    assert client.get("/import/stores").status_code == 403
    response = client.post(
        "/import/employees",
        data={"file": (io.BytesIO(b"x"), "employees.csv"), "csrf_token": csrf_token(client, "/")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert count(PendingUpload) == 0
    assert client_as("hr").get("/import/employees").status_code == 200


def test_import_page_previews_changes_and_writes_only_on_confirm(runner, world, client_as, tmp_path):
    rows = exported_rows(runner, tmp_path)
    eve = world["employee"].number
    rows[eve]["annual_base_salary"] = "31000.00"
    content = csv_bytes([*rows.values(), emp_row("NEW1", first_name="Nina", last_name="Nouvelle")])
    hr = client_as("hr")
    before = table_counts()

    preview = upload(hr, "employees", content, "employees.csv")

    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert preview_summary(html) == (1, 1, 2)
    assert "NEW1" in html and "31000.00" in html
    after_preview = table_counts()
    assert after_preview["PendingUpload"] == before["PendingUpload"] + 1
    assert {k: v for k, v in after_preview.items() if k != "PendingUpload"} == {
        k: v for k, v in before.items() if k != "PendingUpload"
    }

    done = confirm(hr, html, "employees")

    assert done.status_code == 302
    assert done.headers["Location"].endswith("/employees")
    assert count(Employee) == before["Employee"] + 1
    assert count(PendingUpload) == before["PendingUpload"]
    assert employee(eve).annual_base_salary == Decimal("31000.00")
    assert employee("NEW1").assignments[0].store.code == "A1"
    [update] = audit_events("employee.update")
    assert update.object_id == eve
    assert (update.before, update.after) == ({"annual_base_salary": "30000.00"}, {"annual_base_salary": "31000.00"})
    assert update.actor == "hr@test.example"
    [create] = audit_events("employee.create")
    assert create.object_id == "NEW1" and create.actor == "hr@test.example"
    assert confirm(hr, html, "employees").status_code == 404  # a token is used once


def test_the_preview_names_each_rows_status_in_the_readers_language(app, runner, world, client_as, tmp_path):
    rows = exported_rows(runner, tmp_path)
    rows[world["employee"].number]["annual_base_salary"] = "31000.00"
    content = csv_bytes([*rows.values(), emp_row("NEW1", first_name="Nina", last_name="Nouvelle")])
    app.config["PRIMO_DEFAULT_LANGUAGE"] = "fr"
    try:
        html = upload(client_as("hr"), "employees", content, "employees.csv").get_data(as_text=True)
    finally:
        app.config["PRIMO_DEFAULT_LANGUAGE"] = "en"
    assert "<td>nouveau</td>" in html and "<td>modifié</td>" in html
    assert "<td>new</td>" not in html and "<td>changed</td>" not in html


def test_import_page_rejects_a_bad_file_with_400_and_every_bad_row(world, client_as):
    rows = [emp_row("E1"), emp_row("E2", store="ZZ9"), emp_row("E3", fte="1.5", exit_date="2019-01-01")]
    hr = client_as("hr")
    before = table_counts()

    response = upload(hr, "employees", csv_bytes(rows), "employees.csv")

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert error_cells(html) == [("3", "store_code"), ("4", "exit_date"), ("4", "fte")]
    assert "unknown store ZZ9" in html
    assert "/confirm" not in html
    assert table_counts() == before


def test_import_page_same_file_twice_shows_nothing_new_or_changed(runner, world, client_as, tmp_path):
    content = csv_bytes([emp_row("E1"), emp_row("E2", store="B1")])
    hr = client_as("hr")
    first = upload(hr, "employees", content, "employees.csv").get_data(as_text=True)
    assert confirm(hr, first, "employees").status_code == 302
    before = table_counts()

    second = upload(hr, "employees", content, "employees.csv")

    html = second.get_data(as_text=True)
    assert preview_summary(html) == (0, 0, 2)
    assert confirm(hr, html, "employees").status_code == 302
    assert table_counts() == before


def test_import_page_accepts_xlsx_uploads(world, client_as):
    row = emp_row("00777", payroll_id="000777", cost_center="0042")
    values: list[Any] = [row[c] for c in EMPLOYEE_COLUMNS]
    values[EMPLOYEE_COLUMNS.index("hire_date")] = date(2021, 1, 4)
    values[EMPLOYEE_COLUMNS.index("store_since")] = date(2021, 1, 4)
    values[EMPLOYEE_COLUMNS.index("annual_base_salary")] = 1234567.89
    content = xlsx_bytes(list(EMPLOYEE_COLUMNS), [values], text_cells=("employee_number", "payroll_id", "cost_center"))
    hr = client_as("hr")

    preview = upload(hr, "employees", content, "employees.xlsx")

    assert preview.status_code == 200, preview.get_data(as_text=True)
    html = preview.get_data(as_text=True)
    assert preview_summary(html) == (1, 0, 0)
    assert confirm(hr, html, "employees").status_code == 302
    imported = employee("00777")
    assert (imported.payroll_id, imported.cost_center) == ("000777", "0042")
    assert imported.annual_base_salary == Decimal("1234567.89")
    assert imported.hire_date == date(2021, 1, 4)


def test_stores_import_page_previews_and_confirms(world, client_as):
    hr = client_as("hr")
    preview = upload(hr, "stores", STORES_EXAMPLE.read_bytes(), "stores.csv")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert preview_summary(html) == (3, 0, 0)
    assert count(Store) == 2

    done = confirm(hr, html, "stores")

    assert done.status_code == 302
    assert done.headers["Location"].endswith("/stores")
    assert count(Store) == 5
    assert {e.object_id for e in audit_events("store.create")} == {"00123", "LYO01", "PAR01"}


def test_confirm_refuses_a_file_that_went_stale_since_the_preview(runner, world, client_as, tmp_path):
    hr = client_as("hr")
    preview = upload(hr, "employees", csv_bytes([emp_row("E1", payroll_id="PX")]), "employees.csv")
    html = preview.get_data(as_text=True)
    assert preview_summary(html) == (1, 0, 0)
    # meanwhile the payroll id is taken by someone else
    assert (
        cli_import(runner, "employees", write(tmp_path, "x.csv", csv_bytes([emp_row("X9", payroll_id="PX")]))).exit_code
        == 0
    )
    before = table_counts()

    response = confirm(hr, html, "employees")

    assert response.status_code == 400
    assert ("2", "payroll_id") in error_cells(response.get_data(as_text=True))
    assert table_counts() == before
    assert db.session.scalar(sa.select(Employee).where(Employee.number == "E1")) is None


def test_confirm_token_belongs_to_the_hr_user_who_uploaded(world, client_as, make_user, app):
    hr = client_as("hr")
    html = upload(hr, "employees", csv_bytes([emp_row("E1")]), "employees.csv").get_data(as_text=True)
    make_user("hr2@test.example", "hr")
    other = app.test_client()
    assert login(other, "hr2@test.example").status_code == 302
    token = page_token(other.get("/import/employees").get_data(as_text=True))

    response = other.post(confirm_action(html, "employees"), data={"csrf_token": token})

    assert response.status_code == 404
    assert db.session.scalar(sa.select(Employee).where(Employee.number == "E1")) is None


@pytest.mark.parametrize("kind", ["stores", "employees"])
def test_each_import_page_offers_a_template_that_imports_as_it_is(runner, client_as, tmp_path, kind):
    hr = client_as("hr")
    assert f"/import/{kind}/template.csv" in hr.get(f"/import/{kind}").get_data(as_text=True)

    response = hr.get(f"/import/{kind}/template.csv")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="{kind}-template.csv"'
    content = response.get_data()
    columns = STORE_COLUMNS if kind == "stores" else EMPLOYEE_COLUMNS
    assert content.startswith(("\ufeff" + ";".join(columns) + "\r\n").encode())
    if kind == "employees":
        assert cli_import(runner, "stores", write(tmp_path, "s.csv", hr.get("/import/stores/template.csv").data))
    result = cli_import(runner, kind, write(tmp_path, f"{kind}.csv", content))
    assert result.exit_code == 0, result.output
    assert summary_line(1, 0, 0) in result.stdout


def test_the_preview_says_when_a_file_was_read_as_windows_1252(world, client_as):
    content = csv_bytes([emp_row("E1", first_name="Zoé")], sep=";").decode().encode("cp1252")

    html = upload(client_as("hr"), "employees", content, "employees.csv").get_data(as_text=True)

    assert 'data-test="encoding"' in html
    assert preview_summary(html) == (1, 0, 0)


def test_import_page_refuses_a_file_far_wider_than_the_format_with_400(world, client_as):
    header = ",".join(EMPLOYEE_COLUMNS + tuple(f"extra{i}" for i in range(50)))

    response = upload(client_as("hr"), "employees", f"{header}\n".encode(), "employees.csv")

    assert response.status_code == 400
    assert "more columns than the 25 this file can have" in response.get_data(as_text=True)
