"""Survey responses in: a file read record by record, each row checked (app.feedback.survey_rows), written in
batches within one transaction by a writer for each database; the webhook's single response goes through the same
check. Also undoing an import batch and erasing customer contacts after the retention period (webhook sources:
app.feedback.sources).

Services flush, never commit: the CLI command or the route commits (or rolls back) once.
"""

from __future__ import annotations

import os
import queue
import re
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.audit.services import current_actor, record
from app.core import clock
from app.core.models import PendingUpload
from app.core.tabular import ImportRejected, RowError
from app.core.tabular import lazy_text as _l
from app.dbtypes import utcnow
from app.extensions import db
from app.feedback import flags
from app.feedback.cases import DETRACTOR_MAX, FOLLOW_UP_DELAY, open_case_for_response
from app.feedback.models import FeedbackSource, ImportBatch, ResponseContact, SurveyResponse
from app.feedback.paid_months import locked_months, month_label
from app.feedback.survey_rows import ALL_COLUMNS, COLUMN_ORDER, Response, RowChecker, SurveyFile
from app.mappings.columns import Mapping, TranslatedChecker
from app.org.models import Employee, Store

DEFAULT_SOURCE = "import"
SOURCE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")
# Rows checked before they are written together: memory holds one batch, whatever the file's size.
CHUNK_ROWS = 5_000
MAX_LISTED_ERRORS = 1_000
DEFAULT_RETENTION_DAYS = 90
# Previews keep the uploaded file (customer names included) until confirmed; abandoned ones go after a day.
PENDING_UPLOAD_LIFETIME = timedelta(days=1)
UPLOAD_KIND = "surveys"


class IngestError(Exception):
    """A request the feedback data cannot honour (bad source name, unknown batch…): nothing is written."""


class BatchNotFound(IngestError):
    pass


class BatchLocked(IngestError):
    """Bonus runs have read months this batch covers: its responses can no longer move."""

    def __init__(self, batch_id: int, months: list[int]) -> None:
        self.batch_id = batch_id
        self.months = months
        labels = ", ".join(month_label(m) for m in months)
        super().__init__(f"import {batch_id} cannot be undone: bonus runs have read {labels}")


class ResponseRejected(ValueError):
    """A webhook response with bad values."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__(errors)

    def __str__(self) -> str:  # the messages in the language active when they are shown
        return "; ".join(f"{e.column}: {e.message}" if e.column else str(e.message) for e in self.errors)


def purge_date(today: date | None = None) -> date:
    """When a contact stored today is erased: today (company time) plus the retention period."""
    days = int(current_app.config.get("PRIMO_CONTACT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))
    return (today or clock.today()) + timedelta(days=days)


def _checker(store_code: str | None = None, employee_number: str | None = None) -> RowChecker:
    """A row check against the stores and employees on file (only those named, for a single response)."""
    stores, employees = sa.select(Store.code, Store.id), sa.select(Employee.number, Employee.id)
    if store_code is not None:
        stores, employees = stores.where(Store.code == store_code), employees.where(Employee.number == employee_number)
    known = [dict(db.session.execute(query).tuples().all()) for query in (stores, employees)]
    return RowChecker(*known, clock.zone())


# --- writing ------------------------------------------------------------------------------------------------


def _parts(values: list[Any], size: int) -> list[list[Any]]:
    return [values[start : start + size] for start in range(0, len(values), size)]


class _Writer:
    """Batched writes on the session's connection, inside the import's transaction; one subclass per database.

    Responses go in through INSERT … ON CONFLICT (source, external_id) DO NOTHING RETURNING: an id already stored
    is left out without stopping the others, and contacts and cases name the new rows by the ids returned.
    """

    mark = "?"
    _RESPONSES = (
        "INSERT INTO survey_responses (source, batch_id, excluded, external_id, store_id, answered_at, local_date, "
        "local_month, channel, nps, csat, ces, comment, employee_id, contact_consent) "
    )
    _CONFLICT = " ON CONFLICT (source, external_id) DO NOTHING RETURNING external_id, id"
    _CONTACTS = "response_contacts (response_id, customer_name, customer_contact, purge_after)"
    _CASES = "followup_cases (response_id, store_id, status, opened_at, due_at)"

    def __init__(self, source: str, batch_id: int) -> None:
        self.source, self.batch_id = source, batch_id
        self.cursor = db.session.connection().connection.cursor()  # the driver's own, for speed
        self._skipped_table = False

    def responses(self, rows: list[Response]) -> dict[str, int]:
        """Insert the rows whose id is not stored yet: their ids, by external id."""
        raise NotImplementedError

    def contacts(self, rows: list[tuple[int, str | None, str | None, date]]) -> None:
        raise NotImplementedError

    def cases(self, rows: list[tuple[int, int, str, datetime, datetime]]) -> None:
        raise NotImplementedError

    def stored_in(self, ids: list[str]) -> dict[str, int | None]:
        """The batch (None for the webhook) that stored each of these ids of the source."""
        stored: dict[str, int | None] = {}
        for part in _parts(ids, 500):
            query = sa.select(SurveyResponse.external_id, SurveyResponse.batch_id).where(
                SurveyResponse.source == self.source, SurveyResponse.external_id.in_(part)
            )
            stored.update(db.session.execute(query).tuples().all())
        return stored

    def skipped_before(self, ids: list[str]) -> list[bool]:
        """Remember ids skipped as already stored; for each, whether it was skipped before in this import (a
        temporary table rather than a set, so that re-importing a huge file holds nothing in memory)."""
        if not self._skipped_table:
            self.cursor.execute("CREATE TEMP TABLE IF NOT EXISTS primo_import_skipped (external_id text PRIMARY KEY)")
            self.cursor.execute("DELETE FROM primo_import_skipped")
            self._skipped_table = True
        first: set[str] = set()
        for part in _parts(ids, 500):
            values = ", ".join([f"({self.mark})"] * len(part))
            self.cursor.execute(
                f"INSERT INTO primo_import_skipped (external_id) VALUES {values} ON CONFLICT DO NOTHING "
                "RETURNING external_id",
                part,
            )
            first.update(r[0] for r in self.cursor.fetchall())
        again = []
        for external_id in ids:
            again.append(external_id not in first)
            first.discard(external_id)
        return again

    def close(self) -> None:
        if self._skipped_table:
            self.cursor.execute("DROP TABLE IF EXISTS primo_import_skipped")
        self.cursor.close()


class _SqliteWriter(_Writer):
    """SQLite: multi-row INSERTs for the responses, executemany for contacts and cases; times as the text
    SQLAlchemy writes for DATETIME columns (UTC, microseconds)."""

    ROWS_PER_STATEMENT = 500  # 15 values a row: under SQLite's limit of 32,766 per statement

    def responses(self, rows: list[Response]) -> dict[str, int]:
        head = (self.source, self.batch_id, 0)
        values = [
            (*head, r.external_id, r.store_id, _text(r.answered_at), r.local_date.isoformat(), r.local_month)
            + (r.channel, r.nps, r.csat, r.ces, r.comment, r.employee_id, int(r.contact_consent))
            for r in rows
        ]
        ids: dict[str, int] = {}
        for part in _parts(values, self.ROWS_PER_STATEMENT):
            marks = ", ".join(["(" + ", ".join("?" * 15) + ")"] * len(part))
            self.cursor.execute(f"{self._RESPONSES} VALUES {marks}{self._CONFLICT}", tuple(chain.from_iterable(part)))
            ids.update(self.cursor.fetchall())
        return ids

    def contacts(self, rows: list[tuple[int, str | None, str | None, date]]) -> None:
        rows = [(i, name, contact, purge.isoformat()) for i, name, contact, purge in rows]
        self.cursor.executemany(f"INSERT INTO {self._CONTACTS} VALUES (?, ?, ?, ?)", rows)

    def cases(self, rows: list[tuple[int, int, str, datetime, datetime]]) -> None:
        rows = [(i, store, status, _text(opened), _text(due)) for i, store, status, opened, due in rows]
        self.cursor.executemany(f"INSERT INTO {self._CASES} VALUES (?, ?, ?, ?, ?)", rows)


def _text(moment: datetime) -> str:
    """A naive UTC moment as SQLAlchemy stores it in SQLite ("YYYY-MM-DD HH:MM:SS.ffffff")."""
    return moment.isoformat(" ", "microseconds")


class _PostgresWriter(_Writer):
    """PostgreSQL: each batch of responses is copied (psycopg's copy.write_row) into a temporary table, then moved
    into survey_responses by one INSERT … SELECT; contacts and cases are copied straight into their tables."""

    mark = "%s"
    _ROWS = "primo_import_rows"
    # After this many new rows the survey tables are analysed before the flags and rules read them: planned with
    # the statistics of (nearly) empty tables, the flags' query read every contact for every response (a nested
    # loop: more than 10 minutes for 1 M rows into empty tables). ANALYZE samples; it costs well under a second.
    ANALYZE_AFTER = 10_000
    _ROW_TYPES = ("text", "int4", "timestamp", "date", "int4", "text", "int2", "int2", "int2", "text", "int4", "bool")

    def __init__(self, source: str, batch_id: int) -> None:
        super().__init__(source, batch_id)
        self.written = 0
        self.cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {self._ROWS} (e text, s int, t timestamp, d date, m int, c text, "
            "n int2, cs int2, ce int2, co text, em int, ok bool)"
        )

    def responses(self, rows: list[Response]) -> dict[str, int]:
        self.written += len(rows)
        self.cursor.execute(f"TRUNCATE {self._ROWS}")
        self._copy(self._ROWS, self._ROW_TYPES, [r[1:13] for r in rows])
        self.cursor.execute(
            f"{self._RESPONSES} SELECT %s, %s, false, e, s, t AT TIME ZONE 'UTC', d, m, c, n, cs, ce, co, em, ok "
            f"FROM {self._ROWS}{self._CONFLICT}",
            (self.source, self.batch_id),
        )
        return dict(self.cursor.fetchall())

    def _copy(self, target: str, types: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        with self.cursor.copy(f"COPY {target} FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)

    def contacts(self, rows: list[tuple[int, str | None, str | None, date]]) -> None:
        self._copy(self._CONTACTS, ("int4", "text", "text", "date"), rows)

    def cases(self, rows: list[tuple[int, int, str, datetime, datetime]]) -> None:
        types = ("int4", "int4", "text", "timestamptz", "timestamptz")
        self._copy(
            self._CASES, types, [(*row[:3], row[3].replace(tzinfo=UTC), row[4].replace(tzinfo=UTC)) for row in rows]
        )

    def close(self) -> None:
        self.cursor.execute(f"DROP TABLE IF EXISTS {self._ROWS}")
        if self.written >= self.ANALYZE_AFTER:  # sees this transaction's own rows
            self.cursor.execute("ANALYZE survey_responses, response_contacts, followup_cases")
        super().close()


# --- the import ---------------------------------------------------------------------------------------------


@dataclass
class StoreTally:
    code: str
    new: int = 0
    skipped: int = 0


@dataclass
class ImportSummary:
    """What an import wrote (or, in a preview rolled back afterwards, would write)."""

    batch_id: int
    source: str
    filename: str
    rows: int = 0
    new: int = 0
    skipped: int = 0
    contacts: int = 0
    cases: int = 0
    first_day: date | None = None
    last_day: date | None = None
    per_store: dict[int, StoreTally] = field(default_factory=dict)
    encoding: str = ""  # how a CSV file was decoded: "utf-8" or "windows-1252" ("" for XLSX)

    def stores(self) -> list[StoreTally]:
        return sorted(self.per_store.values(), key=lambda t: t.code)

    def counts(self) -> dict[str, Any]:
        """The figures for the audit log and the batch page: counts only, never customer data."""
        return {
            "source": self.source,
            "filename": self.filename,
            "rows": self.rows,
            "new": self.new,
            "skipped": self.skipped,
            "contacts": self.contacts,
            "cases": self.cases,
            "first_day": self.first_day,
            "last_day": self.last_day,
        }


class _Errors:
    """Every problem counted; the first `limit` kept to be listed."""

    def __init__(self, limit: int = MAX_LISTED_ERRORS) -> None:
        self.limit = limit
        self.count = 0
        self.kept: list[RowError] = []

    def extend(self, errors: list[RowError]) -> None:
        self.count += len(errors)
        self.kept.extend(errors[: max(self.limit - len(self.kept), 0)])

    def listed(self) -> list[RowError]:
        errors = sorted(self.kept, key=lambda e: (e.row, COLUMN_ORDER.get(e.column, 99)))
        if self.count > len(self.kept):
            errors.append(RowError(0, "", _l("%(n)d more problem(s) not listed", n=self.count - len(self.kept))))
        return errors


class _Import:
    """One file going in: batches of checked rows written as they come, problems gathered to be listed together.

    A row left out by the database is either stored already (by another import or the webhook: skipped), or
    repeated in this file (stored by this import, or skipped once already): a problem that rejects the file.
    """

    def __init__(self, batch: ImportBatch, writer: _Writer, store_codes: dict[int, str]) -> None:
        self.batch_id, self.writer, self.codes = batch.id, writer, store_codes
        self.summary = ImportSummary(batch_id=batch.id, source=batch.source, filename=batch.filename)
        self.errors = _Errors()
        self.first_id: int | None = None
        self.last_id: int | None = None
        self.purge_after, self.opened_at = purge_date(), utcnow().replace(tzinfo=None)

    def write(self, rows: list[Response]) -> None:
        ids = self.writer.responses(rows)
        new: list[tuple[Response, int]] = []
        left_out: list[Response] = []
        for row in rows:
            response_id = ids.pop(row.external_id, None)  # popped: a repeat within the batch is left out
            if response_id is None:
                left_out.append(row)
            else:
                new.append((row, response_id))
        skipped = self._skipped(left_out) if left_out else []
        if self.errors.count:
            return  # the file is rejected: writing goes on only to find every repeated id
        self._tally(new, skipped)
        contacts = [
            (i, r.customer_name, r.customer_contact, self.purge_after)
            for r, i in new
            if r.customer_name or r.customer_contact  # given only with consent
        ]
        cases = [
            (i, r.store_id, "open", self.opened_at, r.answered_at + FOLLOW_UP_DELAY)
            for r, i in new
            if r.contact_consent and r.nps is not None and r.nps <= DETRACTOR_MAX
        ]
        if contacts:
            self.writer.contacts(contacts)
        if cases:
            self.writer.cases(cases)
        self.summary.contacts += len(contacts)
        self.summary.cases += len(cases)

    def _skipped(self, rows: list[Response]) -> list[Response]:
        """The rows left out as stored already; the repeats listed as problems."""
        stored = self.writer.stored_in([r.external_id for r in rows])
        others = [r for r in rows if stored.get(r.external_id) != self.batch_id]
        again = self.writer.skipped_before([r.external_id for r in others])
        repeated = [r for r in rows if stored.get(r.external_id) == self.batch_id]
        repeated += [r for r, twice in zip(others, again, strict=True) if twice]
        twice = [(r.row, _l("%(id)s appears more than once in the file", id=repr(r.external_id))) for r in repeated]
        self.errors.extend([RowError(row, "external_id", message) for row, message in twice])
        return [r for r, twice in zip(others, again, strict=True) if not twice]

    def _tally(self, new: list[tuple[Response, int]], skipped: list[Response]) -> None:
        summary = self.summary
        summary.new += len(new)
        summary.skipped += len(skipped)
        counts = {"new": Counter(r.store_id for r, _ in new), "skipped": Counter(r.store_id for r in skipped)}
        for kind, stores in counts.items():
            for store_id, count in stores.items():
                tally = summary.per_store.setdefault(store_id, StoreTally(self.codes[store_id]))
                setattr(tally, kind, getattr(tally, kind) + count)
        if new:
            days = [r.local_date for r, _ in new]
            summary.first_day = min(summary.first_day or date.max, min(days))
            summary.last_day = max(summary.last_day or date.min, max(days))
            ids = [i for _, i in new]
            self.first_id = min(ids) if self.first_id is None else min(self.first_id, *ids)
            self.last_id = max(ids) if self.last_id is None else max(self.last_id, *ids)


def _checked(
    records: Iterator[tuple[int, Sequence[str]]], checker: RowChecker | TranslatedChecker, chunk_rows: int
) -> Iterator[tuple[int, list[RowError], list[Response]]]:
    """Chunks of the file, checked: (rows read, their problems, the good rows); blank rows are not counted."""
    read, problems, good = 0, [], []
    for number, cells in records:
        checked = checker.check(number, cells)
        if checked is None:
            continue
        read += 1
        if isinstance(checked, list):
            problems += checked
        else:
            good.append(checked)
        if read == chunk_rows:
            yield read, problems, good
            read, problems, good = 0, [], []
    yield read, problems, good


class _Ahead:
    """Iterate over `items` made one ahead in a thread: reading and checking the next chunk overlaps with the
    database writing this one (sqlite3 and psycopg let go of the interpreter lock while the database works).
    At most one chunk waits, so memory stays bounded; leaving stops the thread after the chunk in hand."""

    def __init__(self, items: Iterator[Any]) -> None:
        self._queue: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(items,), name="survey-import-reader", daemon=True)
        self._thread.start()

    def _run(self, items: Iterator[Any]) -> None:
        try:
            for item in items:
                if not self._put((True, item)):
                    return
            self._put((False, None))
        except BaseException as exc:  # handed to the consuming thread, which raises it
            self._put((False, exc))
        finally:
            getattr(items, "close", lambda: None)()

    def _put(self, message: tuple[bool, Any]) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(message, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __enter__(self) -> _Ahead:
        return self

    def __iter__(self) -> Iterator[Any]:
        while True:
            more, value = self._queue.get()
            if not more:
                if value is not None:
                    raise value
                return
            yield value

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def check_source_name(name: str) -> str:
    name = (name or "").strip()
    if not SOURCE_NAME.fullmatch(name):
        raise IngestError(
            _l(
                "%(name)s is not a valid source name (letters, digits, '.', '_' and '-', at most 80 characters)",
                name=repr(name),
            )
        )
    return name


def import_responses(
    file: bytes | str | os.PathLike[str],
    filename: str = "",
    source: str = DEFAULT_SOURCE,
    *,
    mapping: Mapping | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportSummary:
    """Import a survey file as one batch, all or nothing: raises ImportRejected listing every bad row.

    Ids already stored for the source are skipped and counted. With a column mapping, another tool's export is
    translated row by row and the problems name the file's own columns. The caller commits, or rolls back for a
    preview.
    """
    source = check_source_name(source)
    filename = Path(filename or ("upload" if isinstance(file, bytes) else str(file))).name[:255]
    checker: RowChecker | TranslatedChecker = _checker()
    if mapping is not None:
        checker = TranslatedChecker(checker, COLUMN_ORDER)
    batch = ImportBatch(source=source, filename=filename, created_by=current_actor()[1][:254])
    db.session.add(batch)
    db.session.flush()
    postgres = db.session.get_bind().dialect.name == "postgresql"
    writer = (_PostgresWriter if postgres else _SqliteWriter)(source, batch.id)
    run = _Import(batch, writer, dict(db.session.execute(sa.select(Store.id, Store.code)).tuples().all()))
    survey = SurveyFile(file, filename, mapping)
    try:
        with _Ahead(_checked(survey.rows(), checker, chunk_rows)) as chunks:
            for read, problems, rows in chunks:
                run.summary.rows += read
                run.errors.extend(problems)
                if rows:
                    run.write(rows)
    except ImportRejected as exc:  # the file itself cannot be read on
        run.errors.extend(exc.errors)
    writer.close()  # not on other errors: the transaction is then rolled back, temporary table and all
    summary = run.summary
    summary.encoding = survey.encoding
    if not summary.rows and not run.errors.count:
        run.errors.extend([RowError(0, "", _l("the file holds no responses"))])
    if run.errors.count:
        listed = run.errors.listed()
        raise ImportRejected(survey.translator.rename(listed) if survey.translator else listed)
    batch.rows_inserted, batch.rows_skipped = summary.new, summary.skipped
    batch.first_day, batch.last_day = summary.first_day, summary.last_day
    batch.first_response_id, batch.last_response_id = run.first_id, run.last_id
    if summary.cases:
        from app.webhooks import events as webhook_events  # webhooks read feedback: imported here, not at the top

        webhook_events.cases_opened_by(batch.responses())
    record(
        "surveys.import",
        "import_batch",
        batch.id,
        summary=f"{summary.new} new, {summary.skipped} already imported (skipped) from {filename}",
        after=summary.counts(),
    )
    from app.recognition import rules  # recognition reads feedback: imported here, not at the top

    rules.on_responses(batch.responses())
    db.session.flush()
    flags.after_import(summary.per_store, summary.first_day, summary.last_day)
    return summary


# --- the webhook --------------------------------------------------------------------------------------------


def store_response(source: FeedbackSource, cells: dict[str, str]) -> tuple[str, int]:
    """Store one response from a webhook: ("created", id), or ("duplicate", id) when its id is already stored.

    Raises ResponseRejected with the reasons when a value is bad. Flushes; the caller commits.
    """
    values = [cells.get(c, "") for c in ALL_COLUMNS]
    checked = _checker(values[1].strip(), values[8].strip()).check(1, values)
    if checked is None:
        raise ResponseRejected([RowError(0, "", _l("the body holds no response"))])
    if isinstance(checked, list):
        raise ResponseRejected(checked)
    existing = db.session.scalar(
        sa.select(SurveyResponse.id).where(
            SurveyResponse.source == source.name, SurveyResponse.external_id == checked.external_id
        )
    )
    if existing is not None:
        return "duplicate", existing
    fields = checked._asdict()
    name, contact = fields.pop("customer_name"), fields.pop("customer_contact")
    del fields["row"]
    fields["answered_at"] = fields["answered_at"].replace(tzinfo=UTC)
    response = SurveyResponse(source=source.name, **fields)
    if name is not None or contact is not None:
        response.contact = ResponseContact(customer_name=name, customer_contact=contact, purge_after=purge_date())
    db.session.add(response)
    db.session.flush()
    open_case_for_response(response)
    db.session.flush()
    from app.recognition import rules  # recognition reads feedback: imported here, not at the top

    rules.on_response(response.id)
    return "created", response.id


# --- undo and purge -------------------------------------------------------------------------------------------


def batch_months(batch: ImportBatch) -> list[int]:
    """The months (yyyymm) a batch's responses fall in."""
    query = sa.select(SurveyResponse.local_month).where(batch.responses()).distinct()
    return sorted(db.session.scalars(query))


def _linked(ids: sa.Select) -> dict[str, int]:
    """How many rows of each table point at these responses, by table.column (for the audit record)."""
    counts = {}
    for table in db.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column.table is SurveyResponse.__table__:
                linked = sa.select(sa.func.count()).select_from(table).where(key.parent.in_(ids))
                counts[f"{table.name}.{key.parent.name}"] = db.session.scalar(linked) or 0
    return counts


def undo_batch(batch_id: int) -> dict[str, int]:
    """Delete an import batch's responses; their contacts and cases go with them and other rows that point at
    them lose the link (ON DELETE rules). Refused once a run has read the batch's months."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        raise BatchNotFound(f"no import batch {batch_id}")
    if batch.undone_at is not None:
        raise IngestError(f"import {batch_id} was already undone")
    months = batch_months(batch)
    if locked := locked_months(months):
        raise BatchLocked(batch_id, locked)
    linked = _linked(sa.select(SurveyResponse.id).where(batch.responses()))
    counts = {
        "cases": linked.pop("followup_cases.response_id"),
        "contacts": linked.pop("response_contacts.response_id"),
    }
    deleted = sa.delete(SurveyResponse).where(batch.responses())
    try:
        counts["responses"] = db.session.execute(deleted, execution_options={"synchronize_session": False}).rowcount
    except sa.exc.IntegrityError:  # a link that forbids it (ON DELETE RESTRICT); the caller rolls back
        raise IngestError(f"responses of import {batch_id} are still used elsewhere: it cannot be undone") from None
    batch.undone_at = utcnow()
    batch.undone_by = current_actor()[1][:254]
    detached = {name: n for name, n in linked.items() if n}
    record(
        "surveys.undo",
        "import_batch",
        batch_id,
        summary=f"import {batch_id} undone: {counts['responses']} responses deleted",
        after={**counts, "months": [month_label(m) for m in months], **({"detached": detached} if detached else {})},
    )
    db.session.flush()
    db.session.expire_all()
    return counts


def purge_contacts(as_of: date | None = None) -> int:
    """Erase the customer contacts whose retention ends on or before `as_of` (default: today); idempotent.

    Also drops survey uploads left in preview for more than a day, since the file holds customer details.
    """
    as_of = as_of or clock.today()
    erased = db.session.execute(
        sa.delete(ResponseContact).where(ResponseContact.purge_after <= as_of),
        execution_options={"synchronize_session": False},
    ).rowcount
    uploads = db.session.execute(
        sa.delete(PendingUpload).where(
            # survey files, and samples drawn into column mappings, hold customer details
            sa.or_(PendingUpload.kind.startswith(UPLOAD_KIND + ":"), PendingUpload.kind.startswith("mapping:")),
            PendingUpload.created_at < utcnow() - PENDING_UPLOAD_LIFETIME,
        ),
        execution_options={"synchronize_session": False},
    ).rowcount
    if erased or uploads:
        record(
            "feedback.purge",
            "response_contact",
            "-",
            summary=f"{erased} customer contact(s) erased",
            after={"as_of": as_of, "contacts": erased, "stale_uploads": uploads},
        )
    db.session.flush()
    db.session.expire_all()
    return erased
