"""The pure intéressement calculator: pools from KPIs, sub-pools, shares, the legal caps and their redistribution.

Intéressement is collective (DOMAIN.md): one amount per company, region or store pool, computed by a formula on the
pool's KPIs (the bonus engine's curves), split into up to three sub-pools (equal shares, proportional to salary,
proportional to presence), capped at 20 % of the beneficiaries' gross payroll in total and at 75 % of the PASS
pro-rata of presence per person. Decimal to the cent; no Flask, no database.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from app.incentives.engine import (
    COMPANY_KEY,
    HUNDRED,
    AbsenceDeduction,
    ComponentSpec,
    ComponentTrace,
    EmployeeFacts,
    Exclusion,
    InvalidInput,
    InvalidScheme,
    KpiFigures,
    SchemeSpec,
    _allocate,
    _check_employee,
    _component_from_dict,
    _encode,
    _from_dict,
    _measure,
    _parts,
    _store_eligible,
    achievement,
    validate_scheme,
)
from app.money import ZERO, floor_cents, round_cents
from app.periods import Period, month_add

PoolLevel = Literal["company", "region", "store"]
PoolKind = Literal["amount", "percent_of_payroll"]
Basis = Literal["equal", "salary", "presence"]
Redistribution = Literal["redistribute", "keep"]

POOL_LEVELS = ("company", "region", "store")
POOL_KINDS = ("amount", "percent_of_payroll")
BASES = ("equal", "salary", "presence")
REDISTRIBUTIONS = ("redistribute", "keep")
MAX_SUBPOOLS = 3
MAX_SENIORITY_MONTHS = 3
# The law's caps: the whole distribution, and one person's share of the annual social-security ceiling (PASS).
TOTAL_CAP_PERCENT = Decimal(20)
INDIVIDUAL_CAP_PERCENT = Decimal(75)
# Figures shown but not paid (a share before its cap, what a cap took) are kept to this many places in traces.
SHOWN = Decimal("0.000001")
TRACE_KIND = "interessement"
TRACE_FORMAT = 1

# The worst value each built-in KPI can take, so the designer can tell whether a formula can give zero; a KPI not
# listed here has no bound, and every curve pays 0 % below its first threshold.
KPI_RANGES: dict[str, tuple[Decimal, Decimal]] = {
    "nps": (Decimal(-100), Decimal(100)),
    "csat": (Decimal(0), Decimal(100)),
    "ces": (Decimal(1), Decimal(7)),
    "followup_48h": (Decimal(0), Decimal(100)),
}
_SCOPE_RANK = {"store": 0, "region": 1, "company": 2}


@dataclass(frozen=True)
class SubPool:
    """A part of each pool, shared out on one basis."""

    basis: Basis
    share: Decimal  # percent of the pool; a scheme's shares add up to 100


@dataclass(frozen=True)
class InteressementSpec:
    """One version of an intéressement scheme, as the engine needs it."""

    code: str
    version: int
    pool_level: PoolLevel
    pool_kind: PoolKind
    pool_value: Decimal  # an amount per pool, or a percent of the pool's gross payroll, at 100 % achievement
    components: tuple[ComponentSpec, ...]
    subpools: tuple[SubPool, ...]
    seniority_months: int = 0
    cap_redistribution: Redistribution = "redistribute"
    store_codes: frozenset[str] | None = None
    regions: frozenset[str] | None = None


def _worst(component: ComponentSpec) -> Decimal | None:
    """The worst value the component can measure, or None when the KPI has no bound."""
    bounds = KPI_RANGES.get(component.kpi_code)
    if bounds is None:
        return None
    low, high = bounds
    if component.measure in ("change_previous", "change_last_year"):
        low, high = low - high, high - low
    return low if component.direction == "higher" else high


def validate_interessement(spec: InteressementSpec, period_type: str) -> list[str]:
    """List what is wrong with an intéressement scheme, naming each field of its document."""
    errors: list[str] = []
    if period_type not in ("quarter", "year"):
        errors.append(f"period_type: an intéressement period lasts from 3 months to a year, not a {period_type}")
    if spec.pool_level not in POOL_LEVELS:
        errors.append(f"interessement.pool_level: must be one of {', '.join(POOL_LEVELS)}, not {spec.pool_level!r}")
    if spec.pool_kind not in POOL_KINDS:
        errors.append(f"interessement.pool.kind: must be one of {', '.join(POOL_KINDS)}, not {spec.pool_kind!r}")
    if not isinstance(spec.pool_value, Decimal) or not spec.pool_value.is_finite() or spec.pool_value <= 0:
        errors.append("interessement.pool.value: must be a number above 0")
    elif spec.pool_kind == "amount" and spec.pool_value != round_cents(spec.pool_value):
        errors.append("interessement.pool.value: an amount in whole cents")
    elif spec.pool_kind == "percent_of_payroll" and spec.pool_value > TOTAL_CAP_PERCENT:
        errors.append(f"interessement.pool.value: at most {TOTAL_CAP_PERCENT} % of the payroll (the legal cap)")
    if not isinstance(spec.seniority_months, int) or not 0 <= spec.seniority_months <= MAX_SENIORITY_MONTHS:
        errors.append(f"interessement.seniority_months: a whole number of months from 0 to {MAX_SENIORITY_MONTHS}")
    if spec.cap_redistribution not in REDISTRIBUTIONS:
        errors.append(
            f"interessement.cap_redistribution: must be redistribute or keep, not {spec.cap_redistribution!r}"
        )
    if not 1 <= len(spec.subpools) <= MAX_SUBPOOLS:
        errors.append(f"interessement.subpools: give 1 to {MAX_SUBPOOLS} sub-pools")
    total = ZERO
    seen: set[str] = set()
    for i, sub in enumerate(spec.subpools):
        where = f"interessement.subpools[{i}]"
        if sub.basis not in BASES:
            errors.append(f"{where}.basis: must be one of {', '.join(BASES)}, not {sub.basis!r}")
        elif sub.basis in seen:
            errors.append(f"{where}.basis: {sub.basis} is used twice")
        seen.add(sub.basis)
        if not isinstance(sub.share, Decimal) or not sub.share.is_finite() or sub.share <= 0:
            errors.append(f"{where}.share: must be a percent above 0")
        else:
            total += sub.share
    if spec.subpools and total != HUNDRED and not any("share" in e for e in errors):
        errors.append(f"interessement.subpools: shares must add up to exactly 100, not {total}")
    # The components are checked as the bonus engine checks them (keys, weights, curves).
    shell = SchemeSpec(spec.code, spec.version, "percent_of_base", ZERO, spec.components)
    component_errors, _warnings = validate_scheme(shell)
    errors.extend(component_errors)
    if component_errors:
        return errors
    for i, c in enumerate(spec.components):
        if spec.pool_level in _SCOPE_RANK and _SCOPE_RANK[c.scope] < _SCOPE_RANK[spec.pool_level]:
            errors.append(
                f"components[{i}].scope: a {spec.pool_level} pool cannot be measured on a {c.scope} KPI; "
                f"use {spec.pool_level} or wider"
            )
    if not can_give_zero(spec.components):
        worst = []
        for i, c in enumerate(spec.components):
            value = _worst(c)
            if value is not None and achievement(c.curve, value, c.direction) > 0:
                pct = achievement(c.curve, value, c.direction)
                worst.append(f"components[{i}].curve pays {pct.normalize():f} % even at {c.kpi_code} {value}")
        errors.append("components: an intéressement formula must be able to give zero (" + "; ".join(worst) + ")")
    return errors


def can_give_zero(components: Sequence[ComponentSpec]) -> bool:
    """Tell whether every component can earn 0 %, so the pool can be zero when every KPI is at its worst."""
    for c in components:
        value = _worst(c)
        if value is not None and achievement(c.curve, value, c.direction) > 0:
            return False
    return True


# ---------------------------------------------------------------------------------------------------------------------
# Facts in


@dataclass(frozen=True)
class Beneficiary:
    """One employee as intéressement sees them: their pool's store, dates, presence and gross pay of the period."""

    employee_number: str
    store_code: str
    region: str
    hire_date: date
    exit_date: date | None
    presence_days: int
    gross_pay: Decimal | None  # None when payroll reported none: refused only for someone eligible
    # The days assigned in the period (all stores) and the absence days taken off them, per kind, for the sheet's
    # "92 days − 5 days unpaid leave = 87/92".
    assigned_days: int | None = None
    absences: tuple[AbsenceDeduction, ...] = ()


def presence_days(employee: EmployeeFacts, period: Period) -> int:
    """Days of presence in the period: the days the bonus engine pro-rates on (its store parts), all stores."""
    return sum(part.days for part in _parts(employee, period))


def presence_of(employee: EmployeeFacts, period: Period) -> tuple[int, int, tuple[AbsenceDeduction, ...]]:
    """Days present, days assigned and the absence days per kind over all the employee's store parts."""
    parts = _parts(employee, period)
    per_kind: dict[str, AbsenceDeduction] = {}
    for part in parts:
        for d in part.deductions:
            seen = per_kind.get(d.kind)
            per_kind[d.kind] = (
                d if seen is None else AbsenceDeduction(d.kind, seen.days + d.days, d.label_en, d.label_fr)
            )
    absences = tuple(per_kind[kind] for kind in sorted(per_kind))
    return sum(p.days for p in parts), sum(p.assigned_days for p in parts), absences


def beneficiaries_of(
    employees: Iterable[EmployeeFacts], period: Period, gross_pay: Mapping[str, Decimal]
) -> tuple[list[Beneficiary], list[Exclusion]]:
    """Turn employees into beneficiaries of the store where they spent most days (ties: the later stay).

    Their presence is what the bonus engine pro-rates on, so an absence that does not count shortens both alike.
    """
    found: list[Beneficiary] = []
    excluded: list[Exclusion] = []
    for employee in sorted(employees, key=lambda e: e.employee_number):
        _check_employee(employee)
        parts = _parts(employee, period)
        if not parts:
            excluded.append(
                Exclusion(employee.employee_number, None, "no_assignment", f"no store assignment during {period}")
            )
            continue
        by_store: dict[tuple[str, str], int] = {}
        for part in parts:
            by_store[(part.store_code, part.region)] = by_store.get((part.store_code, part.region), 0) + part.days
        last = {(p.store_code, p.region): p.start for p in parts}
        store, region = max(by_store, key=lambda k: (by_store[k], last[k]))
        pay = gross_pay.get(employee.employee_number)
        present, assigned, absences = presence_of(employee, period)
        found.append(
            Beneficiary(
                employee.employee_number,
                store,
                region,
                employee.hire_date,
                employee.exit_date,
                present,
                pay,
                assigned_days=assigned,
                absences=absences,
            )
        )
    return found, excluded


# ---------------------------------------------------------------------------------------------------------------------
# Results out


@dataclass(frozen=True)
class SubPoolTotal:
    """One sub-pool of one pool: its basis, share of the pool, amount and the sum of its beneficiaries' bases."""

    basis: str
    share: Decimal
    amount: Decimal
    basis_total: Decimal


@dataclass(frozen=True)
class PoolResult:
    """One pool: the formula's figures, the pool before and after the total cap, its sub-pools and its caps."""

    level: str
    key: str  # store code, region name, or "*" for the company
    components: tuple[ComponentTrace, ...]
    weighted_achievement: Decimal
    beneficiaries: int
    payroll: Decimal
    pool_kind: str
    pool_value: Decimal
    formula_amount: Decimal  # what the formula gives, to the cent
    amount: Decimal  # after the total cap
    subpools: tuple[SubPoolTotal, ...]
    removed_by_caps: Decimal  # taken off the shares above their individual cap
    redistributed: Decimal  # of which handed to the others
    kept: Decimal  # of which kept by the company
    amount_after_caps: Decimal  # what the pool's shares add up to


@dataclass(frozen=True)
class SharePart:
    """What one sub-pool gives one beneficiary before the individual cap."""

    basis: str
    base: Decimal  # 1 for equal shares, gross pay for salary, days for presence
    amount: Decimal  # full precision


@dataclass(frozen=True)
class ShareLine:
    """One beneficiary's share, with everything the information sheet shows."""

    employee_number: str
    store_code: str
    region: str
    pool_key: str
    presence_days: int
    period_days: int
    gross_pay: Decimal
    hire_date: date
    exit_date: date | None
    parts: tuple[SharePart, ...]
    amount_before_cap: Decimal  # full precision
    cap: Decimal
    capped: bool
    removed: Decimal  # full precision: what the cap took off this share
    redistributed: Decimal  # full precision: what this share received from others' caps
    amount: Decimal  # in cents
    # None and () in traces stored before the sheet showed absences (presence_days was all there was).
    assigned_days: int | None = None
    absences: tuple[AbsenceDeduction, ...] = ()


@dataclass(frozen=True)
class InteressementResult:
    """Every pool and share of one run, who was left out, and the run's caps."""

    lines: tuple[ShareLine, ...]
    pools: tuple[PoolResult, ...]
    excluded: tuple[Exclusion, ...]
    payroll: Decimal
    total_cap: Decimal
    total_cap_applied: bool
    formula_total: Decimal
    total: Decimal
    pass_amount: Decimal
    cap_redistribution: str
    period_label: str
    scheme_code: str
    scheme_version: int


# ---------------------------------------------------------------------------------------------------------------------
# Computing


def _seniority_exclusion(spec: InteressementSpec, period: Period, person: Beneficiary) -> Exclusion | None:
    """Exclude someone whose service, by the period's end or their exit, is shorter than the scheme asks."""
    if not spec.seniority_months:
        return None
    last_day = min(period.end, person.exit_date or period.end)
    reached = month_add(person.hire_date, spec.seniority_months)
    if reached <= last_day + timedelta(days=1):
        return None
    return Exclusion(
        person.employee_number,
        None,
        "seniority",
        f"{spec.seniority_months} months of service needed; reached on {reached.isoformat()}",
    )


def individual_cap(pass_amount: Decimal, days: int, period: Period) -> Decimal:
    """75 % of the PASS pro-rata of the days of presence in the year, floored to the cent."""
    year_days = (date(period.year, 12, 31) - date(period.year, 1, 1)).days + 1
    return floor_cents(pass_amount * INDIVIDUAL_CAP_PERCENT / HUNDRED * days / year_days)


def _pool_key(level: str, person: Beneficiary) -> str:
    return {"store": person.store_code, "region": person.region}.get(level, COMPANY_KEY)


def _base(basis: str, person: Beneficiary) -> Decimal:
    if basis == "equal":
        return Decimal(1)
    if basis == "salary":
        return person.gross_pay
    return Decimal(person.presence_days)


def _distribute(
    subpools: Sequence[Decimal],
    bases: Sequence[Sequence[Decimal]],
    caps: Sequence[Decimal],
    redistribute: bool,
) -> tuple[list[list[Decimal]], list[Decimal], list[bool]]:
    """Share each sub-pool by its bases, then cap: return each person's parts, total and whether they were capped.

    Redistributing, a capped person's parts are frozen at their cap and each sub-pool's remainder is shared again
    among the others on the same basis, until nobody is above a cap; keeping, shares are simply cut at the cap.
    """
    people = range(len(caps))
    capped: dict[int, list[Decimal]] = {}
    while True:
        parts: list[list[Decimal]] = []
        for i in people:
            parts.append(list(capped.get(i, [ZERO] * len(subpools))))
        for k, amount in enumerate(subpools):
            free = [i for i in people if i not in capped]
            left = amount - sum((capped[i][k] for i in capped), ZERO)
            weight = sum((bases[i][k] for i in free), ZERO)
            if weight > 0:
                for i in free:
                    parts[i][k] = left * bases[i][k] / weight
        totals = [sum(p, ZERO) for p in parts]
        over = [i for i in people if i not in capped and totals[i] > caps[i]]
        if not over or not redistribute:
            break
        for i in over:
            capped[i] = [part * caps[i] / totals[i] for part in parts[i]]
    flags = [i in capped for i in people]
    if not redistribute:
        flags = [totals[i] > caps[i] for i in people]
    return parts, [min(totals[i], caps[i]) if flags[i] else totals[i] for i in people], flags


def compute_interessement(
    spec: InteressementSpec,
    period: Period,
    people: Iterable[Beneficiary],
    figures: KpiFigures,
    pass_amount: Decimal,
    *,
    excluded: Iterable[Exclusion] = (),
    period_type: str | None = None,
) -> InteressementResult:
    """Compute every pool and share of one intéressement scheme version over one period."""
    errors = validate_interessement(spec, period_type or period.kind)
    if errors:
        raise InvalidScheme(errors)
    if not isinstance(pass_amount, Decimal) or pass_amount <= 0:
        raise InvalidInput(f"the PASS for {period.year} must be an amount above 0")
    excluded_list = list(excluded)
    ordered = sorted(people, key=lambda p: p.employee_number)
    numbers = [p.employee_number for p in ordered]
    if len(set(numbers)) != len(numbers):
        raise InvalidInput("an employee number appears more than once")
    eligible: list[Beneficiary] = []
    for person in ordered:
        if person.gross_pay is not None and person.gross_pay < 0:
            raise InvalidInput(f"employee {person.employee_number}: gross pay must not be negative")
        if not _store_eligible(_as_bonus(spec), person.store_code, person.region):
            reason = f"store {person.store_code} ({person.region}) is not covered by this scheme"
            excluded_list.append(Exclusion(person.employee_number, person.store_code, "store", reason))
        elif exclusion := _seniority_exclusion(spec, period, person):
            excluded_list.append(exclusion)
        elif person.presence_days > 0:
            eligible.append(person)
    # The salary sub-pool and the 20 % cap need everyone's gross pay; those who get nothing need none.
    missing = [p.employee_number for p in eligible if p.gross_pay is None]
    if missing:
        shown = ", ".join(missing[:20]) + (f" and {len(missing) - 20} more" if len(missing) > 20 else "")
        raise InvalidInput(f"no gross pay imported for {period} for employees {shown}")

    # Pools, from the formula, in the order of their keys.
    groups: dict[str, list[Beneficiary]] = {}
    for person in eligible:
        groups.setdefault(_pool_key(spec.pool_level, person), []).append(person)
    drafts = []
    for key in sorted(groups):
        members = groups[key]
        first = members[0]
        store = first.store_code if spec.pool_level == "store" else ""
        region = first.region if spec.pool_level != "company" else ""
        traces = tuple(_measure(c, period, store, region, figures).trace for c in spec.components)
        weighted = sum((t.weight * t.achievement for t in traces), ZERO) / HUNDRED
        payroll = sum((m.gross_pay for m in members), ZERO)
        base = spec.pool_value if spec.pool_kind == "amount" else payroll * spec.pool_value / HUNDRED
        drafts.append((key, members, traces, weighted, payroll, round_cents(base * weighted / HUNDRED)))

    payroll_total = sum((d[4] for d in drafts), ZERO)
    total_cap = floor_cents(payroll_total * TOTAL_CAP_PERCENT / HUNDRED)
    formula_total = sum((d[5] for d in drafts), ZERO)
    amounts = [d[5] for d in drafts]
    total_cap_applied = formula_total > total_cap
    if total_cap_applied:
        amounts = _allocate([a * total_cap / formula_total for a in amounts], total_cap, [(d[0],) for d in drafts])

    pools: list[PoolResult] = []
    lines: list[ShareLine] = []
    for (key, members, traces, weighted, payroll, formula_amount), amount in zip(drafts, amounts, strict=True):
        pool, pool_lines = _share_pool(spec, period, key, members, amount, pass_amount)
        pools.append(
            PoolResult(
                level=spec.pool_level,
                key=key,
                components=traces,
                weighted_achievement=weighted,
                beneficiaries=len(members),
                payroll=payroll,
                pool_kind=spec.pool_kind,
                pool_value=spec.pool_value,
                formula_amount=formula_amount,
                amount=amount,
                **pool,
            )
        )
        lines.extend(pool_lines)
    lines.sort(key=lambda line: line.employee_number)
    return InteressementResult(
        lines=tuple(lines),
        pools=tuple(pools),
        excluded=tuple(sorted(excluded_list, key=lambda e: e.employee_number)),
        payroll=payroll_total,
        total_cap=total_cap,
        total_cap_applied=total_cap_applied,
        formula_total=formula_total,
        total=sum((line.amount for line in lines), ZERO),
        pass_amount=pass_amount,
        cap_redistribution=spec.cap_redistribution,
        period_label=str(period),
        scheme_code=spec.code,
        scheme_version=spec.version,
    )


def _share_pool(
    spec: InteressementSpec,
    period: Period,
    key: str,
    members: Sequence[Beneficiary],
    amount: Decimal,
    pass_amount: Decimal,
) -> tuple[dict[str, Any], list[ShareLine]]:
    """Split one pool into its sub-pools and shares, cap them, and round so the shares add up to the pool."""
    # Enough digits that the exact shares add up to the pool far below a cent before rounding.
    with decimal.localcontext(prec=60):
        order = range(len(spec.subpools))
        subpools = _allocate([amount * s.share / HUNDRED for s in spec.subpools], amount, [(i,) for i in order])
        bases = [[_base(s.basis, m) for s in spec.subpools] for m in members]
        caps = [individual_cap(pass_amount, m.presence_days, period) for m in members]
        redistribute = spec.cap_redistribution == "redistribute"
        first_parts, first_totals, _ = _distribute(subpools, bases, caps, redistribute=False)
        first_totals = [sum(p, ZERO) for p in first_parts]
        parts, totals, capped = _distribute(subpools, bases, caps, redistribute)
        after_caps = round_cents(sum(totals, ZERO))
        if after_caps > amount:
            after_caps = amount
        rounded = _allocate(totals, after_caps, [(m.employee_number,) for m in members])
        removed = [max(ZERO, first_totals[i] - caps[i]) for i in range(len(members))]
        received = [max(ZERO, totals[i] - first_totals[i]) for i in range(len(members))]
        lines = [
            ShareLine(
                employee_number=m.employee_number,
                store_code=m.store_code,
                region=m.region,
                pool_key=key,
                presence_days=m.presence_days,
                period_days=period.days,
                gross_pay=m.gross_pay,
                hire_date=m.hire_date,
                exit_date=m.exit_date,
                parts=tuple(
                    SharePart(s.basis, bases[i][k], first_parts[i][k].quantize(SHOWN))
                    for k, s in enumerate(spec.subpools)
                ),
                amount_before_cap=first_totals[i].quantize(SHOWN),
                cap=caps[i],
                capped=capped[i],
                removed=removed[i].quantize(SHOWN),
                redistributed=received[i].quantize(SHOWN),
                amount=rounded[i],
                assigned_days=m.assigned_days,
                absences=m.absences,
            )
            for i, m in enumerate(members)
        ]
        kept = amount - after_caps
        pool = {
            "subpools": tuple(
                SubPoolTotal(s.basis, s.share, subpools[k], sum((b[k] for b in bases), Decimal(0)))
                for k, s in enumerate(spec.subpools)
            ),
            "removed_by_caps": round_cents(sum(removed, ZERO)),
            "redistributed": round_cents(sum(received, ZERO)),
            "kept": kept,
            "amount_after_caps": after_caps,
        }
    return pool, lines


def _as_bonus(spec: InteressementSpec) -> SchemeSpec:
    """The bonus engine's view of the scheme's store and region lists (for its store eligibility rule)."""
    return SchemeSpec(
        spec.code,
        spec.version,
        "percent_of_base",
        ZERO,
        spec.components,
        store_codes=spec.store_codes,
        regions=spec.regions,
    )


# ---------------------------------------------------------------------------------------------------------------------
# Storing traces


def _plain(obj: object) -> dict[str, Any]:
    return {f.name: _encode(getattr(obj, f.name)) for f in fields(obj)}  # type: ignore[arg-type]


def pool_to_dict(pool: PoolResult) -> dict[str, Any]:
    data = _plain(pool)
    data["components"] = [_plain(c) for c in pool.components]
    data["subpools"] = [_plain(s) for s in pool.subpools]
    return data


def share_trace(line: ShareLine, result: InteressementResult) -> dict[str, Any]:
    """A share with its pool and the run's caps as JSON-able data, so its sheet can be rendered again years later."""
    pool = next(p for p in result.pools if p.key == line.pool_key)
    data = _plain(line)
    data["parts"] = [_plain(p) for p in line.parts]
    data["absences"] = [_plain(a) for a in line.absences]
    data.update(
        kind=TRACE_KIND,
        format=TRACE_FORMAT,
        pool=pool_to_dict(pool),
        run={
            "payroll": _encode(result.payroll),
            "total_cap": _encode(result.total_cap),
            "total_cap_applied": result.total_cap_applied,
            "formula_total": _encode(result.formula_total),
            "pass_amount": _encode(result.pass_amount),
            "cap_redistribution": result.cap_redistribution,
            "period_label": result.period_label,
            "scheme_code": result.scheme_code,
            "scheme_version": result.scheme_version,
        },
    )
    return data


def is_share_trace(trace: Mapping[str, Any]) -> bool:
    """Tell an intéressement share's trace from a bonus line's."""
    return trace.get("kind") == TRACE_KIND


def share_from_dict(data: Mapping[str, Any]) -> ShareLine:
    """Rebuild a share from `share_trace` output."""
    parts = tuple(_from_dict(SharePart, p, {}) for p in data["parts"])
    absences = tuple(_from_dict(AbsenceDeduction, a, {}) for a in data.get("absences") or ())
    return _from_dict(ShareLine, data, {"parts": parts, "absences": absences})


def pool_from_dict(data: Mapping[str, Any]) -> PoolResult:
    """Rebuild a share's pool from `pool_to_dict` output."""
    components = tuple(_component_from_dict(c) for c in data["components"])
    subpools = tuple(_from_dict(SubPoolTotal, s, {}) for s in data["subpools"])
    return _from_dict(PoolResult, data, {"components": components, "subpools": subpools})
