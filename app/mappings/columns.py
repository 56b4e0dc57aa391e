"""Column mappings: how another tool's export (its header rows, column names, values and date format) becomes a row
in Primo's own columns, one record at a time. No database; the checks that follow are the import's (problems are
lazy translations, said in the language active when they are shown).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.core.tabular import MISSING_COLUMN, ImportRejected, Message, RowError
from app.core.tabular import lazy_text as _l

MAX_HEADER_ROWS = 10
# HR writes a date format as the tools' help pages do (dd/mm/yyyy HH:MM:SS); strptime's codes are accepted too.
FORMAT_TOKENS = (("yyyy", "%Y"), ("yy", "%y"), ("dd", "%d"), ("mm", "%m"), ("HH", "%H"), ("MM", "%M"), ("SS", "%S"))
FORMAT_TOKEN = re.compile("|".join(t for t, _ in FORMAT_TOKENS))


@dataclass(frozen=True)
class Target:
    """The fields one kind of import reads, in its own column order, and which of them hold dates."""

    fields: tuple[str, ...]
    required: tuple[str, ...]
    one_of: tuple[str, ...] = ()  # at least one of these (a survey response's scores)
    moments: tuple[str, ...] = ()  # a date and time
    dates: tuple[str, ...] = ()  # a day


@dataclass(frozen=True)
class Mapping:
    """Which file column feeds which field, with value mappings, a date format and constants for what the tool
    lacks. `header_rows` is how many rows the header takes (SurveyMonkey 2, Qualtrics 3); the first names the
    columns."""

    columns: tuple[tuple[str, str], ...]  # (file column, field); a column may feed several fields
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field → {file value → Primo value}
    constants: dict[str, str] = field(default_factory=dict)  # field → value for every row
    date_format: str = ""  # "" : Primo's own formats
    timezone: str = ""  # zone of times written without an offset; "" : the company's
    header_rows: int = 1

    @classmethod
    def from_dict(cls, data: dict) -> Mapping:
        return cls(
            columns=tuple((str(c), str(f)) for c, f in data.get("columns") or ()),
            values={f: dict(v) for f, v in (data.get("values") or {}).items()},
            constants=dict(data.get("constants") or {}),
            date_format=data.get("date_format") or "",
            timezone=data.get("timezone") or "",
            header_rows=int(data.get("header_rows") or 1),
        )

    def as_dict(self) -> dict:
        return {
            "columns": [list(pair) for pair in self.columns],
            "values": self.values,
            "constants": self.constants,
            "date_format": self.date_format,
            "timezone": self.timezone,
            "header_rows": self.header_rows,
        }


def key(name: str) -> str:
    """A column name or value as compared: case, accents kept; spacing and case ignored."""
    return " ".join(str(name).split()).casefold()


def strptime_format(date_format: str) -> str:
    """dd/mm/yyyy HH:MM:SS as strptime reads it (a format already in strptime's codes is kept)."""
    if "%" in date_format:
        return date_format
    tokens = dict(FORMAT_TOKENS)
    return FORMAT_TOKEN.sub(lambda m: tokens[m.group(0)], date_format)


def column_names(header: Sequence[Sequence[str]]) -> list[str]:
    """The columns' names from the header rows: the first row's text; a cell left empty there (SurveyMonkey writes a
    question once over its answer columns) is named after the question and the second row's text."""
    first = [str(c or "").strip() for c in header[0]] if header else []
    second = [str(c or "").strip() for c in header[1]] if len(header) > 1 else []
    width = max(len(first), len(second))
    names, question = [], ""
    for index in range(width):
        name = first[index] if index < len(first) else ""
        below = second[index] if index < len(second) else ""
        if name:
            question = name
        elif question and below:
            name = f"{question} / {below}"
        names.append(name)
    return names


class MappedCells(list[str]):
    """A record in the target's columns, with the problems met translating it (field, message)."""

    problems: list[tuple[str, Message]]


class Translator:
    """Translate one file's records, whose header gave `names`, into the target's columns."""

    def __init__(self, mapping: Mapping, target: Target, names: Sequence[str]) -> None:
        self.mapping, self.target, self.names = mapping, target, list(names)
        by_key: dict[str, int] = {}
        for index, name in enumerate(names):
            by_key.setdefault(key(name), index)
        missing = dict.fromkeys(c for c, _ in mapping.columns if key(c) not in by_key)
        if missing:
            raise ImportRejected([RowError(1, c, MISSING_COLUMN) for c in missing])
        source = {f: c for c, f in mapping.columns}
        self.width = len(names)
        self.source_names = {f: names[by_key[key(c)]] for f, c in source.items()}
        self._plan = []  # (position or None, constant, value map, date reader) per target field
        for name in target.fields:
            column = source.get(name)
            values = {key(k): v for k, v in mapping.values.get(name, {}).items()}
            self._plan.append(
                (
                    by_key[key(column)] if column is not None else None,
                    mapping.constants.get(name, ""),
                    values,
                    self._reader(name),
                )
            )

    def _reader(self, name: str):
        """How a cell of a date field is rewritten in Primo's format, or None to keep it as it is."""
        mapping = self.mapping
        moment = name in self.target.moments
        if not (moment or name in self.target.dates) or not (mapping.date_format or (moment and mapping.timezone)):
            return None
        pattern = strptime_format(mapping.date_format) if mapping.date_format else ""
        zone = ZoneInfo(mapping.timezone) if mapping.timezone else None

        def read(text: str) -> tuple[str, Message | None]:
            try:
                value = datetime.strptime(text, pattern) if pattern else datetime.fromisoformat(text)
            except ValueError:
                try:  # a spreadsheet's date cell arrives in ISO 8601 whatever the tool's text format
                    value = datetime.fromisoformat(text) if len(text) >= 10 and text[4] == "-" else None
                except ValueError:
                    value = None
                if value is None:
                    return text, _l(
                        "%(text)s does not match the date format %(format)s",
                        text=repr(text),
                        format=mapping.date_format or "ISO 8601",
                    )
            if not moment:
                return value.date().isoformat(), None
            if zone is not None and value.tzinfo is None:
                value = value.replace(tzinfo=zone)
            return value.isoformat(), None

        return read

    def cells(self, raw: Sequence[str]) -> MappedCells:
        """One record in the target's columns; an empty record stays empty (constants are not a response)."""
        out = MappedCells()
        out.problems = []
        if not any(str(c).strip() for c in raw):
            out.extend("" for _ in self._plan)
            return out
        width = len(raw)
        for name, (position, constant, values, reader) in zip(self.target.fields, self._plan, strict=True):
            text = str(raw[position]).strip() if position is not None and position < width else constant
            if values and text:
                text = values.get(key(text), text)
            if reader is not None and text:
                text, problem = reader(text)
                if problem:
                    out.problems.append((name, problem))
            out.append(text)
        return out

    def records(self, records: Iterable[Sequence[str]], first_row: int) -> Iterator[tuple[int, MappedCells]]:
        """Number the records from `first_row` (the row after the header) and translate each."""
        for number, raw in enumerate(records, start=first_row):
            yield number, self.cells(raw)

    def column_of(self, name: str) -> str:
        """The file's column for a field, as an error names it: the field itself when a constant fills it."""
        if name in self.source_names:
            return self.source_names[name]
        parts = [p.strip() for p in name.split(",")]
        if len(parts) > 1 and all(p in self.target.fields for p in parts):  # "nps, csat, ces"
            return ", ".join(self.source_names[p] for p in parts if p in self.source_names) or name
        return name

    def rename(self, errors: Iterable[RowError]) -> list[RowError]:
        """Errors naming Primo's columns, renamed after the file's columns."""
        return [RowError(e.row, self.column_of(e.column), e.message) if e.column else e for e in errors]


class TranslatedChecker:
    """A row check that also reports the problems met translating the row: a cell the mapping could not read is
    reported as such, not as whatever the check made of it."""

    def __init__(self, checker: Any, order: dict[str, int]) -> None:
        self._check, self._order = checker.check, order

    def check(self, number: int, cells: Sequence[str]) -> Any:
        checked = self._check(number, cells)
        problems = getattr(cells, "problems", None)
        if not problems or checked is None:
            return checked
        bad = {c for c, _ in problems}
        kept = [e for e in checked if e.column not in bad] if isinstance(checked, list) else []
        errors = kept + [RowError(number, c, m) for c, m in problems]
        return sorted(errors, key=lambda e: self._order.get(e.column, 99))
