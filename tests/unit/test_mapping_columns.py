"""The pure translation of another tool's record into an import's columns (app.mappings.columns)."""

from __future__ import annotations

import pytest

from app.core.tabular import ImportRejected
from app.mappings.columns import Mapping, Target, Translator, column_names, strptime_format

TARGET = Target(("id", "when", "score", "channel", "day"), required=("id",), moments=("when",), dates=("day",))


def test_surveymonkey_answer_columns_are_named_after_their_question_and_second_row():
    header = [["Respondent ID", "Quels rayons ?", "", "Note"], ["", "Chaussures", "Sacs", "Response"]]
    assert column_names(header) == ["Respondent ID", "Quels rayons ?", "Quels rayons ? / Sacs", "Note"]


def test_date_formats_are_written_as_the_tools_help_pages_do():
    assert strptime_format("dd/mm/yyyy HH:MM:SS") == "%d/%m/%Y %H:%M:%S"
    assert strptime_format("%m/%d/%Y %I:%M %p") == "%m/%d/%Y %I:%M %p"


def test_a_record_is_translated_with_values_dates_zone_and_constants():
    spec = Mapping(
        columns=(("Ref", "id"), ("Sent", "when"), ("Rating", "score"), ("Ref", "day")),
        values={"score": {"Very good": "5"}},
        constants={"channel": "web"},
        date_format="dd/mm/yyyy HH:MM",
        timezone="UTC",
    )
    translator = Translator(spec, TARGET, ["ref", "SENT ", "Rating", "Other"])
    cells = translator.cells(["03/11/2026 10:05", "03/11/2026 10:05", "very  good", "x"])
    assert list(cells[:4]) == ["03/11/2026 10:05", "2026-11-03T10:05:00+00:00", "5", "web"]
    assert cells.problems == []


def test_a_date_not_in_the_format_is_a_problem_of_its_field_and_an_empty_record_stays_empty():
    spec = Mapping(columns=(("Sent", "when"), ("Ref", "id")), constants={"channel": "web"}, date_format="dd/mm/yyyy")
    translator = Translator(spec, TARGET, ["Ref", "Sent"])
    assert translator.cells(["a", "2026-13-45"]).problems == [
        ("when", "'2026-13-45' does not match the date format dd/mm/yyyy")
    ]
    assert translator.cells(["", " "]) == ["", "", "", "", ""]  # no constant turns a blank line into a response


def test_errors_are_renamed_after_the_files_columns_and_a_missing_column_is_named():
    from app.core.tabular import RowError

    translator = Translator(Mapping(columns=(("Q1", "score"), ("Ref", "id"))), TARGET, ["Ref", "Q1"])
    assert translator.rename([RowError(4, "score", "bad"), RowError(0, "", "file")]) == [
        RowError(4, "Q1", "bad"),
        RowError(0, "", "file"),
    ]
    with pytest.raises(ImportRejected) as missing:
        Translator(Mapping(columns=(("Submitted At", "when"),)), TARGET, ["Ref"])
    assert str(missing.value.errors[0]) == "row 1, Submitted At: column missing from the header"
