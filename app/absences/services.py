"""Absence kinds (the defaults, HR's changes) and the absences import, checked whole before anything is written.

Importing a file twice changes nothing: an absence already stored (same employee, kind, first and last day) is
left alone. Absences that overlap are stored as given; the engine counts each day once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.absences.models import Absence, AbsenceKind
from app.audit.services import record
from app.core.tabular import (
    REQUIRED,
    CellError,
    ImportRejected,
    RowError,
    Table,
    missing_columns,
    parse_date,
    write_csv,
)
from app.core.tabular import lazy_text as _l
from app.extensions import db
from app.incentives.engine import AbsenceFact
from app.org.models import Employee
from app.org.services import ImportPlan, RowChange

ABSENCE_COLUMNS = ("employee_number", "start", "end", "kind")
CODE_LENGTH = 40
LABEL_LENGTH = 120


@dataclass(frozen=True)
class KindDefault:
    code: str
    label_en: str
    label_fr: str
    counts_as_presence: bool


# French law counts maternity, paternity and adoption leave, work accidents and occupational illness as time worked
# for intéressement; the bonus schemes follow the same rule. Ordinary sick leave is not among them: it counts as an
# absence like unpaid leave (treating it apart from other absences would single out health); HR may change it.
# The labels follow "N days …" / "N jours de …" on statements. The migration seeds the same list.
DEFAULT_KINDS = (
    KindDefault("maternity_leave", "maternity leave", "congé de maternité", True),
    KindDefault("paternity_leave", "paternity leave", "congé de paternité", True),
    KindDefault("adoption_leave", "adoption leave", "congé d'adoption", True),
    KindDefault("work_accident", "work accident", "accident du travail", True),
    KindDefault("occupational_illness", "occupational illness", "maladie professionnelle", True),
    KindDefault("sick_leave", "sick leave", "arrêt maladie", False),
    KindDefault("unpaid_leave", "unpaid leave", "congé sans solde", False),
)


class KindError(ValueError):
    """A kind HR asked for that cannot be saved; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


def ensure_default_kinds() -> None:
    """Store the default kinds when the company has none yet (a new database); the caller commits."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(AbsenceKind)):
        return
    for default in DEFAULT_KINDS:
        db.session.add(AbsenceKind(**vars(default)))
    db.session.flush()


def list_kinds() -> list[AbsenceKind]:
    """Every kind, those that count as presence first, then by code (defaults stored first if there are none)."""
    ensure_default_kinds()
    return list(
        db.session.scalars(sa.select(AbsenceKind).order_by(AbsenceKind.counts_as_presence.desc(), AbsenceKind.code))
    )


def _kind_fields(code: str, label_en: str, label_fr: str) -> tuple[str, str, str]:
    code, label_en, label_fr = code.strip().lower(), label_en.strip(), label_fr.strip()
    if not code:
        raise KindError("code", "required")
    if len(code) > CODE_LENGTH or not all(c.isalnum() or c in "_-" for c in code):
        raise KindError("code", f"letters, digits, _ and - only, at most {CODE_LENGTH}")
    for field, label in (("label_en", label_en), ("label_fr", label_fr)):
        if not label:
            raise KindError(field, "required")
        if len(label) > LABEL_LENGTH:
            raise KindError(field, f"at most {LABEL_LENGTH} characters")
    return code, label_en, label_fr


def add_kind(code: str, label_en: str, label_fr: str, counts_as_presence: bool) -> AbsenceKind:
    """Add a kind of absence (audited); the caller commits."""
    ensure_default_kinds()
    code, label_en, label_fr = _kind_fields(code, label_en, label_fr)
    if db.session.scalar(sa.select(AbsenceKind).where(AbsenceKind.code == code)) is not None:
        raise KindError("code", f"{code} already exists")
    kind = AbsenceKind(code=code, label_en=label_en, label_fr=label_fr, counts_as_presence=counts_as_presence)
    db.session.add(kind)
    db.session.flush()
    record("absence_kind.create", "absence_kind", code, summary=label_en, after=_kind_values(kind))
    return kind


def update_kind(kind: AbsenceKind, label_en: str, label_fr: str, counts_as_presence: bool) -> bool:
    """Change a kind's names or whether it counts as presence (audited); tell whether anything changed.

    Runs already computed keep what they counted: each line stores its absence days; a draft recomputed uses the
    new rule.
    """
    _code, label_en, label_fr = _kind_fields(kind.code, label_en, label_fr)
    before = _kind_values(kind)
    kind.label_en, kind.label_fr, kind.counts_as_presence = label_en, label_fr, counts_as_presence
    after = _kind_values(kind)
    if after == before:
        return False
    db.session.flush()
    changed = [k for k in after if after[k] != before[k]]
    record(
        "absence_kind.update",
        "absence_kind",
        kind.code,
        summary=f"{kind.code}: {', '.join(changed)}",
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return True


def _kind_values(kind: AbsenceKind) -> dict[str, object]:
    return {"label_en": kind.label_en, "label_fr": kind.label_fr, "counts_as_presence": kind.counts_as_presence}


def employee_absences(employee_id: int) -> list[Absence]:
    """An employee's absences with their kinds, latest first."""
    return list(
        db.session.scalars(
            sa.select(Absence)
            .options(selectinload(Absence.kind))
            .where(Absence.employee_id == employee_id)
            .order_by(Absence.start_date.desc(), Absence.id.desc())
        )
    )


def delete_absence(absence: Absence) -> None:
    """Remove an absence imported by mistake (audited); runs already computed keep what they counted."""
    record(
        "absence.delete",
        "absence",
        absence.id,
        summary=f"{absence.employee.number} {absence.kind.code} {absence.start_date}→{absence.end_date}",
        before={"start": absence.start_date, "end": absence.end_date, "kind": absence.kind.code},
    )
    db.session.delete(absence)
    db.session.flush()


# --- import ------------------------------------------------------------------------------------------------


def _kind_lookup(kinds: Iterable[AbsenceKind]) -> dict[str, AbsenceKind]:
    """Kinds by code and by either label, compared without regard to case (a file may name them either way)."""
    lookup: dict[str, AbsenceKind] = {}
    for kind in kinds:
        for name in (kind.label_fr, kind.label_en, kind.code):
            lookup[name.strip().casefold()] = kind
    return lookup


def plan_absences(table: Table) -> ImportPlan:
    """Check an absences file (employee_number,start,end,kind) and work out which rows are new."""
    errors = missing_columns(table, ABSENCE_COLUMNS)
    if errors:
        raise ImportRejected(errors)
    kinds = _kind_lookup(list_kinds())
    employees = dict(db.session.execute(sa.select(Employee.number, Employee.id)).tuples().all())
    stored = set(
        db.session.execute(
            sa.select(Absence.employee_id, Absence.kind_id, Absence.start_date, Absence.end_date)
        ).tuples()
    )
    seen: dict[tuple[int, int, date, date], int] = {}
    rows: list[RowChange] = []
    for number, cells in table.rows:
        row_errors: list[RowError] = []
        employee_number = cells["employee_number"]
        employee_id = employees.get(employee_number)
        if not employee_number:
            row_errors.append(RowError(number, "employee_number", REQUIRED))
        elif employee_id is None:
            row_errors.append(RowError(number, "employee_number", _l("no employee %(number)s", number=employee_number)))
        kind_text = cells["kind"]
        kind = kinds.get(kind_text.strip().casefold())
        if not kind_text:
            row_errors.append(RowError(number, "kind", REQUIRED))
        elif kind is None:
            known = ", ".join(sorted({k.code for k in kinds.values()}))
            row_errors.append(
                RowError(
                    number, "kind", _l("unknown kind %(text)s (known: %(known)s)", text=repr(kind_text), known=known)
                )
            )
        dates: dict[str, date] = {}
        for column in ("start", "end"):
            if not cells[column]:
                row_errors.append(RowError(number, column, REQUIRED))
                continue
            try:
                dates[column] = parse_date(cells[column])
            except CellError as exc:
                row_errors.append(RowError(number, column, exc.message))
        if len(dates) == 2 and dates["end"] < dates["start"]:
            row_errors.append(
                RowError(
                    number,
                    "end",
                    _l(
                        "%(end)s is before start %(start)s",
                        end=dates["end"].isoformat(),
                        start=dates["start"].isoformat(),
                    ),
                )
            )
        errors.extend(row_errors)
        if row_errors:
            continue
        assert employee_id is not None and kind is not None
        key = (employee_id, kind.id, dates["start"], dates["end"])
        label = f"{employee_number} {kind.code} {dates['start'].isoformat()}→{dates['end'].isoformat()}"
        if key in seen:
            errors.append(RowError(number, "", _l("the same absence is already on row %(row)d", row=seen[key])))
            continue
        seen[key] = number
        values = {"employee_id": employee_id, "kind_id": kind.id, "start_date": dates["start"]}
        values["end_date"] = dates["end"]
        rows.append(RowChange(number, label, "unchanged" if key in stored else "new", values=values))
    if errors:
        raise ImportRejected(errors)
    return ImportPlan("absences", rows)


def apply_absences(plan: ImportPlan) -> dict[str, int]:
    """Write the new absences of a checked plan, each with its audit record (flush only; the caller commits)."""
    for change in plan.rows:
        if change.status != "new":
            continue
        absence = Absence(**change.values)
        db.session.add(absence)
        db.session.flush()
        record(
            "absence.create",
            "absence",
            absence.id,
            summary=change.key,
            after={"start": absence.start_date, "end": absence.end_date, "kind_id": absence.kind_id},
        )
    db.session.flush()
    return plan.summary


def import_template() -> bytes:
    """The import's header and two example rows, one of them in the French date format."""
    return write_csv(
        ABSENCE_COLUMNS,
        [
            ["E1001", "2026-08-03", "2026-08-07", "unpaid_leave"],
            ["E1002", "01/09/2026", "31/10/2026", "maternity_leave"],
        ],
    )


# --- engine facts ------------------------------------------------------------------------------------------


def absence_facts(
    employee_ids: Iterable[int] | sa.Select, start: date | None = None, end: date | None = None
) -> Mapping[int, tuple[AbsenceFact, ...]]:
    """Each employee's absences overlapping [start, end] (all of them when not given), as engine facts, by id.

    `employee_ids` may be a query of ids, so that a whole period's employees cost one query and no list of ids.
    """
    ids = employee_ids if isinstance(employee_ids, sa.Select) else list(set(employee_ids))
    if not isinstance(ids, sa.Select) and not ids:
        return {}
    query = (
        sa.select(
            Absence.employee_id,
            AbsenceKind.code,
            Absence.start_date,
            Absence.end_date,
            AbsenceKind.counts_as_presence,
            AbsenceKind.label_en,
            AbsenceKind.label_fr,
        )
        .join(AbsenceKind, AbsenceKind.id == Absence.kind_id)
        .where(Absence.employee_id.in_(ids))
        .order_by(Absence.employee_id, Absence.start_date, Absence.id)
    )
    if start is not None:
        query = query.where(Absence.end_date >= start)
    if end is not None:
        query = query.where(Absence.start_date <= end)
    found: dict[int, list[AbsenceFact]] = {}
    for employee_id, *fact in db.session.execute(query):
        found.setdefault(employee_id, []).append(AbsenceFact(*fact))
    return {employee_id: tuple(facts) for employee_id, facts in found.items()}
