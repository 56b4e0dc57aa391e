"""Read CSV and XLSX uploads as rows of text, and parse their cells strictly, naming row and column."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

import pandas as pd


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


XLSX_MAGIC = b"PK\x03\x04"
_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00$")


def read_table(content: bytes, filename: str = "") -> Table:
    """Read a CSV (UTF-8, with or without BOM, `,` or `;`) or an XLSX file, every cell as text."""
    if content.startswith(XLSX_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content)
    return _read_csv(content)


def _read_csv(content: bytes) -> Table:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected([RowError(0, "", f"the file is not UTF-8 text (byte {exc.start})")]) from None
    first_line = text.split("\n", 1)[0]
    separator = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=separator,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,  # keep them so row numbers match the file; empty rows are dropped below
            quoting=csv.QUOTE_MINIMAL,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ImportRejected([RowError(0, "", f"the file cannot be read as CSV: {exc}")]) from None
    return _table(frame, decimal_comma=separator == ";")


def _read_xlsx(content: bytes) -> Table:
    try:
        frame = pd.read_excel(io.BytesIO(content), dtype=str, keep_default_na=False, na_filter=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportRejected([RowError(0, "", f"the file cannot be read as XLSX: {exc}")]) from None
    return _table(frame, decimal_comma=False, from_excel=True)


def _table(frame: pd.DataFrame, decimal_comma: bool, from_excel: bool = False) -> Table:
    columns = [str(c).strip().lower() for c in frame.columns]
    rows: list[tuple[int, dict[str, str]]] = []
    for offset, values in enumerate(frame.itertuples(index=False, name=None)):
        cells = {}
        for column, value in zip(columns, values, strict=True):
            text = "" if value is None else str(value).strip()
            if from_excel and (m := _MIDNIGHT.match(text)):
                text = m.group(1)  # a date cell
            cells[column] = unneutralise(text)
        if any(cells.values()):
            rows.append((offset + 2, cells))
    return Table(columns=columns, rows=rows, decimal_comma=decimal_comma)


def missing_columns(table: Table, required: Sequence[str]) -> list[RowError]:
    return [RowError(1, c, "column missing from the header") for c in required if c not in table.columns]


class CellError(ValueError):
    """A cell that does not hold what its column needs."""


def parse_date(text: str) -> date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise CellError(f"{text!r} is not a date (YYYY-MM-DD)") from None


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
    """Write text rows as UTF-8 CSV with `,` and `\\n` line ends, neutralising formula-like cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
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
