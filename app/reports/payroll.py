"""Payroll exports: one row per employee and pay code for an approved run (or a period's recognition benefits),
as xlsx (sheets `data` and `control`) or CSV, each export logged with its hashes.

A corrective run's rows carry only the difference with what the period's earlier runs paid (signed; what was paid
on another pay code is taken back on that code); its control sheet says which run it corrects and why, and an
advance (a run approved before its period ended) says so too. The data columns never change.

Rows are computed the same way every time (sorted, summed in Decimal), so exporting twice gives identical rows;
the control sheet's SHA-256 is over the data rows serialised as UTF-8 CSV (no BOM, no header, `;`, `.` decimals,
ISO dates, `\\n` line ends), so anyone can check a file against it. Text cells are neutralised against formula
injection; amounts and dates are real cells.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from app.audit.services import record
from app.core.tabular import neutralise
from app.dbtypes import Money
from app.extensions import db
from app.incentives import runs as run_service
from app.incentives.models import PAID_STATUSES, BonusRun, RunAdjustment, RunLine
from app.money import ZERO
from app.org.models import Employee
from app.periods import Period
from app.reports.models import PayrollExport
from app.reports.xlsx_layout import apply_widths, widths

COLUMNS = (
    "payroll_id",
    "employee_number",
    "last_name",
    "first_name",
    "pay_code",
    "amount",
    "currency",
    "period_start",
    "period_end",
    "cost_center",
    "run_id",
)
FORMATS = ("xlsx", "csv")
DECIMAL_SEPARATORS = (",", ".")
AMOUNT_FORMAT = "0.00"
DATE_FORMAT = "yyyy-mm-dd"


class PayrollError(ValueError):
    """An export that cannot be made; the message names the field."""


class NotExportable(PayrollError):
    """The run is not approved (a 409 on the page)."""


@dataclass(frozen=True, slots=True)
class PayrollRow:
    """One row of a payroll file; text fields are stored as they are written (already neutralised)."""

    payroll_id: str
    employee_number: str
    last_name: str
    first_name: str
    pay_code: str
    amount: Decimal
    currency: str
    period_start: date
    period_end: date
    cost_center: str
    run_id: int | None

    @classmethod
    def of(
        cls,
        employee: Employee,
        pay_code: str,
        amount: Decimal,
        currency: str,
        period: Period,
        run_id: int | None,
    ) -> PayrollRow:
        return cls(
            neutralise(employee.payroll_id),
            neutralise(employee.number),
            neutralise(employee.last_name),
            neutralise(employee.first_name),
            neutralise(pay_code),
            amount.quantize(Decimal("0.01")),
            neutralise(currency),
            period.start,
            period.end,
            neutralise(employee.cost_center or ""),
            run_id,
        )


@dataclass(frozen=True)
class PayrollFile:
    """The rows of one export and what the control sheet says about them."""

    kind: str  # run | benefits
    period: str
    run_id: int | None
    rows: tuple[PayrollRow, ...]
    corrects_run_id: int | None = None
    corrective_reason: str | None = None
    advance: bool = False

    @property
    def total(self) -> Decimal:
        return sum((r.amount for r in self.rows), ZERO)

    @property
    def rows_sha256(self) -> str:
        return hashlib.sha256(rows_csv(self.rows).encode("utf-8")).hexdigest()


# --- rows ------------------------------------------------------------------------------------------------------


def _sorted(rows: Iterable[PayrollRow]) -> tuple[PayrollRow, ...]:
    return tuple(sorted(rows, key=lambda r: (r.employee_number, r.pay_code)))


def run_file(run: BonusRun) -> PayrollFile:
    """One row per employee and pay code of an approved run: the sum of their lines and adjustments.

    Lines and manual adjustments are on the scheme version's pay code; a corrective run's `already_paid`
    adjustments on the code that paid. An employee and code whose amounts add up to exactly zero get no row: there
    is nothing to pay.
    """
    if run.status not in PAID_STATUSES:
        raise NotExportable(f"run {run.id} is {run.status}: only approved runs are exported")
    pay_code = run.version.pay_code
    amounts: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
    for employee_id, amount in db.session.execute(
        sa.select(RunLine.employee_id, sa.func.sum(RunLine.amount, type_=Money()))
        .where(RunLine.run_id == run.id)
        .group_by(RunLine.employee_id)
    ):
        amounts[(employee_id, pay_code)] += amount or ZERO
    for employee_id, code, amount in db.session.execute(
        sa.select(RunAdjustment.employee_id, RunAdjustment.pay_code, sa.func.sum(RunAdjustment.amount, type_=Money()))
        .where(RunAdjustment.run_id == run.id)
        .group_by(RunAdjustment.employee_id, RunAdjustment.pay_code)
    ):
        amounts[(employee_id, code or pay_code)] += amount or ZERO
    ids = list({employee_id for employee_id, _code in amounts})
    employees = {e.id: e for e in db.session.scalars(sa.select(Employee).where(Employee.id.in_(ids)))} if ids else {}
    period = Period.parse(run.period)
    currency = current_app.config["PRIMO_CURRENCY"]
    rows = [
        PayrollRow.of(employees[employee_id], code, amount, currency, period, run.id)
        for (employee_id, code), amount in amounts.items()
        if amount != 0
    ]
    return PayrollFile(
        "run",
        str(period),
        run.id,
        _sorted(rows),
        corrects_run_id=run.corrects_run_id,
        corrective_reason=run.corrective_reason,
        advance=run.advance,
    )


def benefit_rows_source(period: Period) -> list:
    """The recognition benefits of a period (`app.recognition.benefits.benefits_for_period`)."""
    from app.recognition.benefits import benefits_for_period

    return list(benefits_for_period(period))


def benefits_file(period_label: str) -> PayrollFile:
    """Recognition benefits and days off of a period, one row per employee and pay code, no run id."""
    try:
        period = Period.parse(period_label)
    except ValueError as exc:
        raise PayrollError(f"period: {exc}") from None
    amounts: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
    seen: set[tuple[int, str]] = set()
    for row in benefit_rows_source(period):
        key = (row.employee_id, row.pay_code)
        amounts[key] += row.amount
        seen.add(key)
    ids = {employee_id for employee_id, _code in seen}
    employees = {e.id: e for e in db.session.scalars(sa.select(Employee).where(Employee.id.in_(ids)))} if ids else {}
    currency = current_app.config["PRIMO_CURRENCY"]
    rows = [
        PayrollRow.of(employees[employee_id], pay_code, amount, currency, period, None)
        for (employee_id, pay_code), amount in amounts.items()
        # A day off of no euro value still tells payroll about the day: its zero row is kept.
        if employee_id in employees
    ]
    return PayrollFile("benefits", str(period), None, _sorted(rows))


# --- serialising ---------------------------------------------------------------------------------------------


def _amount_text(amount: Decimal, decimal_separator: str) -> str:
    text = f"{amount:.2f}"
    return text.replace(".", decimal_separator) if decimal_separator != "." else text


def _text_cells(row: PayrollRow, decimal_separator: str) -> list[str]:
    return [
        row.payroll_id,
        row.employee_number,
        row.last_name,
        row.first_name,
        row.pay_code,
        _amount_text(row.amount, decimal_separator),
        row.currency,
        row.period_start.isoformat(),
        row.period_end.isoformat(),
        row.cost_center,
        "" if row.run_id is None else str(row.run_id),
    ]


def rows_csv(rows: Sequence[PayrollRow], decimal_separator: str = ".", lineterminator: str = "\n") -> str:
    """The data rows as `;`-separated text (no header): the form the control hash is computed on."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator=lineterminator)
    writer.writerows(_text_cells(r, decimal_separator) for r in rows)
    return buffer.getvalue()


def build_payroll_csv(payroll: PayrollFile, decimal_separator: str = ",") -> bytes:
    """UTF-8 with BOM, `;`-separated, a header row of the column keys, CRLF line ends."""
    if decimal_separator not in DECIMAL_SEPARATORS:
        raise PayrollError(f"decimal separator: one of {' '.join(DECIMAL_SEPARATORS)}, not {decimal_separator!r}")
    header = ";".join(COLUMNS) + "\r\n"
    return ("\ufeff" + header + rows_csv(payroll.rows, decimal_separator, "\r\n")).encode("utf-8")


def _data_widths(payroll: PayrollFile) -> dict[int, float]:
    header = [(key, None) for key in COLUMNS]
    cells = (
        (
            (r.payroll_id, None),
            (r.employee_number, None),
            (r.last_name, None),
            (r.first_name, None),
            (r.pay_code, None),
            (r.amount, AMOUNT_FORMAT),
            (r.currency, None),
            (r.period_start, DATE_FORMAT),
            (r.period_end, DATE_FORMAT),
            (r.cost_center, None),
            (r.run_id, None),
        )
        for r in payroll.rows
    )
    return widths([header, *cells])


def build_payroll_xlsx(payroll: PayrollFile) -> bytes:
    """Sheet `data` (header of column keys, one row per employee and pay code; the header frozen, a filter on the
    table, every column wide enough for its dates and amounts), sheet `control`."""
    workbook = Workbook(write_only=True)
    data = workbook.create_sheet("data")
    # Write-only sheets write their columns and panes before the first row: size them from the rows first.
    apply_widths(data, _data_widths(payroll))
    data.freeze_panes = "A2"
    data.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(payroll.rows) + 1}"
    data.append(COLUMNS)
    # One styled cell, reused: write-only sheets write each row out as soon as it is appended.
    amount = WriteOnlyCell(data)
    amount.number_format = AMOUNT_FORMAT
    append = data.append
    for r in payroll.rows:
        amount.value = r.amount
        append(
            (
                r.payroll_id,
                r.employee_number,
                r.last_name,
                r.first_name,
                r.pay_code,
                amount,
                r.currency,
                r.period_start,
                r.period_end,
                r.cost_center,
                r.run_id,
            )
        )
    control = workbook.create_sheet("control")
    total = WriteOnlyCell(control, value=payroll.total)
    total.number_format = AMOUNT_FORMAT
    sha256_of = "data rows as UTF-8 CSV: no BOM, no header, ';' separator, '.' decimals, ISO dates, \\n line ends"
    facts: list[tuple[str, object]] = [
        ("rows", len(payroll.rows)),
        ("total", payroll.total),
        ("run_id", payroll.run_id),
        ("period", payroll.period),
        ("kind", payroll.kind),
    ]
    if payroll.kind == "run":
        facts += [
            ("corrective_of_run", payroll.corrects_run_id),
            ("corrective_reason", neutralise(payroll.corrective_reason) if payroll.corrective_reason else None),
            ("advance", payroll.advance),
        ]
    facts += [("sha256", payroll.rows_sha256), ("sha256_of", sha256_of)]
    apply_widths(control, {1: 20, 2: 66})
    control.freeze_panes = "A2"
    control.append(("key", "value"))
    for key, value in facts:
        control.append((key, total if key == "total" else value))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(payroll: PayrollFile, fmt: str, decimal_separator: str = ",") -> bytes:
    if fmt == "xlsx":
        return build_payroll_xlsx(payroll)
    if fmt == "csv":
        return build_payroll_csv(payroll, decimal_separator)
    raise PayrollError(f"format: xlsx or csv, not {fmt!r}")


# --- exporting (logged) --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    content: bytes
    filename: str
    mimetype: str
    log: PayrollExport
    payroll: PayrollFile


MIMETYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}


def _log(payroll: PayrollFile, fmt: str, content: bytes, who: str) -> PayrollExport:
    entry = PayrollExport(
        kind=payroll.kind,
        run_id=payroll.run_id,
        period=payroll.period,
        format=fmt,
        rows=len(payroll.rows),
        total=payroll.total,
        rows_sha256=payroll.rows_sha256,
        file_sha256=hashlib.sha256(content).hexdigest(),
        exported_by=who,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def export_run(run: BonusRun, fmt: str, who: str, decimal_separator: str = ",") -> Export:
    """Build a run's payroll file, log the export (who, when, hashes) and mark the run exported."""
    payroll = run_file(run)
    content = render(payroll, fmt, decimal_separator)
    entry = _log(payroll, fmt, content, who)
    run_service.mark_exported(run)
    record(
        "payroll.export",
        "run",
        run.id,
        summary=f"{fmt}: {len(payroll.rows)} rows, total {payroll.total}, sha256 {entry.file_sha256[:16]}…",
        after={"export_id": entry.id, "rows_sha256": payroll.rows_sha256, "file_sha256": entry.file_sha256},
    )
    kind = "-corrective" if run.corrective else "-advance" if run.advance else ""
    name = f"payroll-run-{run.id}-{run.period}{kind}.{fmt}"
    return Export(content, name, MIMETYPES[fmt], entry, payroll)


def export_benefits(period_label: str, fmt: str, who: str, decimal_separator: str = ",") -> Export:
    """Build a period's benefits payroll file and log the export."""
    payroll = benefits_file(period_label)
    content = render(payroll, fmt, decimal_separator)
    entry = _log(payroll, fmt, content, who)
    record(
        "payroll.benefits_export",
        "payroll_export",
        entry.id,
        summary=f"{payroll.period} {fmt}: {len(payroll.rows)} rows, total {payroll.total}",
    )
    return Export(content, f"payroll-benefits-{payroll.period}.{fmt}", MIMETYPES[fmt], entry, payroll)


def exports_by_run(run_ids: Iterable[int]) -> dict[int, list[PayrollExport]]:
    ids = list(run_ids)
    found: dict[int, list[PayrollExport]] = defaultdict(list)
    if ids:
        for e in db.session.scalars(
            sa.select(PayrollExport).where(PayrollExport.run_id.in_(ids)).order_by(PayrollExport.id.desc())
        ):
            found[e.run_id].append(e)  # type: ignore[index]
    return found


def benefit_exports(limit: int = 20) -> list[PayrollExport]:
    return list(
        db.session.scalars(
            sa.select(PayrollExport)
            .where(PayrollExport.kind == "benefits")
            .order_by(PayrollExport.id.desc())
            .limit(limit)
        )
    )
