"""Large survey files: read and checked in a forked reader process, and secondary indexes built again after a
load that outgrows the table. Each gives what the plain path gives; a rejected file leaves everything as it was.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.core.tabular import ImportRejected, RowError
from app.extensions import db
from app.feedback import ingest
from app.feedback.models import FollowUpCase, ResponseContact, SurveyResponse
from tests.integration.test_feedback_ingest import row, write_csv

DEFERRED = set(ingest._REBUILT_INDEXES)


def varied_rows(prefix: str, count: int, employee: str = "") -> list[dict[str, str]]:
    """Rows of both stores, naive and UTC times, detractors who consented with contacts, attributed answers."""
    rows = []
    for i in range(count):
        cells: dict[str, str] = {"nps": str(i % 11), "csat": str(1 + i % 5) if i % 3 else ""}
        if i % 4 == 0:
            cells.update(contact_consent="yes", customer_name=f"Client {i}", customer_contact=f"c{i}@example.com")
        if i % 5 == 0:
            cells["employee_number"] = employee
        cells["answered_at"] = f"2026-0{1 + i % 6}-1{i % 10}T1{i % 10}:05:00" + ("Z" if i % 2 else "")
        rows.append(row(f"{prefix}{i:03d}", store="B1" if i % 3 == 0 else "A1", **cells))
    return rows


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


def index_names() -> set[str]:
    return {i["name"] for i in sa.inspect(db.engine).get_indexes("survey_responses")}


def test_the_reader_process_stores_what_the_reader_thread_stores(app, world, tmp_path):
    number = world["employee"].number
    results = {}
    for source, in_process in (("thread", False), ("process", True)):
        path = write_csv(tmp_path / f"{source}.csv", varied_rows(source[0], 60, number))
        summary = ingest.import_responses(path, path.name, source, chunk_rows=7, in_process=in_process)
        db.session.commit()
        results[source] = ((summary.new, summary.contacts, summary.cases, summary.first_day), stored(source))
    assert results["process"] == results["thread"]
    counts, rows = results["process"]
    assert counts[0] == 60 and counts[1] == 15 and counts[2] > 0
    assert sum(1 for r in rows if r[7] is not None) == 12


def test_bad_rows_found_in_the_reader_process_are_all_listed(app, world, tmp_path):
    rows = varied_rows("x", 20)
    rows[3]["nps"] = "11"
    rows[15]["store_code"] = "NOPE"
    rows[18]["external_id"] = rows[2]["external_id"]
    path = write_csv(tmp_path / "bad.csv", rows)
    messages = {}
    for in_process in (False, True):
        with pytest.raises(ImportRejected) as rejected:
            ingest.import_responses(path, path.name, chunk_rows=4, in_process=in_process)
        db.session.rollback()
        messages[in_process] = [str(e) for e in rejected.value.errors]
    assert messages[True] == messages[False]
    assert messages[True] == [
        "row 5, nps: 11 is out of range (0 to 10)",
        "row 17, store_code: unknown store 'NOPE'",
        "row 20, external_id: 'x002' appears more than once in the file",
    ]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 0


def test_a_file_the_reader_process_cannot_read_fails_cleanly(app, world, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(",".join(ingest.ALL_COLUMNS).encode() + b"\nr1,A1,2026-01-01T10:00,email,9,,,caf\xe9,,,,\n")
    with pytest.raises(ImportRejected) as rejected:
        ingest.import_responses(path, path.name, in_process=True)
    db.session.rollback()
    assert [str(e) for e in rejected.value.errors] == ["file: the file is not UTF-8 text (byte 163)"]


def test_rejections_cross_the_process_boundary_with_their_rows():
    error = ImportRejected([RowError(4, "nps", "11 is out of range (0 to 10)")])
    copy = pickle.loads(pickle.dumps(error))
    assert [str(e) for e in copy.errors] == ["row 4, nps: 11 is out of range (0 to 10)"]


def test_a_load_larger_than_the_table_builds_the_secondary_indexes_again(app, world, tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "REBUILD_MIN_ROWS", 10)
    rebuilt: list[list[str]] = []
    defer = ingest._Writer._defer_indexes

    def spy(self, expected_rows, unique_again):
        indexes = defer(self, expected_rows, unique_again)
        rebuilt.append(sorted(i.name for i in indexes))
        return indexes

    monkeypatch.setattr(ingest._Writer, "_defer_indexes", spy)
    first = write_csv(tmp_path / "first.csv", varied_rows("a", 40))
    ingest.import_responses(first, first.name, chunk_rows=9)
    db.session.commit()
    assert rebuilt == [sorted(DEFERRED)]
    assert DEFERRED <= index_names()

    # A rejected file puts back the indexes it dropped: the drop was part of its transaction.
    bad = varied_rows("b", 60)
    bad[-1]["nps"] = "x"
    with pytest.raises(ImportRejected):
        ingest.import_responses(write_csv(tmp_path / "bad.csv", bad), "bad.csv", chunk_rows=9)
    db.session.rollback()
    assert rebuilt[-1] == sorted(DEFERRED)
    assert DEFERRED <= index_names()

    # A file smaller than what the table holds keeps the indexes up row by row.
    small = write_csv(tmp_path / "small.csv", varied_rows("c", 12))
    ingest.import_responses(small, small.name)
    db.session.commit()
    assert rebuilt[-1] == []
    assert DEFERRED <= index_names()
    # The rebuilt indexes serve the queries they are for.
    store = world["north"].id
    by_index = db.session.scalar(
        sa.select(sa.func.count()).where(SurveyResponse.store_id == store, SurveyResponse.local_month == 202601)
    )
    assert by_index == sum(
        1
        for r in varied_rows("a", 40) + varied_rows("c", 12)
        if r["store_code"] == "A1" and r["answered_at"].startswith("2026-01")
    )


def unique_keys() -> set[str]:
    return {c["name"] for c in sa.inspect(db.engine).get_unique_constraints("survey_responses")}


class _BulkSpy:
    """Which writers of the imports dropped the unique key, and whether building it again worked."""

    def __init__(self, monkeypatch):
        self.dropped: list[bool] = []
        self.finished: list[bool] = []
        defer, finish = ingest._Writer._defer_indexes, ingest._Writer.finish

        def spy_defer(writer, expected_rows, unique_again):
            indexes = defer(writer, expected_rows, unique_again)
            self.dropped.append(writer.unique_rebuilt)
            return indexes

        def spy_finish(writer):
            done = finish(writer)
            self.finished.append(done)
            return done

        monkeypatch.setattr(ingest, "REBUILD_MIN_ROWS", 10)
        monkeypatch.setattr(ingest._Writer, "_defer_indexes", spy_defer)
        monkeypatch.setattr(ingest._Writer, "finish", spy_finish)


def test_a_first_large_load_of_a_source_builds_its_unique_key_again(app, world, tmp_path, monkeypatch):
    """PostgreSQL: a source's first large load drops the unique key and builds it again; once the source holds
    responses, loads keep it (a stored id must stop a row)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps its unique index: dropping it would mean copying the table")
    spy = _BulkSpy(monkeypatch)
    first = write_csv(tmp_path / "first.csv", varied_rows("a", 40))
    summary = ingest.import_responses(first, first.name, chunk_rows=9)
    db.session.commit()
    assert (spy.dropped, spy.finished, summary.new) == ([True], [True], 40)
    assert ingest._UNIQUE_KEY in unique_keys() and DEFERRED <= index_names()

    # The same file again, as large as the table: the key stays, and stops every row.
    summary = ingest.import_responses(first, first.name, chunk_rows=9)
    db.session.commit()
    assert (spy.dropped, spy.finished, summary.new, summary.skipped) == ([True, False], [True, True], 0, 40)
    # Another source's first load drops it again; the responses of both are all there.
    other = write_csv(tmp_path / "other.csv", varied_rows("b", 90))
    summary = ingest.import_responses(other, other.name, source="kiosk", chunk_rows=9)
    db.session.commit()
    assert (spy.dropped[-1], spy.finished[-1], summary.new) == (True, True, 90)
    assert ingest._UNIQUE_KEY in unique_keys()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 130


def test_an_id_repeated_across_chunks_of_a_first_load_is_listed_and_nothing_kept(app, world, tmp_path, monkeypatch):
    """PostgreSQL: with the unique key dropped, an id repeated in a later chunk lets the key fail to build; the
    import is undone and read again with the key in place, which lists the repeat by row."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps its unique index")
    spy = _BulkSpy(monkeypatch)
    rows = varied_rows("a", 40)
    rows[35]["external_id"] = rows[2]["external_id"]  # in the fourth chunk of nine rows, the first's id
    path = write_csv(tmp_path / "repeat.csv", rows)
    with pytest.raises(ImportRejected) as rejected:
        ingest.import_responses(path, path.name, chunk_rows=9, in_process=True)
    assert (spy.dropped, spy.finished) == ([True, False], [False])
    assert [(e.row, e.column) for e in rejected.value.errors] == [(37, "external_id")]
    assert "appears more than once in the file" in rejected.value.errors[0].message
    db.session.rollback()
    assert ingest._UNIQUE_KEY in unique_keys() and DEFERRED <= index_names()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 0


def test_the_size_of_a_file_estimates_its_rows_from_above(tmp_path):
    csv_path = tmp_path / "s.csv"
    csv_path.write_bytes(b"x" * 5000)
    assert ingest._expected_rows(csv_path, "s.csv") == 5000 // ingest._MIN_BYTES_PER_ROW
    assert ingest._expected_rows(b"y" * 700, "upload.csv") == 700 // ingest._MIN_BYTES_PER_ROW
    assert ingest._expected_rows(Path(tmp_path / "missing.csv"), "missing.csv") == 0
    assert ingest._expected_rows(ingest.XLSX_MAGIC + b"z" * 9000, "a.xlsx") == 0
    # The bench file's rows are 69 bytes long: the estimate is above the real count.
    assert 1_000_000 * 69 // ingest._MIN_BYTES_PER_ROW > 1_000_000
    assert ResponseContact.__tablename__ == "response_contacts"


def test_a_stored_id_inside_a_many_row_statement_is_skipped_and_the_rest_stored(app, world, tmp_path):
    """SQLite writes 50 rows a statement: a stored id in the second statement stops it whole; the rows of the
    first stay, and the careful way takes the rest."""
    rows = varied_rows("m", 130)
    base = write_csv(tmp_path / "base.csv", [rows[75]])
    ingest.import_responses(base, base.name)
    db.session.commit()
    path = write_csv(tmp_path / "many.csv", rows)
    summary = ingest.import_responses(path, path.name, chunk_rows=200, in_process=False)
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
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 130


def test_ids_taken_by_another_session_during_a_copy_are_found_by_lookup(app, world, tmp_path, monkeypatch):
    """PostgreSQL: a chunk's ids are the sequence values between two readings, unless another writer took one
    meanwhile; then they are looked up, and contacts and cases still land on their own responses."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite gives the ids itself under its write lock")
    copy_binary = ingest._copy_binary
    taken: list[int] = []

    def with_a_concurrent_writer(cursor, table, *args):
        """Have another session take a value from the id sequence as the first COPY of responses begins."""
        if table == "survey_responses" and not taken:
            with db.engine.connect() as other:
                sequence = "pg_get_serial_sequence('survey_responses', 'id')"
                taken.append(other.exec_driver_sql(f"SELECT nextval({sequence})").scalar_one())
                other.commit()
        copy_binary(cursor, table, *args)

    monkeypatch.setattr(ingest, "_copy_binary", with_a_concurrent_writer)
    rows = varied_rows("g", 12)
    path = write_csv(tmp_path / "gap.csv", rows)
    summary = ingest.import_responses(path, path.name, in_process=False)
    db.session.commit()
    assert summary.new == 12
    # The other session took the value after this import's first reading: a reading, then 12 rows, would have
    # ended one further than it did, so the ids were looked up rather than counted.
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
