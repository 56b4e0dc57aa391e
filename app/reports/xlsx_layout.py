"""Column widths for the xlsx files Primo writes: wide enough that Excel (French Excel included, whose separators
take as much room) shows every date and amount in full instead of `######`, which it does for any number or date
cell narrower than its text.

Pure: values and number formats in, widths out; `fit_columns` applies them to an openpyxl sheet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal

from openpyxl.utils import get_column_letter

PADDING = 2  # Excel needs a little more than the text itself, or it shows ###### for numbers
# Prose longer than this (a description, a hint) overflows into the empty cells beside it rather than widen its
# column; a shorter text sets the width like a number.
TEXT_MAX = 50
MIN_WIDTH = 8
_QUOTED = re.compile(r'"[^"]*"|\\.')


def _number_text(value: Decimal | int | float, number_format: str) -> str:
    """The text a number shows with a format such as `0.00`, `#,##0.00`, `0.00%`, `0.0` or `General`."""
    number = Decimal(str(value))
    shown = _QUOTED.sub("", number_format.split(";")[0])
    if shown in ("", "General", "@"):
        return format(number.normalize(), "f") if number == number.to_integral_value() else str(number)
    if "%" in shown:
        number *= 100
    places = len(shown.split(".", 1)[1].rstrip("%")) if "." in shown else 0
    grouped = "," if "," in shown.split(".", 1)[0] else ""
    return f"{number:{grouped}.{places}f}" + ("%" if "%" in shown else "")


def _date_text(number_format: str) -> int:
    """The length of a date or time as a format such as `yyyy-mm-dd hh:mm` shows it (its own length)."""
    return len(_QUOTED.sub("", number_format).replace("\\", ""))


def width_of(value: object, number_format: str | None = None) -> int:
    """How many characters a cell needs to be read in full (0 for prose longer than TEXT_MAX)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return 5  # FALSE (VRAI, FAUX in French)
    if isinstance(value, datetime | date | time):
        fmt = number_format if number_format and number_format != "General" else "yyyy-mm-dd"
        return _date_text(fmt)
    if isinstance(value, Decimal | int | float):
        return len(_number_text(value, number_format or "General"))
    length = len(str(value))
    return length if length <= TEXT_MAX else 0


def widths(rows: Iterable[Sequence[tuple[object, str | None]]]) -> dict[int, float]:
    """Column widths (1-based column → Excel width) for rows of (value, number format) cells."""
    found: dict[int, int] = {}
    for row in rows:
        for column, (value, number_format) in enumerate(row, start=1):
            found[column] = max(found.get(column, 0), width_of(value, number_format))
    return {column: max(MIN_WIDTH, length + PADDING) for column, length in found.items()}


def apply_widths(ws, columns: dict[int, float]) -> None:
    """Set the sheet's column widths (before the first row of a write-only sheet)."""
    for column, width in columns.items():
        ws.column_dimensions[get_column_letter(column)].width = width


def fit_columns(ws) -> None:
    """Fit every column of a filled (not write-only) sheet to its widest cell."""
    apply_widths(ws, widths([(c.value, c.number_format) for c in row] for row in ws.iter_rows()))
