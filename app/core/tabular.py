"""Read CSV and XLSX uploads as rows of text, and parse their cells strictly, naming row and column."""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO
from xml.etree import ElementTree
from xml.parsers.expat import ExpatError, ParserCreate

import openpyxl
from flask_babel import get_locale, gettext
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape

from app.core import numbers
from app.periods import FIRST_YEAR, LAST_YEAR, PeriodError


class LazyText(LazyString):
    """Flask-Babel's lazy string, escaped on a page: it carries a file's cells, which are never markup."""

    def __html__(self) -> Markup:
        return escape(str(self))


def lazy_text(string: str, **variables: object) -> LazyText:
    """A problem's text, translated when it is shown (a page in the reader's language, the command line in the
    company's, the API in English), not when the row is checked: its named placeholders are filled then."""
    return LazyText(gettext, string, **variables)


_l = lazy_text  # extracted for translation as `_l`, as the forms' lazy labels are
Message = str | LazyString
REQUIRED = _l("required")


@dataclass(frozen=True)
class RowError:
    """One problem in an uploaded file: row 1 is the header, data starts at row 2."""

    row: int
    column: str
    message: Message

    def __str__(self) -> str:
        """The problem as a line of text ("row 3, store_code: required"), in the language active now."""
        if self.row and self.column:
            return gettext(
                "row %(row)d, %(column)s: %(message)s", row=self.row, column=self.column, message=self.message
            )
        if self.row:
            return gettext("row %(row)d: %(message)s", row=self.row, message=self.message)
        if self.column:
            return gettext("file, %(column)s: %(message)s", column=self.column, message=self.message)
        return gettext("file: %(message)s", message=self.message)


class ImportRejected(ValueError):
    """A file with at least one bad row: nothing of it is written."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        super().__init__(_l("%(n)d problem(s) in the file; nothing was imported", n=len(self.errors)))


def at_most(limit: int) -> LazyString:
    return _l("at most %(n)d characters", n=limit)


def already_on_row(value: str, row: int) -> LazyString:
    """A value a row repeats from an earlier row of the same file."""
    return _l("%(value)s already appears on row %(row)d", value=value, row=row)


def unknown_store(code: str) -> LazyString:
    return _l("unknown store %(code)s", code=repr(code))


def period_problem(exc: PeriodError) -> LazyString:
    """Why a period cell cannot be read, in the reader's language (`app.periods` stays free of Flask: its English
    text is said again here, case by case)."""
    text = repr(exc.text)
    if exc.month is not None:
        return _l("no month %(month)d in %(text)s", month=exc.month, text=text)
    if exc.year is not None:
        return _l("%(text)s: the year must be from %(first)d to %(last)d", text=text, first=FIRST_YEAR, last=LAST_YEAR)
    return _l("not a period: %(text)s (expected YYYY-MM, YYYY-Qn or YYYY)", text=text)


@dataclass
class Table:
    """A file's rows as text, keyed by lower-case column name, with the file's decimal separator."""

    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]
    decimal_comma: bool = False
    errors: list[RowError] = field(default_factory=list)
    encoding: str = "utf-8"
    headers: list[str] = field(default_factory=list)  # the column names as the file writes them


XLSX_MAGIC = b"PK\x03\x04"
_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00$")

# A file may carry a few columns of its own beside the format's (notes, a spreadsheet's helper column), not more.
EXTRA_COLUMNS = 10
DEFAULT_MAX_COLUMNS = 64
# Cells read from one file at most, and the longest text line of a CSV: both checked while streaming, so that a
# hostile file is refused long before it fills memory (a million columns, a sheet of millions of cells).
MAX_CELLS = 2_000_000
MAX_LINE_CHARS = 100_000
# Bytes of sheet XML an XLSX may unpack to, read from the zip directory before anything is parsed.
MAX_SHEET_XML_BYTES = 200 * 1024 * 1024


def read_table(content: bytes, filename: str = "", columns: Sequence[str] = ()) -> Table:
    """Read a CSV or an XLSX file, every cell as text, refusing files far wider or larger than the format.

    CSV may be UTF-8 (with or without BOM) or, failing that, Windows-1252 (what French Excel writes by default),
    separated by `,` or `;`. `columns` names the format's columns: a file with many more is refused.
    """
    limits = Limits(len(columns) + EXTRA_COLUMNS if columns else DEFAULT_MAX_COLUMNS, MAX_CELLS)
    if content.startswith(XLSX_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content, limits)
    return _read_csv(content, limits)


@dataclass
class Limits:
    """Counts cells against the limits as rows arrive and stops the read at the first one crossed (row 0: the
    header of a file whose size is checked before it is read)."""

    max_columns: int
    max_cells: int
    cells: int = 0

    def check_width(self, row: int, width: int) -> None:
        if width > self.max_columns:
            raise ImportRejected(
                [RowError(row, "", _l("more columns than the %(n)d this file can have", n=self.max_columns))]
            )

    def add(self, row: int, width: int) -> None:
        self.check_width(row, width)
        self.cells += width
        if self.cells > self.max_cells:
            raise ImportRejected([RowError(row, "", _more_cells(self.max_cells))])


def decode_text(content: bytes) -> tuple[str, str]:
    """Decode a text file as UTF-8 (BOM or not), else as Windows-1252; give the text and the encoding used."""
    encoding = text_encoding(io.BytesIO(content))
    return content.decode("utf-8-sig" if encoding == "utf-8" else "cp1252"), encoding


def text_encoding(handle: IO[bytes]) -> str:
    """Whether a text file is UTF-8 (BOM or not) or, failing that, Windows-1252 (what French Excel writes by
    default): "utf-8" or "windows-1252". Read block by block, so a large file is never held whole; rewound after."""
    handle.seek(0)
    decoder, offset, pending = codecs.getincrementaldecoder("utf-8")(), 0, 0
    try:
        while block := handle.read(1 << 20):
            pending = len(decoder.getstate()[0])  # bytes of a character the previous block cut in two
            decoder.decode(block)
            offset += len(block)
        pending = len(decoder.getstate()[0])
        decoder.decode(b"", final=True)
        encoding = "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = offset - pending + exc.start
        handle.seek(0)
        try:
            while block := handle.read(1 << 20):
                block.decode("cp1252")
        except UnicodeDecodeError:
            raise ImportRejected(
                [RowError(0, "", _l("the file is neither UTF-8 nor Windows-1252 text (byte %(n)d)", n=first_bad))]
            ) from None
        encoding = "windows-1252"
    handle.seek(0)
    return encoding


def _bounded_lines(text: str) -> Iterator[str]:
    """The file's lines, refusing one longer than any real row (a million columns is megabytes of commas).

    No line is looked at past the limit, and nothing is copied but the line handed out.
    """
    start, number = 0, 0
    while start < len(text):
        number += 1
        end = text.find("\n", start, start + MAX_LINE_CHARS + 1)
        if end == -1:
            if len(text) - start > MAX_LINE_CHARS:
                raise ImportRejected([RowError(0, "", line_too_long(number))])
            end = len(text) - 1
        yield text[start : end + 1]
        start = end + 1


def _read_csv(content: bytes, limits: Limits) -> Table:
    text, encoding = decode_text(content)
    first_line = text[:MAX_LINE_CHARS].split("\n", 1)[0]
    separator = ";" if first_line.count(";") > first_line.count(",") else ","
    records = csv.reader(_bounded_lines(text), delimiter=separator)
    try:
        header = next(records, None)
        if header is None:
            raise ImportRejected([RowError(0, "", _l("the file is empty"))])
        limits.add(1, len(header))
        columns = [c.strip().lower() for c in header]
        rows: list[tuple[int, dict[str, str]]] = []
        # Row numbers count records as a spreadsheet shows them: a quoted line break stays inside its row.
        for number, values in enumerate(records, start=2):
            limits.add(number, len(values))
            if len(values) > len(columns):
                raise ImportRejected(
                    [RowError(number, "", _l("%(cells)d cells for %(n)d columns", cells=len(values), n=len(columns)))]
                )
            _keep(rows, number, columns, values)
    except csv.Error as exc:
        raise ImportRejected([RowError(0, "", unreadable_csv(exc))]) from None
    headers = [c.strip() for c in header]
    return Table(columns=columns, rows=rows, decimal_comma=separator == ";", encoding=encoding, headers=headers)


def _read_xlsx(content: bytes, limits: Limits) -> Table:
    check_xlsx_size(content, limits)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportRejected([RowError(0, "", unreadable_xlsx(exc))]) from None
    try:
        sheet = workbook.worksheets[0]
        # Excel and LibreOffice write the sheet's size up front: refuse a declared giant before reading a row.
        if sheet.max_column and sheet.max_row:
            limits.check_width(1, sheet.max_column)
            if sheet.max_column * sheet.max_row > limits.max_cells:
                raise ImportRejected([RowError(0, "", _more_cells(limits.max_cells))])
        sheet.reset_dimensions()  # then read every row there is, whatever the declared size says (as pandas does)
        rows: list[tuple[int, dict[str, str]]] = []
        columns: list[str] = []
        headers: list[str] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            limits.add(number, len(values))
            if number == 1:
                headers = [_excel_text(v) for v in values]
                while headers and not headers[-1]:
                    headers.pop()
                columns = [h.lower() for h in headers]
            else:
                _keep(rows, number, columns, values)
    except ImportRejected:
        raise
    except Exception as exc:
        raise ImportRejected([RowError(0, "", unreadable_xlsx(exc))]) from None
    finally:
        workbook.close()
    if not columns:
        raise ImportRejected([RowError(0, "", _l("the file is empty"))])
    return Table(columns=columns, rows=rows, headers=headers)


def check_xlsx_size(content: bytes | IO[bytes], limits: Limits, max_xml_bytes: int | None = None) -> None:
    """Refuse a workbook too large to read before openpyxl parses it (it builds each row whole, slowly).

    The zip directory gives the unpacked size; then one pass of expat over the first sheet's XML, keeping nothing,
    counts its cells row by row, so that a sheet that hides its size is stopped at the row that crosses a limit.
    """
    max_xml_bytes = max_xml_bytes or MAX_SHEET_XML_BYTES
    try:
        with zipfile.ZipFile(io.BytesIO(content) if isinstance(content, bytes) else content) as archive:
            if sum(i.file_size for i in archive.infolist() if i.filename.startswith("xl/")) > max_xml_bytes:
                raise ImportRejected(
                    [RowError(0, "", _l("the file unpacks to more than %(n)d MB", n=max_xml_bytes // 2**20))]
                )
            with archive.open(_first_sheet(archive)) as sheet:
                _count_cells(sheet, Limits(limits.max_columns, limits.max_cells))
    except ImportRejected:
        raise
    except (zipfile.BadZipFile, KeyError, ExpatError, ValueError) as exc:
        raise ImportRejected([RowError(0, "", unreadable_xlsx(exc))]) from None


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _first_sheet(archive: zipfile.ZipFile) -> str:
    """The zip path of the workbook's first sheet, as its workbook part and relationships name it."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    first = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
    if first is None:
        raise ValueError("no sheet")
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for rel in rels:
        if rel.get("Id") == first.get(f"{_REL}id"):
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    raise ValueError("the first sheet has no part")


def _count_cells(sheet: IO[bytes], limits: Limits) -> None:
    state = {"row": 0, "cells": 0}

    def start(name: str, _attributes: dict[str, str]) -> None:
        local = name.rsplit(":", 1)[-1]
        if local == "row":
            if state["row"]:
                limits.add(state["row"], state["cells"])
            state["row"] += 1
            state["cells"] = 0
        elif local == "c":
            state["cells"] += 1
            if state["cells"] > limits.max_columns:
                limits.check_width(state["row"], state["cells"])

    parser = ParserCreate()
    parser.StartElementHandler = start
    parser.ParseFile(sheet)
    if state["row"]:
        limits.add(state["row"], state["cells"])


def _excel_text(value: object) -> str:
    """A cell as the text a user typed: dates without a midnight time, whole numbers without `.0`."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        text = value.isoformat(sep=" ")
        return m.group(1) if (m := _MIDNIGHT.match(text)) else text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _keep(rows: list[tuple[int, dict[str, str]]], number: int, columns: list[str], values: Sequence[object]) -> None:
    """Add a data row (dropping wholly empty ones, whose number still counts) as text cells by column."""
    cells = {}
    for index, column in enumerate(columns):
        value = values[index] if index < len(values) else None
        text = value.strip() if isinstance(value, str) else _excel_text(value)
        cells[column] = unneutralise(text)
    if any(cells.values()):
        rows.append((number, cells))


MISSING_COLUMN = _l("column missing from the header")


class Grouped(int):
    """A large count in a message, grouped as the reader's language writes it (1,000,000 or 1 000 000) when the
    message is rendered."""

    def __str__(self) -> str:
        locale = get_locale()
        return numbers.number(int(self), str(locale) if locale else "en", 0)


def _more_cells(limit: int) -> LazyString:
    return _l("the file has more than %(n)s cells", n=Grouped(limit))


def line_too_long(number: int) -> LazyString:
    return _l("line %(line)d is longer than %(n)s characters", line=number, n=Grouped(MAX_LINE_CHARS))


def unreadable_csv(exc: Exception) -> LazyString:
    return _l("the file cannot be read as CSV: %(reason)s", reason=str(exc))


def unreadable_xlsx(exc: Exception) -> LazyString:
    return _l("the file cannot be read as XLSX: %(reason)s", reason=str(exc))


def missing_columns(table: Table, required: Sequence[str]) -> list[RowError]:
    return [RowError(1, c, MISSING_COLUMN) for c in required if c not in table.columns]


class CellError(ValueError):
    """A cell that does not hold what its column needs: `message` is the problem, translated when shown."""

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message


_FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_date(text: str) -> date:
    """Read `YYYY-MM-DD`, or `DD/MM/YYYY` as French spreadsheets write dates."""
    try:
        if m := _FRENCH_DATE.fullmatch(text):
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise CellError(_l("%(text)s is not a date (YYYY-MM-DD or DD/MM/YYYY)", text=repr(text))) from None


def parse_decimal(text: str, decimal_comma: bool = False, places: int | None = None) -> Decimal:
    """Read a decimal written with `.` (or `,` in `;`-separated files), refusing more than `places` decimals."""
    cleaned = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if decimal_comma:
        cleaned = cleaned.replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", cleaned):
        raise CellError(_l("%(text)s is not a number", text=repr(text)))
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise CellError(_l("%(text)s is not a number", text=repr(text))) from None
    if places is not None and value != value.quantize(Decimal(1).scaleb(-places)):
        raise CellError(_l("%(text)s has more than %(n)d decimals", text=repr(text), n=places))
    return value


TRUE_WORDS = {"true", "1", "yes", "oui", "y", "o", "vrai"}
FALSE_WORDS = {"false", "0", "no", "non", "n", "faux"}


def parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(_l("%(text)s is not a yes/no value (true/false, 1/0, yes/no, oui/non)", text=repr(text)))


def format_decimal_plain(value: Decimal) -> str:
    """Write a decimal without exponent or trailing zeros (0.8000 → 0.8, 1.0000 → 1)."""
    text = format(value.normalize(), "f")
    return text


def write_csv(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    """Write text rows as French Excel opens them: UTF-8 with BOM, `;`, CRLF; formula-like cells neutralised."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def unneutralise(cell: str) -> str:
    """Undo `neutralise` on the way back in, so that export → import round-trips."""
    return cell[1:] if cell.startswith("'") and cell[1:2] and cell[1:].startswith(FORMULA_STARTS) else cell


def neutralise(cell: str) -> str:
    """Prefix text that a spreadsheet would run as a formula with a quote."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell
