"""Intéressement's company facts: gross pay per employee and period (imported), the PASS per year and the pay code.

Gross pay is the base of the salary sub-pool and of the 20 % cap; the PASS (plafond annuel de la sécurité sociale),
set by decree each year, is the base of the individual cap. Both are HR's to keep up to date; the PASS has
defaults for the years already published.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.audit.services import record
from app.core.company import save_setting, saved_setting
from app.core.tabular import (
    REQUIRED,
    CellError,
    ImportRejected,
    RowError,
    Table,
    missing_columns,
    parse_decimal,
    period_problem,
    write_csv,
)
from app.core.tabular import lazy_text as _l
from app.dbtypes import Money
from app.extensions import db
from app.incentives.models import GrossPay
from app.org.models import Employee
from app.periods import Period, PeriodError

IMPORT_COLUMNS = ("employee_number", "period", "gross_pay")
TEMPLATE_ROWS = [["E0001", "2026-Q3", "7500,00"], ["E0002", "2026-07", "2500,00"]]
SETTINGS_KEY = "interessement"
# The PASS (plafond annuel de la sécurité sociale) set by the arrêtés of December 2023, 2024 and 2025 (monthly
# 3 864, 3 925 and 4 005 € × 12); HR corrects a year or adds the next ones (`flask interessement settings --pass`).
DEFAULT_PASS = {2024: Decimal("46368"), 2025: Decimal("47100"), 2026: Decimal("48060")}
DEFAULT_PAY_CODE = "INTERESSEMENT"


# --- settings -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InteressementSettings:
    """The PASS per year and the pay code intéressement is paid on when a scheme names none."""

    pass_by_year: dict[int, Decimal] = field(default_factory=lambda: dict(DEFAULT_PASS))
    pay_code: str = DEFAULT_PAY_CODE

    def pass_for(self, year: int) -> Decimal | None:
        return self.pass_by_year.get(year)


class SettingsError(ValueError):
    """A setting that cannot be saved; the message names the field."""


def load_settings() -> InteressementSettings:
    """The saved settings over the defaults (a saved year replaces the default of that year)."""
    raw = saved_setting(SETTINGS_KEY)
    raw = raw if isinstance(raw, dict) else {}
    years = dict(DEFAULT_PASS)
    for year, amount in (raw.get("pass") or {}).items():
        try:
            years[int(year)] = Decimal(str(amount))
        except (ValueError, ArithmeticError):
            continue
    code = raw.get("pay_code")
    return InteressementSettings(years, code if isinstance(code, str) and code.strip() else DEFAULT_PAY_CODE)


def save_settings(pass_by_year: dict[int, Decimal] | None = None, pay_code: str | None = None) -> InteressementSettings:
    """Change the PASS of some years and/or the pay code (audited); the caller commits."""
    current = load_settings()
    years = dict(current.pass_by_year)
    for year, amount in (pass_by_year or {}).items():
        if not 2000 <= year <= 2100:
            raise SettingsError(_("pass: the year must be from 2000 to 2100, not %(year)s", year=year))
        if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            raise SettingsError(_("pass: an amount above 0, in whole cents, for %(year)s", year=year))
        years[year] = amount
    code = current.pay_code if pay_code is None else pay_code.strip()
    if not code or len(code) > 40:
        raise SettingsError(_("pay_code: 1 to 40 characters"))
    value = {"pass": {str(y): format(a, "f") for y, a in sorted(years.items())}, "pay_code": code}
    save_setting(SETTINGS_KEY, value, action="interessement.settings", summary="intéressement settings changed")
    return load_settings()


# --- gross pay ----------------------------------------------------------------------------------------------------


def import_template() -> bytes:
    return write_csv(IMPORT_COLUMNS, TEMPLATE_ROWS)


def import_gross_pay(table: Table) -> dict[str, int]:
    """Store every row of an `employee_number,period,gross_pay` file, or none (ImportRejected lists the rows).

    A figure already stored for the same employee and period is replaced, so importing a file twice changes nothing
    the second time. Flush only.
    """
    errors = missing_columns(table, IMPORT_COLUMNS)
    if errors:
        raise ImportRejected(errors)
    numbers = {cells.get("employee_number", "").strip() for _row, cells in table.rows}
    employees = dict(
        db.session.execute(sa.select(Employee.number, Employee.id).where(Employee.number.in_(numbers or {""})))
        .tuples()
        .all()
    )
    planned: dict[tuple[int, str], Decimal] = {}
    seen_at: dict[tuple[int, str], int] = {}
    for row, cells in table.rows:
        number = cells.get("employee_number", "").strip()
        employee_id = employees.get(number)
        if employee_id is None:
            errors.append(
                RowError(
                    row,
                    "employee_number",
                    _l("unknown employee %(number)s", number=repr(number)) if number else REQUIRED,
                )
            )
        period = amount = None
        try:
            period = Period.parse(cells.get("period", ""))
        except PeriodError as exc:
            errors.append(RowError(row, "period", period_problem(exc)))
        try:
            amount = parse_decimal(cells.get("gross_pay", ""), table.decimal_comma, places=2)
            if amount < 0:
                raise CellError(_l("%(text)s is negative", text=repr(cells.get("gross_pay"))))
        except CellError as exc:
            errors.append(RowError(row, "gross_pay", exc.message if cells.get("gross_pay", "").strip() else REQUIRED))
        if employee_id is None or period is None or amount is None:
            continue
        key = (employee_id, str(period))
        if key in seen_at:
            errors.append(RowError(row, "period", _l("same employee and period as row %(row)d", row=seen_at[key])))
            continue
        seen_at[key] = row
        planned[key] = amount
    if errors:
        raise ImportRejected(errors)
    existing = {
        (g.employee_id, g.period): g
        for g in db.session.scalars(
            sa.select(GrossPay).where(GrossPay.employee_id.in_({k[0] for k in planned} or {-1}))
        )
    }
    summary = {"new": 0, "changed": 0, "unchanged": 0}
    for (employee_id, period), amount in planned.items():
        stored = existing.get((employee_id, period))
        if stored is None:
            db.session.add(GrossPay(employee_id=employee_id, period=period, amount=amount))
            summary["new"] += 1
        elif stored.amount != amount:
            stored.amount = amount
            summary["changed"] += 1
        else:
            summary["unchanged"] += 1
    db.session.flush()
    record("gross_pay.import", "gross_pay", "file", summary=f"gross pay imported: {summary}", after=summary)
    return summary


def gross_pay_for(period: Period) -> dict[str, Decimal]:
    """Each employee's gross pay for the period: the figure of the period itself, else the sum of its months
    when every one of them is imported."""
    months = [str(m) for m in period.month_periods()]
    rows = db.session.execute(
        sa.select(Employee.number, GrossPay.period, GrossPay.amount)
        .join(Employee, Employee.id == GrossPay.employee_id)
        .where(GrossPay.period.in_([str(period), *months]))
    ).all()
    whole: dict[str, Decimal] = {}
    by_month: dict[str, dict[str, Decimal]] = {}
    for number, label, amount in rows:
        if label == str(period):
            whole[number] = amount
        else:
            by_month.setdefault(number, {})[label] = amount
    for number, found in by_month.items():
        if number not in whole and len(found) == len(months):
            whole[number] = sum(found.values(), Decimal("0.00"))
    return whole


def periods_imported() -> list[tuple[str, int, Decimal]]:
    """Each period with gross pay imported: how many employees, and the total."""
    rows = db.session.execute(
        sa.select(GrossPay.period, sa.func.count(GrossPay.id), sa.func.sum(GrossPay.amount, type_=Money()))
        .group_by(GrossPay.period)
        .order_by(GrossPay.period.desc())
    ).all()
    return [(label, int(count), total or Decimal("0.00")) for label, count, total in rows]
