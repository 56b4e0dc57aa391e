"""Large survey files, read and written in chunks: each chunk size gives what one chunk gives, a rejected file leaves
nothing, the webhook's response goes through the same row check as a file's row, and the survey tables' foreign keys
(with their ON DELETE rules) hold whoever writes, also on data that was there before the migration that brought
them back. All-or-nothing, re-imports, consent, cases, preview and undo through the CLI and pages:
test_feedback_ingest.py.
"""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext

from app.core.tabular import ImportRejected, Limits
from app.extensions import db
from app.feedback import ingest, survey_rows
from app.feedback.models import FollowUpCase, ImportBatch, ResponseContact, SurveyResponse
from app.feedback.sources import create_source
from app.feedback.survey_rows import ALL_COLUMNS
from tests.conftest import csrf_token


@pytest.fixture
def varied_rows(survey_row):
    """varied_rows(prefix, count, employee=""): rows of both stores, naive and UTC times, detractors who consented
    with contacts, attributed answers."""
    return lambda prefix, count, employee="": [_varied_row(survey_row, prefix, i, employee) for i in range(count)]


def _varied_row(survey_row, prefix: str, i: int, employee: str) -> dict[str, str]:
    cells: dict[str, str] = {"nps": str(i % 11), "csat": str(1 + i % 5) if i % 3 else ""}
    if i % 4 == 0:
        cells.update(contact_consent="yes", customer_name=f"Client {i}", customer_contact=f"c{i}@example.com")
    if i % 5 == 0:
        cells["employee_number"] = employee
    cells["answered_at"] = f"2026-0{1 + i % 6}-1{i % 10}T1{i % 10}:05:00" + ("Z" if i % 2 else "")
    return survey_row(f"{prefix}{i:03d}", store="B1" if i % 3 == 0 else "A1", **cells)


def stored(source: str) -> list[tuple]:
    """The stored rows of a source, without ids, with their contacts and cases."""
    db.session.expire_all()
    query = sa.select(SurveyResponse).where(SurveyResponse.source == source).order_by(SurveyResponse.external_id)
    out = []
    for r in db.session.scalars(query):
        case = db.session.scalar(sa.select(FollowUpCase).where(FollowUpCase.response_id == r.id))
        out.append(
            (
                r.external_id[1:],
                r.store_id,
                r.answered_at,
                r.local_date,
                r.local_month,
                r.nps,
                r.csat,
                r.employee_id,
                r.contact_consent,
                r.contact.customer_name if r.contact else None,
                (case.store_id, case.due_at) if case else None,
            )
        )
    return out


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_a_file_read_in_small_chunks_stores_what_one_chunk_stores(app, world, tmp_path, survey_csv, varied_rows):
    number = world["employee"].number
    results = {}
    for source, chunk_rows in (("whole", ingest.CHUNK_ROWS), ("small", 7)):
        path = survey_csv(tmp_path / f"{source}.csv", varied_rows(source[0], 60, number))
        summary = ingest.import_responses(path, path.name, source, chunk_rows=chunk_rows)
        db.session.commit()
        results[source] = ((summary.new, summary.contacts, summary.cases, summary.first_day), stored(source))
    assert results["small"] == results["whole"]
    counts, rows = results["small"]
    assert counts[0] == 60 and counts[1] == 15 and counts[2] > 0
    assert sum(1 for r in rows if r[7] is not None) == 12


def test_bad_rows_are_all_listed_whatever_the_chunk_size(app, world, tmp_path, survey_csv, varied_rows):
    rows = varied_rows("x", 20)
    rows[3]["nps"] = "11"
    rows[15]["store_code"] = "NOPE"
    rows[18]["external_id"] = rows[2]["external_id"]
    path = survey_csv(tmp_path / "bad.csv", rows)
    messages = {}
    for chunk_rows in (ingest.CHUNK_ROWS, 4):
        with pytest.raises(ImportRejected) as rejected:
            ingest.import_responses(path, path.name, chunk_rows=chunk_rows)
        db.session.rollback()
        messages[chunk_rows] = [str(e) for e in rejected.value.errors]
    assert messages[4] == messages[ingest.CHUNK_ROWS]
    assert messages[4] == [
        "row 5, nps: 11 is out of range (0 to 10)",
        "row 17, store_code: unknown store 'NOPE'",
        "row 20, external_id: 'x002' appears more than once in the file",
    ]
    assert count(SurveyResponse) == 0


def test_a_windows_1252_file_as_french_excel_saves_it_is_read_with_its_dates(
    app, world, tmp_path, survey_row, survey_csv
):
    """Excel's default CSV: Windows-1252 text, `;`, and `dd/mm/yyyy HH:MM` times in the company's time zone."""
    rows = [
        survey_row("fr1", answered_at="15/06/2026 18:30", comment="Très déçu – café froid"),
        survey_row("fr2", answered_at="1/12/2026 08:05:09"),
    ]
    path = survey_csv(tmp_path / "excel.csv", rows, encoding="cp1252")
    path.write_bytes(path.read_bytes().replace(b",", b";"))
    summary = ingest.import_responses(path, path.name)
    db.session.commit()
    assert summary.encoding == "windows-1252" and summary.new == 2
    stored_rows = {r.external_id: r for r in db.session.scalars(sa.select(SurveyResponse))}
    assert stored_rows["fr1"].comment == "Très déçu – café froid"
    assert stored_rows["fr1"].answered_at.replace(tzinfo=None) == datetime(2026, 6, 15, 16, 30)  # Paris, summer
    assert stored_rows["fr2"].answered_at.replace(tzinfo=None) == datetime(2026, 12, 1, 7, 5, 9)  # Paris, winter
    assert stored_rows["fr2"].local_date == date(2026, 12, 1)
    utf8 = ingest.import_responses(survey_csv(tmp_path / "utf8.csv", [survey_row("u1", comment="déçu")]), "u.csv")
    assert utf8.encoding == "utf-8"


def test_a_french_time_that_does_not_exist_is_refused_naming_the_formats(app, world, tmp_path, survey_row, survey_csv):
    rows = [survey_row(f"b{i}", answered_at=when) for i, when in enumerate(("31/02/2026 10:00", "15/06/2026 25:00"))]
    with pytest.raises(ImportRejected) as rejected:
        ingest.import_responses(survey_csv(tmp_path / "bad.csv", rows), "bad.csv")
    db.session.rollback()
    assert [(e.row, e.column) for e in rejected.value.errors] == [(2, "answered_at"), (3, "answered_at")]
    assert "DD/MM/YYYY HH:MM[:SS]" in rejected.value.errors[0].message


def test_a_file_neither_utf8_nor_windows_1252_is_refused_naming_the_byte(app, world, tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(",".join(ALL_COLUMNS).encode() + b"\nr1,A1,2026-01-01T10:00,email,9,,,caf\x81,,,,\n")
    with pytest.raises(ImportRejected) as rejected:
        ingest.import_responses(path, path.name)
    db.session.rollback()
    assert [str(e) for e in rejected.value.errors] == [
        "file: the file is neither UTF-8 nor Windows-1252 text (byte 163)"
    ]


def test_a_record_with_more_cells_than_the_header_refuses_the_file(app, world, tmp_path, survey_row, survey_csv):
    path = survey_csv(tmp_path / "wide.csv", [survey_row("a"), survey_row("b")])
    with path.open("a", encoding="utf-8") as handle:
        handle.write("c,A1,2026-01-01T10:00,email,9,,,,,,,,surprise\n")
    with pytest.raises(ImportRejected) as rejected:
        ingest.import_responses(path, path.name)
    db.session.rollback()
    assert [str(e) for e in rejected.value.errors] == ["row 4: 13 cells, the header has 12 columns"]
    assert count(SurveyResponse) == 0


def test_an_id_repeated_across_chunks_is_listed_and_nothing_kept(app, world, tmp_path, survey_csv, varied_rows):
    rows = varied_rows("a", 40)
    rows[35]["external_id"] = rows[2]["external_id"]  # in the fourth chunk of nine rows, the first's id
    path = survey_csv(tmp_path / "repeat.csv", rows)
    with pytest.raises(ImportRejected) as rejected:
        ingest.import_responses(path, path.name, chunk_rows=9)
    assert [(e.row, e.column) for e in rejected.value.errors] == [(37, "external_id")]
    assert "appears more than once in the file" in rejected.value.errors[0].message
    db.session.rollback()
    assert count(SurveyResponse) == 0 and count(ImportBatch) == 0


def test_a_stored_id_inside_a_many_row_statement_is_skipped_and_the_rest_stored(
    app, world, tmp_path, survey_csv, varied_rows
):
    """A chunk goes in as one statement (many VALUES on SQLite, INSERT … SELECT on PostgreSQL): a stored id in
    the middle of it is left out, the rows around it go in, and every contact names its own response."""
    rows = varied_rows("m", 130)
    base = survey_csv(tmp_path / "base.csv", [rows[75]])
    ingest.import_responses(base, base.name)
    db.session.commit()
    path = survey_csv(tmp_path / "many.csv", rows)
    summary = ingest.import_responses(path, path.name, chunk_rows=200)
    db.session.commit()
    assert (summary.new, summary.skipped) == (129, 1)
    names = dict(
        db.session.execute(
            sa.select(SurveyResponse.external_id, ResponseContact.customer_name).join(
                ResponseContact, ResponseContact.response_id == SurveyResponse.id
            )
        ).all()
    )
    expected = {r["external_id"]: r["customer_name"] for r in rows if r["customer_name"]}
    assert names == expected
    assert count(SurveyResponse) == 130


def test_ids_another_session_takes_during_an_import_leave_contacts_on_their_responses(
    app, world, tmp_path, monkeypatch, survey_csv, varied_rows
):
    """PostgreSQL: another writer takes a value of the id sequence while a chunk goes in; the ids are those the
    database returns, so contacts and cases still land on their own responses."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    write = ingest._PostgresWriter.responses
    taken: list[int] = []

    def with_a_concurrent_writer(writer, rows):
        if not taken:
            with db.engine.connect() as other:
                sequence = "pg_get_serial_sequence('survey_responses', 'id')"
                taken.append(other.exec_driver_sql(f"SELECT nextval({sequence})").scalar_one())
                other.commit()
        return write(writer, rows)

    monkeypatch.setattr(ingest._PostgresWriter, "responses", with_a_concurrent_writer)
    rows = varied_rows("g", 12)
    summary = ingest.import_responses(survey_csv(tmp_path / "gap.csv", rows), "gap.csv", chunk_rows=5)
    db.session.commit()
    assert summary.new == 12
    assert sorted(db.session.scalars(sa.select(SurveyResponse.id))) == list(range(taken[0] + 1, taken[0] + 13))
    names = dict(
        db.session.execute(
            sa.select(SurveyResponse.external_id, ResponseContact.customer_name).join(
                ResponseContact, ResponseContact.response_id == SurveyResponse.id
            )
        ).all()
    )
    assert names == {r["external_id"]: r["customer_name"] for r in rows if r["customer_name"]}
    for case in db.session.scalars(sa.select(FollowUpCase)):
        assert case.response.nps is not None and case.response.nps <= 6 and case.response.contact_consent


# --- foreign keys -------------------------------------------------------------------------------------------


def _insert_response(**values) -> None:
    columns = {
        "source": "raw",
        "external_id": "r1",
        "store_id": None,
        "answered_at": "2026-06-01 10:00:00",
        "local_date": "2026-06-01",
        "local_month": 202606,
        "channel": "web",
        "nps": 9,
        "contact_consent": False,
        "excluded": False,
    }
    columns.update(values)
    names = ", ".join(columns)
    marks = ", ".join(f":{c}" for c in columns)
    db.session.execute(sa.text(f"INSERT INTO survey_responses ({names}) VALUES ({marks})"), columns)
    db.session.flush()


@pytest.mark.parametrize(
    ("column", "value"), [("store_id", 9999), ("employee_id", 9999), ("batch_id", 9999)], ids=lambda v: str(v)
)
def test_a_response_naming_what_does_not_exist_cannot_be_written_even_by_hand(app, world, column, value):
    values = {"store_id": world["north"].id, column: value}
    with pytest.raises(sa.exc.IntegrityError):
        _insert_response(**values)
    db.session.rollback()
    assert count(SurveyResponse) == 0


def test_contacts_and_cases_must_name_an_existing_response(app, world):
    with pytest.raises(sa.exc.IntegrityError):
        db.session.add(ResponseContact(response_id=9999, customer_name="Nobody", purge_after=date(2026, 9, 1)))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.text(
                "INSERT INTO followup_cases (response_id, store_id, status, opened_at, due_at) "
                "VALUES (9999, :store, 'open', '2026-06-01 10:00:00', '2026-06-03 10:00:00')"
            ),
            {"store": world["north"].id},
        )
    db.session.rollback()


def _consenting_detractor(tmp_path, world, survey_row, survey_csv) -> SurveyResponse:
    cells = {"nps": "2", "contact_consent": "yes", "customer_name": "Ada", "employee_number": world["employee"].number}
    ingest.import_responses(survey_csv(tmp_path / "one.csv", [survey_row("d1", **cells)]), "one.csv")
    db.session.commit()
    return db.session.scalar(sa.select(SurveyResponse))


def test_deleting_a_response_deletes_its_contact_and_case(app, world, tmp_path, survey_row, survey_csv):
    """Whoever deletes it (undo does, see test_feedback_ingest, which also shows a recognition losing its link)."""
    response = _consenting_detractor(tmp_path, world, survey_row, survey_csv)
    assert (count(ResponseContact), count(FollowUpCase)) == (1, 1)
    db.session.execute(sa.delete(SurveyResponse).where(SurveyResponse.id == response.id))
    db.session.commit()
    assert (count(SurveyResponse), count(ResponseContact), count(FollowUpCase)) == (0, 0, 0)


def test_deleting_an_employee_leaves_their_answers_unattributed(app, world, tmp_path, survey_row, survey_csv):
    from app.org.models import Assignment, Employee

    response = _consenting_detractor(tmp_path, world, survey_row, survey_csv)
    employee = world["employee"]
    assert response.employee_id == employee.id
    # What else points at the employee goes first: the test is about the survey's rule only.
    db.session.execute(sa.delete(Assignment).where(Assignment.employee_id == employee.id))
    for user in world["users"].values():
        if user.employee_id == employee.id:
            db.session.delete(user)
    db.session.flush()
    db.session.execute(sa.delete(Employee).where(Employee.id == employee.id))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(SurveyResponse, response.id).employee_id is None


def test_a_store_or_an_import_batch_with_answers_cannot_be_deleted(app, world, tmp_path, survey_row, survey_csv):
    from app.org.models import Store

    response = _consenting_detractor(tmp_path, world, survey_row, survey_csv)
    for statement in (
        sa.delete(Store).where(Store.id == response.store_id),
        sa.delete(ImportBatch).where(ImportBatch.id == response.batch_id),
    ):
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(statement)
        db.session.rollback()
    assert count(SurveyResponse) == 1


# --- the migration that brought the keys back ---------------------------------------------------------------


@pytest.fixture
def scratch_url(session_app, tmp_path, monkeypatch):
    """An empty database of the kind the suite runs on (a SQLite file, or a new PostgreSQL database)."""
    monkeypatch.setenv("PRIMO_INSTANCE_PATH", str(tmp_path / "instance"))
    url = sa.engine.make_url(session_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite'}"
        return
    server = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"{url.database}_migration"
    with server.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    yield url.set(database=name).render_as_string(hide_password=False)
    with server.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    server.dispose()


def _old_survey_data(conn, store: int = 1) -> None:
    """Responses, contacts and cases as the schema without keys let them be: some pointing at nothing."""
    conn.exec_driver_sql("INSERT INTO regions (id, name) VALUES (1, 'North')")
    conn.exec_driver_sql("INSERT INTO stores (id, code, name, region_id) VALUES (1, 'A1', 'A', 1)")
    conn.exec_driver_sql(
        "INSERT INTO import_batches (id, source, filename, created_by, created_at, rows_inserted, rows_skipped, "
        "first_response_id, last_response_id) VALUES (1, 'import', 'f.csv', 'hr', '2026-01-01 00:00:00', 2, 0, 1, 2)"
    )
    for rid, batch, employee in ((1, "1", "NULL"), (2, "1", "77"), (3, "NULL", "NULL")):
        conn.exec_driver_sql(
            "INSERT INTO survey_responses (id, source, external_id, batch_id, store_id, answered_at, local_date, "
            f"local_month, channel, nps, employee_id, contact_consent, excluded) VALUES ({rid}, 'import', 'r{rid}', "
            f"{batch}, {store}, '2026-01-05 10:00:00', '2026-01-05', 202601, 'email', 2, {employee}, true, false)"
        )
    for response in (1, 999):  # 999: a response that is gone
        conn.exec_driver_sql(
            "INSERT INTO response_contacts (response_id, customer_name, purge_after) "
            f"VALUES ({response}, 'Ada', '2026-04-05')"
        )
        conn.exec_driver_sql(
            "INSERT INTO followup_cases (response_id, store_id, status, opened_at, due_at) "
            f"VALUES ({response}, 1, 'open', '2026-01-05 10:00:00', '2026-01-07 10:00:00')"
        )


def _survey_rows(conn) -> dict[str, list[tuple]]:
    queries = {
        "responses": "SELECT id, batch_id, store_id, employee_id FROM survey_responses ORDER BY id",
        "contacts": "SELECT response_id, customer_name FROM response_contacts ORDER BY response_id",
        "cases": "SELECT response_id, store_id FROM followup_cases ORDER BY response_id",
    }
    return {name: [tuple(r) for r in conn.exec_driver_sql(sql)] for name, sql in queries.items()}


def test_the_foreign_key_migration_keeps_the_data_and_treats_orphans_as_the_rules_would(scratch_url, capsys):
    from flask_migrate import downgrade, upgrade

    from app import create_app

    before = "b7c1d2e3f4a5"
    old = create_app({"SQLALCHEMY_DATABASE_URI": scratch_url, "TESTING": True, "SECRET_KEY": "test"})
    with old.app_context():
        upgrade(revision=before)
        with db.engine.connect() as conn:
            if conn.dialect.name == "sqlite":  # the old schema declared no keys; SQLite still knows the others
                conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
            _old_survey_data(conn)
            conn.commit()
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        upgrade()
        with db.engine.connect() as conn:
            assert _survey_rows(conn) == {
                "responses": [(1, 1, 1, None), (2, 1, 1, None), (3, None, 1, None)],  # employee 77 was never there
                "contacts": [(1, "Ada")],
                "cases": [(1, 1)],
            }
        keys = {
            (k["constrained_columns"][0], k["referred_table"], (k.get("options") or {}).get("ondelete"))
            for k in sa.inspect(db.engine).get_foreign_keys("survey_responses")
        }
        assert keys == {
            ("store_id", "stores", "RESTRICT"),
            ("employee_id", "employees", "SET NULL"),
            ("batch_id", "import_batches", "RESTRICT"),
        }
        downgrade(revision=before)
        assert sa.inspect(db.engine).get_foreign_keys("survey_responses") == []
        with db.engine.connect() as conn:
            assert _survey_rows(conn)["contacts"] == [(1, "Ada")]
            # A response whose store is gone: nothing sensible to make of it, so the upgrade stops and says so.
            conn.exec_driver_sql("UPDATE survey_responses SET store_id = 42 WHERE id = 3")
            conn.commit()
        with pytest.raises(SystemExit):  # Flask-Migrate logs the migration's error and exits
            upgrade()
        assert "1 row(s) of survey_responses name a store_id missing from stores" in capsys.readouterr().err
        with db.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == before
        db.session.remove()
        db.engine.dispose()


# --- one check for the file and the webhook -------------------------------------------------------------------


def test_the_webhook_and_a_file_judge_a_row_alike(app, world, tmp_path, survey_row, survey_csv):
    """Both ways in go through survey_rows.RowChecker: the same bad cells give the same reasons, the same good cells
    the same stored response, contact and case (here on the night clocks go forward in Paris)."""
    source = create_source("shop-app", "generic")
    db.session.commit()
    bad = survey_row("w1", store="NOPE", nps="11", answered_at="yesterday", contact_consent="maybe")
    with pytest.raises(ImportRejected) as from_file:
        ingest.import_responses(survey_csv(tmp_path / "bad.csv", [bad]), "bad.csv", "shop-app")
    db.session.rollback()
    with pytest.raises(ingest.ResponseRejected) as from_webhook:
        ingest.store_response(source, bad)
    db.session.rollback()
    reasons = [(e.column, e.message) for e in from_file.value.errors]
    assert [(e.column, e.message) for e in from_webhook.value.errors] == reasons
    assert [c for c, _ in reasons] == ["store_code", "answered_at", "nps", "contact_consent"]

    cells = {"nps": "3", "answered_at": "2026-03-29T02:30:00", "contact_consent": "yes", "customer_name": "Ada"}
    cells["employee_number"] = world["employee"].number
    ingest.import_responses(survey_csv(tmp_path / "good.csv", [survey_row("g1", **cells)]), "good.csv", "file")
    assert ingest.store_response(source, survey_row("g1", **cells))[0] == "created"
    db.session.commit()
    by_source = {
        r.source: (r.answered_at, r.local_date, r.local_month, r.nps, r.employee_id, r.contact.customer_name)
        for r in db.session.scalars(sa.select(SurveyResponse))
    }
    assert by_source["file"] == by_source["shop-app"]
    assert count(FollowUpCase) == 2


# --- hostile files, templates, the preview --------------------------------------------------------------------


def _upload(client, name: str, content: bytes):
    token = csrf_token(client, "/feedback/import")
    data = {"csrf_token": token, "source": "import", "file": (io.BytesIO(content), name)}
    return client.post("/feedback/import", data=data, content_type="multipart/form-data")


def _peak_memory_while(run) -> int:
    """The most memory Python held while `run()` ran, in bytes."""
    tracemalloc.start()
    try:
        run()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def _giant_xlsx(path, cells_per_row: int, rows: int):
    """A real workbook whose first sheet is replaced by one of `rows` × `cells_per_row` number cells, streamed."""
    small = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active.append(list(ALL_COLUMNS))
    workbook.save(small)
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                target.writestr(item, source.read(item))
        with target.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            cells = b"<c><v>1</v></c>" * cells_per_row
            for number in range(1, rows + 1):
                sheet.write(b'<row r="%d">' % number + cells + b"</row>")
            sheet.write(b"</sheetData></worksheet>")
    return path


def test_a_csv_with_a_million_columns_is_refused_without_reading_it_whole(app, world, tmp_path, runner, client_as):
    path = tmp_path / "wide.csv"
    path.write_bytes(",".join(ALL_COLUMNS).encode() + b"\nr1" + b",9" * 1_000_000 + b"\n")

    def refused():
        with pytest.raises(ImportRejected) as rejected:
            ingest.import_responses(path, path.name)
        assert [str(e) for e in rejected.value.errors] == ["file: line 2 is longer than 100,000 characters"]

    assert _peak_memory_while(refused) < 3_000_000  # the line alone is 2 MB of text; its cells would be ~60 MB
    db.session.rollback()
    result = runner.invoke(args=["surveys", "import", str(path)])
    assert result.exit_code != 0 and "line 2 is longer than 100,000 characters" in result.output
    # Under the test client's 500 KB threshold, past which it spools the body to a file it never closes.
    wide = ",".join(ALL_COLUMNS).encode() + b"\nr1" + b",9" * 200_000 + b"\n"
    response = _upload(client_as("hr"), "wide.csv", wide)
    assert response.status_code == 400 and "line 2 is longer than 100,000 characters" in response.get_data(as_text=True)
    header = tmp_path / "header.csv"
    header.write_bytes(",".join([*ALL_COLUMNS, *(f"extra{i}" for i in range(11))]).encode() + b"\n")
    with pytest.raises(ImportRejected) as rejected:
        ingest.import_responses(header, header.name)
    assert [str(e) for e in rejected.value.errors] == ["row 1: more columns than the 22 this file can have"]
    db.session.rollback()
    assert count(SurveyResponse) == 0 and count(ImportBatch) == 0


def test_an_xlsx_with_millions_of_cells_is_refused_before_openpyxl_reads_a_row(app, world, tmp_path, client_as):
    path = _giant_xlsx(tmp_path / "wide.xlsx", cells_per_row=2_000_000, rows=2)

    def refused():
        with pytest.raises(ImportRejected) as rejected:
            ingest.import_responses(path, path.name)
        assert [str(e) for e in rejected.value.errors] == ["row 1: more columns than the 22 this file can have"]

    assert _peak_memory_while(refused) < 5_000_000  # openpyxl would build rows of 2 million cells
    db.session.rollback()
    response = _upload(client_as("hr"), "wide.xlsx", path.read_bytes())
    assert response.status_code == 400 and "more columns than the 22" in response.get_data(as_text=True)
    assert count(SurveyResponse) == 0


def test_an_xlsx_taller_than_the_cell_limit_is_stopped_at_the_row_that_crosses_it(app, world, tmp_path, monkeypatch):
    monkeypatch.setattr(survey_rows, "_limits", lambda: Limits(survey_rows.MAX_COLUMNS, 1_000))
    path = _giant_xlsx(tmp_path / "tall.xlsx", cells_per_row=12, rows=200)
    with pytest.raises(ImportRejected) as rejected:
        ingest.import_responses(path, path.name)
    db.session.rollback()
    assert [str(e) for e in rejected.value.errors] == ["row 84: the file has more than 1,000 cells"]


def test_the_survey_page_offers_a_template_that_imports_once_its_codes_exist(
    app, world, tmp_path, client_as, make_store, make_employee
):
    client = client_as("hr")
    page = client.get("/feedback/import").get_data(as_text=True)
    assert 'href="/import/surveys/template.csv"' in page
    response = client.get("/import/surveys/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "surveys-template.csv" in response.headers["Content-Disposition"]
    content = response.get_data()
    assert content.startswith("\ufeff".encode()) and content.splitlines()[0].decode("utf-8-sig") == ";".join(
        ALL_COLUMNS
    )
    make_employee(make_store("PAR01"), number="E1001")
    summary = ingest.import_responses(content, "surveys-template.csv")
    assert (summary.new, summary.contacts, summary.cases) == (2, 1, 1)
    db.session.rollback()
    assert client_as("employee").get("/import/surveys/template.csv").status_code == 403


def test_the_preview_says_when_a_file_was_read_as_windows_1252(app, world, client_as, survey_row):
    client = client_as("hr")
    cells = survey_row("w1", comment="Très bien")
    latin = (",".join(ALL_COLUMNS) + "\n" + ",".join(cells[c] for c in ALL_COLUMNS) + "\n").encode("cp1252")
    said = 'data-test="encoding"'
    response = _upload(client, "excel.csv", latin)
    assert response.status_code == 200 and said in response.get_data(as_text=True)
    response = _upload(client, "utf8.csv", latin.decode("cp1252").encode("utf-8"))
    assert response.status_code == 200 and said not in response.get_data(as_text=True)


def test_a_large_import_on_postgresql_gives_the_planner_statistics_of_its_own_rows(
    app, world, tmp_path, survey_csv, varied_rows, monkeypatch
):
    """Planned on empty tables' statistics, the flags' query after a first big import read every contact for every
    response; the import analyses the survey tables once it has written enough rows, inside its transaction."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner statistics")
    monkeypatch.setattr(ingest._PostgresWriter, "ANALYZE_AFTER", 50)
    path = survey_csv(tmp_path / "big.csv", varied_rows("b", 60, world["employee"].number))
    ingest.import_responses(path, path.name, "bulk")
    estimated = db.session.scalar(sa.text("SELECT reltuples FROM pg_class WHERE relname = 'survey_responses'"))
    assert estimated == count(SurveyResponse) == 60  # before the commit: the import's own rows
    db.session.commit()
