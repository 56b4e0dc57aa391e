"""Survey import: `flask surveys import`, the HR upload/preview/confirm pages, undoing a batch, `flask feedback purge`
and webhook sources (`flask feedback sources add`, HR pages).

A file is all or nothing with every bad row listed; ids already stored are skipped and counted; dates are fixed in
the company time zone at ingest; customer contacts are kept only with consent and erased after the retention
period, leaving no trace in any table.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.core.models import PendingUpload
from app.core.tabular import ImportRejected
from app.extensions import db
from app.feedback import ingest
from app.feedback.models import (
    FeedbackSource,
    FollowUpCase,
    ImportBatch,
    PeriodLock,
    ResponseContact,
    SurveyResponse,
)
from app.feedback.survey_rows import ALL_COLUMNS, COLUMNS, RowChecker
from tests.conftest import csrf_token

PARIS = ZoneInfo("Europe/Paris")


# --- helpers ---------------------------------------------------------------------------------------


def surveys_import(runner, path: Path, *extra: str):
    return runner.invoke(args=["surveys", "import", str(path), *extra])


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def responses() -> dict[str, SurveyResponse]:
    db.session.expire_all()
    return {r.external_id: r for r in db.session.scalars(sa.select(SurveyResponse))}


def feedback_counts() -> dict[str, int]:
    models = (SurveyResponse, ResponseContact, FollowUpCase, ImportBatch, AuditEvent, PendingUpload)
    return {model.__name__: count(model) for model in models}


def tables_holding(*needles: str) -> list[str]:
    """Every table.column whose stored value contains one of the strings (text, JSON and binary columns)."""
    found = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.Text | sa.JSON | sa.LargeBinary)]
            for column in columns:
                for (value,) in conn.execute(sa.select(column).where(column.is_not(None))):
                    if isinstance(value, bytes):
                        text = value.decode("utf-8", "replace")
                    elif isinstance(value, str):
                        text = value
                    else:
                        text = json.dumps(value, ensure_ascii=False)
                    if any(needle in text for needle in needles):
                        found.append(f"{table.name}.{column.name}")
    return found


@pytest.fixture
def hr_client(client_as):
    return client_as("hr")


def upload(client, path: Path, source: str = "import"):
    token = csrf_token(client, "/feedback/import")
    with path.open("rb") as handle:
        return client.post(
            "/feedback/import",
            data={"csrf_token": token, "source": source, "file": (handle, path.name)},
            content_type="multipart/form-data",
        )


def post_action(client, path: str, page: str = "/feedback/batches"):
    return client.post(path, data={"csrf_token": csrf_token(client, page)})


# --- the file import -------------------------------------------------------------------------------


def test_import_fixes_utc_time_and_local_day_in_the_company_time_zone(runner, world, tmp_path, survey_row, survey_csv):
    path = survey_csv(
        tmp_path / "surveys.csv",
        [
            survey_row("local", answered_at="2026-06-30T23:30:00"),  # Paris wall-clock time: still 30 June
            survey_row("utc", answered_at="2026-06-30T22:30:00Z"),  # 00:30 on 1 July in Paris
            survey_row("offset", answered_at="2026-06-30T23:30:00+02:00", csat="4", ces="6", nps=""),
        ],
    )
    result = surveys_import(runner, path)
    assert result.exit_code == 0, result.output
    assert "3 rows, 3 new, 0 already imported, skipped" in result.output
    stored = responses()
    assert stored["local"].answered_at == datetime(2026, 6, 30, 21, 30, tzinfo=UTC)
    assert (stored["local"].local_date, stored["local"].local_month) == (date(2026, 6, 30), 202606)
    assert stored["utc"].answered_at == datetime(2026, 6, 30, 22, 30, tzinfo=UTC)
    assert (stored["utc"].local_date, stored["utc"].local_month) == (date(2026, 7, 1), 202607)
    assert (stored["offset"].local_date, stored["offset"].nps, stored["offset"].csat) == (date(2026, 6, 30), None, 4)
    assert {r.source for r in stored.values()} == {"import"}
    assert stored["local"].store_id == world["north"].id


def test_local_times_in_daylight_saving_gaps_and_overlaps_follow_python_zoneinfo(
    runner, world, tmp_path, survey_row, survey_csv
):
    path = survey_csv(
        tmp_path / "dst.csv",
        [
            survey_row("gap", answered_at="2026-03-29T02:30:00"),  # does not exist in Paris
            survey_row("overlap", answered_at="2026-10-25T02:30:00"),  # happens twice in Paris
            survey_row("winter", answered_at="2026-12-01T08:00"),
        ],
    )
    assert surveys_import(runner, path).exit_code == 0
    stored = responses()
    for key, local in (("gap", datetime(2026, 3, 29, 2, 30)), ("overlap", datetime(2026, 10, 25, 2, 30))):
        assert stored[key].answered_at == local.replace(tzinfo=PARIS).astimezone(UTC)
    assert stored["winter"].answered_at == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def test_import_records_a_batch_and_an_audit_event_with_counts_only(runner, world, tmp_path, survey_row, survey_csv):
    path = survey_csv(
        tmp_path / "june.csv",
        [
            survey_row(
                "a", answered_at="2026-06-01T09:00:00", contact_consent="yes", customer_name="Zoé Secret", nps="2"
            ),
            survey_row("b", answered_at="2026-06-20T09:00:00", customer_contact="hidden@example.com"),
        ],
    )
    assert surveys_import(runner, path).exit_code == 0
    batch = db.session.scalar(sa.select(ImportBatch))
    assert (batch.filename, batch.source, batch.created_by) == ("june.csv", "import", "cli")
    assert (batch.rows_inserted, batch.rows_skipped) == (2, 0)
    assert (batch.first_day, batch.last_day) == (date(2026, 6, 1), date(2026, 6, 20))
    assert {r.batch_id for r in responses().values()} == {batch.id}
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "surveys.import"))
    assert event.object_id == str(batch.id)
    assert event.after["new"] == 2 and event.after["skipped"] == 0 and event.after["cases"] == 1
    audit_text = json.dumps([event.summary, event.before, event.after])
    assert "Zoé" not in audit_text and "hidden@example.com" not in audit_text


def test_a_file_with_bad_rows_is_rejected_whole_listing_row_column_and_reason(
    runner, world, tmp_path, survey_row, survey_csv
):
    path = survey_csv(
        tmp_path / "bad.csv",
        [
            survey_row("ok-1"),
            survey_row("r3", nps="7.0"),
            survey_row("r4", csat="4.5", nps=""),
            survey_row("r5", nps="11"),
            survey_row("r6", ces="0", nps=""),
            survey_row("r7", nps="", csat="", ces=""),
            survey_row("r8", store="ZZ9"),
            survey_row("r9", employee_number="NOBODY"),
            survey_row("r10", answered_at="30.06.2026 10:00"),
            survey_row("r11", answered_at=""),
            survey_row("ok-1"),
            survey_row("r13", contact_consent="maybe"),
            survey_row("", nps="5"),
            survey_row("r15", nps="abc"),
        ],
    )
    before = feedback_counts()
    result = surveys_import(runner, path)
    assert result.exit_code == 1
    err = result.stderr
    assert "row 3, nps: '7.0' is not a whole number" in err
    assert "row 4, csat: '4.5' is not a whole number" in err
    assert "row 5, nps: 11 is out of range (0 to 10)" in err
    assert "row 6, ces: 0 is out of range (1 to 7)" in err
    assert "row 7, nps, csat, ces: every score is empty" in err
    assert "row 8, store_code: unknown store 'ZZ9'" in err
    assert "row 9, employee_number: unknown employee 'NOBODY'" in err
    assert "row 10, answered_at: '30.06.2026 10:00' is not an ISO 8601 timestamp" in err
    assert "row 11, answered_at: required" in err
    assert "row 12, external_id: 'ok-1' appears more than once in the file" in err
    assert "row 13, contact_consent:" in err
    assert "row 14, external_id: required" in err
    assert "row 15, nps: 'abc' is not a whole number" in err
    assert "row 2," not in err
    assert "nothing was imported" in err
    assert feedback_counts() == before


def test_row_numbers_count_records_as_a_spreadsheet_shows_them(runner, world, tmp_path, survey_row, survey_csv):
    """A quoted cell holding line breaks is one row, as in a spreadsheet, not one row per line of text; a blank
    line still counts as a row."""
    rows = [survey_row("m1", comment="Line one\nline two\nline three"), survey_row("m2", nps="12")]
    path = survey_csv(tmp_path / "multiline.csv", rows)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n" + ",".join(survey_row("m4", nps="x").get(c, "") for c in ALL_COLUMNS) + "\n")
    result = surveys_import(runner, path)
    assert result.exit_code == 1
    assert "row 3, nps: 12 is out of range (0 to 10)" in result.stderr
    assert "row 5, nps: 'x' is not a whole number" in result.stderr


def test_blank_lines_are_ignored_and_row_numbers_stay_those_of_the_file(runner, world, tmp_path):
    path = tmp_path / "blank.csv"
    header = ",".join(COLUMNS)
    path.write_text(
        f"\ufeff{header}\nx1,A1,2026-06-01T10:00:00,web,9,,,,,\n\n,,,,,,,,,\nx2,A1,2026-06-01T10:00,web,12,,,,,\n",
        encoding="utf-8",
    )
    result = surveys_import(runner, path)
    assert result.exit_code == 1
    assert "row 5, nps: 12 is out of range" in result.stderr
    path.write_text(f"{header}\nx1,A1,2026-06-01T10:00:00,web,9,,,,,\n\n,,,,,,,,,\n", encoding="utf-8")
    assert "1 rows, 1 new" in surveys_import(runner, path).output


def test_semicolon_files_and_spreadsheet_neutralised_cells_are_read(runner, world, tmp_path):
    path = tmp_path / "semi.csv"
    header = ";".join(COLUMNS)
    path.write_text(f"\ufeff{header}\n s1 ;A1;2026-06-01 10:00;'=web; 9 ;;;'-so-so;;non\n", encoding="utf-8")
    assert surveys_import(runner, path).exit_code == 0
    stored = responses()["s1"]
    assert (stored.channel, stored.nps, stored.comment, stored.contact_consent) == ("=web", 9, "-so-so", False)


def test_a_file_missing_a_column_is_rejected(runner, world, tmp_path, survey_row, survey_csv):
    columns = tuple(c for c in COLUMNS if c != "channel")
    result = surveys_import(runner, survey_csv(tmp_path / "cols.csv", [survey_row("a")], columns))
    assert result.exit_code == 1
    assert "row 1, channel: column missing from the header" in result.stderr
    assert count(SurveyResponse) == 0


def test_an_empty_file_or_unreadable_path_fails_cleanly(runner, world, tmp_path, survey_row, survey_csv):
    result = surveys_import(runner, survey_csv(tmp_path / "empty.csv", []))
    assert result.exit_code == 1 and "holds no responses" in result.stderr
    result = surveys_import(runner, tmp_path / "missing.csv")
    assert result.exit_code == 1 and "cannot read the file" in result.stderr
    result = surveys_import(runner, survey_csv(tmp_path / "x.csv", [survey_row("a")]), "--source", "bad name")
    assert result.exit_code == 1 and "not a valid source name" in result.stderr
    assert count(ImportBatch) == 0


def test_reimporting_skips_ids_already_stored_and_says_how_many(runner, world, tmp_path, survey_row, survey_csv):
    first = survey_csv(tmp_path / "first.csv", [survey_row("a"), survey_row("b", store="B1")])
    assert "2 new, 0 already imported" in surveys_import(runner, first).output
    again = surveys_import(runner, first)
    assert again.exit_code == 0 and "0 new, 2 already imported, skipped" in again.output
    more = survey_csv(tmp_path / "more.csv", [survey_row("a"), survey_row("c"), survey_row("b", store="B1")])
    result = surveys_import(runner, more)
    assert "3 rows, 1 new, 2 already imported, skipped" in result.output
    assert sorted(responses()) == ["a", "b", "c"]
    batches = list(db.session.scalars(sa.select(ImportBatch).order_by(ImportBatch.id)))
    assert [(b.rows_inserted, b.rows_skipped) for b in batches] == [(2, 0), (0, 2), (1, 2)]
    # Another source has its own ids.
    assert "2 new" in surveys_import(runner, first, "--source", "kiosk").output


def test_duplicates_and_skips_are_found_across_chunks(app, world, tmp_path, survey_row, survey_csv):
    rows = [survey_row(f"id{i}") for i in range(7)]
    ingest.import_responses(survey_csv(tmp_path / "base.csv", rows[:3]), "base.csv")
    db.session.commit()
    # Chunks of two rows: id1 stored before (skipped), id5 repeated three chunks later, id0 skipped twice.
    mixed = [rows[1], rows[3], rows[4], rows[5], rows[0], rows[6], rows[5], rows[0]]
    with pytest.raises(ImportRejected) as rejected:
        ingest.import_responses(survey_csv(tmp_path / "mixed.csv", mixed), "mixed.csv", chunk_rows=2)
    db.session.rollback()
    messages = [str(e) for e in rejected.value.errors]
    assert messages == [
        "row 8, external_id: 'id5' appears more than once in the file",
        "row 9, external_id: 'id0' appears more than once in the file",
    ]
    summary = ingest.import_responses(survey_csv(tmp_path / "ok.csv", mixed[:6]), "ok.csv", chunk_rows=2)
    assert (summary.rows, summary.new, summary.skipped) == (6, 4, 2)
    assert {t.code: (t.new, t.skipped) for t in summary.stores()} == {"A1": (4, 2)}
    db.session.commit()
    assert count(SurveyResponse) == 7


def test_a_chunk_stopped_by_a_stored_id_keeps_contacts_and_cases_on_the_right_responses(
    app, world, tmp_path, survey_row, survey_csv
):
    """The quick write stops at an id already stored in the middle of a chunk; the rows before it stay, the rest
    go the careful way, and every contact and case names its own response."""
    ingest.import_responses(survey_csv(tmp_path / "base.csv", [survey_row("c")]), "base.csv")
    db.session.commit()
    consenting = {"contact_consent": "yes", "nps": "2"}
    rows = [
        survey_row("a", customer_name="Anne", **consenting),
        survey_row("b", customer_name="Bruno", nps="10", contact_consent="yes"),
        survey_row("c", customer_name="Carl", **consenting),  # stored before: skipped, its contact dropped
        survey_row("d", customer_name="Dora", **consenting),
        survey_row("e", customer_name="Emil", store="B1", **consenting),
    ]
    summary = ingest.import_responses(survey_csv(tmp_path / "chunks.csv", rows), "chunks.csv", chunk_rows=4)
    db.session.commit()
    assert (summary.new, summary.skipped, summary.contacts, summary.cases) == (4, 1, 4, 3)
    stored = responses()
    assert {r.external_id: r.contact.customer_name for r in stored.values() if r.contact} == {
        "a": "Anne",
        "b": "Bruno",
        "d": "Dora",
        "e": "Emil",
    }
    cases = db.session.scalars(sa.select(FollowUpCase)).all()
    by_response = {c.response.external_id: c for c in cases}
    assert sorted(by_response) == ["a", "d", "e"]
    assert all(c.store_id == c.response.store_id for c in cases)
    assert all(c.due_at == c.response.answered_at + timedelta(hours=48) for c in cases)
    assert all(abs(c.opened_at - datetime.now(UTC)) < timedelta(minutes=5) for c in cases)
    batch = db.session.get(ImportBatch, summary.batch_id)
    assert (batch.first_response_id, batch.last_response_id) == (stored["a"].id, stored["e"].id)


def test_undo_takes_only_the_batch_rows_within_its_id_range(app, world, tmp_path, survey_row, survey_csv):
    summary = ingest.import_responses(
        survey_csv(tmp_path / "f.csv", [survey_row("a"), survey_row("b"), survey_row("z")]), "f.csv"
    )
    db.session.commit()
    stored = responses()
    # A webhook answer stored between the batch's first and last id (as a concurrent write can on PostgreSQL).
    db.session.execute(sa.delete(SurveyResponse).where(SurveyResponse.id == stored["b"].id))
    other = {c.name: getattr(stored["b"], c.name) for c in SurveyResponse.__table__.columns}
    db.session.execute(
        sa.insert(SurveyResponse.__table__).values(
            {**other, "source": "shop-app", "external_id": "w", "batch_id": None}
        )
    )
    db.session.commit()
    assert ingest.undo_batch(summary.batch_id)["responses"] == 2
    db.session.commit()
    assert sorted(responses()) == ["w"]


def test_contact_details_are_kept_only_with_consent(runner, world, tmp_path, app, monkeypatch, survey_row, survey_csv):
    monkeypatch.setitem(app.config, "PRIMO_CONTACT_RETENTION_DAYS", 30)
    path = survey_csv(
        tmp_path / "contacts.csv",
        [
            survey_row(
                "yes", contact_consent="oui", customer_name="Alice Consent", customer_contact="alice@example.com"
            ),
            survey_row("no", contact_consent="no", customer_name="Bob Refus", customer_contact="bob@example.com"),
            survey_row("empty", customer_name="Carl Blank", customer_contact="+33 6 00 00 00 00"),
            survey_row("yes-nothing", contact_consent="true"),
            survey_row(
                "south", store="B1", contact_consent="1", customer_name="Sud Sophie", answered_at="2026-01-02T10:00"
            ),
            survey_row("north", contact_consent="y", customer_name="Nord Nina", answered_at="2026-01-01T10:00"),
        ],
    )
    assert surveys_import(runner, path).exit_code == 0
    stored = responses()
    assert [stored[k].contact_consent for k in ("yes", "no", "empty", "yes-nothing")] == [True, False, False, True]
    assert stored["yes-nothing"].contact is None
    contact = stored["yes"].contact
    assert (contact.customer_name, contact.customer_contact) == ("Alice Consent", "alice@example.com")
    assert contact.purge_after == datetime.now(PARIS).date() + timedelta(days=30)
    # Rows are written in store order, not file order: each contact still names its own response.
    assert stored["south"].contact.customer_name == "Sud Sophie"
    assert stored["north"].contact.customer_name == "Nord Nina"
    assert count(ResponseContact) == 3
    assert tables_holding("Bob Refus", "bob@example.com", "Carl Blank", "+33 6 00") == []


def test_a_consenting_detractor_opens_a_follow_up_case_due_48_hours_later(
    runner, world, tmp_path, survey_row, survey_csv
):
    path = survey_csv(
        tmp_path / "cases.csv",
        [
            survey_row("det", nps="3", contact_consent="yes", customer_name="Dan", answered_at="2026-06-15T10:00:00"),
            survey_row("det-no-consent", nps="0"),
            survey_row("promoter", nps="10", contact_consent="yes"),
            survey_row("csat-only", nps="", csat="1", contact_consent="yes"),
        ],
    )
    result = surveys_import(runner, path)
    assert "1 follow-up case(s) opened" in result.output
    case = db.session.scalar(sa.select(FollowUpCase))
    detractor = responses()["det"]
    assert (case.response_id, case.store_id, case.status) == (detractor.id, world["north"].id, "open")
    assert case.due_at == detractor.answered_at + timedelta(hours=48)


def test_xlsx_files_are_read_with_number_and_date_cells(runner, world, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(ALL_COLUMNS))
    sheet.append(["x1", "A1", datetime(2026, 6, 30, 23, 30), "kiosk", 9, 5, None, "top", None, True, "Eva", "e@x.fr"])
    sheet.append(["x2", "B1", "2026-06-30T22:30:00Z", "kiosk", 6.0, None, 3, None, None, "non", None, None])
    book.save(tmp_path / "surveys.xlsx")
    result = surveys_import(runner, tmp_path / "surveys.xlsx")
    assert result.exit_code == 0, result.output
    stored = responses()
    assert (stored["x1"].nps, stored["x1"].csat, stored["x1"].local_date) == (9, 5, date(2026, 6, 30))
    assert stored["x1"].contact.customer_name == "Eva"
    assert (stored["x2"].nps, stored["x2"].ces, stored["x2"].local_month) == (6, 3, 202607)
    sheet.append(["x3", "A1", "2026-06-30T10:00", "kiosk", 7.5, None, None, None, None, None, None, None])
    book.save(tmp_path / "bad.xlsx")
    result = surveys_import(runner, tmp_path / "bad.xlsx")
    assert result.exit_code == 1 and "row 4, nps: '7.5' is not a whole number" in result.stderr


def test_the_example_file_imports(runner, make_store, make_employee, tmp_path):
    example = Path(__file__).resolve().parents[2] / "examples" / "imports" / "surveys.csv"
    with example.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for code in sorted({r["store_code"] for r in rows}):
        store = make_store(code)
        for number in sorted({r["employee_number"] for r in rows if r["store_code"] == code and r["employee_number"]}):
            make_employee(store, number=number)
    result = surveys_import(runner, example)
    assert result.exit_code == 0, result.output
    assert f"{len(rows)} new" in result.output


# --- the HR pages ----------------------------------------------------------------------------------


def test_upload_previews_counts_per_store_without_writing_then_confirm_imports(
    hr_client, runner, world, tmp_path, survey_row, survey_csv
):
    assert surveys_import(runner, survey_csv(tmp_path / "old.csv", [survey_row("old")])).exit_code == 0
    path = survey_csv(
        tmp_path / "new.csv",
        [
            survey_row("old"),
            survey_row("n1"),
            survey_row("n2", store="B1"),
            survey_row("n3", store="B1", nps="1", contact_consent="yes"),
        ],
    )
    before = feedback_counts()
    page = upload(hr_client, path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-count="rows">4<' in html and 'data-count="new">3<' in html and 'data-count="skipped">1<' in html
    assert "1 already imported, skipped." in html
    assert "<td>A1</td><td>1</td><td>1</td>" in html and "<td>B1</td><td>2</td><td>0</td>" in html
    assert feedback_counts() == {**before, "PendingUpload": 1}
    token = db.session.scalar(sa.select(PendingUpload.token))
    done = post_action(hr_client, f"/feedback/import/{token}/confirm")
    assert done.status_code == 302 and done.headers["Location"] == "/feedback/batches"
    assert sorted(responses()) == ["n1", "n2", "n3", "old"]
    assert count(PendingUpload) == 0 and count(FollowUpCase) == 1
    batch = db.session.scalar(sa.select(ImportBatch).order_by(ImportBatch.id.desc()))
    assert (batch.created_by, batch.filename, batch.rows_inserted, batch.rows_skipped) == (
        "hr@test.example",
        "new.csv",
        3,
        1,
    )
    listing = hr_client.get("/feedback/batches").get_data(as_text=True)
    assert "new.csv" in listing and "3 new, 1 already imported (skipped), 1 follow-up case(s)" in listing


def test_upload_of_a_bad_file_lists_the_problems_with_400_and_keeps_nothing(
    hr_client, world, tmp_path, survey_row, survey_csv
):
    before = feedback_counts()
    page = upload(
        hr_client, survey_csv(tmp_path / "bad.csv", [survey_row("a", nps="7.5"), survey_row("b", store="NOPE")])
    )
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "<td>2</td><td>nps</td><td>&#39;7.5&#39; is not a whole number</td>" in html
    assert "<td>3</td><td>store_code</td><td>unknown store &#39;NOPE&#39;</td>" in html
    assert feedback_counts() == before


def test_a_preview_can_be_cancelled_and_belongs_to_its_uploader(
    hr_client, client_as, make_user, world, tmp_path, survey_row, survey_csv
):
    assert upload(hr_client, survey_csv(tmp_path / "a.csv", [survey_row("a")])).status_code == 200
    token = db.session.scalar(sa.select(PendingUpload.token))
    make_user("hr2@test.example", "hr")
    other = client_as("anonymous")
    from tests.conftest import login

    login(other, "hr2@test.example")
    assert post_action(other, f"/feedback/import/{token}/confirm").status_code == 404
    assert post_action(hr_client, f"/feedback/import/{token}/cancel").status_code == 302
    assert count(PendingUpload) == 0 and count(SurveyResponse) == 0


# --- undo --------------------------------------------------------------------------------------------


def _import_june_and_july(runner, tmp_path, survey_row, survey_csv) -> ImportBatch:
    path = survey_csv(
        tmp_path / "batch.csv",
        [
            survey_row("j1", nps="2", contact_consent="yes", customer_name="Ugo", answered_at="2026-06-10T10:00:00"),
            survey_row("j2", answered_at="2026-07-01T00:30:00"),
        ],
    )
    assert surveys_import(runner, path).exit_code == 0
    return db.session.scalar(sa.select(ImportBatch))


def test_undo_deletes_the_batch_responses_contacts_and_cases(
    hr_client, runner, world, tmp_path, survey_row, survey_csv
):
    batch = _import_june_and_july(runner, tmp_path, survey_row, survey_csv)
    other = survey_csv(tmp_path / "other.csv", [survey_row("keep")])
    assert surveys_import(runner, other).exit_code == 0
    assert (count(SurveyResponse), count(ResponseContact), count(FollowUpCase)) == (3, 1, 1)
    result = post_action(hr_client, f"/feedback/batches/{batch.id}/undo")
    assert result.status_code == 302
    assert sorted(responses()) == ["keep"]
    assert (count(ResponseContact), count(FollowUpCase)) == (0, 0)
    db.session.refresh(batch)
    assert batch.undone_at is not None and batch.undone_by == "hr@test.example"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "surveys.undo"))
    assert event.after == {"cases": 1, "contacts": 1, "responses": 2, "months": ["2026-06", "2026-07"]}
    assert "Undone" in hr_client.get("/feedback/batches").get_data(as_text=True)
    # Once undone, the file can come in again.
    assert "2 new" in surveys_import(runner, tmp_path / "batch.csv").output
    again = post_action(hr_client, f"/feedback/batches/{batch.id}/undo")
    assert again.status_code == 409


def test_undo_is_refused_once_a_run_has_read_a_month_of_the_batch(
    hr_client, runner, world, tmp_path, survey_row, survey_csv
):
    batch = _import_june_and_july(runner, tmp_path, survey_row, survey_csv)
    db.session.add(PeriodLock(month=202607, holder="run:1"))
    db.session.commit()
    result = post_action(hr_client, f"/feedback/batches/{batch.id}/undo")
    assert result.status_code == 409
    assert "2026-07" in result.get_data(as_text=True)
    assert count(SurveyResponse) == 2 and count(FollowUpCase) == 1
    assert db.session.scalar(sa.select(ImportBatch.undone_at)) is None
    cli = runner.invoke(args=["surveys", "undo", str(batch.id)])
    assert cli.exit_code == 1 and "bonus runs have read 2026-07" in cli.stderr
    # A lock on a month the batch does not cover is no obstacle.
    db.session.execute(sa.delete(PeriodLock))
    db.session.add(PeriodLock(month=202605, holder="run:2", paid=True))
    db.session.commit()
    assert runner.invoke(args=["surveys", "undo", str(batch.id)]).exit_code == 0
    assert count(SurveyResponse) == 0
    assert post_action(hr_client, "/feedback/batches/999/undo").status_code == 404


# --- purge -------------------------------------------------------------------------------------------


def test_purge_erases_due_contacts_everywhere_and_is_idempotent(
    hr_client, runner, world, tmp_path, survey_row, survey_csv
):
    path = survey_csv(
        tmp_path / "purge.csv",
        [
            survey_row(
                "p1",
                nps="1",
                contact_consent="yes",
                customer_name="Paula Purge",
                customer_contact="paula@purge.example",
            )
        ],
    )
    page = upload(hr_client, path)  # through the pages too, so the uploaded file is accounted for
    token = db.session.scalar(sa.select(PendingUpload.token))
    assert page.status_code == 200 and post_action(hr_client, f"/feedback/import/{token}/confirm").status_code == 302
    assert tables_holding("Paula Purge", "paula@purge.example") == [
        "response_contacts.customer_name",
        "response_contacts.customer_contact",
    ]
    due = db.session.scalar(sa.select(ResponseContact.purge_after))

    early = runner.invoke(args=["feedback", "purge", "--as-of", (due - timedelta(days=1)).isoformat()])
    assert early.exit_code == 0 and "0 customer contact(s) erased" in early.output
    result = runner.invoke(args=["feedback", "purge", "--as-of", due.isoformat()])
    assert result.exit_code == 0 and "1 customer contact(s) erased" in result.output
    assert tables_holding("Paula Purge", "paula@purge.example") == []
    assert count(SurveyResponse) == 1 and count(FollowUpCase) == 1  # the response and its case stay
    again = runner.invoke(args=["feedback", "purge", "--as-of", due.isoformat()])
    assert again.exit_code == 0 and "0 customer contact(s) erased" in again.output
    assert runner.invoke(args=["feedback", "purge"]).exit_code == 0
    bad = runner.invoke(args=["feedback", "purge", "--as-of", "next week"])
    assert bad.exit_code != 0 and "not a date" in bad.output


def test_purge_also_drops_survey_previews_abandoned_for_a_day(app, world):
    stale = PendingUpload(kind="surveys:import", filename="old.csv", content=b"x", user_id=world["users"]["hr"].id)
    fresh = PendingUpload(kind="surveys:import", filename="new.csv", content=b"x", user_id=world["users"]["hr"].id)
    stale.created_at = datetime.now(UTC) - timedelta(days=2)
    db.session.add_all([stale, fresh])
    db.session.commit()
    ingest.purge_contacts()
    db.session.commit()
    assert list(db.session.scalars(sa.select(PendingUpload.filename))) == ["new.csv"]


# --- sources -----------------------------------------------------------------------------------------


def test_sources_add_prints_the_secret_and_stores_the_refs(runner, app):
    result = runner.invoke(
        args=["feedback", "sources", "add", "tf", "--format", "typeform", "--ref", "nps=q_nps", "--ref", "csat=q_c"]
    )
    assert result.exit_code == 0, result.output
    source = db.session.scalar(sa.select(FeedbackSource))
    assert f"secret: {source.secret}" in result.output and len(source.secret) == 64
    assert (source.format, source.question_refs) == ("typeform", {"nps": "q_nps", "csat": "q_c"})
    again = runner.invoke(args=["feedback", "sources", "add", "tf"])
    assert again.exit_code == 1 and "already exists" in again.stderr
    bad = runner.invoke(args=["feedback", "sources", "add", "x", "--ref", "colour=blue"])
    assert bad.exit_code != 0 and "expected KEY=REF" in bad.output
    listing = runner.invoke(args=["feedback", "sources", "list"])
    assert "tf\ttypeform\tcsat=q_c, nps=q_nps" in listing.output and source.secret not in listing.output
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "feedback.source_create"))
    assert source.secret not in json.dumps(event.after)


def test_hr_adds_a_source_sees_its_secret_once_and_edits_its_refs(hr_client, world):
    token = csrf_token(hr_client, "/feedback/sources")
    data: dict[str, Any] = {"csrf_token": token, "source_name": "survey-tool", "format": "typeform", "nps": "q1"}
    created = hr_client.post("/feedback/sources", data=data)
    assert created.status_code == 200
    source = db.session.scalar(sa.select(FeedbackSource))
    assert source.secret in created.get_data(as_text=True)
    assert source.question_refs == {"nps": "q1"}
    assert source.secret not in hr_client.get("/feedback/sources").get_data(as_text=True)
    detail = hr_client.get(f"/feedback/sources/{source.id}")
    assert detail.status_code == 200 and source.secret not in detail.get_data(as_text=True)
    token = csrf_token(hr_client, f"/feedback/sources/{source.id}")
    saved = hr_client.post(
        f"/feedback/sources/{source.id}", data={"csrf_token": token, "nps": "q9", "comment": "q_txt"}
    )
    assert saved.status_code == 302
    db.session.refresh(source)
    assert source.question_refs == {"nps": "q9", "comment": "q_txt"}
    duplicate = hr_client.post("/feedback/sources", data=data)
    assert duplicate.status_code == 400 and "already exists" in duplicate.get_data(as_text=True)
    assert hr_client.get("/feedback/sources/999").status_code == 404


def test_undo_keeps_a_recognition_given_for_one_of_its_responses_but_unlinks_it(
    hr_client, runner, world, tmp_path, survey_row, survey_csv
):
    from app.recognition.models import Award

    path = survey_csv(tmp_path / "praise.csv", [survey_row("praise", nps="10", comment="Eve was great")])
    assert surveys_import(runner, path).exit_code == 0
    response = responses()["praise"]
    award = Award(
        giver_id=world["manager_emp"].id,
        employee_id=world["employee"].id,
        store_id=world["north"].id,
        points=10,
        message="Thanks for the compliment",
        awarded_on=date(2026, 6, 16),
        response_id=response.id,
    )
    db.session.add(award)
    db.session.commit()
    batch_id = response.batch_id
    assert post_action(hr_client, f"/feedback/batches/{batch_id}/undo").status_code == 302
    db.session.expire_all()
    assert count(SurveyResponse) == 0
    assert db.session.get(Award, award.id).response_id is None
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "surveys.undo"))
    assert event.after["detached"] == {"recognition_awards.response_id": 1}


@pytest.mark.parametrize("padding", ["", " " * 60])
def test_offsets_are_told_from_local_times_whatever_the_widest_cell(padding, survey_row):
    """A timestamp ending in Z or an offset is that moment; without one it is local (Paris) time."""
    cells = {
        "2026-03-01T10:00:00Z": datetime(2026, 3, 1, 10),
        "2026-03-01T10:00:00z": None,
        "2026-03-01T10:00:00+01:00": datetime(2026, 3, 1, 9),
        "2026-03-01T10:00:00-05:00": datetime(2026, 3, 1, 15),
        "2026-03-01T10:00:00": datetime(2026, 3, 1, 9),
        "2026-03-01T10:00": datetime(2026, 3, 1, 9),
        "": None,
        "Z": None,
        "2026-03-01 10:00:00.123456" + padding: datetime(2026, 3, 1, 9, 0, 0, 123456),
    }
    checker = RowChecker({"A1": 1}, {}, PARIS)
    for cell, expected in cells.items():
        checked = checker.check(2, tuple(survey_row("x", answered_at=cell).values()))
        if expected is None:
            assert [e.column for e in checked] == ["answered_at"], cell
        else:
            assert (checked.answered_at, checked.local_date) == (expected, date(2026, 3, 1)), cell
