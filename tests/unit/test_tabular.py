"""Reading uploaded CSV and XLSX files: encodings, French dates, and files far larger than their format."""

from __future__ import annotations

import io
import re
import tracemalloc
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from app.core import tabular
from app.core.tabular import CellError, ImportRejected, parse_date, read_table

COLUMNS = ("employee_number", "points", "earned_on", "reason")


def xlsx(rows: list[list[object]], dimension: str | None = None) -> bytes:
    """A real workbook; `dimension` rewrites the size the sheet declares (as a hostile file could)."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    if dimension is None:
        return buffer.getvalue()
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + dimension.encode() + b'"', data)
            target.writestr(item, data)
    return out.getvalue()


def problems(excinfo: pytest.ExceptionInfo[ImportRejected]) -> list[str]:
    return [str(e) for e in excinfo.value.errors]


def test_utf8_files_are_read_as_utf8_and_others_as_windows_1252():
    utf8 = read_table("employee_number;reason\nE1;Très bien\n".encode(), columns=COLUMNS)
    excel = read_table("employee_number;reason\nE1;Très bien – 5 €\n".encode("cp1252"), columns=COLUMNS)

    assert (utf8.encoding, utf8.rows[0][1]["reason"]) == ("utf-8", "Très bien")
    assert (excel.encoding, excel.rows[0][1]["reason"]) == ("windows-1252", "Très bien – 5 €")


def test_bytes_that_no_encoding_reads_are_refused_naming_the_byte():
    with pytest.raises(ImportRejected) as rejected:
        read_table(b"employee_number\nE\x81\n", columns=COLUMNS)

    assert problems(rejected) == ["file: the file is neither UTF-8 nor Windows-1252 text (byte 17)"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-07-14", date(2026, 7, 14)), ("14/07/2026", date(2026, 7, 14)), ("4/1/2021", date(2021, 1, 4))],
)
def test_dates_are_iso_or_french_day_first(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["07/14/2026", "31/02/2026", "14.07.2026", "2026/07/14", "14/07/26"])
def test_other_date_spellings_are_refused(text):
    with pytest.raises(CellError, match="YYYY-MM-DD or DD/MM/YYYY"):
        parse_date(text)


def test_a_csv_with_a_million_columns_is_refused_before_it_fills_memory():
    content = ("employee_number," + ",".join(f"c{i}" for i in range(1_000_000)) + "\nE1\n").encode()
    tracemalloc.start()
    try:
        with pytest.raises(ImportRejected) as rejected:
            read_table(content, columns=COLUMNS)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert problems(rejected) == ["file: line 1 is longer than 100,000 characters"]
    assert peak < 2 * len(content)  # the decoded text, and nothing the size of the columns


def test_a_header_wider_than_the_format_plus_a_margin_is_refused():
    header = ",".join(f"c{i}" for i in range(len(COLUMNS) + tabular.EXTRA_COLUMNS + 1))

    with pytest.raises(ImportRejected) as rejected:
        read_table(f"{header}\n".encode(), columns=COLUMNS)

    assert problems(rejected) == ["row 1: more columns than the 14 this file can have"]


def test_a_row_with_more_cells_than_the_header_is_refused_by_row():
    with pytest.raises(ImportRejected) as rejected:
        read_table(b"employee_number,points\nE1,5\nE2,5,extra\n", columns=COLUMNS)

    assert problems(rejected) == ["row 3: 3 cells for 2 columns"]


def test_a_csv_with_more_cells_than_the_limit_stops_at_the_row_that_crosses_it(monkeypatch):
    monkeypatch.setattr(tabular, "MAX_CELLS", 10)
    content = b"employee_number,points\n" + b"E1,5\n" * 10

    with pytest.raises(ImportRejected) as rejected:
        read_table(content, columns=COLUMNS)

    assert problems(rejected) == ["row 6: the file has more than 10 cells"]


def test_an_xlsx_that_declares_millions_of_cells_is_refused_before_a_row_is_read():
    content = xlsx([["employee_number", "points"], ["E1", 5]], dimension="A1:J2000000")

    with pytest.raises(ImportRejected) as rejected:
        read_table(content, "big.xlsx", columns=COLUMNS)

    assert problems(rejected) == ["file: the file has more than 2,000,000 cells"]


def test_an_xlsx_that_hides_its_size_is_still_counted_while_read(monkeypatch):
    monkeypatch.setattr(tabular, "MAX_CELLS", 20)
    content = xlsx([["employee_number", "points"]] + [[f"E{i}", i] for i in range(30)], dimension="A1")

    with pytest.raises(ImportRejected) as rejected:
        read_table(content, "lying.xlsx", columns=COLUMNS)

    assert problems(rejected) == ["row 11: the file has more than 20 cells"]


def test_an_xlsx_row_wider_than_the_format_is_refused():
    content = xlsx([["employee_number", "points"], ["E1"] + list(range(30))], dimension="A1:B2")

    with pytest.raises(ImportRejected) as rejected:
        read_table(content, "wide.xlsx", columns=COLUMNS)

    assert problems(rejected) == ["row 2: more columns than the 14 this file can have"]


def test_an_xlsx_that_unpacks_to_too_much_xml_is_refused(monkeypatch):
    monkeypatch.setattr(tabular, "MAX_SHEET_XML_BYTES", 1000)
    content = xlsx([["employee_number", "reason"]] + [[f"E{i}", "x" * 50] for i in range(100)])

    with pytest.raises(ImportRejected) as rejected:
        read_table(content, "deep.xlsx", columns=COLUMNS)

    assert problems(rejected) == ["file: the file unpacks to more than 0 MB"]


def test_xlsx_cells_read_as_the_text_a_user_typed():
    content = xlsx(
        [
            ["Employee_Number", "Points", "Earned_On", "Reason", None],
            ["00042", 5, datetime(2026, 7, 1), "- ok", None],
            [None, None, None, None, None],
            ["E2", 2.5, datetime(2026, 7, 1, 9, 30), True, None],
        ]
    )

    table = read_table(content, "cells.xlsx", columns=COLUMNS)

    assert table.columns == ["employee_number", "points", "earned_on", "reason"]
    assert table.rows == [
        (2, {"employee_number": "00042", "points": "5", "earned_on": "2026-07-01", "reason": "- ok"}),
        (4, {"employee_number": "E2", "points": "2.5", "earned_on": "2026-07-01 09:30:00", "reason": "true"}),
    ]
