"""What a bonus statement shows, as plain frozen data built from a run line's stored trace (no Flask, no database).

The builders (html, pdf, xlsx) render this to HTML, PDF and Excel; bulk rendering ships it (or its HTML) to worker
processes. Every figure comes from the trace as stored when the run was computed, never from today's data, so a
statement re-rendered years later says what was paid and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from app.incentives import engine, interessement
from app.money import ZERO, round_half_up
from app.periods import Period

HUNDRED = Decimal(100)
ONE = Decimal(1)


@dataclass(frozen=True)
class KpiLabel:
    """How a KPI is named on a statement, and the unit its figures carry ("%" for CSAT)."""

    name: str
    unit: str = ""


BUILTIN_KPIS = {
    "nps": KpiLabel("NPS"),
    "csat": KpiLabel("CSAT", "%"),
    "ces": KpiLabel("CES"),
    "turnover": KpiLabel("turnover", "%"),
    "absenteeism": KpiLabel("absenteeism", "%"),
    "response_rate": KpiLabel("response_rate", "%"),
}


@dataclass(frozen=True)
class ComponentView:
    """One component of one store part: the KPI as printed (n, margin, previous value), the curve and its result."""

    key: str
    kpi_code: str
    kpi_name: str
    unit: str
    scope: str
    scope_key: str
    weight: Decimal  # percent
    measure: str
    direction: str
    min_responses: int
    value: Decimal | None
    n: int
    moe: Decimal | None
    lower: Decimal | None
    upper: Decimal | None
    previous_label: str | None
    previous_value: Decimal | None
    previous_n: int | None
    pooled_label: str | None
    pooled_value: Decimal | None
    pooled_n: int | None
    measured: Decimal | None
    curve: Mapping[str, Any]
    achievement: Decimal  # percent, full precision
    fallback_used: str | None
    invitations: int | None = None

    @property
    def response_rate(self) -> Decimal | None:
        """The answers this figure counts ÷ the customers invited to answer, in % (one decimal)."""
        if not self.invitations:
            return None
        return round_half_up(HUNDRED * self.n / self.invitations, 1)

    @property
    def contribution(self) -> Decimal:
        """Weight × achievement, in percent of the target."""
        return self.weight * self.achievement / HUNDRED

    @property
    def curve_kind(self) -> str:
        return str(self.curve.get("kind", ""))

    @property
    def steps(self) -> list[tuple[Decimal, Decimal]]:
        return [(Decimal(str(t)), Decimal(str(p))) for t, p in self.curve.get("steps", [])]

    def curve_number(self, name: str) -> Decimal:
        return Decimal(str(self.curve[name]))


@dataclass(frozen=True)
class PartView:
    """One store part of the employee's line: presence in that store, its components and its amount."""

    line_id: int | None
    store_code: str
    store_name: str
    region: str
    presence_start: date
    presence_end: date
    presence_days: int
    period_days: int
    period_base: Decimal
    target: Decimal
    components: tuple[ComponentView, ...]
    weighted_achievement: Decimal  # percent
    amount_before_cap: Decimal  # full precision
    cap: Decimal | None
    cap_applied: bool
    cap_factor: Decimal | None
    amount_after_cap: Decimal
    pool_factor: Decimal
    amount: Decimal
    # Days assigned to the store (None on lines stored before absences were counted) and the absence days, per
    # kind that does not count as presence, taken off them to give presence_days.
    assigned_days: int | None = None
    absences: tuple[engine.AbsenceDeduction, ...] = ()

    @property
    def presence_factor(self) -> Decimal:
        return Decimal(self.presence_days) / Decimal(self.period_days)

    @property
    def pool_scaled(self) -> bool:
        return self.pool_factor != ONE


@dataclass(frozen=True)
class AdjustmentView:
    """A signed amount on the run for this employee: a manual one with its reason, or (kind `already_paid`, in a
    corrective run) what earlier runs of the period paid, taken back."""

    amount: Decimal
    reason: str
    created_at: datetime | None = None
    corrects_line_id: int | None = None
    kind: str = "manual"

    @property
    def manual(self) -> bool:
        return self.kind == "manual"


@dataclass(frozen=True)
class BadgeView:
    name: str
    awarded_on: date | None = None


@dataclass(frozen=True)
class RecognitionView:
    """Points and badges of the period and the balance at its end; `available` is False when there is no data."""

    available: bool = False
    points: int = 0
    badges: tuple[BadgeView, ...] = ()
    balance: int | None = None
    balance_on: date | None = None


@dataclass(frozen=True)
class StatementData:
    """Everything one employee's statement for one run prints: one statement, one or more store parts."""

    run_id: int
    run_status: str
    scheme_code: str
    scheme_name: str
    scheme_version: int
    scheme_description: str
    pay_code: str
    period_label: str
    period_start: date
    period_end: date
    employee_id: int
    employee_number: str
    payroll_id: str
    first_name: str
    last_name: str
    job_role: str
    language: str
    fte: Decimal | None
    annual_base: Decimal | None
    target_kind: str
    target_value: Decimal | None
    parts: tuple[PartView, ...]
    adjustments: tuple[AdjustmentView, ...] = ()
    recognition: RecognitionView = field(default_factory=RecognitionView)
    currency: str = "EUR"
    company_name: str = ""
    logo: str = ""
    question_hint: str = ""
    generated_at: datetime | None = None
    timezone: str = "Europe/Paris"
    approved_at: datetime | None = None
    corrects_run_id: int | None = None
    corrective_reason: str | None = None
    corrective_basis: tuple[int, ...] = ()
    advance: bool = False
    share: ShareView | None = None  # an intéressement run's individual information sheet, instead of parts

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def corrective(self) -> bool:
        return self.corrects_run_id is not None

    @property
    def lines_total(self) -> Decimal:
        """What the store parts give: in a corrective run, the whole amount due now for the period."""
        return sum((p.amount for p in self.parts), self.share.amount if self.share else ZERO)

    @property
    def manual_adjustments(self) -> tuple[AdjustmentView, ...]:
        return tuple(a for a in self.adjustments if a.manual)

    @property
    def adjustments_total(self) -> Decimal:
        """The manual adjustments (what earlier runs paid is `already_paid`)."""
        return sum((a.amount for a in self.manual_adjustments), ZERO)

    @property
    def already_paid(self) -> Decimal:
        """What the period's earlier runs paid this employee (a corrective run takes it back), as a positive amount."""
        return -sum((a.amount for a in self.adjustments if not a.manual), ZERO)

    @property
    def final_amount(self) -> Decimal:
        """What this run pays: in a corrective run, the difference with what was already paid."""
        return self.lines_total + self.adjustments_total - self.already_paid

    @property
    def cap(self) -> Decimal | None:
        return self.parts[0].cap if self.parts else None

    @property
    def cap_applied(self) -> bool:
        return any(p.cap_applied for p in self.parts)

    @property
    def pool_factor(self) -> Decimal:
        return self.parts[0].pool_factor if self.parts else ONE

    @property
    def period_base(self) -> Decimal | None:
        return self.parts[0].period_base if self.parts else None

    @property
    def target(self) -> Decimal | None:
        return self.parts[0].target if self.parts else None

    @property
    def months(self) -> int:
        return Period.parse(self.period_label).months

    @property
    def presence_days(self) -> int:
        return sum(p.presence_days for p in self.parts)

    @property
    def filename_stem(self) -> str:
        return f"statement-{self.run_id}-{self.employee_number}"


def kpi_label(code: str, custom: Mapping[str, KpiLabel] | None = None) -> KpiLabel:
    """The statement name of a KPI: the built-in ones, then HR's own definitions, else its code."""
    if code in BUILTIN_KPIS:
        return BUILTIN_KPIS[code]
    return (custom or {}).get(code) or KpiLabel(code)


def component_view(trace: engine.ComponentTrace, custom: Mapping[str, KpiLabel] | None = None) -> ComponentView:
    """A component as the statement shows it, from its stored trace."""
    label = kpi_label(trace.kpi_code, custom)
    return ComponentView(
        key=trace.key,
        kpi_code=trace.kpi_code,
        kpi_name=label.name,
        unit=label.unit,
        scope=trace.scope,
        scope_key=trace.scope_key,
        weight=trace.weight,
        measure=trace.measure,
        direction=trace.direction,
        min_responses=trace.min_responses,
        value=trace.value,
        n=trace.n,
        moe=trace.moe,
        lower=trace.lower,
        upper=trace.upper,
        previous_label=trace.previous_label,
        previous_value=trace.previous_value,
        previous_n=trace.previous_n,
        pooled_label=trace.pooled_label,
        pooled_value=trace.pooled_value,
        pooled_n=trace.pooled_n,
        measured=trace.measured,
        curve=dict(trace.curve),
        achievement=trace.achievement,
        fallback_used=trace.fallback_used,
        invitations=trace.invitations,
    )


def part_view(
    trace: Mapping[str, Any],
    line_id: int | None = None,
    store_name: str = "",
    custom: Mapping[str, KpiLabel] | None = None,
) -> PartView:
    """A store part from a stored trace (`engine.trace_to_dict` output)."""
    line = engine.line_from_dict(trace)
    after_cap = line.amount_after_cap if line.amount_after_cap is not None else line.amount
    return PartView(
        line_id=line_id,
        store_code=line.store_code,
        store_name=store_name or line.store_code,
        region=line.region,
        presence_start=line.presence_start,
        presence_end=line.presence_end,
        presence_days=line.presence_days,
        period_days=line.period_days,
        period_base=line.period_base,
        target=line.target,
        components=tuple(component_view(c, custom) for c in line.components),
        weighted_achievement=line.weighted_achievement,
        amount_before_cap=line.amount_before_cap,
        cap=line.cap,
        cap_applied=line.cap_applied,
        cap_factor=line.cap_factor,
        amount_after_cap=after_cap,
        pool_factor=line.pool_factor,
        amount=line.amount,
        assigned_days=line.assigned_days,
        absences=line.absences,
    )


@dataclass(frozen=True)
class SubPoolView:
    """One sub-pool of the employee's pool, and the employee's base and part in it (before the individual cap)."""

    basis: str
    share: Decimal  # percent of the pool
    amount: Decimal  # the sub-pool, to the cent
    basis_total: Decimal  # the sum of the beneficiaries' bases
    base: Decimal  # the employee's: 1, gross pay or days
    part: Decimal  # full precision


@dataclass(frozen=True)
class ShareView:
    """An intéressement share, for the individual information sheet: the pool, its formula and caps, the sub-pools,
    the employee's bases and what the individual cap removed and where it went."""

    line_id: int | None
    store_code: str
    store_name: str
    region: str
    pool_level: str
    pool_key: str
    components: tuple[ComponentView, ...]
    weighted_achievement: Decimal
    pool_kind: str
    pool_value: Decimal
    pool_payroll: Decimal
    beneficiaries: int
    formula_amount: Decimal
    pool_amount: Decimal  # after the total cap
    run_payroll: Decimal
    formula_total: Decimal
    total_cap: Decimal
    total_cap_applied: bool
    subpools: tuple[SubPoolView, ...]
    presence_days: int
    period_days: int
    # As on a bonus part, so the sheet words presence the same way ("92 days − 5 days unpaid leave = 87/92").
    assigned_days: int | None
    absences: tuple[engine.AbsenceDeduction, ...]
    gross_pay: Decimal
    hire_date: date
    exit_date: date | None
    amount_before_cap: Decimal
    pass_amount: Decimal
    cap: Decimal
    capped: bool
    removed: Decimal
    redistributed: Decimal
    cap_redistribution: str
    pool_removed: Decimal
    pool_redistributed: Decimal
    pool_kept: Decimal
    pool_after_caps: Decimal
    amount: Decimal

    @property
    def rounding(self) -> Decimal:
        """What rounding to the cent (largest remainder over the pool) added to or took from the exact share."""
        exact = self.cap if self.capped else self.amount_before_cap + self.redistributed
        return self.amount - exact


def share_view(
    trace: Mapping[str, Any],
    line_id: int | None = None,
    store_name: str = "",
    custom: Mapping[str, KpiLabel] | None = None,
) -> ShareView:
    """An intéressement share from its stored trace (`interessement.share_trace` output)."""
    line = interessement.share_from_dict(trace)
    pool = interessement.pool_from_dict(trace["pool"])
    run = trace["run"]
    parts = {p.basis: p for p in line.parts}
    return ShareView(
        line_id=line_id,
        store_code=line.store_code,
        store_name=store_name or line.store_code,
        region=line.region,
        pool_level=pool.level,
        pool_key=pool.key,
        components=tuple(component_view(c, custom) for c in pool.components),
        weighted_achievement=pool.weighted_achievement,
        pool_kind=pool.pool_kind,
        pool_value=pool.pool_value,
        pool_payroll=pool.payroll,
        beneficiaries=pool.beneficiaries,
        formula_amount=pool.formula_amount,
        pool_amount=pool.amount,
        run_payroll=Decimal(run["payroll"]),
        formula_total=Decimal(run["formula_total"]),
        total_cap=Decimal(run["total_cap"]),
        total_cap_applied=bool(run["total_cap_applied"]),
        subpools=tuple(
            SubPoolView(s.basis, s.share, s.amount, s.basis_total, parts[s.basis].base, parts[s.basis].amount)
            for s in pool.subpools
        ),
        presence_days=line.presence_days,
        period_days=line.period_days,
        assigned_days=line.assigned_days,
        absences=line.absences,
        gross_pay=line.gross_pay,
        hire_date=line.hire_date,
        exit_date=line.exit_date,
        amount_before_cap=line.amount_before_cap,
        pass_amount=Decimal(run["pass_amount"]),
        cap=line.cap,
        capped=line.capped,
        removed=line.removed,
        redistributed=line.redistributed,
        cap_redistribution=str(run["cap_redistribution"]),
        pool_removed=pool.removed_by_caps,
        pool_redistributed=pool.redistributed,
        pool_kept=pool.kept,
        pool_after_caps=pool.amount_after_caps,
        amount=line.amount,
    )


@dataclass(frozen=True)
class RunFacts:
    """The run a statement belongs to, as plain values."""

    run_id: int
    status: str
    scheme_code: str
    scheme_name: str
    scheme_version: int
    scheme_description: str
    pay_code: str
    period_label: str
    period_start: date
    period_end: date
    approved_at: datetime | None = None
    corrects_run_id: int | None = None
    corrective_reason: str | None = None
    corrective_basis: tuple[int, ...] = ()
    advance: bool = False


@dataclass(frozen=True)
class EmployeeFacts:
    """Who the statement is for, as plain values."""

    employee_id: int
    number: str
    payroll_id: str
    first_name: str
    last_name: str
    language: str
    job_role: str = ""


@dataclass(frozen=True)
class LineFacts:
    """One stored run line: its id, the store's name, and the trace it was computed with."""

    line_id: int | None
    store_name: str
    trace: Mapping[str, Any]


def build_statement_data(
    run: RunFacts,
    employee: EmployeeFacts,
    lines: Sequence[LineFacts],
    adjustments: Iterable[AdjustmentView] = (),
    recognition: RecognitionView | None = None,
    *,
    custom_kpis: Mapping[str, KpiLabel] | None = None,
    currency: str = "EUR",
    company_name: str = "",
    logo: str = "",
    question_hint: str = "",
    generated_at: datetime | None = None,
    timezone: str = "Europe/Paris",
) -> StatementData:
    """Assemble one employee's statement from the stored traces of their lines (one part per store)."""
    shares = [line for line in lines if interessement.is_share_trace(line.trace)]
    lines = [line for line in lines if not interessement.is_share_trace(line.trace)]
    share = share_view(shares[0].trace, shares[0].line_id, shares[0].store_name, custom_kpis) if shares else None
    parts = tuple(
        sorted(
            (part_view(line.trace, line.line_id, line.store_name, custom_kpis) for line in lines),
            key=lambda p: (p.presence_start, p.store_code),
        )
    )
    first = engine.line_from_dict(lines[0].trace) if lines else None
    return StatementData(
        run_id=run.run_id,
        run_status=run.status,
        scheme_code=run.scheme_code,
        scheme_name=run.scheme_name,
        scheme_version=run.scheme_version,
        scheme_description=run.scheme_description,
        pay_code=run.pay_code,
        period_label=run.period_label,
        period_start=run.period_start,
        period_end=run.period_end,
        approved_at=run.approved_at,
        corrects_run_id=run.corrects_run_id,
        corrective_reason=run.corrective_reason,
        corrective_basis=run.corrective_basis,
        advance=run.advance,
        employee_id=employee.employee_id,
        employee_number=employee.number,
        payroll_id=employee.payroll_id,
        first_name=employee.first_name,
        last_name=employee.last_name,
        # The job role, FTE and base the line was computed with, not today's.
        job_role=(first.job_role if first and first.job_role else employee.job_role),
        language=employee.language if employee.language in ("fr", "en") else "fr",
        fte=first.fte if first else None,
        annual_base=first.annual_base if first else None,
        target_kind=first.target_kind if first else "",
        target_value=first.target_value if first else None,
        parts=parts,
        share=share,
        adjustments=tuple(adjustments),
        recognition=recognition or RecognitionView(),
        currency=currency,
        company_name=company_name,
        logo=logo,
        question_hint=question_hint,
        generated_at=generated_at,
        timezone=timezone,
    )
