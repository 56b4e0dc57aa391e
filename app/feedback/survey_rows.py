"""Survey files read record by record (CSV or XLSX, never held whole), and the one check every response goes
through, from a file or from the webhook. No database: the caller hands in stores and employees; problems are
lazy translations (Flask-Babel), built only for a bad cell and said in the language active when they are shown.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, time
from operator import itemgetter
from typing import Any, BinaryIO, NamedTuple
from zoneinfo import ZoneInfo

from app.core.tabular import (
    EXTRA_COLUMNS,
    MAX_LINE_CHARS,
    MISSING_COLUMN,
    REQUIRED,
    XLSX_MAGIC,
    CellError,
    ImportRejected,
    Limits,
    Message,
    RowError,
    at_most,
    check_xlsx_size,
    line_too_long,
    parse_bool,
    parse_date,
    text_encoding,
    unknown_store,
    unneutralise,
    unreadable_csv,
    unreadable_xlsx,
    write_csv,
)
from app.core.tabular import lazy_text as _l
from app.mappings.columns import Mapping, Target, Translator, column_names

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
NO_SCORE = "nps, csat, ces"
COLUMN_ORDER = {c: i for i, c in enumerate(("", *ALL_COLUMNS, NO_SCORE))}
# dd/mm/yyyy HH:MM[:SS], as French Excel writes a date and time: local time, like an ISO time without offset.
FRENCH_MOMENT = re.compile(r"(\d{1,2}/\d{1,2}/\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")
# Limits that refuse a hostile file before it is read whole: a file has at most the format's columns plus a margin
# (a sheet's own notes), and an XLSX at most Excel's 1,048,576 rows of them, unpacking to at most 1 GB of XML.
MAX_COLUMNS = len(ALL_COLUMNS) + EXTRA_COLUMNS
MAPPED_MAX_COLUMNS = 500  # another tool's export: its metadata and every question, of which a few are read
MAX_XLSX_XML_BYTES = 1 << 30
WHOLE_NUMBER = re.compile(r"[+-]?\d{1,9}")
MEMO_LIMIT = 10_000  # distinct values remembered per column: a file of all-different codes keeps memory bounded

Cells = Sequence[str]  # one record's cells in ALL_COLUMNS order
# What a column mapping may fill: every column; a response needs its id, store and moment, and one score.
TARGET = Target(
    ALL_COLUMNS, required=("external_id", "store_code", "answered_at"), one_of=tuple(SCORES), moments=("answered_at",)
)


class Response(NamedTuple):
    """One good row as plain values: the moment as a naive UTC datetime, its day and month (yyyymm) in the
    company's time zone."""

    row: int
    external_id: str
    store_id: int
    answered_at: datetime
    local_date: date
    local_month: int
    channel: str
    nps: int | None
    csat: int | None
    ces: int | None
    comment: str | None
    employee_id: int | None
    contact_consent: bool
    customer_name: str | None  # kept only with consent
    customer_contact: str | None


# --- reading ------------------------------------------------------------------------------------------------


class SurveyFile:
    """A survey file (CSV or XLSX) read record by record, never held whole; once read, `encoding` says how a CSV
    was decoded ("utf-8" or "windows-1252"; "" for XLSX). With a column mapping, another tool's export is read
    through it (`translator`, once the header is read, renames errors after the file's columns)."""

    def __init__(
        self, source: bytes | str | os.PathLike[str], filename: str = "", mapping: Mapping | None = None
    ) -> None:
        self.source, self.encoding = source, ""
        self.name = filename or ("" if isinstance(source, bytes) else str(source))
        self.mapping = mapping
        self.translator: Translator | None = None

    def rows(self) -> Iterator[tuple[int, Cells]]:
        """Yield each record as (row number, cells in ALL_COLUMNS order).

        The header is row 1; a blank line counts as a row, a line break inside a quoted cell does not, as in a
        spreadsheet. Raises ImportRejected when the file cannot be read, is far wider than the format, or its
        header lacks a column.
        """
        if isinstance(self.source, bytes):
            handle: BinaryIO = io.BytesIO(self.source)
        else:
            try:
                handle = open(self.source, "rb")  # noqa: SIM115 (closed below, also when the caller stops early)
            except OSError as exc:
                raise ImportRejected(
                    [RowError(0, "", _l("cannot read the file: %(reason)s", reason=exc.strerror))]
                ) from None
        with handle:
            spreadsheet = handle.read(len(XLSX_MAGIC)) == XLSX_MAGIC or self.name.lower().endswith((".xlsx", ".xlsm"))
            wide = self.mapping is not None
            if spreadsheet:
                yield from _xlsx_rows(handle, self._records, wide)
            else:
                self.encoding = text_encoding(handle)
                yield from _csv_rows(handle, self.encoding, self._records)

    def _records(self, header: Sequence[Any], records: Iterator[Sequence[str]]) -> Iterator[tuple[int, Cells]]:
        if self.mapping is None:
            return _records(header, records)
        _mapped_limits().check_width(1, len(header))
        headers = [header, *(next(records, ()) for _ in range(self.mapping.header_rows - 1))]
        self.translator = Translator(self.mapping, TARGET, column_names(headers))
        return self.translator.records(records, self.mapping.header_rows + 1)


def _limits() -> Limits:
    """A fresh count of a file's cells against the survey limits."""
    return Limits(MAX_COLUMNS, MAX_COLUMNS * 1_048_576)


def _mapped_limits() -> Limits:
    """The same for another tool's export, read through a mapping: wider, since only a few columns are read."""
    return Limits(MAPPED_MAX_COLUMNS, MAPPED_MAX_COLUMNS * 1_048_576)


def _records(header: Sequence[Any], records: Iterable[Sequence[str]]) -> Iterator[tuple[int, Cells]]:
    """Number the records after the header and take their cells in ALL_COLUMNS order."""
    _limits().check_width(1, len(header))
    columns = [str(c or "").strip().lower() for c in header]
    if missing := [RowError(1, c, MISSING_COLUMN) for c in COLUMNS if c not in columns]:
        raise ImportRejected(missing)
    width = len(columns)
    positions = [columns.index(c) if c in columns else width for c in ALL_COLUMNS]
    needed = max(width, max(positions) + 1)
    take = None if positions == list(range(len(ALL_COLUMNS))) and width == needed else itemgetter(*positions)
    for number, cells in enumerate(records, start=2):
        if len(cells) != needed:  # a short record, or a missing optional column: padded with empty cells
            if len(cells) > width and any(cells[width:]):
                raise ImportRejected(
                    [
                        RowError(
                            number, "", _l("%(cells)d cells, the header has %(n)d columns", cells=len(cells), n=width)
                        )
                    ]
                )
            cells = [*cells[:width], *[""] * (needed - min(len(cells), width))]
        yield number, take(cells) if take else cells  # the file's own order when it is ALL_COLUMNS


class _Lines:
    """A text file's lines for csv.reader, refusing one longer than any real row (a million columns is megabytes
    of separators) before it is read whole."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self._readline, self._number = text.readline, 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._readline(MAX_LINE_CHARS + 1)
        self._number += 1
        if len(line) > MAX_LINE_CHARS and line[-1] != "\n":
            raise ImportRejected([RowError(0, "", line_too_long(self._number))])
        if not line:
            raise StopIteration
        return line


Records = Callable[[Sequence[Any], Iterator[Sequence[str]]], Iterator[tuple[int, Cells]]]


def _csv_rows(handle: BinaryIO, encoding: str, records: Records) -> Iterator[tuple[int, Cells]]:
    text = io.TextIOWrapper(handle, encoding="utf-8-sig" if encoding == "utf-8" else "cp1252", newline="")
    try:
        lines = _Lines(text)
        first = next(lines, "")
        separator = ";" if first.count(";") > first.count(",") else ","
        header = next(csv.reader([first], delimiter=separator), [])
        yield from records(header, csv.reader(lines, delimiter=separator))
    except csv.Error as exc:
        raise ImportRejected([RowError(0, "", unreadable_csv(exc))]) from None
    finally:
        text.detach()  # the caller closes the file


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a spreadsheet has no "7.0" apart from 7
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _xlsx_rows(handle: BinaryIO, records: Records, wide: bool) -> Iterator[tuple[int, Cells]]:
    import openpyxl

    check_xlsx_size(handle, _mapped_limits() if wide else _limits(), MAX_XLSX_XML_BYTES)
    handle.seek(0)
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportRejected([RowError(0, "", unreadable_xlsx(exc))]) from None
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = [_xlsx_text(c) for c in next(rows, ())]
        yield from records(header, ([_xlsx_text(v) for v in values] for values in rows))
    finally:
        workbook.close()


TEMPLATE_ROWS = (
    ("SRV-2026-0001", "PAR01", "30/06/2026 18:30", "email", "10", "5", "7", "Accueil parfait", "E1001", "non", "", ""),
    ("SRV-2026-0002", "PAR01", "2026-06-30T16:30:00Z", "sms", "3", "2", "", "Attente trop longue", "", "oui")
    + ("Jeanne Martin", "jeanne.martin@example.com"),
)


def template() -> bytes:
    """A survey file with every column and two example rows (both ways of writing a time), as French Excel opens
    it: UTF-8 with BOM, `;`."""
    return write_csv(ALL_COLUMNS, TEMPLATE_ROWS)


# --- checking -----------------------------------------------------------------------------------------------

Judged = tuple[Any, Message | None]  # a cell's value, or the problem with it


class _Memo(dict[str, Judged]):
    """A column whose cells take few distinct values: `memo[cell]` judges each distinct cell once."""

    def __init__(self, judge: Callable[[str], Judged]) -> None:
        super().__init__()
        self._judge = judge

    def __missing__(self, cell: str) -> Judged:
        judged = self._judge(cell)
        if len(self) < MEMO_LIMIT:  # a file of all-different codes keeps memory bounded
            self[cell] = judged
        return judged


def _known(known: dict[str, int], unknown: Callable[[str], Message], required: bool) -> _Memo:
    def judge(cell: str) -> Judged:
        code = cell.strip()
        if not code:
            return None, REQUIRED if required else None
        found = known.get(code)
        return (found, None) if found is not None else (None, unknown(code))

    return _Memo(judge)


def out_of_range(value: int, lo: int, hi: int) -> Message:
    return _l("%(value)d is out of range (%(lo)d to %(hi)d)", value=value, lo=lo, hi=hi)


def not_a_timestamp(text: str) -> Message:
    return _l(
        "%(text)s is not an ISO 8601 timestamp (YYYY-MM-DDTHH:MM[:SS][+HH:MM or Z], or DD/MM/YYYY HH:MM[:SS])",
        text=repr(text),
    )


def _unknown_employee(number: str) -> Message:
    return _l("unknown employee %(number)s", number=repr(number))


def _score(lo: int, hi: int) -> _Memo:
    def judge(cell: str) -> Judged:
        text = cell.strip()
        if not text:
            return None, None
        if not WHOLE_NUMBER.fullmatch(text):
            return None, _l("%(text)s is not a whole number", text=repr(text))
        value = int(text)
        return (value, None) if lo <= value <= hi else (None, out_of_range(value, lo, hi))

    return _Memo(judge)


def _consent(cell: str) -> Judged:
    try:
        return (parse_bool(cell), None) if cell.strip() else (False, None)
    except CellError as exc:
        return False, exc.message


def _channel(cell: str) -> Judged:
    text = unneutralise(cell.strip())
    return (text, None) if len(text) <= 40 else ("", at_most(40))


def _text(cell: str) -> str:
    text = cell.strip()
    return unneutralise(text) if text.startswith("'") else text


class RowChecker:
    """Check survey rows against the stores and employees on file, in the company's time zone."""

    def __init__(self, stores: dict[str, int], employees: dict[str, int], zone: ZoneInfo) -> None:
        self.zone = zone
        self._store, self._employee = _known(stores, unknown_store, True), _known(employees, _unknown_employee, False)
        self._channel, self._consent = _Memo(_channel), _Memo(_consent)
        self._nps, self._csat, self._ces = (_score(lo, hi) for lo, hi in SCORES.values())

    def check(self, number: int, cells: Cells) -> Response | list[RowError] | None:
        """The row's values, or every problem in it by column; None for a blank row."""
        external_id, store, answered_at, channel, nps, csat, ces, comment, employee, consent, name, contact = cells
        external_id, answered_at = external_id.strip(), answered_at.strip()
        if external_id.startswith("'") or answered_at.startswith("'"):  # cells a spreadsheet was kept from running
            external_id, answered_at = unneutralise(external_id), unneutralise(answered_at)
        if not external_id and not any(c.strip() for c in cells):
            return None
        problems: list[tuple[str, Message]] = []
        if not external_id or len(external_id) > 120:
            problems.append(("external_id", at_most(120) if external_id else REQUIRED))
        store_id, store_problem = self._store[store]
        channel_text, channel_problem = self._channel[channel]
        nps_value, nps_problem = self._nps[nps]
        csat_value, csat_problem = self._csat[csat]
        ces_value, ces_problem = self._ces[ces]
        employee_id, employee_problem = self._employee[employee]
        consenting, consent_problem = self._consent[consent]
        judged = (store_problem, channel_problem, nps_problem, csat_problem, ces_problem)
        if any(judged) or employee_problem or consent_problem:
            columns = ("store_code", "channel", "nps", "csat", "ces", "employee_number", "contact_consent")
            problems += [p for p in zip(columns, (*judged, employee_problem, consent_problem), strict=True) if p[1]]
        utc, local = self._moment(answered_at, problems)
        if not (nps.strip() or csat.strip() or ces.strip()):
            problems.append((NO_SCORE, _l("every score is empty: give at least one of nps, csat, ces")))
        if consenting:  # customer details are read only where the customer agreed to be contacted
            name, contact = _text(name) or None, _text(contact) or None
            for column, value, limit in (("customer_name", name, 200), ("customer_contact", contact, 254)):
                if value and len(value) > limit:
                    problems.append((column, at_most(limit)))  # never echo customer data
        else:
            name = contact = None
        if problems:
            return [RowError(number, c, m) for c, m in sorted(problems, key=lambda p: COLUMN_ORDER[p[0]])]
        month = local.year * 100 + local.month
        values = (external_id, store_id, utc, local, month, channel_text, nps_value, csat_value, ces_value)
        return Response._make((number, *values, _text(comment) or None, employee_id, consenting, name, contact))

    def _moment(self, text: str, problems: list[tuple[str, Message]]) -> tuple[datetime, date]:
        """An ISO 8601 (or dd/mm/yyyy HH:MM[:SS]) timestamp as a naive UTC datetime, and its day in the company's
        time zone; without an offset it is local time (in a daylight-saving gap or overlap, read as zoneinfo does:
        fold=0)."""
        try:
            if french := FRENCH_MOMENT.fullmatch(text):
                day, hour, minute, second = french.groups()
                moment = datetime.combine(parse_date(day), time(int(hour), int(minute), int(second or 0)))
            elif len(text) < 16 or text[4] != "-" or text[7] != "-":
                raise ValueError
            else:
                moment = datetime.fromisoformat(text)
        except ValueError:  # parse_date's CellError is one
            problems.append(("answered_at", not_a_timestamp(text) if text else REQUIRED))
            return datetime.min, date.min
        offset = moment.utcoffset()
        if offset is None:
            return moment - self.zone.utcoffset(moment), moment.date()
        return moment.replace(tzinfo=None) - offset, moment.astimezone(self.zone).date()
