"""Organisation imports (stores, employees) with a preview of what changes, and the employee export.

Every import is checked whole before anything is written: one bad row rejects the file with every
problem listed, and a file already imported changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import selectinload

from app.audit.services import record
from app.core.tabular import (
    REQUIRED,
    CellError,
    ImportRejected,
    Message,
    RowError,
    Table,
    already_on_row,
    at_most,
    format_decimal_plain,
    missing_columns,
    parse_date,
    parse_decimal,
    write_csv,
)
from app.core.tabular import lazy_text as _l
from app.extensions import db
from app.mappings.columns import Target
from app.org.models import JOB_ROLES, Assignment, Employee, ManagerScope, Region, Store

STORE_COLUMNS = ("store_code", "name", "region", "opened_on")
EMPLOYEE_COLUMNS = (
    "employee_number",
    "payroll_id",
    "first_name",
    "last_name",
    "email",
    "job_role",
    "store_code",
    "store_since",
    "hire_date",
    "exit_date",
    "fte",
    "annual_base_salary",
    "cost_center",
    "language",
    "manages",
)
# What a column mapping (an HRIS export) may fill; `manages`, `email` and the rest may stay empty.
EMPLOYEE_TARGET = Target(
    EMPLOYEE_COLUMNS,
    required=(
        "employee_number",
        "payroll_id",
        "first_name",
        "last_name",
        "job_role",
        "store_code",
        "hire_date",
        "fte",
        "annual_base_salary",
    ),
    dates=("store_since", "hire_date", "exit_date"),
)
LANGUAGE_CODES = ("fr", "en")
ONE_DAY = timedelta(days=1)


@dataclass
class RowChange:
    """What one row of a file does: add a record, change some fields, or nothing."""

    row: int
    key: str
    status: str  # "new" | "changed" | "unchanged"
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportPlan:
    kind: str
    rows: list[RowChange]

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def summary(self) -> dict[str, int]:
        return {s: self.count(s) for s in ("new", "changed", "unchanged")}


# --- stores -----------------------------------------------------------------------------------------


def plan_stores(table: Table) -> ImportPlan:
    """Check a store file and work out what it would change."""
    errors = missing_columns(table, STORE_COLUMNS)
    if errors:
        raise ImportRejected(errors)
    existing = {s.code: s for s in db.session.scalars(sa.select(Store).options(selectinload(Store.region)))}
    seen: dict[str, int] = {}
    rows: list[RowChange] = []
    for number, cells in table.rows:
        code, name, region = cells["store_code"], cells["name"], cells["region"]
        row_errors = []
        if not code:
            row_errors.append(RowError(number, "store_code", REQUIRED))
        elif len(code) > 40:
            row_errors.append(RowError(number, "store_code", at_most(40)))
        elif code in seen:
            row_errors.append(RowError(number, "store_code", already_on_row(code, seen[code])))
        else:
            seen[code] = number
        if not name:
            row_errors.append(RowError(number, "name", REQUIRED))
        elif len(name) > 200:
            row_errors.append(RowError(number, "name", at_most(200)))
        if not region:
            row_errors.append(RowError(number, "region", REQUIRED))
        elif len(region) > 120:
            row_errors.append(RowError(number, "region", at_most(120)))
        opened_on = None
        if cells["opened_on"]:
            try:
                opened_on = parse_date(cells["opened_on"])
            except CellError as exc:
                row_errors.append(RowError(number, "opened_on", exc.message))
        errors.extend(row_errors)
        if row_errors:
            continue
        values = {"name": name, "region": region, "opened_on": opened_on}
        store = existing.get(code)
        if store is None:
            rows.append(RowChange(number, code, "new", values=values))
            continue
        current = {"name": store.name, "region": store.region.name, "opened_on": store.opened_on}
        changes = {k: (current[k], v) for k, v in values.items() if current[k] != v}
        rows.append(RowChange(number, code, "changed" if changes else "unchanged", changes, values))
    if errors:
        raise ImportRejected(errors)
    return ImportPlan("stores", rows)


def _region(name: str, cache: dict[str, Region]) -> Region:
    if name not in cache:
        region = db.session.scalar(sa.select(Region).where(Region.name == name))
        if region is None:
            region = Region(name=name)
            db.session.add(region)
            db.session.flush()
            record("region.create", "region", region.id, summary=name)
        cache[name] = region
    return cache[name]


def apply_stores(plan: ImportPlan) -> dict[str, int]:
    """Write a checked store plan (flush only; the caller commits)."""
    regions: dict[str, Region] = {}
    for change in plan.rows:
        if change.status == "unchanged":
            continue
        values = change.values
        if change.status == "new":
            store = Store(code=change.key, name=values["name"], opened_on=values["opened_on"])
            store.region = _region(values["region"], regions)
            db.session.add(store)
            record("store.create", "store", change.key, summary=values["name"], after=values)
        else:
            store = db.session.scalar(sa.select(Store).where(Store.code == change.key))
            assert store is not None
            store.name = values["name"]
            store.opened_on = values["opened_on"]
            store.region = _region(values["region"], regions)
            record(
                "store.update",
                "store",
                change.key,
                before={k: v[0] for k, v in change.changes.items()},
                after={k: v[1] for k, v in change.changes.items()},
            )
    db.session.flush()
    return plan.summary


# --- employees --------------------------------------------------------------------------------------


@dataclass
class _Existing:
    employees: dict[str, Employee]
    stores: dict[str, Store]
    regions: dict[str, Region]


def _load_existing() -> _Existing:
    employees = db.session.scalars(
        sa.select(Employee).options(
            selectinload(Employee.assignments).selectinload(Assignment.store),
            selectinload(Employee.scopes).selectinload(ManagerScope.store),
            selectinload(Employee.scopes).selectinload(ManagerScope.region),
        )
    )
    return _Existing(
        employees={e.number: e for e in employees},
        stores={s.code: s for s in db.session.scalars(sa.select(Store))},
        regions={r.name: r for r in db.session.scalars(sa.select(Region))},
    )


def _manages_text(employee: Employee) -> str:
    return "|".join(sorted(scope.label for scope in employee.scopes))


def employee_fields(employee: Employee) -> dict[str, Any]:
    """An employee as the values of the import/export columns (store fields from the latest assignment)."""
    latest = employee.latest_assignment
    return {
        "payroll_id": employee.payroll_id,
        "first_name": employee.first_name,
        "last_name": employee.last_name,
        "email": employee.email or "",
        "job_role": employee.job_role,
        "store_code": latest.store.code if latest else "",
        "store_since": latest.start_date if latest else None,
        "hire_date": employee.hire_date,
        "exit_date": employee.exit_date,
        "fte": employee.fte,
        "annual_base_salary": employee.annual_base_salary,
        "cost_center": employee.cost_center,
        "language": employee.language,
        "manages": _manages_text(employee),
    }


BEFORE_HIRE = _l("before the hire date")


def _not_one_of(text: str, allowed: tuple[str, ...] | list[str]) -> Message:
    return _l("%(text)s is not one of %(allowed)s", text=repr(text), allowed=", ".join(allowed))


def _check_employee_row(
    number: int, cells: dict[str, str], table: Table, existing: _Existing
) -> tuple[dict[str, Any], list[RowError]]:
    errors: list[RowError] = []
    values: dict[str, Any] = {}

    def need(column: str, limit: int = 120) -> str:
        text = cells[column]
        if not text:
            errors.append(RowError(number, column, REQUIRED))
        elif len(text) > limit:
            errors.append(RowError(number, column, at_most(limit)))
        return text

    def as_date(column: str, required: bool) -> date | None:
        text = cells[column]
        if not text:
            if required:
                errors.append(RowError(number, column, REQUIRED))
            return None
        try:
            return parse_date(text)
        except CellError as exc:
            errors.append(RowError(number, column, exc.message))
            return None

    values["payroll_id"] = need("payroll_id", 40)
    values["first_name"] = need("first_name")
    values["last_name"] = need("last_name")
    email = cells["email"]
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            errors.append(RowError(number, "email", _l("%(text)s is not an e-mail address", text=repr(cells["email"]))))
    values["email"] = email
    role = cells["job_role"]
    if role not in JOB_ROLES:
        errors.append(RowError(number, "job_role", _not_one_of(role, JOB_ROLES)))
    values["job_role"] = role
    store_code = cells["store_code"]
    if not store_code:
        errors.append(RowError(number, "store_code", REQUIRED))
    elif store_code not in existing.stores:
        errors.append(RowError(number, "store_code", _l("unknown store %(code)s", code=store_code)))
    values["store_code"] = store_code
    values["store_since"] = as_date("store_since", required=False)
    values["hire_date"] = as_date("hire_date", required=True)
    values["exit_date"] = as_date("exit_date", required=False)
    if values["hire_date"] and values["exit_date"] and values["exit_date"] < values["hire_date"]:
        errors.append(RowError(number, "exit_date", BEFORE_HIRE))
    fte = None
    try:
        fte = parse_decimal(cells["fte"], table.decimal_comma, places=4) if cells["fte"] else None
        if fte is None:
            errors.append(RowError(number, "fte", REQUIRED))
        elif not Decimal(0) < fte <= Decimal(1):
            errors.append(RowError(number, "fte", _l("%(value)s is outside (0, 1]", value=cells["fte"])))
    except CellError as exc:
        errors.append(RowError(number, "fte", exc.message))
    values["fte"] = fte
    salary = None
    try:
        salary = parse_decimal(cells["annual_base_salary"], table.decimal_comma, places=2)
        if salary < 0:
            errors.append(RowError(number, "annual_base_salary", _l("negative")))
        elif salary >= Decimal("1e12"):
            errors.append(RowError(number, "annual_base_salary", _l("too large")))
    except CellError as exc:
        errors.append(RowError(number, "annual_base_salary", exc.message if cells["annual_base_salary"] else REQUIRED))
    values["annual_base_salary"] = salary.quantize(Decimal("0.01")) if salary is not None else None
    values["cost_center"] = cells["cost_center"]
    if len(values["cost_center"]) > 40:
        errors.append(RowError(number, "cost_center", at_most(40)))
    language = (cells["language"] or "fr").lower()
    if language not in LANGUAGE_CODES:
        errors.append(RowError(number, "language", _not_one_of(cells["language"], LANGUAGE_CODES)))
    values["language"] = language
    targets = [t.strip() for t in cells["manages"].split("|") if t.strip()] if cells["manages"] else []
    for target in targets:
        if target not in existing.stores and target not in existing.regions:
            errors.append(
                RowError(number, "manages", _l("%(text)s is neither a store code nor a region", text=repr(target)))
            )
    values["manages"] = "|".join(sorted(set(targets)))
    return values, errors


def plan_employees(table: Table) -> ImportPlan:
    """Check an employee file and work out what it would change."""
    errors = missing_columns(table, EMPLOYEE_COLUMNS)
    if errors:
        raise ImportRejected(errors)
    existing = _load_existing()
    payroll_owner = {e.payroll_id: e.number for e in existing.employees.values()}
    in_file = {cells["employee_number"] for _row, cells in table.rows}
    # E-mails compare case-insensitively (they are stored lower-cased); an employee the file also lists may
    # give theirs up to someone else in the same file, so only those it leaves alone keep theirs.
    email_owner = {
        e.email.lower(): e.number for e in existing.employees.values() if e.email and e.number not in in_file
    }
    seen_numbers: dict[str, int] = {}
    seen_payroll: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    rows: list[RowChange] = []
    for number, cells in table.rows:
        key = cells["employee_number"]
        row_errors: list[RowError] = []
        if not key:
            row_errors.append(RowError(number, "employee_number", REQUIRED))
        elif len(key) > 40:
            row_errors.append(RowError(number, "employee_number", at_most(40)))
        elif key in seen_numbers:
            row_errors.append(RowError(number, "employee_number", already_on_row(key, seen_numbers[key])))
        else:
            seen_numbers[key] = number
        values, cell_errors = _check_employee_row(number, cells, table, existing)
        row_errors.extend(cell_errors)
        payroll_id = values["payroll_id"]
        if payroll_id:
            if payroll_id in seen_payroll:
                row_errors.append(RowError(number, "payroll_id", already_on_row(payroll_id, seen_payroll[payroll_id])))
            seen_payroll.setdefault(payroll_id, number)
            owner = payroll_owner.get(payroll_id)
            if owner is not None and owner != key:
                row_errors.append(
                    RowError(
                        number, "payroll_id", _l("%(id)s belongs to employee %(number)s", id=payroll_id, number=owner)
                    )
                )
        row_errors.extend(_check_email_unique(number, key, values["email"], seen_emails, email_owner))
        employee = existing.employees.get(key)
        if not row_errors:
            row_errors.extend(_check_assignment_change(number, employee, values))
        errors.extend(row_errors)
        if row_errors:
            continue
        if employee is None:
            values["store_since"] = values["store_since"] or values["hire_date"]
            rows.append(RowChange(number, key, "new", values=values))
            continue
        current = employee_fields(employee)
        if values["store_since"] is None:
            values["store_since"] = current["store_since"] if current["store_code"] == values["store_code"] else None
        changes = {k: (current[k], v) for k, v in values.items() if current[k] != v}
        rows.append(RowChange(number, key, "changed" if changes else "unchanged", changes, values))
    if errors:
        raise ImportRejected(errors)
    return ImportPlan("employees", rows)


def _check_email_unique(
    number: int, key: str, email: str, seen: dict[str, int], owner: dict[str, str]
) -> list[RowError]:
    """Refuse an e-mail address that an earlier row, or an employee the file does not list, already has."""
    if not email:
        return []
    folded = email.lower()
    if folded in seen:
        return [
            RowError(
                number,
                "email",
                _l(
                    "%(email)s is also the e-mail of row %(row)d: one address per person", email=email, row=seen[folded]
                ),
            )
        ]
    seen[folded] = number
    if owner.get(folded, key) != key:
        return [
            RowError(
                number,
                "email",
                _l("%(email)s is already the e-mail of employee %(number)s", email=email, number=owner[folded]),
            )
        ]
    return []


def _check_assignment_change(number: int, employee: Employee | None, values: dict[str, Any]) -> list[RowError]:
    """Refuse store histories that would overlap or run backwards."""
    since = values["store_since"]
    hire = values["hire_date"]
    if employee is None:
        if since is not None and hire is not None and since < hire:
            return [RowError(number, "store_since", BEFORE_HIRE)]
        return []
    if since is not None and hire is not None and since < hire:
        return [RowError(number, "store_since", BEFORE_HIRE)]
    first = employee.assignments[0] if employee.assignments else None
    if (
        first is not None
        and hire is not None
        and first.start_date < hire
        and not (len(employee.assignments) == 1 and since is not None)
    ):
        return [
            RowError(
                number,
                "hire_date",
                _l("after the start in %(store)s (%(day)s)", store=first.store.code, day=str(first.start_date)),
            )
        ]
    latest = employee.latest_assignment
    if latest is None:
        return []
    if latest.store.code != values["store_code"]:
        if since is None:
            return [
                RowError(number, "store_since", _l("required when the store changes (the first day in the new store)"))
            ]
        if since <= latest.start_date:
            return [
                RowError(
                    number,
                    "store_since",
                    _l(
                        "%(day)s is not after the start in %(store)s (%(start)s)",
                        day=str(since),
                        store=latest.store.code,
                        start=str(latest.start_date),
                    ),
                )
            ]
    elif since is not None and since != latest.start_date:
        earlier = employee.assignments[-2] if len(employee.assignments) > 1 else None
        if earlier is not None and earlier.end_date is not None and since <= earlier.end_date:
            return [
                RowError(
                    number,
                    "store_since",
                    _l("%(day)s overlaps the time in %(store)s", day=str(since), store=earlier.store.code),
                )
            ]
    return []


def apply_employees(plan: ImportPlan) -> dict[str, int]:
    """Write a checked employee plan (flush only; the caller commits)."""
    existing = _load_existing()
    for change in plan.rows:
        if change.status == "unchanged":
            continue
        values = change.values
        employee = existing.employees.get(change.key)
        if employee is None:
            employee = Employee(number=change.key)
            db.session.add(employee)
            _set_fields(employee, values)
            employee.assignments.append(
                Assignment(store=existing.stores[values["store_code"]], start_date=values["store_since"])
            )
            _set_scopes(employee, values["manages"], existing)
            record("employee.create", "employee", change.key, summary=employee.full_name, after=values)
            continue
        _set_fields(employee, values)
        latest = employee.latest_assignment
        if latest is None:
            employee.assignments.append(
                Assignment(
                    store=existing.stores[values["store_code"]], start_date=values["store_since"] or values["hire_date"]
                )
            )
        elif latest.store.code != values["store_code"]:
            latest.end_date = values["store_since"] - ONE_DAY
            employee.assignments.append(
                Assignment(store=existing.stores[values["store_code"]], start_date=values["store_since"])
            )
        elif values["store_since"] is not None and values["store_since"] != latest.start_date:
            latest.start_date = values["store_since"]
        if "manages" in change.changes:
            _set_scopes(employee, values["manages"], existing)
        record(
            "employee.update",
            "employee",
            change.key,
            summary=employee.full_name,
            before={k: v[0] for k, v in change.changes.items()},
            after={k: v[1] for k, v in change.changes.items()},
        )
    db.session.flush()
    return plan.summary


def _set_fields(employee: Employee, values: dict[str, Any]) -> None:
    for attr in (
        "payroll_id",
        "first_name",
        "last_name",
        "job_role",
        "hire_date",
        "exit_date",
        "fte",
        "annual_base_salary",
        "cost_center",
        "language",
    ):
        setattr(employee, attr, values[attr])
    employee.email = values["email"] or None


def _set_scopes(employee: Employee, manages: str, existing: _Existing) -> None:
    employee.scopes.clear()
    for target in [t for t in manages.split("|") if t]:
        if target in existing.stores:
            employee.scopes.append(ManagerScope(store=existing.stores[target]))
        else:
            employee.scopes.append(ManagerScope(region=existing.regions[target]))


DECIMAL_SEPARATORS = (",", ".")

TEMPLATE_ROWS = {
    "stores": [["PAR01", "Paris Opéra", "Île-de-France", "2019-05-01"]],
    "employees": [
        [
            "E1001",
            "P1001",
            "Léa",
            "Dubois",
            "lea.dubois@example.com",
            "sales_associate",
            "PAR01",
            "2021-03-01",
            "2021-03-01",
            "",
            "0,8",
            "28500,50",
            "0100",
            "fr",
            "",
        ]
    ],
}


def import_template(kind: str) -> bytes:
    """A file with the import's header and one example row, in the format of the export."""
    columns = STORE_COLUMNS if kind == "stores" else EMPLOYEE_COLUMNS
    return write_csv(columns, TEMPLATE_ROWS[kind])


def _cell(value: Any, decimal_separator: str) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format_decimal_plain(value).replace(".", decimal_separator)
    return str(value)


def export_employees(decimal_separator: str = ",") -> bytes:
    """All employees as the import CSV, in employee-number order, so export → import → export is identical.

    The file is what French Excel opens directly (BOM, `;`, decimal commas by default); the import reads it back.
    """
    if decimal_separator not in DECIMAL_SEPARATORS:
        raise ValueError(f"decimal separator: one of {' '.join(DECIMAL_SEPARATORS)}, not {decimal_separator!r}")
    existing = _load_existing()
    rows = []
    for number in sorted(existing.employees):
        fields = employee_fields(existing.employees[number])
        row = [number]
        for column in EMPLOYEE_COLUMNS[1:]:
            value = fields[column]
            if column == "annual_base_salary":  # always two decimals, as payroll writes amounts
                row.append(f"{value:.2f}".replace(".", decimal_separator))
            else:
                row.append(_cell(value, decimal_separator))
        rows.append(row)
    return write_csv(EMPLOYEE_COLUMNS, rows)
