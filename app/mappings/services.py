"""Saving column mappings (checked, audited) and reading an employee export through one."""

from __future__ import annotations

from collections import Counter
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask_babel import gettext as _

from app.audit.services import current_actor, record
from app.core.tabular import ImportRejected, RowError, Table, read_table
from app.extensions import db
from app.feedback import survey_rows
from app.feedback.ingest import IngestError, check_source_name
from app.mappings.columns import MAX_HEADER_ROWS, Mapping, Target, Translator, strptime_format
from app.mappings.models import MAPPING_KINDS, ImportMapping
from app.org import services as org

TARGETS: dict[str, Target] = {"surveys": survey_rows.TARGET, "employees": org.EMPLOYEE_TARGET}


class MappingInvalid(ValueError):
    """A mapping that cannot be saved, with every reason (each naming the field or column)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class MappingNotFound(LookupError):
    pass


def problems(kind: str, spec: Mapping) -> list[str]:
    """Why a mapping cannot read its kind of file: unknown field, required field unfilled, a field fed twice, a
    bad date format or time zone."""
    target = TARGETS[kind]
    found: list[str] = []
    fields = ", ".join(target.fields)
    for column, name in spec.columns:
        if not column.strip():
            found.append(_("A mapped column has no name."))
        if name not in target.fields:
            found.append(
                _(
                    "Column %(column)s: unknown field %(field)s (known: %(fields)s).",
                    column=column,
                    field=name,
                    fields=fields,
                )
            )
    for name in [*spec.values, *spec.constants]:
        if name not in target.fields:
            found.append(_("Unknown field %(field)s (known: %(fields)s).", field=name, fields=fields))
    fed = Counter(f for _, f in spec.columns)
    for name, count in fed.items():
        if count > 1:
            columns = ", ".join(c for c, f in spec.columns if f == name)
            found.append(_("Field %(field)s is mapped from several columns: %(columns)s.", field=name, columns=columns))
    for name in spec.constants:
        if name in fed:
            found.append(_("Field %(field)s is both mapped from a column and given a constant value.", field=name))
    for name in target.required:
        if name not in fed and not spec.constants.get(name):
            found.append(
                _("Required field %(field)s is neither mapped from a column nor given a constant value.", field=name)
            )
    if target.one_of and not any(n in fed or spec.constants.get(n) for n in target.one_of):
        found.append(_("Map at least one of %(fields)s.", fields=", ".join(target.one_of)))
    if not 1 <= spec.header_rows <= MAX_HEADER_ROWS:
        found.append(_("Header rows: between 1 and %(max)d.", max=MAX_HEADER_ROWS))
    if spec.date_format and not any(c in strptime_format(spec.date_format) for c in ("%d", "%Y", "%y", "%m")):
        found.append(
            _(
                "Date format %(format)s has no day, month or year (write it as dd/mm/yyyy HH:MM:SS).",
                format=spec.date_format,
            )
        )
    if spec.timezone:
        try:
            ZoneInfo(spec.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            found.append(_("Unknown time zone %(zone)s (for example UTC or Europe/Paris).", zone=spec.timezone))
    return found


def find_mapping(name: str, kind: str) -> ImportMapping:
    """The saved mapping of this kind with this name; raises MappingNotFound."""
    found = db.session.scalar(sa.select(ImportMapping).where(ImportMapping.name == name, ImportMapping.kind == kind))
    if found is None:
        raise MappingNotFound(_("No %(kind)s mapping named %(name)s.", kind=kind, name=name))
    return found


def mappings_of(kind: str) -> list[ImportMapping]:
    return list(
        db.session.scalars(sa.select(ImportMapping).where(ImportMapping.kind == kind).order_by(ImportMapping.name))
    )


def save_mapping(
    name: str, kind: str, spec: Mapping, source: str | None = None, existing: ImportMapping | None = None
) -> ImportMapping:
    """Create or change a mapping once it is sound; raises MappingInvalid listing every problem. Flushes."""
    if kind not in MAPPING_KINDS:
        raise MappingInvalid([_("Unknown kind of import %(kind)s.", kind=kind)])
    name = (name or "").strip()
    found = [] if name and len(name) <= 80 else [_("Name: required, at most 80 characters.")]
    clash = db.session.scalar(sa.select(ImportMapping.id).where(ImportMapping.name == name))
    if clash is not None and (existing is None or clash != existing.id):
        found.append(_("A mapping named %(name)s already exists.", name=name))
    if kind == "surveys" and source:
        try:
            source = check_source_name(source)
        except IngestError as exc:
            found.append(str(exc))
    found += problems(kind, spec)
    if found:
        raise MappingInvalid(found)
    before = None
    mapping = existing
    if mapping is None:
        mapping = ImportMapping(name=name, kind=kind)
        db.session.add(mapping)
    else:
        before = {"name": mapping.name, "source": mapping.source, "spec": mapping.spec}
    mapping.name, mapping.source, mapping.spec = name, (source or None) if kind == "surveys" else None, spec.as_dict()
    mapping.updated_by = current_actor()[1][:254]
    db.session.flush()
    record(
        "imports.mapping_save",
        "import_mapping",
        mapping.id,
        summary=f"{kind} column mapping {name}",
        before=before,
        after={"name": name, "kind": kind, "source": mapping.source, "spec": mapping.spec},
    )
    return mapping


def spec_of(mapping: ImportMapping) -> Mapping:
    return Mapping.from_dict(mapping.spec)


# --- employee exports ---------------------------------------------------------------------------------------


def employee_table(content: bytes, filename: str, spec: Mapping) -> tuple[Table, Translator, list[RowError]]:
    """An HRIS export as a table in the import's columns, with the translator (to name the file's columns in
    errors) and the cells it could not read."""
    table = read_table(content, filename)
    translator = Translator(spec, org.EMPLOYEE_TARGET, table.headers or table.columns)
    rows, errors = [], []
    for number, cells in table.rows:
        if number <= spec.header_rows:
            continue
        mapped = translator.cells([cells[c] for c in table.columns])
        errors += [RowError(number, f, m) for f, m in mapped.problems]
        rows.append((number, dict(zip(org.EMPLOYEE_COLUMNS, mapped, strict=True))))
    columns = list(org.EMPLOYEE_COLUMNS)
    return Table(columns, rows, table.decimal_comma, encoding=table.encoding), translator, errors


def plan_employees(content: bytes, filename: str, spec: Mapping) -> tuple[org.ImportPlan, Table]:
    """Check an HRIS export read through a mapping and work out what it changes, as the employee import does;
    problems name the file's rows and columns."""
    table, translator, errors = employee_table(content, filename, spec)
    try:
        plan = org.plan_employees(table)
        if errors:
            raise ImportRejected([])
    except ImportRejected as exc:
        unread = {(e.row, e.column) for e in errors}
        merged = [e for e in exc.errors if (e.row, e.column) not in unread] + errors
        order = {c: i for i, c in enumerate(org.EMPLOYEE_COLUMNS)}
        merged.sort(key=lambda e: (e.row, order.get(e.column, 99)))
        raise ImportRejected(translator.rename(merged)) from None
    return plan, table


# --- the editor's preview ---------------------------------------------------------------------------------


def file_columns(content: bytes, filename: str, kind: str, header_rows: int) -> list[str]:
    """A sample file's column names, from its header rows, as a mapping names them."""
    if kind == "employees":
        table = read_table(content, filename)
        return table.headers or table.columns
    reader = survey_rows.SurveyFile(content, filename, Mapping(columns=(), header_rows=header_rows))
    next(reader.rows(), None)
    return reader.translator.names if reader.translator else []


def mapped_rows(content: bytes, filename: str, kind: str, spec: Mapping, limit: int = 10) -> list[tuple[int, list]]:
    """The first rows of a file as the mapping translates them, in the import's columns (for the preview)."""
    if kind == "employees":
        table, _translator, _errors = employee_table(content, filename, spec)
        return [(n, [cells[c] for c in table.columns]) for n, cells in table.rows[:limit]]
    rows = []
    for number, cells in survey_rows.SurveyFile(content, filename, spec).rows():
        if any(cells):
            rows.append((number, list(cells)))
        if len(rows) >= limit:
            break
    return rows
