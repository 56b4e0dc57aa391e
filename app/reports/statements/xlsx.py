"""The statement as Excel bytes: one sheet, labels beside real cells (numbers, percentages as fractions, dates).

Written inside the employee's locale, so labels come out in their language.
Text cells are neutralised against formula injection; numbers never are. Every column is as wide as its widest
date or amount; the title row and the label column stay in view, and the table of KPIs (every store part's
components, one row each) has a filter.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.core import clock
from app.core.tabular import neutralise
from app.incentives.runs import status_label
from app.incentives.wording import absence_terms
from app.reports.statements.data import PartView, ShareView, StatementData
from app.reports.statements.labels import (
    Numbers,
    fallback_label,
    job_role_label,
    measure_label,
    numbers_for,
    presence_formula,
    scope_label,
)
from app.reports.xlsx_layout import fit_columns

MONEY = "#,##0.00"
EXACT = "#,##0.0000"
PERCENT = "0.00%"
FACTOR = "0.000000"
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"
HUNDRED = Decimal(100)
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)


def build_statement_xlsx(data: StatementData) -> bytes:
    """The statement as an Excel workbook of one sheet: numbers, percentages and dates as real cells."""
    with force_locale(data.language):
        workbook = write_statement(data)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fraction(percent: Decimal | None) -> Decimal | None:
    return None if percent is None else percent / HUNDRED


def _places_format(value: Decimal | None) -> str:
    if value is None:
        return "General"
    places = max(0, -value.as_tuple().exponent)  # type: ignore[operator]
    return "0" + ("." + "0" * places if places else "")


class _Sheet:
    """Appends rows of (value, number format) cells, neutralising text."""

    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws
        self.row = 0

    def put(self, *cells: object, bold: bool = False) -> int:
        self.row += 1
        for column, cell in enumerate(cells, start=1):
            value, number_format = cell if isinstance(cell, tuple) else (cell, None)
            if isinstance(value, str):
                value = neutralise(value)
            target = self.ws.cell(row=self.row, column=column, value=value)
            if number_format:
                target.number_format = number_format
            if bold:
                target.font = BOLD
        return self.row

    def blank(self) -> None:
        self.row += 1

    def heading(self, text: str) -> None:
        self.blank()
        self.put(text, bold=True)


def write_statement(data: StatementData) -> Workbook:
    """Fill a workbook with one employee's statement for one run."""
    f = numbers_for(data)
    workbook = Workbook()
    ws = workbook.active
    ws.title = _("Statement")[:31]
    generated = data.generated_at or datetime.now(UTC)
    # Fixed document dates keep the stored file's metadata tied to the statement, not to the save.
    workbook.properties.created = generated.replace(tzinfo=None)
    workbook.properties.modified = generated.replace(tzinfo=None)
    workbook.properties.creator = "Primo"
    sheet = _Sheet(ws)
    title = _("Intéressement: individual information sheet") if data.share else _("Bonus statement")
    sheet.put(f"{data.company_name} — {title}", bold=True)
    ws.cell(row=1, column=1).font = TITLE

    sheet.heading(_("Employee"))
    sheet.put(_("Name"), data.full_name)
    sheet.put(_("Employee number"), data.employee_number)
    sheet.put(_("Payroll id"), data.payroll_id)
    sheet.put(_("Job role"), job_role_label(data.job_role))
    sheet.put(_("FTE"), (data.fte, "0.00##"))
    sheet.put(_("Annual base salary"), (data.annual_base, MONEY), data.currency)

    sheet.heading(_("Run"))
    sheet.put(_("Run"), data.run_id)
    sheet.put(_("Scheme"), f"{data.scheme_code} v{data.scheme_version}")
    sheet.put(_("Scheme name"), data.scheme_name)
    sheet.put(_("Period"), f.period(data.period_label))
    sheet.put(_("Period start"), (data.period_start, DATE))
    sheet.put(_("Period end"), (data.period_end, DATE))
    sheet.put(_("Run status"), status_label(data.run_status))
    if data.corrective:
        sheet.put(_("Corrective run of run"), data.corrects_run_id)
        sheet.put(_("Reason for the correction"), data.corrective_reason or "")
    if data.advance:
        sheet.put(_("Advance"), _("approved before the period ended"))
    sheet.put(_("Pay code"), data.pay_code)
    # Excel cells carry no time zone: they hold the company's wall-clock time, and the zone is written beside them.
    if data.approved_at:
        sheet.put(_("Approved on"), (clock.wall_clock(data.approved_at, data.timezone), DATETIME), data.timezone)
    sheet.put(_("Generated at"), (clock.wall_clock(generated, data.timezone), DATETIME), data.timezone)
    if data.scheme_description:
        sheet.put(_("How the scheme works"), data.scheme_description)

    _kpi_table(sheet, data, f)

    for part in data.parts:
        sheet.heading(
            _("Store %(code)s — %(name)s (%(region)s)", code=part.store_code, name=part.store_name, region=part.region)
        )
        sheet.put(_("Present from"), (part.presence_start, DATE))
        sheet.put(_("Present until"), (part.presence_end, DATE))
        _presence_rows(sheet, part, f, _("Days assigned to the store"))
        sheet.put(_("Presence factor"), (part.presence_factor, PERCENT))
        sheet.put(_("Period base salary"), (part.period_base, MONEY), data.currency)
        if data.target_kind == "fixed":
            sheet.put(_("Target bonus (fixed amount × FTE)"), (part.target, MONEY), data.currency)
        else:
            sheet.put(_("Target bonus (percent of period base)"), (_fraction(data.target_value), PERCENT))
            sheet.put(_("Target bonus"), (part.target, MONEY), data.currency)
        sheet.put(_("Weighted achievement"), (_fraction(part.weighted_achievement), PERCENT))
        sheet.put(_("Amount before cap (unrounded)"), (part.amount_before_cap, EXACT), data.currency)
        sheet.put(_("Cap per employee and run"), (part.cap, MONEY) if part.cap is not None else _("none"))
        if part.cap_applied:
            sheet.put(_("Cap factor"), (part.cap_factor, FACTOR))
        sheet.put(_("Amount after cap, rounded to the cent"), (part.amount_after_cap, MONEY), data.currency)
        sheet.put(_("Pool factor"), (part.pool_factor, FACTOR))
        sheet.put(_("Amount of this part"), (part.amount, MONEY), data.currency, bold=True)

    if data.share is not None:
        _share_rows(sheet, data, f)

    if data.manual_adjustments:
        sheet.heading(_("Adjustments"))
        sheet.put(_("Date"), _("Reason"), _("Amount"), bold=True)
        for a in data.manual_adjustments:
            when = clock.local(a.created_at, data.timezone).date() if a.created_at else None
            sheet.put((when, DATE) if when else "", a.reason, (a.amount, MONEY))

    sheet.heading(_("Total"))
    sheet.put(_("Lines"), (data.lines_total, MONEY), data.currency)
    sheet.put(_("Adjustments"), (data.adjustments_total, MONEY), data.currency)
    if data.corrective:
        sheet.put(_("Now due for the period"), (data.lines_total + data.adjustments_total, MONEY), data.currency)
        sheet.put(_("Already paid for the period"), (-data.already_paid, MONEY), data.currency)
        sheet.put(_("Difference paid by this run"), (data.final_amount, MONEY), data.currency, bold=True)
    else:
        sheet.put(_("Amount paid"), (data.final_amount, MONEY), data.currency, bold=True)

    sheet.heading(_("Recognition"))
    if data.recognition.available:
        sheet.put(_("Points earned in the period"), data.recognition.points)
        sheet.put(_("Badges received in the period"), ", ".join(b.name for b in data.recognition.badges) or "—")
        sheet.put(_("Points balance at the end of the period"), data.recognition.balance)
    else:
        sheet.put(_("No recognition data for this period."))

    sheet.heading(_("Questions"))
    sheet.put(data.question_hint)
    ws.cell(row=sheet.row, column=1).alignment = Alignment(wrap_text=False)
    fit_columns(ws)
    ws.freeze_panes = "B2"  # the title row and the labels stay in view
    return workbook


KPI_COLUMNS = 15


def _kpi_table(sheet: _Sheet, data: StatementData, f: Numbers) -> None:
    """Every component of every store part, one row each, under one header with a filter."""
    sheet.heading(_("KPIs and achievements"))
    header = sheet.put(
        _("KPI"),
        _("Scope"),
        _("Measure"),
        _("Value"),
        _("Unit"),
        _("Answers (n)"),
        _("Margin (±)"),
        _("Previous value"),
        _("Measured"),
        _("Achievement"),
        _("Weight"),
        _("Weight × achievement"),
        _("Fallback"),
        _("Store"),
        _("Response rate"),
        bold=True,
    )
    # An intéressement sheet has one "part": its pool.
    groups = [(part.store_code, part.components) for part in data.parts]
    if data.share is not None:
        groups.append((data.share.store_code, data.share.components))
    for store_code, components in groups:
        for c in components:
            sheet.put(
                c.kpi_name,
                scope_label(c.scope, c.scope_key),
                measure_label(c, f),
                (c.value, _places_format(c.value)),
                c.unit,
                c.n,
                (c.moe, _places_format(c.moe)),
                (c.previous_value, _places_format(c.previous_value)),
                (c.measured, _places_format(c.measured)),
                (_fraction(c.achievement), PERCENT),
                (_fraction(c.weight), PERCENT),
                (_fraction(c.contribution), PERCENT),
                fallback_label(c, f) or "",
                store_code,
                (_fraction(c.response_rate), PERCENT) if c.response_rate is not None else None,
            )
    sheet.ws.auto_filter.ref = f"A{header}:{get_column_letter(KPI_COLUMNS)}{max(sheet.row, header)}"


def _presence_rows(sheet: _Sheet, view: PartView | ShareView, f: Numbers, assigned_label: str) -> None:
    """Presence as days assigned, less each absence kind that does not count, over the period's days."""
    if view.absences:
        assigned = view.assigned_days if view.assigned_days is not None else view.presence_days
        sheet.put(assigned_label, assigned)
        for days, label in absence_terms(view.absences, f.language):
            sheet.put(_("Less: %(kind)s (days not counted as presence)", kind=label), -days)
    sheet.put(_("Days present"), view.presence_days)
    if formula := presence_formula(view, f):
        sheet.put(_("Presence"), formula)
    sheet.put(_("Days in the period"), view.period_days)


def _share_rows(sheet: _Sheet, data: StatementData, f: Numbers) -> None:
    """An intéressement share: the pool, the total cap, the sub-pools with the employee's bases, the individual cap."""
    share, money = data.share, data.currency
    assert share is not None
    sheet.heading(_("Pool %(key)s", key=share.pool_key if share.pool_level != "company" else _("company")))
    sheet.put(_("Weighted achievement"), (_fraction(share.weighted_achievement), PERCENT))
    if share.pool_kind == "amount":
        sheet.put(_("Pool at 100 % achievement"), (share.pool_value, MONEY), money)
    else:
        sheet.put(_("Pool at 100 % achievement (percent of gross pay)"), (_fraction(share.pool_value), PERCENT))
        sheet.put(_("Gross pay of the pool's beneficiaries"), (share.pool_payroll, MONEY), money)
    sheet.put(_("Pool from the formula"), (share.formula_amount, MONEY), money)
    sheet.put(_("Gross pay of all beneficiaries"), (share.run_payroll, MONEY), money)
    sheet.put(_("Cap on the whole distribution (20 %)"), (share.total_cap, MONEY), money)
    sheet.put(_("Pool after the cap on the whole distribution"), (share.pool_amount, MONEY), money)
    sheet.put(_("Beneficiaries of the pool"), share.beneficiaries)
    sheet.heading(_("How the pool is shared"))
    sheet.put(
        _("Sub-pool"),
        _("Share of the pool"),
        _("Sub-pool total"),
        _("All beneficiaries"),
        _("You"),
        _("Your part"),
        bold=True,
    )
    for sub in share.subpools:
        sheet.put(
            {"equal": _("Equal shares"), "salary": _("In proportion to gross pay")}.get(
                sub.basis, _("In proportion to presence")
            ),
            (_fraction(sub.share), PERCENT),
            (sub.amount, MONEY),
            (sub.basis_total, "#,##0.00"),
            (sub.base, "#,##0.00"),
            (sub.part, EXACT),
        )
    sheet.heading(_("Your share"))
    sheet.put(_("Hired on"), (share.hire_date, DATE))
    if share.exit_date:
        sheet.put(_("Left on"), (share.exit_date, DATE))
    _presence_rows(sheet, share, f, _("Days assigned in the period"))
    sheet.put(_("Gross pay for the period"), (share.gross_pay, MONEY), money)
    sheet.put(_("Sum of your parts"), (share.amount_before_cap, EXACT), money)
    sheet.put(_("PASS"), (share.pass_amount, MONEY), money)
    sheet.put(_("Your individual cap"), (share.cap, MONEY), money)
    sheet.put(_("Taken off by the cap"), (-share.removed, EXACT), money)
    sheet.put(_("Received from others' caps"), (share.redistributed, EXACT), money)
    sheet.put(_("Your share"), (share.amount, MONEY), money, bold=True)
