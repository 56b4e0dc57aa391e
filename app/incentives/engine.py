"""The pure bonus calculator: payout curves, scheme checks and bonus runs, in Decimal and dataclasses only.

Nothing here touches Flask or the database: callers pass frozen facts in and store the frozen results they get back.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from app.money import CENT, ZERO, floor_cents, round_cents
from app.periods import Period

Direction = Literal["higher", "lower"]
Scope = Literal["store", "region", "company"]
Measure = Literal["value", "change_previous", "change_last_year", "interval_bound"]
Fallback = Literal["zero", "full", "pool_previous"]
TargetKind = Literal["percent_of_base", "fixed"]

DIRECTIONS = ("higher", "lower")
SCOPES = ("store", "region", "company")
MEASURES = ("value", "change_previous", "change_last_year", "interval_bound")
FALLBACKS = ("zero", "full", "pool_previous")
TARGET_KINDS = ("percent_of_base", "fixed")
CHANGE_MEASURES = ("change_previous", "change_last_year")

# What ComponentTrace.fallback_used can say; "pool_previous_zero" means the pooled figure was short too, so 0 %.
FALLBACK_ZERO = "zero"
FALLBACK_FULL = "full"
FALLBACK_POOLED = "pool_previous"
FALLBACK_POOLED_SHORT = "pool_previous_zero"

COMPANY_KEY = "*"
HUNDRED = Decimal(100)
ONE = Decimal(1)
MAX_COMPONENTS = 3
WARN_COMPONENTS = 2
TRACE_FORMAT = 1


class EngineError(ValueError):
    """A bonus calculation that cannot be carried out as asked."""


class InvalidCurve(EngineError):
    """A payout curve that contradicts itself."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


class InvalidScheme(EngineError):
    """A scheme that cannot be run until its errors are fixed."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(self.errors))


class InvalidInput(EngineError):
    """Employee or figure data that would make a bonus meaningless (a data error, not a rule)."""


# ---------------------------------------------------------------------------------------------------------------------
# Curves


@dataclass(frozen=True)
class StepsCurve:
    """Thresholds in the KPI's direction, each earning an achievement % once reached."""

    steps: tuple[tuple[Decimal, Decimal], ...]


@dataclass(frozen=True)
class LinearCurve:
    """Threshold → floor %, target → 100 %, maximum → ceiling %, straight lines between, flat beyond the maximum."""

    threshold: Decimal
    floor: Decimal
    target: Decimal
    maximum: Decimal
    ceiling: Decimal


Curve = StepsCurve | LinearCurve


class Problem(str):
    """What is wrong with one field, as English text ("components[0].weight must be above 0": what the command line
    and the JSON import print), keeping the field, the message's template and its values apart so that a page can
    say it in the reader's language next to the field (`app.incentives.forms.problem_text`). Extracted for
    translation as `Problem:2`."""

    field: str
    template: str
    values: dict[str, object]

    def __new__(cls, field: str, template: str, **values: object) -> Problem:
        text = template % values if values else template
        self = super().__new__(cls, f"{field} {text}" if field else text)
        self.field, self.template, self.values = field, template, values
        return self

    def within(self, prefix: str) -> Problem:
        """The same problem for a field inside `prefix` (a curve's field inside a component)."""
        return Problem(f"{prefix}.{self.field}" if self.field else prefix, self.template, **self.values)


def _number_error(name: str, value: object) -> Problem | None:
    """Say why `value` is not a usable finite Decimal, or return None when it is."""
    if not isinstance(value, Decimal):
        return Problem(name, "must be a Decimal, not %(kind)s", kind=type(value).__name__)
    if not value.is_finite():
        return Problem(name, "must be a finite number")
    return None


def _beyond(a: Decimal, b: Decimal, direction: str) -> bool:
    """Tell whether `a` is strictly better than `b` in the KPI's direction."""
    return a > b if direction == "higher" else a < b


def validate_curve(curve: object, direction: str) -> list[Problem]:
    """List what is wrong with a payout curve for a KPI with the given direction, naming each field."""
    if direction not in DIRECTIONS:
        return [Problem("direction", "must be 'higher' or 'lower', not %(value)r", value=direction)]
    errors: list[Problem] = []
    if isinstance(curve, StepsCurve):
        if not isinstance(curve.steps, tuple) or not curve.steps:
            return [Problem("steps", "must hold at least one (threshold, achievement) step")]
        for i, step in enumerate(curve.steps):
            if not isinstance(step, tuple) or len(step) != 2:
                errors.append(Problem(f"steps[{i}]", "must be a (threshold, achievement) pair"))
                continue
            bad = [_number_error(f"steps[{i}].threshold", step[0]), _number_error(f"steps[{i}].achievement", step[1])]
            if bad := [e for e in bad if e]:
                errors.extend(bad)
                continue
            if step[1] < 0:
                errors.append(Problem(f"steps[{i}].achievement", "must not be negative"))
            if i == 0:
                continue
            prev = curve.steps[i - 1]
            if not isinstance(prev, tuple) or len(prev) != 2 or any(_number_error("", x) for x in prev):
                continue
            if not _beyond(step[0], prev[0], direction):
                errors.append(_order_problem(f"steps[{i}].threshold", f"steps[{i - 1}].threshold", direction))
            # A later step paying less would never be the best one reached, so it is a typo, not a rule.
            if step[1] < prev[1]:
                errors.append(
                    Problem(
                        f"steps[{i}].achievement", "must not be below %(other)s", other=f"steps[{i - 1}].achievement"
                    )
                )
        return errors
    if isinstance(curve, LinearCurve):
        for name in ("threshold", "floor", "target", "maximum", "ceiling"):
            if error := _number_error(name, getattr(curve, name)):
                errors.append(error)
        if errors:
            return errors
        if not _beyond(curve.target, curve.threshold, direction):
            errors.append(_order_problem("target", "threshold", direction))
        if not _beyond(curve.maximum, curve.target, direction):
            errors.append(_order_problem("maximum", "target", direction))
        # Floor ≤ 100 ≤ ceiling keeps the curve from ever paying less for a better result.
        if not ZERO <= curve.floor <= HUNDRED:
            errors.append(Problem("floor", "must be between 0 and 100"))
        if curve.ceiling < HUNDRED:
            errors.append(Problem("ceiling", "must be at least 100"))
        return errors
    return [Problem("curve", "must be a StepsCurve or a LinearCurve, not %(kind)s", kind=type(curve).__name__)]


def _order_problem(field: str, other: str, direction: str) -> Problem:
    """`field` must be beyond `other` in the KPI's direction."""
    if direction == "higher":
        return Problem(field, "must be above %(other)s for a KPI where higher is better", other=other)
    return Problem(field, "must be below %(other)s for a KPI where lower is better", other=other)


# Checked curves by identity: a run evaluates the same (frozen) curve objects thousands of times. Identity, not
# equality, because Decimal(30) == 30.0 and a float threshold must still be refused. Holding the curve keeps its id
# from being reused.
_CURVE_CHECKS: dict[tuple[int, str], tuple[object, tuple[str, ...]]] = {}


def _curve_errors(curve: Curve, direction: str) -> tuple[str, ...]:
    """Check a curve once per object and direction, not on every achievement of a run."""
    key = (id(curve), direction)
    cached = _CURVE_CHECKS.get(key)
    if cached is not None and cached[0] is curve:
        return cached[1]
    errors = tuple(validate_curve(curve, direction))
    if len(_CURVE_CHECKS) >= 1024:
        _CURVE_CHECKS.clear()
    _CURVE_CHECKS[key] = (curve, errors)
    return errors


def achievement(curve: Curve, value: Decimal, direction: str) -> Decimal:
    """Return the achievement % (full precision) that `value` earns on `curve`."""
    if error := _number_error("value", value):
        raise EngineError(error)
    if messages := _curve_errors(curve, direction):
        raise InvalidCurve(messages)
    if isinstance(curve, StepsCurve):
        reached = [pct for threshold, pct in curve.steps if not _beyond(threshold, value, direction)]
        return max(reached, default=ZERO)
    # Mirroring a lower-is-better curve makes it a rising one, so one set of formulas serves both.
    sign = ONE if direction == "higher" else -ONE
    v, threshold, target, maximum = (sign * x for x in (value, curve.threshold, curve.target, curve.maximum))
    if v < threshold:
        return ZERO
    if v < target:
        return curve.floor + (v - threshold) * (HUNDRED - curve.floor) / (target - threshold)
    if v < maximum:
        return HUNDRED + (v - target) * (curve.ceiling - HUNDRED) / (maximum - target)
    return curve.ceiling


def curve_thresholds(curve: Curve) -> tuple[Decimal, ...]:
    """Return the KPI values where the curve's payout changes (step thresholds, or threshold/target/maximum)."""
    if isinstance(curve, StepsCurve):
        return tuple(threshold for threshold, _ in curve.steps)
    return (curve.threshold, curve.target, curve.maximum)


def curve_to_dict(curve: Curve) -> dict[str, Any]:
    """Describe a curve as a plain dict (Decimals kept) for traces and storage."""
    if isinstance(curve, StepsCurve):
        return {"kind": "steps", "steps": [[threshold, pct] for threshold, pct in curve.steps]}
    return {
        "kind": "linear",
        "threshold": curve.threshold,
        "floor": curve.floor,
        "target": curve.target,
        "maximum": curve.maximum,
        "ceiling": curve.ceiling,
    }


def curve_from_dict(data: Mapping[str, Any]) -> Curve:
    """Rebuild a curve from `curve_to_dict` output, with numbers as Decimals or strings."""
    kind = data.get("kind")
    if kind == "steps":
        return StepsCurve(tuple((_decimal(t), _decimal(p)) for t, p in data["steps"]))
    if kind == "linear":
        names = ("threshold", "floor", "target", "maximum", "ceiling")
        return LinearCurve(**{name: _decimal(data[name]) for name in names})
    raise EngineError(f"unknown curve kind: {kind!r}")


# ---------------------------------------------------------------------------------------------------------------------
# Schemes


@dataclass(frozen=True)
class ComponentSpec:
    """One KPI of a scheme: where it is measured, what is measured, its weight and its payout curve."""

    key: str
    kpi_code: str
    direction: Direction
    scope: Scope
    weight: Decimal  # percent; a scheme's weights add up to 100
    measure: Measure
    min_responses: int
    fallback: Fallback
    curve: Curve


@dataclass(frozen=True)
class SchemeSpec:
    """One version of a bonus scheme, as the engine needs it."""

    code: str
    version: int
    target_kind: TargetKind
    target_value: Decimal  # percent of period base, or a fixed amount per period for a full-time employee
    components: tuple[ComponentSpec, ...]
    cap: Decimal | None = None
    pool: Decimal | None = None
    job_roles: frozenset[str] | None = None
    store_codes: frozenset[str] | None = None
    regions: frozenset[str] | None = None
    min_tenure_days: int = 0
    employed_at_period_end: bool = False


def _cents_error(name: str, value: object) -> Problem | None:
    """Say why `value` is not a positive amount in whole cents, or return None when it is."""
    if error := _number_error(name, value):
        return error
    assert isinstance(value, Decimal)
    if value <= 0:
        return Problem(name, "must be above 0 when set")
    if value != value.quantize(CENT):
        return Problem(name, "must be in whole cents")
    return None


def validate_scheme(spec: SchemeSpec) -> tuple[list[Problem], list[str]]:
    """Return (errors, warnings) for a scheme; a scheme with errors cannot be run."""
    errors: list[Problem] = []
    warnings: list[str] = []
    if not spec.code:
        errors.append(Problem("code", "must not be empty"))
    if not isinstance(spec.version, int) or spec.version < 1:
        errors.append(Problem("version", "must be a whole number from 1"))
    if spec.target_kind not in TARGET_KINDS:
        errors.append(
            Problem("target_kind", "must be 'percent_of_base' or 'fixed', not %(value)r", value=spec.target_kind)
        )
    if error := _number_error("target_value", spec.target_value):
        errors.append(error)
    elif spec.target_value < 0:
        errors.append(Problem("target_value", "must not be negative"))
    elif spec.target_kind == "percent_of_base" and spec.target_value > HUNDRED:
        warnings.append("target_value is above 100 % of the period base salary")
    for name in ("cap", "pool"):
        value = getattr(spec, name)
        if value is not None and (error := _cents_error(name, value)):
            errors.append(error)
    if not isinstance(spec.min_tenure_days, int) or spec.min_tenure_days < 0:
        errors.append(Problem("min_tenure_days", "must be a whole number of days, 0 or more"))
    for name in ("job_roles", "store_codes", "regions"):
        if getattr(spec, name) is not None and not getattr(spec, name):
            warnings.append(f"{name} is empty: nobody is eligible")

    components = spec.components
    if not 1 <= len(components) <= MAX_COMPONENTS:
        errors.append(
            Problem(
                "components", "must number 1 to %(most)d, not %(count)d", most=MAX_COMPONENTS, count=len(components)
            )
        )
    elif len(components) > WARN_COMPONENTS:
        warnings.append(f"{len(components)} components: more than {WARN_COMPONENTS} make the bonus hard to follow")
    keys = [c.key for c in components]
    total_weight = ZERO
    weights_ok = True
    for i, c in enumerate(components):
        name = f"components[{i}]"
        if not c.key:
            errors.append(Problem(f"{name}.key", "must not be empty"))
        elif keys.count(c.key) > 1 and keys.index(c.key) == i:
            errors.append(Problem(f"{name}.key", "%(key)r is used more than once", key=c.key))
        if not c.kpi_code:
            errors.append(Problem(f"{name}.kpi_code", "must not be empty"))
        if c.direction not in DIRECTIONS:
            errors.append(Problem(f"{name}.direction", "must be 'higher' or 'lower', not %(value)r", value=c.direction))
        if c.scope not in SCOPES:
            errors.append(
                Problem(f"{name}.scope", "must be 'store', 'region' or 'company', not %(value)r", value=c.scope)
            )
        if c.measure not in MEASURES:
            errors.append(
                Problem(
                    f"{name}.measure",
                    "must be one of %(codes)s, not %(value)r",
                    codes=", ".join(MEASURES),
                    value=c.measure,
                )
            )
        if c.fallback not in FALLBACKS:
            errors.append(
                Problem(
                    f"{name}.fallback",
                    "must be one of %(codes)s, not %(value)r",
                    codes=", ".join(FALLBACKS),
                    value=c.fallback,
                )
            )
        elif c.fallback == "pool_previous" and c.measure in CHANGE_MEASURES:
            # Pooling the previous period into the current one leaves nothing to compare it with.
            errors.append(
                Problem(
                    f"{name}.fallback", "'pool_previous' cannot be used with the measure %(value)r", value=c.measure
                )
            )
        if not isinstance(c.min_responses, int) or isinstance(c.min_responses, bool) or c.min_responses < 0:
            errors.append(Problem(f"{name}.min_responses", "must be a whole number, 0 or more"))
        if error := _number_error(f"{name}.weight", c.weight):
            errors.append(error)
            weights_ok = False
        else:
            if c.weight <= 0:
                errors.append(Problem(f"{name}.weight", "must be above 0"))
            total_weight += c.weight
        if c.direction in DIRECTIONS:
            errors.extend(problem.within(f"{name}.curve") for problem in validate_curve(c.curve, c.direction))
    if components and weights_ok and total_weight != HUNDRED:
        errors.append(Problem("", "component weights must add up to exactly 100, not %(total)s", total=total_weight))
    return errors, warnings


# ---------------------------------------------------------------------------------------------------------------------
# Facts in


@dataclass(frozen=True)
class KpiFigure:
    """A KPI for one scope and period, as printed (already rounded), with its sample size and uncertainty."""

    value: Decimal | None
    n: int
    moe: Decimal | None = None
    lower: Decimal | None = None
    upper: Decimal | None = None
    invitations: int | None = None  # customers invited to answer, when HR imported them (the response rate)


# Keyed by (kpi_code, scope, scope_key, period_label); scope_key is a store code, a region name or "*" for the
# company; the pooled fallback uses the label "2026-Q2+2026-Q3". A missing key means no data.
KpiFigures = Mapping[tuple[str, str, str, str], KpiFigure]


@dataclass(frozen=True)
class AssignmentFact:
    """A stretch of days an employee worked in one store (end inclusive, None while ongoing)."""

    store_code: str
    region: str
    start: date
    end: date | None = None


@dataclass(frozen=True)
class AbsenceFact:
    """A stretch of absence of one kind (end inclusive), and whether the company counts that kind as presence."""

    kind: str
    start: date
    end: date
    counts_as_presence: bool
    # The kind's names when the run was computed, kept in the trace so that a statement reads the same years later.
    label_en: str = ""
    label_fr: str = ""


@dataclass(frozen=True)
class EmployeeFacts:
    """What the engine needs to know about one employee."""

    employee_number: str
    job_role: str
    fte: Decimal
    annual_base: Decimal  # as actually paid, so it already reflects part time
    hire_date: date
    exit_date: date | None
    assignments: tuple[AssignmentFact, ...]
    absences: tuple[AbsenceFact, ...] = ()


# ---------------------------------------------------------------------------------------------------------------------
# Results out


@dataclass(frozen=True)
class ComponentTrace:
    """Everything needed to redo one component's achievement by hand, years later."""

    key: str
    kpi_code: str
    scope: str
    scope_key: str
    weight: Decimal
    measure: str
    value: Decimal | None  # the current period's figure, as printed
    n: int
    moe: Decimal | None
    previous_value: Decimal | None  # the comparison period's figure, for change measures
    previous_n: int | None
    measured: Decimal | None  # what went into the curve; None when a fallback decided the achievement
    curve: dict[str, Any]
    achievement: Decimal
    fallback_used: str | None
    direction: str = "higher"
    min_responses: int = 0
    period_label: str = ""
    lower: Decimal | None = None
    upper: Decimal | None = None
    previous_label: str | None = None
    pooled_label: str | None = None
    pooled_value: Decimal | None = None
    pooled_n: int | None = None
    pooled_moe: Decimal | None = None
    invitations: int | None = None  # of the current period, printed as the response rate beside n


@dataclass(frozen=True)
class AbsenceDeduction:
    """Days of one absence kind that do not count as presence, taken off the days assigned to one store part."""

    kind: str
    days: int
    label_en: str = ""
    label_fr: str = ""


@dataclass(frozen=True)
class LineResult:
    """One employee's bonus for one store part of the period, with the trace that explains it."""

    employee_number: str
    store_code: str
    region: str
    presence_days: int
    period_days: int
    presence_start: date
    presence_end: date
    period_base: Decimal
    target: Decimal
    components: tuple[ComponentTrace, ...]
    weighted_achievement: Decimal
    amount_before_cap: Decimal  # full precision: target × weighted achievement × presence factor
    cap: Decimal | None
    cap_applied: bool
    pool_factor: Decimal  # 1 when the pool did not scale the run
    amount: Decimal
    cap_factor: Decimal | None = None
    amount_after_cap: Decimal | None = None  # in cents, before pool scaling
    presence_factor: Decimal | None = None
    scheme_code: str = ""
    scheme_version: int = 0
    period_label: str = ""
    job_role: str = ""
    fte: Decimal | None = None
    annual_base: Decimal | None = None
    target_kind: str = ""
    target_value: Decimal | None = None
    # Days assigned to the store within the period and employment; presence_days is that minus `absences`.
    # None in traces stored before absences were counted (presence_days was then the days assigned).
    assigned_days: int | None = None
    absences: tuple[AbsenceDeduction, ...] = ()


@dataclass(frozen=True)
class Exclusion:
    """An employee, or one of their store parts, left out of a run, and why."""

    employee_number: str
    store_code: str | None  # None when the whole employee is out
    reason_code: str  # stable, for translation: not_employed, job_role, tenure, left_before_end, store, no_assignment
    reason: str


@dataclass(frozen=True)
class RunResult:
    """The lines of one scheme version over one period, who was left out, and the totals."""

    lines: tuple[LineResult, ...]
    excluded: tuple[Exclusion, ...]
    total: Decimal
    pool: Decimal | None
    pool_factor: Decimal  # 1 when the pool did not scale the run


@dataclass(frozen=True)
class CoinFlip:
    """A store whose measured KPI sits within its margin of error of a curve threshold."""

    store_code: str
    component_key: str
    measured: Decimal
    moe: Decimal
    threshold: Decimal


# ---------------------------------------------------------------------------------------------------------------------
# Measuring a component


@dataclass(frozen=True)
class _Measurement:
    """The outcome of looking up a component's figures for one scope."""

    trace: ComponentTrace
    moe: Decimal | None  # the uncertainty of `measured`, for coin flips


def _scope_key(scope: str, store_code: str, region: str) -> str:
    """Return the figures key of a scope seen from one store."""
    return {"store": store_code, "region": region}.get(scope, COMPANY_KEY)


def _figure(figures: KpiFigures, key: tuple[str, str, str, str]) -> KpiFigure:
    """Look a figure up; missing data, or a figure without a value, counts as no responses."""
    figure = figures.get(key)
    if figure is None or figure.value is None:
        return KpiFigure(value=None, n=0)
    return figure


def _usable(figure: KpiFigure, minimum: int) -> bool:
    """Tell whether a figure has a value and enough responses to be paid on."""
    return figure.value is not None and figure.n >= minimum


def _bound(figure: KpiFigure, direction: str) -> Decimal | None:
    """Return the cautious end of the 95 % interval: the lower bound, or the upper one when lower is better."""
    return figure.lower if direction == "higher" else figure.upper


def _moe_of_bound(figure: KpiFigure) -> Decimal | None:
    """Return a figure's margin, falling back on half its interval when no margin was given (Wilson)."""
    if figure.moe is not None:
        return figure.moe
    if figure.lower is not None and figure.upper is not None:
        return (figure.upper - figure.lower) / 2
    return None


def _measure(
    component: ComponentSpec, period: Period, store_code: str, region: str, figures: KpiFigures
) -> _Measurement:
    """Measure one component for one store part and turn it into an achievement, applying the fallback rule."""
    scope_key = _scope_key(component.scope, store_code, region)
    label = str(period)
    current = _figure(figures, (component.kpi_code, component.scope, scope_key, label))
    minimum = component.min_responses
    direction = component.direction
    fields_: dict[str, Any] = {
        "key": component.key,
        "kpi_code": component.kpi_code,
        "scope": component.scope,
        "scope_key": scope_key,
        "weight": component.weight,
        "measure": component.measure,
        "value": current.value,
        "n": current.n,
        "moe": current.moe,
        "lower": current.lower,
        "upper": current.upper,
        "invitations": current.invitations,
        "previous_value": None,
        "previous_n": None,
        "curve": curve_to_dict(component.curve),
        "direction": direction,
        "min_responses": minimum,
        "period_label": label,
    }
    measured: Decimal | None = None
    moe: Decimal | None = None
    if component.measure in CHANGE_MEASURES:
        other = period.previous() if component.measure == "change_previous" else period.same_last_year()
        previous = _figure(figures, (component.kpi_code, component.scope, scope_key, str(other)))
        fields_.update(previous_label=str(other), previous_value=previous.value, previous_n=previous.n)
        if _usable(current, minimum) and _usable(previous, minimum):
            assert current.value is not None and previous.value is not None
            measured = current.value - previous.value
            # Independent samples: margins add in quadrature.
            if current.moe is not None and previous.moe is not None:
                moe = (current.moe * current.moe + previous.moe * previous.moe).sqrt()
    elif component.measure == "interval_bound":
        if _usable(current, minimum) and _bound(current, direction) is not None:
            measured, moe = _bound(current, direction), _moe_of_bound(current)
    elif _usable(current, minimum):
        measured, moe = current.value, current.moe

    fallback: str | None = None
    if measured is None:
        if component.fallback == "full":
            fallback, pct = FALLBACK_FULL, HUNDRED
        elif component.fallback == "pool_previous":
            pooled_label = f"{period.previous()}+{period}"
            pooled = _figure(figures, (component.kpi_code, component.scope, scope_key, pooled_label))
            fields_.update(
                pooled_label=pooled_label, pooled_value=pooled.value, pooled_n=pooled.n, pooled_moe=pooled.moe
            )
            if _usable(pooled, minimum):
                if component.measure == "interval_bound":
                    measured, moe = _bound(pooled, direction), _moe_of_bound(pooled)
                else:
                    measured, moe = pooled.value, pooled.moe
            fallback = FALLBACK_POOLED if measured is not None else FALLBACK_POOLED_SHORT
            pct = ZERO
        else:
            fallback, pct = FALLBACK_ZERO, ZERO
    if measured is not None:
        pct = achievement(component.curve, measured, direction)
    trace = ComponentTrace(**fields_, measured=measured, achievement=pct, fallback_used=fallback)
    return _Measurement(trace=trace, moe=moe)


# ---------------------------------------------------------------------------------------------------------------------
# Eligibility and presence


@dataclass(frozen=True)
class PresencePart:
    """A stretch of an employee's assignment to one store within the period, and the absence days taken off it."""

    store_code: str
    region: str
    start: date
    end: date
    deductions: tuple[AbsenceDeduction, ...] = ()

    @property
    def assigned_days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def absence_days(self) -> int:
        return sum(d.days for d in self.deductions)

    @property
    def days(self) -> int:
        """Days present: every pro-rata of presence (bonus lines, intéressement shares) counts these."""
        return self.assigned_days - self.absence_days


def absence_deductions(absences: Iterable[AbsenceFact], start: date, end: date) -> tuple[AbsenceDeduction, ...]:
    """Count the days from `start` to `end` lost to absences that do not count as presence, per kind.

    Each day is taken off once, however many absences cover it; a day also covered by a kind that counts as
    presence (maternity leave overlapping unpaid leave, say) is not taken off; a day two non-counting kinds cover
    goes to the absence that began first (then the smaller kind code).
    """
    kept: set[date] = set()
    lost: dict[date, AbsenceFact] = {}
    for absence in sorted(absences, key=lambda a: (a.start, a.kind, a.end)):
        first, last = max(absence.start, start), min(absence.end, end)
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            if absence.counts_as_presence:
                kept.add(day)
            else:
                lost.setdefault(day, absence)
    per_kind: dict[str, list[AbsenceFact]] = {}
    for day, absence in lost.items():
        if day not in kept:
            per_kind.setdefault(absence.kind, []).append(absence)
    return tuple(
        AbsenceDeduction(kind, len(hits), hits[0].label_en, hits[0].label_fr) for kind, hits in sorted(per_kind.items())
    )


def _check_employee(employee: EmployeeFacts) -> None:
    """Refuse employee data that would produce a meaningless bonus."""
    who = f"employee {employee.employee_number}"
    for name in ("fte", "annual_base"):
        if error := _number_error(f"{who}: {name}", getattr(employee, name)):
            raise InvalidInput(error)
    if not ZERO < employee.fte <= ONE:
        raise InvalidInput(f"{who}: fte must be above 0 and at most 1, not {employee.fte}")
    if employee.annual_base < 0:
        raise InvalidInput(f"{who}: annual_base must not be negative")
    if employee.exit_date is not None and employee.exit_date < employee.hire_date:
        raise InvalidInput(f"{who}: exit_date is before hire_date")
    for a in employee.assignments:
        if a.end is not None and a.end < a.start:
            raise InvalidInput(f"{who}: assignment to {a.store_code} ends before it starts")
    for absence in employee.absences:
        if absence.end < absence.start:
            raise InvalidInput(f"{who}: absence ({absence.kind}) from {absence.start} ends before it starts")


def presence_parts(employee: EmployeeFacts, period: Period) -> list[PresencePart]:
    """Return the employee's store parts within the period and their employment, consecutive stays merged, each
    with the absence days that do not count as presence taken off (`part.days`)."""
    ordered = sorted(employee.assignments, key=lambda a: (a.start, a.end or date.max, a.store_code))
    merged: list[AssignmentFact] = []
    for a in ordered:
        last = merged[-1] if merged else None
        if last is not None and (last.end is None or a.start <= last.end):
            # Two stores on the same day would pay the day twice.
            raise InvalidInput(
                f"employee {employee.employee_number}: assignments to {last.store_code} and {a.store_code} overlap"
            )
        if (
            last is not None
            and last.end is not None
            and (a.start - last.end).days == 1
            and (a.store_code, a.region) == (last.store_code, last.region)
        ):
            merged[-1] = AssignmentFact(a.store_code, a.region, last.start, a.end)
        else:
            merged.append(a)
    first_day = max(period.start, employee.hire_date)
    last_day = min(period.end, employee.exit_date or period.end)
    parts = []
    for a in merged:
        start, end = max(a.start, first_day), min(a.end or last_day, last_day)
        if start <= end:
            deductions = absence_deductions(employee.absences, start, end)
            parts.append(PresencePart(a.store_code, a.region, start, end, deductions))
    return parts


_parts = presence_parts  # the name callers used before absences counted


def _employee_exclusion(spec: SchemeSpec, period: Period, employee: EmployeeFacts) -> Exclusion | None:
    """Return why the employee as a whole is out of the run, or None when they are eligible."""
    number = employee.employee_number
    if employee.hire_date > period.end or (employee.exit_date is not None and employee.exit_date < period.start):
        return Exclusion(number, None, "not_employed", f"not employed during {period}")
    if spec.job_roles is not None and employee.job_role not in spec.job_roles:
        return Exclusion(number, None, "job_role", f"job role {employee.job_role!r} is not eligible for this scheme")
    tenure = (period.end - employee.hire_date).days
    if tenure < spec.min_tenure_days:
        return Exclusion(
            number, None, "tenure", f"{tenure} days of service at the end of {period}, {spec.min_tenure_days} needed"
        )
    if spec.employed_at_period_end and employee.exit_date is not None and employee.exit_date < period.end:
        return Exclusion(
            number, None, "left_before_end", f"left on {employee.exit_date.isoformat()}, before the end of {period}"
        )
    return None


def _store_eligible(spec: SchemeSpec, store_code: str, region: str) -> bool:
    """Tell whether a store part falls within the scheme's stores or regions (either list admits it)."""
    if spec.store_codes is None and spec.regions is None:
        return True
    return store_code in (spec.store_codes or ()) or region in (spec.regions or ())


# ---------------------------------------------------------------------------------------------------------------------
# Money


def _allocate(amounts: Sequence[Decimal], total: Decimal, tie_keys: Sequence[tuple[Any, ...]]) -> list[Decimal]:
    """Floor each amount to the cent, then hand out the cents up to `total` by largest remainder, ties by key."""
    floored = [floor_cents(a) for a in amounts]
    left = int((total - sum(floored, ZERO)) / CENT)
    # Only lines that earned something can receive a cent; an unpaid line stays at zero.
    order = sorted((i for i, a in enumerate(amounts) if a > 0), key=lambda i: (-(amounts[i] - floored[i]), tie_keys[i]))
    while left > 0 and order:
        for i in order[:left]:
            floored[i] += CENT
        left -= min(left, len(order))
    return floored


def _period_base(annual_base: Decimal, period: Period) -> Decimal:
    """Return the period base salary, annual base × months / 12, unrounded."""
    return annual_base * period.months / 12


def _target(spec: SchemeSpec, employee: EmployeeFacts, period_base: Decimal) -> Decimal:
    """Return the target bonus for the whole period, unrounded."""
    if spec.target_kind == "fixed":
        return spec.target_value * employee.fte
    return period_base * spec.target_value / HUNDRED


# ---------------------------------------------------------------------------------------------------------------------
# Runs


def _require_valid(spec: SchemeSpec) -> None:
    """Raise InvalidScheme when the scheme has errors."""
    errors, _ = validate_scheme(spec)
    if errors:
        raise InvalidScheme(errors)


def compute_run(spec: SchemeSpec, period: Period, employees: Iterable[EmployeeFacts], figures: KpiFigures) -> RunResult:
    """Compute every line of one scheme version over one period: eligibility, presence, curves, cap and pool."""
    _require_valid(spec)
    employees = tuple(employees)
    numbers = [e.employee_number for e in employees]
    if len(set(numbers)) != len(numbers):
        raise InvalidInput("an employee number appears more than once")

    excluded: list[Exclusion] = []
    drafts: list[dict[str, Any]] = []
    for employee in sorted(employees, key=lambda e: e.employee_number):
        _check_employee(employee)
        if exclusion := _employee_exclusion(spec, period, employee):
            excluded.append(exclusion)
            continue
        parts = _parts(employee, period)
        if not parts:
            excluded.append(
                Exclusion(employee.employee_number, None, "no_assignment", f"no store assignment during {period}")
            )
            continue
        period_base = _period_base(employee.annual_base, period)
        target = _target(spec, employee, period_base)
        employee_drafts = []
        for part in parts:
            if not _store_eligible(spec, part.store_code, part.region):
                reason = f"store {part.store_code} ({part.region}) is not covered by this scheme"
                excluded.append(Exclusion(employee.employee_number, part.store_code, "store", reason))
                continue
            traces = tuple(_measure(c, period, part.store_code, part.region, figures).trace for c in spec.components)
            weighted = sum((t.weight * t.achievement for t in traces), ZERO) / HUNDRED
            # One division at the end keeps the day fraction exact until the final rounding.
            unrounded = target * weighted * part.days / (HUNDRED * period.days)
            employee_drafts.append(
                {
                    "employee_number": employee.employee_number,
                    "store_code": part.store_code,
                    "region": part.region,
                    "presence_days": part.days,
                    "period_days": period.days,
                    "presence_start": part.start,
                    "presence_end": part.end,
                    "presence_factor": Decimal(part.days) / period.days,
                    "assigned_days": part.assigned_days,
                    "absences": part.deductions,
                    "period_base": period_base,
                    "target": target,
                    "components": traces,
                    "weighted_achievement": weighted,
                    "amount_before_cap": unrounded,
                    "cap": spec.cap,
                    "scheme_code": spec.code,
                    "scheme_version": spec.version,
                    "period_label": str(period),
                    "job_role": employee.job_role,
                    "fte": employee.fte,
                    "annual_base": employee.annual_base,
                    "target_kind": spec.target_kind,
                    "target_value": spec.target_value,
                }
            )
        _apply_cap(spec.cap, employee_drafts)
        drafts.extend(employee_drafts)

    drafts.sort(key=lambda d: (d["employee_number"], d["presence_start"], d["store_code"]))
    total = sum((d["amount_after_cap"] for d in drafts), ZERO)
    pool_factor = ONE
    if spec.pool is not None and total > spec.pool:
        pool_factor = spec.pool / total
        tie_keys = [(d["employee_number"], d["store_code"], d["presence_start"]) for d in drafts]
        scaled = [d["amount_after_cap"] * spec.pool / total for d in drafts]
        for d, amount in zip(drafts, _allocate(scaled, spec.pool, tie_keys), strict=True):
            d["amount"] = amount
    else:
        for d in drafts:
            d["amount"] = d["amount_after_cap"]
    lines = tuple(LineResult(**d, pool_factor=pool_factor) for d in drafts)
    return RunResult(
        lines=lines,
        excluded=tuple(excluded),
        total=sum((line.amount for line in lines), ZERO),
        pool=spec.pool,
        pool_factor=pool_factor,
    )


def _apply_cap(cap: Decimal | None, drafts: list[dict[str, Any]]) -> None:
    """Round an employee's lines once, or share the cap between them when they would exceed it."""
    for d in drafts:
        d.update(cap_applied=False, cap_factor=None, amount_after_cap=round_cents(d["amount_before_cap"]))
    if cap is None or not drafts:
        return
    unrounded = sum((d["amount_before_cap"] for d in drafts), ZERO)
    rounded = sum((d["amount_after_cap"] for d in drafts), ZERO)
    # Rounding two parts up can overshoot the cap by a cent even when the exact sum fits, so both are checked.
    if unrounded <= cap and rounded <= cap:
        return
    factor = min(ONE, cap / unrounded)
    tie_keys = [(d["store_code"], d["presence_start"]) for d in drafts]
    shares = _allocate([d["amount_before_cap"] * factor for d in drafts], cap, tie_keys)
    for d, share in zip(drafts, shares, strict=True):
        d.update(cap_applied=True, cap_factor=factor, amount_after_cap=share)


def coin_flips(
    spec: SchemeSpec, period: Period, store_regions: Mapping[str, str], figures: KpiFigures
) -> list[CoinFlip]:
    """List the stores whose measured KPI lies within its margin of error of a curve threshold."""
    _require_valid(spec)
    flips = []
    for store_code in sorted(store_regions):
        for component in spec.components:
            m = _measure(component, period, store_code, store_regions[store_code], figures)
            measured = m.trace.measured
            if measured is None or m.moe is None:
                continue
            for threshold in curve_thresholds(component.curve):
                if abs(measured - threshold) <= m.moe:
                    flips.append(CoinFlip(store_code, component.key, measured, m.moe, threshold))
    return flips


# ---------------------------------------------------------------------------------------------------------------------
# Storing traces


def _decimal(value: object) -> Decimal:
    """Read a stored number (a string, or already a Decimal); floats are refused."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str | int) and not isinstance(value, bool):
        return Decimal(value)
    raise EngineError(f"not a stored number: {value!r}")


def _encode(value: object) -> object:
    """Turn Decimals into strings and dates into ISO text, recursively, so the result is JSON-able."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _dataclass_to_dict(obj: object) -> dict[str, Any]:
    """Encode a trace dataclass field by field."""
    return {f.name: _encode(getattr(obj, f.name)) for f in fields(obj)}  # type: ignore[arg-type]


def trace_to_dict(line: LineResult) -> dict[str, Any]:
    """Turn a line into JSON-able data, Decimals as strings, so its statement can be re-rendered years later."""
    data = _dataclass_to_dict(line)
    data["components"] = [_dataclass_to_dict(c) for c in line.components]
    data["absences"] = [_dataclass_to_dict(a) for a in line.absences]
    data["format"] = TRACE_FORMAT
    return data


def _decode(value: object, hint: Any) -> object:
    """Read one stored field back as the type its dataclass declares."""
    if value is None:
        return None
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if Decimal in options:
        return _decimal(value)
    if date in options:
        return date.fromisoformat(str(value))
    return value


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    # Resolving string annotations compiles each one: once per class, not once per trace read.
    return typing.get_type_hints(cls)


def _from_dict(cls: type, data: Mapping[str, Any], special: Mapping[str, Any]) -> Any:
    """Build a trace dataclass from stored data, decoding each field by its declared type."""
    hints = _type_hints(cls)
    values = {}
    for f in fields(cls):
        if f.name in special:
            values[f.name] = special[f.name]
        elif f.name in data:
            values[f.name] = _decode(data[f.name], hints[f.name])
    return cls(**values)


def _component_from_dict(data: Mapping[str, Any]) -> ComponentTrace:
    """Rebuild one component trace."""
    return _from_dict(ComponentTrace, data, {"curve": curve_to_dict(curve_from_dict(data["curve"]))})


def line_from_dict(data: Mapping[str, Any]) -> LineResult:
    """Rebuild a line from `trace_to_dict` output."""
    if data.get("format", TRACE_FORMAT) != TRACE_FORMAT:
        raise EngineError(f"unknown trace format: {data.get('format')!r}")
    components = tuple(_component_from_dict(c) for c in data["components"])
    absences = tuple(_from_dict(AbsenceDeduction, a, {}) for a in data.get("absences") or ())
    return _from_dict(LineResult, data, {"components": components, "absences": absences})
