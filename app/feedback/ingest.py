"""Survey responses in: a CSV/XLSX file streamed in chunks, every row checked, all rows written in one transaction
(multi-row INSERTs on SQLite, binary COPY on PostgreSQL); the webhook's single response goes through the same
checks. Also undoing an import batch, erasing customer contacts after the retention period, and
registering feedback sources.

Services flush, never commit: the CLI command or the route commits (or rolls back) once.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import queue
import re
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import chain
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import sqlalchemy as sa
from flask import current_app

from app.audit.services import current_actor, record
from app.core import clock
from app.core.models import PendingUpload
from app.core.tabular import XLSX_MAGIC, CellError, ImportRejected, RowError, parse_bool, unneutralise
from app.dbtypes import utcnow
from app.extensions import db
from app.feedback.cases import DETRACTOR_MAX, FOLLOW_UP_DELAY, open_case_for_response
from app.feedback.locks import locked_months, month_label
from app.feedback.models import (
    SOURCE_FORMATS,
    FeedbackSource,
    FollowUpCase,
    ImportBatch,
    ResponseContact,
    SurveyResponse,
)
from app.feedback.webhook import REF_KEYS
from app.org.models import Employee, Store

COLUMNS = (
    "external_id",
    "store_code",
    "answered_at",
    "channel",
    "nps",
    "csat",
    "ces",
    "comment",
    "employee_number",
    "contact_consent",
)
CONTACT_COLUMNS = ("customer_name", "customer_contact")
ALL_COLUMNS = COLUMNS + CONTACT_COLUMNS
SCORES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
DEFAULT_SOURCE = "import"
SOURCE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")
# Rows read, checked and written at a time: memory holds at most three chunks whatever the file's size.
CHUNK_ROWS = 25_000
MAX_LISTED_ERRORS = 1_000
DEFAULT_RETENTION_DAYS = 90
# Previews keep the uploaded file (customer names included) until confirmed; abandoned ones go after a day.
PENDING_UPLOAD_LIFETIME = timedelta(days=1)
UPLOAD_KIND = "surveys"

_WHOLE_NUMBER = re.compile(r"[+-]?\d{1,9}")
_MIN_TIMESTAMP_LENGTH = len("YYYY-MM-DDTHH:MM")
_TIMESTAMP_HINT = "YYYY-MM-DDTHH:MM[:SS][+HH:MM or Z]"
_COLUMN_ORDER = {c: i for i, c in enumerate(("", *ALL_COLUMNS, "nps, csat, ces"))}

NEW, SKIPPED, DUPLICATE = 0, 1, 2


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
        super().__init__("; ".join(f"{e.column}: {e.message}" if e.column else e.message for e in errors))


# --- reading ----------------------------------------------------------------------------------------------


def _header_errors(columns: Iterable[str]) -> list[RowError]:
    present = set(columns)
    return [RowError(1, c, "column missing from the header") for c in COLUMNS if c not in present]


def _open(source: bytes | str | os.PathLike[str]) -> BinaryIO:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    try:
        return open(source, "rb")  # noqa: SIM115 (closed by read_chunks)
    except OSError as exc:
        raise ImportRejected([RowError(0, "", f"cannot read the file: {exc.strerror}")]) from None


def read_chunks(
    source: bytes | str | os.PathLike[str], filename: str = "", chunk_rows: int = CHUNK_ROWS
) -> Iterator[pd.DataFrame]:
    """Yield a CSV (UTF-8, `,` or `;`) or XLSX file as frames of text cells with lower-case column names,
    indexed by file row number (the header is row 1), never holding more than `chunk_rows` rows."""
    with _open(source) as handle:
        head = handle.read(65536)
        handle.seek(0)
        if _is_xlsx(head, source, filename):
            yield from _xlsx_chunks(handle, chunk_rows)
        else:
            yield from _csv_chunks(handle, head, chunk_rows)


def _is_xlsx(head: bytes, source: bytes | str | os.PathLike[str], filename: str) -> bool:
    """Whether a file is a spreadsheet: by its first bytes, or by its name."""
    name = filename or ("" if isinstance(source, bytes) else str(source))
    return head.startswith(XLSX_MAGIC) or name.lower().endswith((".xlsx", ".xlsm"))


def _csv_chunks(handle: BinaryIO, head: bytes, chunk_rows: int) -> Iterator[pd.DataFrame]:
    text = head.decode("utf-8-sig", errors="ignore")
    first_line = text.split("\n", 1)[0].rstrip("\r")
    separator = ";" if first_line.count(";") > first_line.count(",") else ","
    header = next(csv.reader([first_line], delimiter=separator), [])
    columns = [c.strip().lower() for c in header]
    if errors := _header_errors(columns):
        raise ImportRejected(errors)
    try:
        reader = pd.read_csv(
            handle,
            sep=separator,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,  # keep them so that row numbers match the file; blank rows are dropped later
            chunksize=chunk_rows,
            encoding="utf-8-sig",
        )
        with reader:
            for frame in reader:
                frame.columns = columns
                frame.index = frame.index + 2
                yield frame
    except UnicodeDecodeError as exc:
        raise ImportRejected([RowError(0, "", f"the file is not UTF-8 text (byte {exc.start})")]) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise ImportRejected([RowError(0, "", f"the file cannot be read as CSV: {exc}")]) from None


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a spreadsheet has no "7.0" apart from 7
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _xlsx_chunks(handle: BinaryIO, chunk_rows: int) -> Iterator[pd.DataFrame]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportRejected([RowError(0, "", f"the file cannot be read as XLSX: {exc}")]) from None
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        columns = [_xlsx_text(c).lower() for c in next(rows, ())]
        if errors := _header_errors(columns):
            raise ImportRejected(errors)
        width = len(columns)
        buffer: list[list[str]] = []
        numbers: list[int] = []
        for number, values in enumerate(rows, start=2):
            cells = [_xlsx_text(v) for v in values[:width]]
            buffer.append(cells + [""] * (width - len(cells)))
            numbers.append(number)
            if len(buffer) >= chunk_rows:
                yield pd.DataFrame(buffer, columns=columns, index=numbers, dtype=str)
                buffer, numbers = [], []
        if buffer:
            yield pd.DataFrame(buffer, columns=columns, index=numbers, dtype=str)
    finally:
        workbook.close()


# --- checking -----------------------------------------------------------------------------------------------


@dataclass
class Checked:
    """The good rows of one chunk, column by column, as plain Python values ready for the database."""

    total: int = 0  # non-blank rows read, good or bad
    errors: list[RowError] = field(default_factory=list)
    row_no: list[int] = field(default_factory=list)
    external_id: list[str] = field(default_factory=list)
    store_id: list[int] = field(default_factory=list)
    answered_at: np.ndarray = field(default_factory=lambda: np.empty(0, "datetime64[us]"))  # naive UTC
    local_date: np.ndarray = field(default_factory=lambda: np.empty(0, "datetime64[D]"))  # company time zone
    local_month: list[int] = field(default_factory=list)  # yyyymm in the company time zone
    channel: list[str] = field(default_factory=list)
    nps: list[int | None] = field(default_factory=list)
    csat: list[int | None] = field(default_factory=list)
    ces: list[int | None] = field(default_factory=list)
    comment: list[str | None] = field(default_factory=list)
    employee_id: list[int | None] = field(default_factory=list)
    contact_consent: list[bool] = field(default_factory=list)
    # Kept only when the customer consented; None otherwise.
    customer_name: list[str | None] = field(default_factory=list)
    customer_contact: list[str | None] = field(default_factory=list)
    # For SQLite, answered_at and local_date as the text SQLAlchemy writes there, made by the reader.
    text: dict[str, list[str]] = field(default_factory=dict)
    # Positions of the rows with customer details to keep, and of the consenting detractors (cases.needs_case).
    contact_at: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    case_at: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))

    def __len__(self) -> int:
        return len(self.row_no)


@dataclass
class _Judged:
    """A low-cardinality column judged once per distinct value, then spread back over the rows."""

    values: np.ndarray  # object array, one value per row
    codes: np.ndarray
    messages: list[str | None]  # per distinct value
    uniques: list[str]  # the distinct cells, as read

    def where(self, predicate: Callable[[str], bool]) -> np.ndarray:
        """Rows whose cell satisfies `predicate` (judged once per distinct cell)."""
        chosen = [i for i, u in enumerate(self.uniques) if predicate(u)]
        return np.isin(self.codes, chosen) if chosen else np.zeros(len(self.codes), dtype=bool)

    def bad(self) -> np.ndarray:
        bad_codes = [i for i, m in enumerate(self.messages) if m]
        return np.isin(self.codes, bad_codes) if bad_codes else np.zeros(len(self.codes), dtype=bool)

    def message(self, position: int) -> str:
        return self.messages[self.codes[position]] or ""


def _judge(series: pd.Series, judge: Callable[[str], tuple[Any, str | None]]) -> _Judged:
    codes, found = pd.factorize(series, sort=False)
    uniques = [str(u) for u in found]
    results = [judge(u) for u in uniques]
    values = np.empty(len(results), dtype=object)
    values[:] = [v for v, _m in results]
    return _Judged(values[codes], codes, [m for _v, m in results], uniques)


def _score_judge(lo: int, hi: int) -> Callable[[str], tuple[int | None, str | None]]:
    def judge(raw: str) -> tuple[int | None, str | None]:
        text = raw.strip()
        if not text:
            return None, None
        if not _WHOLE_NUMBER.fullmatch(text):
            return None, f"{text!r} is not a whole number"
        value = int(text)
        if not lo <= value <= hi:
            return None, f"{value} is out of range ({lo} to {hi})"
        return value, None

    return judge


def _as_list(cells: Iterable[str]) -> list[str]:
    """A plain list: iterating one is several times cheaper than iterating a numpy object array."""
    return cells.tolist() if isinstance(cells, np.ndarray) else list(cells)


def _clean_cells(cells: Iterable[str]) -> np.ndarray:
    """Strip cells and undo spreadsheet neutralising (plain list work: far cheaper than pandas string methods)."""
    cleaned = list(map(str.strip, _as_list(cells)))
    joined = "\x00".join(cleaned)  # one C-level search instead of a startswith per cell
    if joined.startswith("'") or "\x00'" in joined:
        cleaned = [unneutralise(cell) for cell in cleaned]
    out = np.empty(len(cleaned), dtype=object)
    out[:] = cleaned
    return out


def _lengths(cells: np.ndarray) -> np.ndarray:
    return np.fromiter(map(len, _as_list(cells)), dtype=np.int64, count=len(cells))


def _localise(naive: pd.DatetimeIndex, zone: ZoneInfo) -> np.ndarray:
    """Local wall-clock times to naive UTC; in a DST overlap or gap do what Python's zoneinfo does (fold=0)."""
    local = naive.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
    utc = local.tz_convert(UTC).tz_localize(None).as_unit("us").to_numpy().copy()
    for position in np.flatnonzero(local.isna() & ~naive.isna()):
        moment = naive[position].to_pydatetime().replace(tzinfo=zone).astimezone(UTC)
        utc[position] = np.datetime64(moment.replace(tzinfo=None), "us")
    return utc


def _one_by_one(texts: np.ndarray, zone: ZoneInfo) -> np.ndarray:
    out = np.full(len(texts), np.datetime64("NaT"), dtype="datetime64[us]")
    for position, text in enumerate(texts):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            continue
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)
        out[position] = np.datetime64(moment.replace(tzinfo=None), "us")
    return out


def _with_offset(texts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Which timestamps end in Z or carry a + or - offset after the date: as fixed-width code points, looked at
    all at once (a third of the time of a test per cell), unless a cell is too long for that to be cheap."""
    n = len(texts)
    width = int(lengths.max()) if n else 0
    if width > 64:
        marked = (t.endswith(("Z", "z")) or "+" in t[10:] or "-" in t[10:] for t in texts.tolist())
        return np.fromiter(marked, dtype=bool, count=n)
    codes = np.array(texts.tolist(), dtype=f"U{max(width, 1)}").view(np.uint32).reshape(n, max(width, 1))
    last = codes[np.arange(n), np.maximum(lengths - 1, 0)]
    after_date = codes[:, 10:]
    return (last == ord("Z")) | (last == ord("z")) | ((after_date == ord("+")) | (after_date == ord("-"))).any(axis=1)


def _timestamps(cells: np.ndarray, zone: ZoneInfo) -> tuple[np.ndarray, np.ndarray]:
    """ISO 8601 timestamps to naive UTC datetime64 (NaT where unreadable), and the unreadable mask.

    A timestamp without an offset is local time in `zone`. Each kind is parsed in one vectorised call.
    """
    texts = _clean_cells(cells)
    lengths = _lengths(texts)
    short = lengths < _MIN_TIMESTAMP_LENGTH
    aware = _with_offset(texts, lengths)
    utc = np.full(len(texts), np.datetime64("NaT"), dtype="datetime64[us]")
    try:
        if aware.any():
            parsed = pd.to_datetime(texts[aware], format="ISO8601", errors="coerce", utc=True)
            utc[aware] = parsed.tz_localize(None).as_unit("us").to_numpy()
        if not aware.all():
            utc[~aware] = _localise(pd.to_datetime(texts[~aware], format="ISO8601", errors="coerce"), zone)
    except (ValueError, OverflowError, TypeError, AttributeError):
        utc = _one_by_one(texts, zone)  # a cell the quick split misjudged: read them one by one
    return utc, short | np.isnat(utc)


@dataclass
class _Checker:
    """Check survey rows against the stores and employees on file, in the company time zone."""

    stores: dict[str, int]
    employees: dict[str, int]
    zone: ZoneInfo
    # Prepare the rows for SQLite (dates as text, flags as 0/1), so that the reader does that work, not the writer.
    for_sqlite: bool = False

    @classmethod
    def for_file(cls) -> _Checker:
        return cls(
            dict(db.session.execute(sa.select(Store.code, Store.id)).tuples().all()),
            dict(db.session.execute(sa.select(Employee.number, Employee.id)).tuples().all()),
            clock.zone(),
        )

    @classmethod
    def for_row(cls, cells: dict[str, str]) -> _Checker:
        code, number = cells.get("store_code", "").strip(), cells.get("employee_number", "").strip()
        stores = db.session.execute(sa.select(Store.code, Store.id).where(Store.code == code)).tuples().all()
        employees = db.session.execute(sa.select(Employee.number, Employee.id).where(Employee.number == number))
        return cls(dict(stores), dict(employees.tuples().all()), clock.zone())

    def _store(self, raw: str) -> tuple[int | None, str | None]:
        code = raw.strip()
        if not code:
            return None, "required"
        found = self.stores.get(code)
        return (found, None) if found is not None else (None, f"unknown store {code!r}")

    def _employee(self, raw: str) -> tuple[int | None, str | None]:
        number = raw.strip()
        if not number:
            return None, None
        found = self.employees.get(number)
        return (found, None) if found is not None else (None, f"unknown employee {number!r}")

    @staticmethod
    def _consent(raw: str) -> tuple[bool, str | None]:
        if not raw.strip():
            return False, None
        try:
            return parse_bool(raw), None
        except CellError as exc:
            return False, str(exc)

    @staticmethod
    def _channel(raw: str) -> tuple[str, str | None]:
        text = unneutralise(raw.strip())
        return (text, None) if len(text) <= 40 else ("", "at most 40 characters")

    def check(self, frame: pd.DataFrame) -> Checked:
        """Check one chunk: the good rows' values and every problem of the bad ones, by row and column."""
        id_values = _clean_cells(frame["external_id"].to_numpy(dtype=object))
        frame, id_values = _drop_blank(frame, id_values)
        n = len(frame)
        result = Checked(total=n)
        if n == 0:
            return result
        rows = frame.index.to_numpy()
        bad = np.zeros(n, dtype=bool)
        problems: list[tuple[int, str, str]] = []

        def flag(mask: np.ndarray, column: str, message: Callable[[int], str] | str) -> None:
            for position in np.flatnonzero(mask):
                problems.append((position, column, message if isinstance(message, str) else message(position)))
            bad[mask] = True

        lengths = _lengths(id_values)
        flag(lengths == 0, "external_id", "required")
        flag(lengths > 120, "external_id", "at most 120 characters")
        repeated = pd.Series(id_values, dtype=object).duplicated(keep="first").to_numpy() & (lengths > 0)
        flag(repeated, "external_id", lambda p: f"{id_values[p]!r} appears more than once in the file")

        store = _judge(frame["store_code"], self._store)
        flag(store.bad(), "store_code", store.message)

        raw_times = frame["answered_at"].to_numpy(dtype=object)
        utc, unreadable = _timestamps(raw_times, self.zone)
        flag(
            unreadable,
            "answered_at",
            lambda p: (
                "required"
                if not raw_times[p].strip()
                else f"{raw_times[p].strip()!r} is not an ISO 8601 timestamp ({_TIMESTAMP_HINT})"
            ),
        )

        channel = _judge(frame["channel"], self._channel)
        flag(channel.bad(), "channel", channel.message)

        scores: dict[str, _Judged] = {}
        no_score = np.ones(n, dtype=bool)
        for column, (lo, hi) in SCORES.items():
            scores[column] = judged = _judge(frame[column], _score_judge(lo, hi))
            flag(judged.bad(), column, judged.message)
            no_score &= judged.where(lambda cell: not cell.strip())
        flag(no_score, "nps, csat, ces", "every score is empty: give at least one of nps, csat, ces")

        employee = _judge(frame["employee_number"], self._employee)
        flag(employee.bad(), "employee_number", employee.message)
        consent = _judge(frame["contact_consent"], self._consent)
        flag(consent.bad(), "contact_consent", consent.message)
        consenting = consent.values.astype(bool)

        # Customer details are read only where the customer agreed to be contacted; elsewhere they are dropped.
        contact: dict[str, np.ndarray] = {}
        for column, limit in (("customer_name", 200), ("customer_contact", 254)):
            values = np.full(n, None, dtype=object)
            if column in frame.columns and consenting.any():
                cells = _clean_cells(frame[column].to_numpy(dtype=object)[consenting])
                values[consenting] = [cell or None for cell in cells]
                too_long = np.zeros(n, dtype=bool)
                too_long[consenting] = _lengths(cells) > limit
                flag(too_long, column, f"at most {limit} characters")  # never echo customer data
            contact[column] = values

        comments = _clean_cells(frame["comment"].to_numpy(dtype=object))

        result.errors = [
            RowError(int(rows[p]), column, message)
            for p, column, message in sorted(problems, key=lambda e: (e[0], _COLUMN_ORDER.get(e[1], 99)))
        ]
        good = np.flatnonzero(~bad)
        if not len(good):
            return result
        local_naive = pd.DatetimeIndex(utc[good]).tz_localize(UTC).tz_convert(self.zone).tz_localize(None).to_numpy()
        # Rows stay in file order: exports list answers by id, so the unique key grows at its end (sorting a chunk
        # by store and month, for the store-month index, made the unique key's insert twice as costly).
        months = local_naive.astype("datetime64[M]").astype(np.int64)
        result.row_no = rows[good].tolist()
        result.external_id = id_values[good].tolist()
        result.store_id = store.values[good].tolist()
        result.answered_at = utc[good]
        result.local_date = local_naive.astype("datetime64[D]")
        result.local_month = ((1970 + months // 12) * 100 + months % 12 + 1).tolist()
        result.channel = channel.values[good].tolist()
        result.nps, result.csat, result.ces = (scores[c].values[good].tolist() for c in SCORES)
        result.comment = [c or None for c in comments[good].tolist()]
        result.employee_id = employee.values[good].tolist()
        result.contact_consent = (consenting[good].astype(np.int8) if self.for_sqlite else consenting[good]).tolist()
        if self.for_sqlite:
            result.text = {"answered_at": sqlite_text(result.answered_at), "local_date": sqlite_text(result.local_date)}
        names, contacts = contact["customer_name"][good], contact["customer_contact"][good]
        result.customer_name, result.customer_contact = names.tolist(), contacts.tolist()
        # Object arrays of None or non-empty text: truthiness says whether a detail is there.
        result.contact_at = np.flatnonzero(names.astype(bool) | contacts.astype(bool))
        nps = scores["nps"].values[good]
        detractor = np.zeros(len(good), dtype=bool)
        given = np.flatnonzero(np.not_equal(nps, None))
        detractor[given] = nps[given].astype(np.int64) <= DETRACTOR_MAX
        result.case_at = np.flatnonzero(consenting[good] & detractor)
        return result


def sqlite_text(values: np.ndarray) -> list[str]:
    """Dates ("YYYY-MM-DD") or naive UTC datetimes ("YYYY-MM-DD HH:MM:SS.ffffff") as SQLAlchemy writes them to
    SQLite DATE and DATETIME columns."""
    if values.dtype == np.dtype("datetime64[D]"):
        return np.datetime_as_string(values).tolist()
    stamps = np.datetime_as_string(values.astype("datetime64[us]"), unit="us")
    stamps.view("U1").reshape(len(values), -1)[:, 10] = " "
    return stamps.tolist()


def _drop_blank(frame: pd.DataFrame, ids: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Drop rows whose every cell is empty (only a row without an external id can be one)."""
    candidates = _lengths(ids) == 0
    if not candidates.any():
        return frame, ids
    blank = candidates.copy()
    blank[candidates] = frame[candidates].apply(lambda column: column.str.strip() == "").all(axis=1).to_numpy()
    return (frame[~blank], ids[~blank]) if blank.any() else (frame, ids)


def purge_date(today: date | None = None) -> date:
    """When a contact stored today is erased: today (company time) plus the retention period."""
    days = int(current_app.config.get("PRIMO_CONTACT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))
    return (today or clock.today()) + timedelta(days=days)


# --- writing ------------------------------------------------------------------------------------------------

_INSERT_COLUMNS = (
    "external_id",
    "store_id",
    "answered_at",
    "local_date",
    "local_month",
    "channel",
    "nps",
    "csat",
    "ces",
    "comment",
    "employee_id",
    "contact_consent",
)
_STAGING = "primo_ingest_staging"
_SKIPPED = "primo_ingest_skipped"
_IN_BATCH = 500
_SQLITE_CACHE_KIB = 16 * 1024
_SQLITE_ROWS_PER_INSERT = 50  # 650 parameters a statement: under SQLite's oldest limit of 999
# Secondary indexes of survey_responses built again after a large load instead of kept up row by row (the unique
# key too on PostgreSQL, for a source's first load: see _Writer._defer_indexes). A CSV row of the survey file is
# rarely under this many bytes, so dividing the file's size by it over-estimates the rows, and errs towards the
# rebuild.
_REBUILT_INDEXES = ("ix_survey_responses_store_month", "ix_survey_responses_employee_id")
_UNIQUE_KEY = "uq_survey_responses_source_external_id"
_BULK_SAVEPOINT = "primo_ingest_bulk"
_MIN_BYTES_PER_ROW = 50
REBUILD_MIN_ROWS = 100_000
# From this many (estimated) rows a file is read and checked in a child process rather than a thread.
PROCESS_MIN_ROWS = 50_000
_UTC_SELECTED = ", ".join(_INSERT_COLUMNS).replace("answered_at", "answered_at AT TIME ZONE 'UTC'")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# Binary COPY types of _INSERT_COLUMNS. PostgreSQL's binary timestamp (with or without time zone) is the int8 count
# of microseconds since 2000-01-01 00:00 UTC, and its binary date the int4 count of days since 2000-01-01: moments
# go as those numbers, straight from numpy, without a Python datetime for each row (half a second per million).
_PG_TYPES = ("text", "int4", "int8", "int4", "int4", "text", "int2", "int2", "int2", "text", "int4", "bool")
_PG_EPOCH_US = np.datetime64("2000-01-01T00:00:00", "us")
_PG_EPOCH_DAY = np.datetime64("2000-01-01", "D")


# The binary COPY stream's header (signature, flags, header extension length) and trailer (PostgreSQL manual, COPY,
# "Binary Format").
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_COPY_TRAILER = b"\xff\xff"
_COPY_ROWS_PER_WRITE = 4_096


def _copy_binary(cursor: Any, table: str, names: str, types: Sequence[str], columns: Sequence[Sequence[Any]]) -> None:
    """PostgreSQL: COPY rows, given column by column, into a table in the binary format.

    Rows go through psycopg's own C row formatter, called directly into one buffer per few thousand rows:
    `Copy.write_row` wraps it in two Python calls per row, a second per million survey rows. That formatter
    lives in psycopg's private `_copy_base` (psycopg is pinned); the PostgreSQL tests write every table this way.
    """
    from psycopg import adapt, pq
    from psycopg._copy_base import format_row_binary

    transformer = adapt.Transformer.from_context(cursor)
    registry = cursor.adapters.types
    transformer.set_dumper_types([registry.get_oid(name) for name in types], pq.Format.BINARY)
    n = len(columns[0]) if columns else 0
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        data = bytearray(_COPY_HEADER)
        for start in range(0, n, _COPY_ROWS_PER_WRITE):
            for row in zip(*(c[start : start + _COPY_ROWS_PER_WRITE] for c in columns), strict=True):
                format_row_binary(row, transformer, data)
            copy.write(data)  # the server takes these rows in while the next are formatted
            data = bytearray()
        copy.write(data + _COPY_TRAILER)


def _insert_rows(cursor: Any, head: str, one: str, rows: list[tuple[Any, ...]], tail: str = "") -> None:
    """SQLite: insert rows through statements of _SQLITE_ROWS_PER_INSERT rows each (one VALUES list per
    statement), then the remainder one by one. Per row, sqlite3 then steps and resets a statement 50 times less
    often: a million survey rows went in in 3 s instead of 5.5 s."""
    per = _SQLITE_ROWS_PER_INSERT
    whole = len(rows) - len(rows) % per
    if whole:
        grouped = (tuple(chain.from_iterable(rows[start : start + per])) for start in range(0, whole, per))
        cursor.executemany(head + ", ".join([one] * per) + tail, grouped)
    if whole < len(rows):
        cursor.executemany(head + one + tail, rows[whole:])


class _Writer:
    """Bulk writes of checked chunks on the session's own connection and transaction.

    Each chunk's rows get known ids (on SQLite the next ones, given before they go in under this transaction's
    write lock; on PostgreSQL the sequence values between a reading before and after the COPY, looked up only if
    another session took one meanwhile), so that contacts and cases can name their response without a lookup.
    A chunk first goes in the quick way, a plain executemany (SQLite) or a binary COPY straight into the table
    (PostgreSQL), which stops at the first id already stored. The rows that did not go in then go through
    INSERT … ON CONFLICT DO NOTHING, and once that happened every later chunk takes that careful way, as a
    re-imported file would stop every chunk. Rows left out are told apart by their stored row: stored by another
    batch (skipped), or by this batch from an earlier chunk (a duplicate in the file); ids skipped twice are
    duplicates too, tracked in a temporary table so that memory stays bounded.

    A load at least as large as the table builds the secondary indexes again at its end (see _defer_indexes); on
    PostgreSQL, when the source has nothing stored yet, the unique key too, unless `unique_again` is False.
    """

    def __init__(
        self, source: str, batch_id: int, purge_after: date, expected_rows: int = 0, unique_again: bool = True
    ) -> None:
        self.source = source
        self.batch_id = batch_id
        self.purge_after = purge_after
        self.opened_at = np.datetime64(utcnow().replace(tzinfo=None), "us")  # cases opened by this import
        self.connection = db.session.connection()
        self.driver = self.connection.connection.driver_connection
        self.postgres = self.connection.dialect.name == "postgresql"
        self.mark = "%s" if self.postgres else "?"
        self.careful = False
        self.first_id: int | None = None
        self.last_id: int | None = None
        self._skipped_table = False
        self._staging_table = False
        self._cache_size: int | None = None
        self.unique_rebuilt = False
        if self.postgres:
            self._sequence = db.session.scalar(sa.text("SELECT pg_get_serial_sequence('survey_responses', 'id')"))
        else:
            # SQLite's default 2 MB page cache thrashes on the table's indexes at a million rows (the import took
            # twice as long); 16 MB, allocated only as pages are touched, keeps memory bounded. Put back by close().
            with closing(self.driver.cursor()) as cursor:
                self._cache_size = cursor.execute("PRAGMA cache_size").fetchone()[0]
                cursor.execute(f"PRAGMA cache_size = -{_SQLITE_CACHE_KIB}")
        self.rebuilt = self._defer_indexes(expected_rows, unique_again)

    # -- rows --

    def _next_ids(self, count: int) -> np.ndarray:
        """SQLite: the ids the next rows get (this transaction holds the write lock)."""
        with closing(self.driver.cursor()) as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM survey_responses")
            first = cursor.fetchone()[0] + 1
        return np.arange(first, first + count, dtype=np.int64)

    def _stored_among(self, ids: np.ndarray) -> np.ndarray:
        """SQLite: which of these consecutive new ids are now in the table."""
        with closing(self.driver.cursor()) as cursor:
            cursor.execute("SELECT id FROM survey_responses WHERE id BETWEEN ? AND ?", (int(ids[0]), int(ids[-1])))
            found = np.fromiter((r[0] for r in cursor.fetchall()), dtype=np.int64)
        return np.isin(ids, found)

    def insert(self, checked: Checked) -> np.ndarray:
        """Insert the chunk's rows, those whose id is already stored left out: each row's new id (0 for rows left
        out)."""
        ids = np.zeros(len(checked), dtype=np.int64) if self.careful else self._quick(checked)
        rest = np.flatnonzero(ids == 0)
        if len(rest):
            ids[rest] = self._careful(checked, rest)
        kept = ids[ids > 0]
        if len(kept):
            low, high = int(kept.min()), int(kept.max())
            self.first_id = low if self.first_id is None else min(self.first_id, low)
            self.last_id = high if self.last_id is None else max(self.last_id, high)
        return ids

    def _columns(self, checked: Checked, positions: np.ndarray | None = None) -> list[list[Any]]:
        """_INSERT_COLUMNS of the rows at `positions` (default all), as values for the driver."""
        every = positions is None
        chosen = [] if every else positions.tolist()
        columns: list[list[Any]] = []
        for name in _INSERT_COLUMNS:
            values = getattr(checked, name)
            if isinstance(values, np.ndarray):
                text = checked.text.get(name) if not self.postgres else None
                if text is not None:
                    columns.append(text if every else [text[p] for p in chosen])
                else:
                    columns.append(self._moments(values if every else values[positions]))
            else:
                columns.append(values if every else [values[p] for p in chosen])
        return columns

    def _moments(self, values: np.ndarray) -> list[Any]:
        """Dates and naive UTC datetimes as PostgreSQL's binary numbers (see _PG_TYPES); for SQLite the very text
        SQLAlchemy writes for DATE and DATETIME."""
        if not self.postgres:
            return sqlite_text(values)
        if values.dtype == np.dtype("datetime64[D]"):
            return (values - _PG_EPOCH_DAY).astype(np.int64).tolist()
        return (values.astype("datetime64[us]") - _PG_EPOCH_US).astype(np.int64).tolist()

    def _sqlite_insert(self, columns: list[list[Any]], ids: np.ndarray, conflict: str) -> None:
        with closing(self.driver.cursor()) as cursor:
            _insert_rows(
                cursor,
                f"INSERT INTO survey_responses (id, source, batch_id, excluded, {', '.join(_INSERT_COLUMNS)}) VALUES ",
                f"(?, {_literal(self.source)}, {int(self.batch_id)}, 0, {', '.join('?' * len(_INSERT_COLUMNS))})",
                list(zip(ids.tolist(), *columns, strict=True)),
                conflict,
            )

    def _quick(self, checked: Checked) -> np.ndarray:
        """Every row of the chunk in one go: their ids. When an id is already stored this stops, from then on
        chunks go the careful way, and the rows that did not go in have id 0: all of them on PostgreSQL, on
        SQLite those from the stored one on."""
        columns = self._columns(checked)
        if not self.postgres:
            ids = self._next_ids(len(checked))
            try:
                self._sqlite_insert(columns, ids, "")
            except sqlite3.IntegrityError:
                self.careful = True
                return np.where(self._stored_among(ids), ids, 0)
            return ids
        import psycopg

        names = ", ".join(("source", "batch_id", "excluded", *_INSERT_COLUMNS))
        with closing(self.driver.cursor()) as cursor:
            # COPY takes each row's id from the sequence, in file order: when no other writer took a value
            # meanwhile, the chunk's ids are the values between these two readings.
            cursor.execute("SAVEPOINT primo_ingest_chunk")
            cursor.execute("SELECT nextval(%s)", (self._sequence,))
            before = cursor.fetchone()[0]
            try:
                n = len(checked)
                constants = ([self.source] * n, [self.batch_id] * n, [False] * n)
                types = ("text", "int4", "bool", *_PG_TYPES)
                _copy_binary(cursor, "survey_responses", names, types, [*constants, *columns])
            except psycopg.errors.UniqueViolation:
                cursor.execute("ROLLBACK TO SAVEPOINT primo_ingest_chunk")
                self.careful = True
                return np.zeros(len(checked), dtype=np.int64)
            cursor.execute("RELEASE SAVEPOINT primo_ingest_chunk")
            cursor.execute("SELECT currval(%s)", (self._sequence,))
            after = cursor.fetchone()[0]
            if after - before == len(checked):
                return np.arange(before + 1, after + 1, dtype=np.int64)
            cursor.execute(
                "SELECT external_id, id FROM survey_responses WHERE id > %s AND id <= %s AND batch_id = %s",
                (before, after, self.batch_id),
            )
            found = dict(cursor.fetchall())
        return np.fromiter((found[e] for e in checked.external_id), dtype=np.int64, count=len(checked))

    def _careful(self, checked: Checked, positions: np.ndarray) -> np.ndarray:
        """Insert these rows, leaving out ids already stored: their new ids, 0 for those left out."""
        columns = self._columns(checked, positions)
        if not self.postgres:
            ids = self._next_ids(len(positions))
            self._sqlite_insert(columns, ids, " ON CONFLICT (source, external_id) DO NOTHING")
            return np.where(self._stored_among(ids), ids, 0)
        with closing(self.driver.cursor()) as cursor:
            if not self._staging_table:
                cursor.execute(
                    f"CREATE TEMP TABLE IF NOT EXISTS {_STAGING} (external_id text, store_id integer,"
                    " answered_at timestamp, local_date date, local_month integer, channel text, nps smallint,"
                    " csat smallint, ces smallint, comment text, employee_id integer, contact_consent boolean)"
                    " ON COMMIT DROP"
                )
                self._staging_table = True
            cursor.execute(f"TRUNCATE {_STAGING}")
            names = ", ".join(_INSERT_COLUMNS)
            _copy_binary(cursor, _STAGING, names, _PG_TYPES, columns)
            cursor.execute(
                f"INSERT INTO survey_responses (source, batch_id, excluded, {names}) "
                f"SELECT %s, %s, false, {_UTC_SELECTED} FROM {_STAGING} "
                "ON CONFLICT (source, external_id) DO NOTHING RETURNING external_id, id",
                (self.source, self.batch_id),
            )
            found = dict(cursor.fetchall())
        ids = checked.external_id
        return np.fromiter((found.get(ids[p], 0) for p in positions.tolist()), dtype=np.int64, count=len(positions))

    def insert_contacts(self, checked: Checked, ids: np.ndarray, positions: np.ndarray) -> int:
        """Store the contacts of these new consenting rows."""
        if not len(positions):
            return 0
        names, contacts = checked.customer_name, checked.customer_contact
        chosen = positions.tolist()
        n = len(chosen)
        purge = self.purge_after if self.postgres else self.purge_after.isoformat()
        values = [ids[positions].tolist(), [names[p] for p in chosen], [contacts[p] for p in chosen], [purge] * n]
        columns = "response_id, customer_name, customer_contact, purge_after"
        with closing(self.driver.cursor()) as cursor:
            if self.postgres:
                _copy_binary(cursor, "response_contacts", columns, ("int4", "text", "text", "date"), values)
            else:
                rows = list(zip(*values, strict=True))
                _insert_rows(cursor, f"INSERT INTO response_contacts ({columns}) VALUES ", "(?, ?, ?, ?)", rows)
        return n

    def insert_cases(self, checked: Checked, ids: np.ndarray, positions: np.ndarray) -> int:
        """Open the follow-up cases of these new consenting detractors, due FOLLOW_UP_DELAY after the answer."""
        if not len(positions):
            return 0
        due = self._moments(checked.answered_at[positions] + np.timedelta64(FOLLOW_UP_DELAY))
        opened = self._moments(np.array([self.opened_at], dtype="datetime64[us]"))[0]
        stores = checked.store_id
        n = len(positions)
        values = [ids[positions].tolist(), [stores[p] for p in positions.tolist()], ["open"] * n, [opened] * n, due]
        columns = "response_id, store_id, status, opened_at, due_at"
        with closing(self.driver.cursor()) as cursor:
            if self.postgres:
                _copy_binary(cursor, "followup_cases", columns, ("int4", "int4", "text", "int8", "int8"), values)
            else:
                rows = list(zip(*values, strict=True))
                _insert_rows(cursor, f"INSERT INTO followup_cases ({columns}) VALUES ", "(?, ?, ?, ?, ?)", rows)
        return n

    def classify(self, checked: Checked, inserted: np.ndarray) -> np.ndarray:
        """NEW, SKIPPED or DUPLICATE for each row of a chunk, from which of them went in."""
        status = np.full(len(checked), NEW, dtype=np.int8)
        left_out = np.flatnonzero(~inserted).tolist()
        if not left_out:
            return status
        ids = checked.external_id
        stored: dict[str, int | None] = {}
        for start in range(0, len(left_out), _IN_BATCH):
            part = [ids[p] for p in left_out[start : start + _IN_BATCH]]
            query = sa.select(SurveyResponse.external_id, SurveyResponse.batch_id).where(
                SurveyResponse.source == self.source, SurveyResponse.external_id.in_(part)
            )
            stored.update(db.session.execute(query).tuples().all())
        skipped: list[int] = []
        for position in left_out:
            if stored[ids[position]] == self.batch_id:
                status[position] = DUPLICATE  # this batch stored it from an earlier chunk
            else:
                status[position] = SKIPPED
                skipped.append(position)
        if skipped:
            for position in self._skipped_before([ids[p] for p in skipped], skipped):
                status[position] = DUPLICATE
        return status

    def _skipped_before(self, ids: list[str], positions: list[int]) -> list[int]:
        """Remember skipped ids; return the positions of those already skipped from an earlier chunk."""
        with closing(self.driver.cursor()) as cursor:
            if not self._skipped_table:
                temp = "TEMP TABLE IF NOT EXISTS"
                suffix = " ON COMMIT DROP" if self.postgres else ""
                cursor.execute(f"CREATE {temp} {_SKIPPED} (external_id text PRIMARY KEY){suffix}")
                cursor.execute(f"DELETE FROM {_SKIPPED}")
                self._skipped_table = True
            seen: set[str] = set()
            for start in range(0, len(ids), _IN_BATCH):
                part = ids[start : start + _IN_BATCH]
                marks = ", ".join([self.mark] * len(part))
                cursor.execute(f"SELECT external_id FROM {_SKIPPED} WHERE external_id IN ({marks})", part)
                seen.update(r[0] for r in cursor.fetchall())
            cursor.executemany(
                f"INSERT INTO {_SKIPPED} (external_id) VALUES ({self.mark})", [(i,) for i in ids if i not in seen]
            )
        return [p for p, i in zip(positions, ids, strict=True) if i in seen]

    def _defer_indexes(self, expected_rows: int, unique_again: bool) -> list[sa.Index]:
        """For a file that brings at least as many rows as the table holds (and at least REBUILD_MIN_ROWS),
        drop the secondary indexes now and build them again in finish(): one sort of the whole table costs less
        than keeping them up to date row by row (a million rows into an empty table: 3 s of index upkeep on
        PostgreSQL). The drop is part of the import's transaction: a rejected file, which is rolled back, leaves
        them as they were. On PostgreSQL it locks the table until the import commits.

        On PostgreSQL, when the source has no response stored yet (a first load), the unique key goes too: no
        stored id can then stop a row, only an id the file repeats from one chunk to another, which building the
        key again in finish() finds. Upkeep of the key took a second of a million-row COPY; building it, half."""
        if expected_rows < REBUILD_MIN_ROWS:
            return []
        if expected_rows < (db.session.scalar(sa.select(sa.func.max(SurveyResponse.id))) or 0):
            return []
        if self.postgres and unique_again:  # finish() comes back here if the key cannot be built again
            self.connection.exec_driver_sql(f"SAVEPOINT {_BULK_SAVEPOINT}")
        indexes = [i for i in SurveyResponse.__table__.indexes if i.name in _REBUILT_INDEXES]
        for index in indexes:
            index.drop(self.connection)  # locks the table: no other session adds a response meanwhile
        if self.postgres and unique_again:
            stored = sa.select(SurveyResponse.id).where(SurveyResponse.source == self.source).limit(1)
            if db.session.scalar(stored) is None:
                self.connection.exec_driver_sql(f"ALTER TABLE survey_responses DROP CONSTRAINT {_UNIQUE_KEY}")
                self.unique_rebuilt = True
        return indexes

    def finish(self) -> bool:
        """Build the deferred indexes again; drop the work tables (PostgreSQL drops them at commit; SQLite keeps
        temp tables per connection).

        False when the unique key cannot be built again because the file repeats an id across chunks: then
        everything this import wrote is undone, the indexes are back, and the import is to be read again with
        the key in place, which lists the repeated ids."""
        if self.rebuilt and self.postgres:  # sort the keys in memory (PostgreSQL's default is 64 MB)
            self.connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
        if self.unique_rebuilt:
            import psycopg

            with closing(self.driver.cursor()) as cursor:
                try:
                    cursor.execute(
                        f"ALTER TABLE survey_responses ADD CONSTRAINT {_UNIQUE_KEY} UNIQUE (source, external_id)"
                    )
                except psycopg.errors.UniqueViolation:
                    cursor.execute(f"ROLLBACK TO SAVEPOINT {_BULK_SAVEPOINT}")
                    return False
        for index in self.rebuilt:
            index.create(self.connection)
        if not self.postgres and self._skipped_table:
            with closing(self.driver.cursor()) as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS temp.{_SKIPPED}")
        return True

    def close(self) -> None:
        """Give the pooled connection its page cache size back."""
        if self._cache_size is not None:
            with closing(self.driver.cursor()) as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(self._cache_size)}")
            self._cache_size = None


# --- the import -------------------------------------------------------------------------------------------


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

    def extend(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.count += 1
            if len(self.kept) < self.limit:
                self.kept.append(error)

    def listed(self) -> list[RowError]:
        errors = sorted(self.kept, key=lambda e: (e.row, _COLUMN_ORDER.get(e.column, 99)))
        if self.count > len(self.kept):
            errors.append(RowError(0, "", f"{self.count - len(self.kept)} more problem(s) not listed"))
        return errors


def check_source_name(name: str) -> str:
    name = (name or "").strip()
    if not SOURCE_NAME.fullmatch(name):
        raise IngestError(
            f"{name!r} is not a valid source name (letters, digits, '.', '_' and '-', at most 80 characters)"
        )
    return name


def import_responses(
    file: bytes | str | os.PathLike[str],
    filename: str = "",
    source: str = DEFAULT_SOURCE,
    *,
    chunk_rows: int = CHUNK_ROWS,
    in_process: bool | None = None,
) -> ImportSummary:
    """Import a survey file as one batch, all or nothing: raises ImportRejected listing every bad row.

    Ids already stored for the source are skipped and counted. The caller commits, or rolls back for a preview.
    A large CSV file is read and checked in a child process (`in_process`, default: from the file's size).
    """
    source = check_source_name(source)
    filename = Path(filename or ("upload" if isinstance(file, bytes) else str(file))).name[:255]
    checker = _Checker.for_file()
    # sqlite3 binds exact ints at once but sends a bool through its adapter lookup: a second per million rows.
    checker.for_sqlite = db.session.get_bind().dialect.name == "sqlite"
    batch = ImportBatch(source=source, filename=filename, created_by=current_actor()[1][:254])
    db.session.add(batch)
    db.session.flush()
    expected = _expected_rows(file, filename)
    if in_process is None:
        in_process = expected >= PROCESS_MIN_ROWS and "fork" in multiprocessing.get_all_start_methods()
    unique_again = True
    while True:
        run = _Import(batch, checker, _Writer(source, batch.id, purge_date(), expected, unique_again))
        chunks: _Prefetch | _ReaderProcess = (
            _ReaderProcess(file, filename, chunk_rows, checker)
            if in_process
            else _Prefetch(checker.check(frame) for frame in read_chunks(file, filename, chunk_rows))
        )
        try:
            run.load(chunks)
        finally:
            chunks.close()
            run.writer.close()
        summary, errors = run.summary, run.errors
        if not summary.rows and not errors.count:
            errors.extend([RowError(0, "", "the file holds no responses")])
        if errors.count:
            raise ImportRejected(errors.listed())
        if run.writer.finish():
            break
        unique_again = False  # an id repeated across chunks: read the file again with the key in place
    batch.rows_inserted, batch.rows_skipped = summary.new, summary.skipped
    batch.first_day, batch.last_day = summary.first_day, summary.last_day
    batch.first_response_id, batch.last_response_id = run.writer.first_id, run.writer.last_id
    db.session.flush()
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
    return summary


def _expected_rows(file: bytes | str | os.PathLike[str], filename: str) -> int:
    """An upper estimate of a CSV file's rows from its size (0 for XLSX, whose size says little)."""
    try:
        with _open(file) as handle:
            head = handle.read(len(XLSX_MAGIC))
            size = handle.seek(0, os.SEEK_END)
    except ImportRejected:
        return 0  # read_chunks reports it
    return 0 if _is_xlsx(head, file, filename) else size // _MIN_BYTES_PER_ROW


def _unwrap(messages: Iterable[tuple[str, Any]]) -> Iterator[Any]:
    """The items of a stream of ("item", x) messages ended by ("done", None); ("error", exc) raises exc."""
    for kind, value in messages:
        if kind == "done":
            return
        if kind == "error":
            raise value
        yield value


def _read_and_check(
    file: bytes | str | os.PathLike[str], filename: str, chunk_rows: int, checker: _Checker, pipe: Connection
) -> None:
    """The reader process: send each checked chunk, then ("done", None), or ("error", exception)."""
    try:
        for frame in read_chunks(file, filename, chunk_rows):
            pipe.send(("item", checker.check(frame)))
        pipe.send(("done", None))
    except ImportRejected as exc:
        pipe.send(("error", exc))
    except BaseException as exc:  # anything else arrives as a plain error with its text
        pipe.send(("error", RuntimeError(f"survey reader: {type(exc).__name__}: {exc}")))
    finally:
        pipe.close()


class _ReaderProcess:
    """Read and check a file in a forked child process, one chunk ahead of the writer.

    With a thread, reading and checking (pandas and numpy, but much of it Python) took turns with the writing on
    the interpreter lock: a million rows spent 5 s of Python in each. A process reads on the other core. The pipe
    holds little, so the child waits for the writer after one chunk: memory stays bounded. The child is forked,
    so it starts at once with the stores and employees already loaded; it touches no database connection and
    leaves through os._exit, as multiprocessing children do.
    """

    def __init__(self, file: bytes | str | os.PathLike[str], filename: str, chunk_rows: int, checker: _Checker) -> None:
        context = multiprocessing.get_context("fork")
        self._pipe, child_end = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_read_and_check,
            args=(file, filename, chunk_rows, checker, child_end),
            name="survey-import-reader",
            daemon=True,
        )
        self._process.start()
        child_end.close()

    def __iter__(self) -> Iterator[Checked]:
        return _unwrap(self._messages())

    def _messages(self) -> Iterator[tuple[str, Any]]:
        while True:
            try:
                yield self._pipe.recv()
            except EOFError:
                raise ImportRejected([RowError(0, "", "the file could not be read to the end")]) from None

    def close(self) -> None:
        """Stop the child if it is still reading (the file was rejected early) and reap it."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._pipe.close()


class _Prefetch:
    """Run a generator one item ahead in a worker thread.

    Reading and checking the next chunk then overlaps with the database writing this one: pandas' parser,
    sqlite3 and psycopg all release the GIL while they work. At most one finished chunk waits in the queue,
    so memory stays bounded.
    """

    def __init__(self, items: Iterator[Any]) -> None:
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(items,), name="survey-import-reader", daemon=True)
        self._thread.start()

    def _run(self, items: Iterator[Any]) -> None:
        try:
            for item in items:
                if not self._put(("item", item)):
                    return
            self._put(("done", None))
        except BaseException as exc:  # handed to the consuming thread, which raises it
            self._put(("error", exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    def _put(self, message: tuple[str, Any]) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(message, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[Any]:
        return _unwrap(iter(self._queue.get, None))

    def close(self) -> None:
        """Stop the worker (it finishes the chunk in hand) and wait for it."""
        self._stop.set()
        self._thread.join()


class _Import:
    """One file going in: checked chunks written as they come, problems gathered to be listed together."""

    def __init__(self, batch: ImportBatch, checker: _Checker, writer: _Writer) -> None:
        self.writer = writer
        self.summary = ImportSummary(batch_id=batch.id, source=batch.source, filename=batch.filename)
        self.errors = _Errors()
        self.codes = {store_id: code for code, store_id in checker.stores.items()}

    def load(self, chunks: Iterable[Checked]) -> None:
        try:
            for checked in chunks:
                self.summary.rows += checked.total
                self.errors.extend(checked.errors)
                if len(checked):
                    self._write(checked)
        except ImportRejected as exc:  # the file itself cannot be read on
            self.errors.extend(exc.errors)

    def _write(self, checked: Checked) -> None:
        ids = self.writer.insert(checked)
        inserted = ids > 0
        status = np.full(len(checked), NEW, dtype=np.int8)
        if not inserted.all():
            status = self.writer.classify(checked, inserted)
            self.errors.extend(
                RowError(
                    checked.row_no[p], "external_id", f"{checked.external_id[p]!r} appears more than once in the file"
                )
                for p in np.flatnonzero(status == DUPLICATE)
            )
        if self.errors.count:
            return  # the file is rejected: reading goes on only to list every problem
        _tally(self.summary, checked, status, self.codes)
        new = status == NEW
        self.summary.contacts += self.writer.insert_contacts(checked, ids, checked.contact_at[new[checked.contact_at]])
        self.summary.cases += self.writer.insert_cases(checked, ids, checked.case_at[new[checked.case_at]])


def _tally(summary: ImportSummary, checked: Checked, status: np.ndarray, codes: dict[int, str]) -> None:
    stores = np.asarray(checked.store_id, dtype=np.int64)
    for kind, attribute in ((NEW, "new"), (SKIPPED, "skipped")):
        mask = status == kind
        if not mask.any():
            continue
        setattr(summary, attribute, getattr(summary, attribute) + int(mask.sum()))
        for store_id, count in zip(*np.unique(stores[mask], return_counts=True), strict=True):
            tally = summary.per_store.setdefault(int(store_id), StoreTally(codes[int(store_id)]))
            setattr(tally, attribute, getattr(tally, attribute) + int(count))
    new = np.flatnonzero(status == NEW)
    if len(new):
        days = checked.local_date[new]
        first, last = date.fromisoformat(str(days.min())), date.fromisoformat(str(days.max()))
        summary.first_day = min(summary.first_day or first, first)
        summary.last_day = max(summary.last_day or last, last)


# --- the webhook --------------------------------------------------------------------------------------------


def store_response(source: FeedbackSource, cells: dict[str, str]) -> tuple[str, int]:
    """Store one response from a webhook: ("created", id), or ("duplicate", id) when its id is already stored.

    Raises ResponseRejected with the reasons when a value is bad. Flushes; the caller commits.
    """
    frame = pd.DataFrame([{c: cells.get(c, "") for c in ALL_COLUMNS}], index=[1], dtype=str)
    checked = _Checker.for_row(cells).check(frame)
    if checked.errors:
        raise ResponseRejected(checked.errors)
    if not len(checked):
        raise ResponseRejected([RowError(0, "", "the body holds no response")])
    existing = db.session.scalar(
        sa.select(SurveyResponse.id).where(
            SurveyResponse.source == source.name, SurveyResponse.external_id == checked.external_id[0]
        )
    )
    if existing is not None:
        return "duplicate", existing
    response = SurveyResponse(
        source=source.name,
        external_id=checked.external_id[0],
        store_id=checked.store_id[0],
        answered_at=checked.answered_at[0].item().replace(tzinfo=UTC),
        local_date=checked.local_date[0].item(),
        local_month=checked.local_month[0],
        channel=checked.channel[0],
        nps=checked.nps[0],
        csat=checked.csat[0],
        ces=checked.ces[0],
        comment=checked.comment[0],
        employee_id=checked.employee_id[0],
        contact_consent=checked.contact_consent[0],
    )
    if checked.customer_name[0] is not None or checked.customer_contact[0] is not None:
        response.contact = ResponseContact(
            customer_name=checked.customer_name[0],
            customer_contact=checked.customer_contact[0],
            purge_after=purge_date(),
        )
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


def undo_batch(batch_id: int) -> dict[str, int]:
    """Delete an import batch's responses with their contacts and cases; refused once a run has read its months."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        raise BatchNotFound(f"no import batch {batch_id}")
    if batch.undone_at is not None:
        raise IngestError(f"import {batch_id} was already undone")
    months = batch_months(batch)
    if locked := locked_months(months):
        raise BatchLocked(batch_id, locked)
    ids = sa.select(SurveyResponse.id).where(batch.responses())
    no_sync = {"synchronize_session": False}
    detached = _detach_other_references(ids)
    counts = {
        "cases": db.session.execute(
            sa.delete(FollowUpCase).where(FollowUpCase.response_id.in_(ids)), execution_options=no_sync
        ).rowcount,
        "contacts": db.session.execute(
            sa.delete(ResponseContact).where(ResponseContact.response_id.in_(ids)), execution_options=no_sync
        ).rowcount,
        "responses": db.session.execute(
            sa.delete(SurveyResponse).where(batch.responses()), execution_options=no_sync
        ).rowcount,
    }
    batch.undone_at = utcnow()
    batch.undone_by = current_actor()[1][:254]
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


def _detach_other_references(ids: sa.Select) -> dict[str, int]:
    """Unlink rows of other features that point at responses about to go (e.g. a recognition given for a
    compliment): the row stays, its optional link is cleared. A required link refuses the undo."""
    owned = {ResponseContact.__table__.name, FollowUpCase.__table__.name, SurveyResponse.__table__.name}
    detached: dict[str, int] = {}
    for table in db.metadata.sorted_tables:
        if table.name in owned:
            continue
        for key in table.foreign_keys:
            if key.column.table.name != SurveyResponse.__table__.name:
                continue
            column = key.parent
            linked = sa.select(sa.func.count()).select_from(table).where(column.in_(ids))
            if not db.session.scalar(linked):
                continue
            if not column.nullable:
                raise IngestError(f"responses of this import are used by {table.name}: it cannot be undone")
            result = db.session.execute(sa.update(table).where(column.in_(ids)).values({column.name: None}))
            detached[f"{table.name}.{column.name}"] = result.rowcount
    return detached


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
            PendingUpload.kind.startswith(UPLOAD_KIND + ":"),
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


# --- sources ------------------------------------------------------------------------------------------------


def clean_refs(refs: dict[str, str | None]) -> dict[str, str]:
    unknown = sorted(set(refs) - set(REF_KEYS))
    if unknown:
        raise IngestError(f"unknown question ref key(s): {', '.join(unknown)} (known: {', '.join(REF_KEYS)})")
    cleaned = {k: (v or "").strip() for k, v in refs.items()}
    too_long = [k for k, v in cleaned.items() if len(v) > 120]
    if too_long:
        raise IngestError(f"question ref too long: {', '.join(too_long)}")
    return {k: v for k, v in cleaned.items() if v}


def create_source(name: str, fmt: str, refs: dict[str, str | None] | None = None) -> FeedbackSource:
    """Register a webhook source with a fresh signing secret (shown once by the caller)."""
    name = check_source_name(name)
    if fmt not in SOURCE_FORMATS:
        raise IngestError(f"unknown format {fmt!r} (use {' or '.join(SOURCE_FORMATS)})")
    if db.session.scalar(sa.select(FeedbackSource.id).where(FeedbackSource.name == name)) is not None:
        raise IngestError(f"a source named {name!r} already exists")
    source = FeedbackSource(name=name, format=fmt, secret=secrets.token_hex(32), question_refs=clean_refs(refs or {}))
    db.session.add(source)
    db.session.flush()
    record(
        "feedback.source_create",
        "feedback_source",
        source.id,
        summary=f"source {name} ({fmt})",
        after={"name": name, "format": fmt, "question_refs": source.question_refs},
    )
    return source


def update_source_refs(source: FeedbackSource, refs: dict[str, str | None]) -> None:
    before = dict(source.question_refs or {})
    source.question_refs = clean_refs(refs)
    record(
        "feedback.source_refs",
        "feedback_source",
        source.id,
        summary=f"question refs of {source.name}",
        before={"question_refs": before},
        after={"question_refs": source.question_refs},
    )
    db.session.flush()
