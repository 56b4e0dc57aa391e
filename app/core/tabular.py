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


@dataclass(frozen=True)
class RowError:
    """One problem in an uploaded file: row 1 is the header, data starts at row 2."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        return f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


class ImportRejected(ValueError):
    """A file with at least one bad row: nothing of it is written."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} problem(s) in the file; nothing was imported")


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
            raise ImportRejected([RowError(row, "", f"more columns than the {self.max_columns} this file can have")])

    def add(self, row: int, width: int) -> None:
        self.check_width(row, width)
        self.cells += width
        if self.cells > self.max_cells:
            raise ImportRejected([RowError(row, "", f"the file has more than {self.max_cells:,} cells")])


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
                [RowError(0, "", f"the file is neither UTF-8 nor Windows-1252 text (byte {first_bad})")]
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
                raise ImportRejected([RowError(0, "", f"line {number} is longer than {MAX_LINE_CHARS:,} characters")])
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
            raise ImportRejected([RowError(0, "", "the file is empty")])
        limits.add(1, len(header))
        columns = [c.strip().lower() for c in header]
        rows: list[tuple[int, dict[str, str]]] = []
        # Row numbers count records as a spreadsheet shows them: a quoted line break stays inside its row.
        for number, values in enumerate(records, start=2):
            limits.add(number, len(values))
            if len(values) > len(columns):
                raise ImportRejected([RowError(number, "", f"{len(values)} cells for {len(columns)} columns")])
            _keep(rows, number, columns, values)
    except csv.Error as exc:
        raise ImportRejected([RowError(0, "", f"the file cannot be read as CSV: {exc}")]) from None
    headers = [c.strip() for c in header]
    return Table(columns=columns, rows=rows, decimal_comma=separator == ";", encoding=encoding, headers=headers)


def _read_xlsx(content: bytes, limits: Limits) -> Table:
    check_xlsx_size(content, limits)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportRejected([RowError(0, "", f"the file cannot be read as XLSX: {exc}")]) from None
    try:
        sheet = workbook.worksheets[0]
        # Excel and LibreOffice write the sheet's size up front: refuse a declared giant before reading a row.
        if sheet.max_column and sheet.max_row:
            limits.check_width(1, sheet.max_column)
            if sheet.max_column * sheet.max_row > limits.max_cells:
                raise ImportRejected([RowError(0, "", f"the file has more than {limits.max_cells:,} cells")])
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
        raise ImportRejected([RowError(0, "", f"the file cannot be read as XLSX: {exc}")]) from None
    finally:
        workbook.close()
    if not columns:
        raise ImportRejected([RowError(0, "", "the file is empty")])
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
                raise ImportRejected([RowError(0, "", f"the file unpacks to more than {max_xml_bytes // 2**20} MB")])
            with archive.open(_first_sheet(archive)) as sheet:
                _count_cells(sheet, Limits(limits.max_columns, limits.max_cells))
    except ImportRejected:
        raise
    except (zipfile.BadZipFile, KeyError, ExpatError, ValueError) as exc:
        raise ImportRejected([RowError(0, "", f"the file cannot be read as XLSX: {exc}")]) from None


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


def missing_columns(table: Table, required: Sequence[str]) -> list[RowError]:
    return [RowError(1, c, "column missing from the header") for c in required if c not in table.columns]


class CellError(ValueError):
    """A cell that does not hold what its column needs."""


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
        raise CellError(f"{text!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)") from None


def parse_decimal(text: str, decimal_comma: bool = False, places: int | None = None) -> Decimal:
    """Read a decimal written with `.` (or `,` in `;`-separated files), refusing more than `places` decimals."""
    cleaned = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if decimal_comma:
        cleaned = cleaned.replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", cleaned):
        raise CellError(f"{text!r} is not a number")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise CellError(f"{text!r} is not a number") from None
    if places is not None and value != value.quantize(Decimal(1).scaleb(-places)):
        raise CellError(f"{text!r} has more than {places} decimals")
    return value


TRUE_WORDS = {"true", "1", "yes", "oui", "y", "o", "vrai"}
FALSE_WORDS = {"false", "0", "no", "non", "n", "faux"}


def parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(f"{text!r} is not a yes/no value (true/false, 1/0, yes/no, oui/non)")


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
