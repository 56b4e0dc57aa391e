"""The scheme document: how a bonus scheme version is written as JSON, read back and checked, field by field.

Pure: no Flask, no database. `read_document` turns parsed JSON into a `SchemeDocument` or raises
`SchemeFormatError` listing every problem with its path ("components[1].curve.threshold: …").
The format is documented by `scheme.schema.json` beside this file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from app.incentives.engine import (
    DIRECTIONS,
    FALLBACKS,
    MEASURES,
    SCOPES,
    TARGET_KINDS,
    ComponentSpec,
    Curve,
    LinearCurve,
    SchemeSpec,
    StepsCurve,
    validate_scheme,
)
from app.incentives.interessement import (
    BASES,
    POOL_KINDS,
    POOL_LEVELS,
    REDISTRIBUTIONS,
    InteressementSpec,
    SubPool,
    validate_interessement,
)
from app.periods import Period

FORMAT = "primo-scheme/1"
PERIOD_TYPES = ("month", "quarter", "year")
JOB_ROLES = ("sales_associate", "store_manager", "regional_manager", "customer_service", "logistics", "other")
KINDS = ("bonus", "interessement")
BUILTIN_KPIS = {
    "nps": "higher",
    "csat": "higher",
    "ces": "higher",
    "followup_48h": "higher",
    # From HR's engagement and invitation files (app/feedback/engagement.py): fewer leavers and absences is better.
    "turnover": "lower",
    "absenteeism": "lower",
    "response_rate": "higher",
}


class SchemeFormatError(ValueError):
    """A scheme document with problems; `errors` name each field."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors))


@dataclass(frozen=True)
class InteressementTerms:
    """What an intéressement scheme says beyond its formula: pools, sub-pools, seniority and cap handling."""

    pool_level: str
    pool_kind: str
    pool_value: Decimal
    subpools: tuple[SubPool, ...]
    seniority_months: int
    cap_redistribution: str


@dataclass(frozen=True)
class SchemeDocument:
    """Everything a scheme version says: what HR writes and what employees read, plus the engine's spec."""

    code: str
    name: str
    description: str
    period_type: str
    valid_from: date
    valid_to: date | None
    pay_code: str
    target_kind: str
    target_value: Decimal
    cap: Decimal | None
    pool: Decimal | None
    job_roles: tuple[str, ...] | None
    store_codes: tuple[str, ...] | None
    regions: tuple[str, ...] | None
    min_tenure_days: int
    employed_at_period_end: bool
    components: tuple[ComponentSpec, ...]
    kind: str = "bonus"
    interessement: InteressementTerms | None = None
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_interessement(self) -> bool:
        return self.kind == "interessement"

    def valid_for(self, period: Period) -> bool:
        """Whether the scheme applies to any day of the period (its validity dates overlap it)."""
        return period.end >= self.valid_from and (self.valid_to is None or period.start <= self.valid_to)

    def spec(self, version: int) -> SchemeSpec:
        """The engine's view of this document as version `version`."""
        return SchemeSpec(
            code=self.code,
            version=version,
            target_kind=self.target_kind,  # type: ignore[arg-type]
            target_value=self.target_value,
            components=self.components,
            cap=self.cap,
            pool=self.pool,
            job_roles=frozenset(self.job_roles) if self.job_roles else None,
            store_codes=frozenset(self.store_codes) if self.store_codes else None,
            regions=frozenset(self.regions) if self.regions else None,
            min_tenure_days=self.min_tenure_days,
            employed_at_period_end=self.employed_at_period_end,
        )

    def interessement_spec(self, version: int) -> InteressementSpec:
        """The intéressement engine's view of this document as version `version`."""
        terms = self.interessement
        if terms is None:
            raise ValueError(f"scheme {self.code} is not an intéressement scheme")
        return InteressementSpec(
            code=self.code,
            version=version,
            pool_level=terms.pool_level,  # type: ignore[arg-type]
            pool_kind=terms.pool_kind,  # type: ignore[arg-type]
            pool_value=terms.pool_value,
            components=self.components,
            subpools=terms.subpools,
            seniority_months=terms.seniority_months,
            cap_redistribution=terms.cap_redistribution,  # type: ignore[arg-type]
            store_codes=frozenset(self.store_codes) if self.store_codes else None,
            regions=frozenset(self.regions) if self.regions else None,
        )


class _Reader:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def text(self, data: Mapping[str, Any], key: str, path: str, *, required: bool = True, limit: int = 200) -> str:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.fail(path + key, "required")
            return ""
        if not isinstance(value, str):
            self.fail(path + key, "must be text")
            return ""
        if len(value) > limit:
            self.fail(path + key, f"at most {limit} characters")
        return value.strip()

    def choice(
        self, data: Mapping[str, Any], key: str, path: str, choices: tuple[str, ...], default: str | None = None
    ):
        value = data.get(key, default)
        if value not in choices:
            self.fail(path + key, f"must be one of {', '.join(choices)}, not {value!r}")
            return choices[0]
        return value

    def number(self, data: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> Decimal | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(path + key, "required")
            return None
        return self.to_decimal(value, path + key)

    def to_decimal(self, value: Any, where: str) -> Decimal | None:
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            # Floats are refused: write decimals as strings ("62.5") or parse JSON with parse_float=Decimal.
            self.fail(where, f"must be a number written as text or an integer, not {value!r}")
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(where, f"{value!r} is not a number")
            return None
        if not number.is_finite():
            self.fail(where, f"{value!r} is not a number")
            return None
        return number

    def integer(self, data: Mapping[str, Any], key: str, path: str, default: int) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(path + key, "must be a whole number ≥ 0")
            return default
        return value

    def day(self, data: Mapping[str, Any], key: str, path: str, *, required: bool) -> date | None:
        value = data.get(key)
        if value in (None, ""):
            if required:
                self.fail(path + key, "required")
            return None
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            self.fail(path + key, f"{value!r} is not a date (YYYY-MM-DD)")
            return None

    def names(self, data: Mapping[str, Any], key: str, path: str, allowed: tuple[str, ...] | None = None):
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.fail(path + key, "must be a list of names, or null for all")
            return None
        if allowed is not None:
            for name in value:
                if name not in allowed:
                    self.fail(path + key, f"{name!r} is not one of {', '.join(allowed)}")
        return tuple(sorted(set(value))) or None

    def curve(self, data: Any, path: str) -> Curve | None:
        if not isinstance(data, Mapping):
            self.fail(path, "required (an object with type steps or linear)")
            return None
        kind = data.get("type")
        if kind == "steps":
            steps = data.get("steps")
            if not isinstance(steps, list) or not steps:
                self.fail(path + ".steps", "give at least one [threshold, achievement %] pair")
                return None
            pairs = []
            for index, step in enumerate(steps):
                where = f"{path}.steps[{index}]"
                if not isinstance(step, list | tuple) or len(step) != 2:
                    self.fail(where, "must be [threshold, achievement %]")
                    continue
                threshold = self.to_decimal(step[0], where + ".threshold")
                pct = self.to_decimal(step[1], where + ".achievement")
                if threshold is not None and pct is not None:
                    pairs.append((threshold, pct))
            return StepsCurve(tuple(pairs)) if len(pairs) == len(steps) else None
        if kind == "linear":
            values = {
                k: self.number(data, k, path + ".") for k in ("threshold", "floor", "target", "maximum", "ceiling")
            }
            if any(v is None for v in values.values()):
                return None
            return LinearCurve(**values)  # type: ignore[arg-type]
        self.fail(path + ".type", f"must be steps or linear, not {kind!r}")
        return None


def read_document(data: Any) -> SchemeDocument:
    """Check a parsed scheme document and return it, or raise SchemeFormatError naming every bad field."""
    reader = _Reader()
    if not isinstance(data, Mapping):
        raise SchemeFormatError(["document: must be a JSON object"])
    if data.get("format", FORMAT) != FORMAT:
        reader.fail("format", f"must be {FORMAT!r}")
    kind = reader.choice(data, "kind", "", KINDS, default="bonus")
    collective = kind == "interessement"
    code = reader.text(data, "code", "", limit=40)
    if code and not all(c.isalnum() or c in "-_." for c in code):
        reader.fail("code", "letters, digits, '-', '_' and '.' only")
    name = reader.text(data, "name", "")
    description = reader.text(data, "description", "", required=False, limit=5000)
    period_type = reader.choice(data, "period_type", "", PERIOD_TYPES)
    valid_from = reader.day(data, "valid_from", "", required=True)
    valid_to = reader.day(data, "valid_to", "", required=False)
    if valid_from and valid_to and valid_to < valid_from:
        reader.fail("valid_to", "before valid_from")
    # An intéressement scheme without a pay code of its own is paid on the company's intéressement code.
    pay_code = reader.text(data, "pay_code", "", limit=40, required=not collective)
    target = data.get("target")
    target_kind, target_value = "percent_of_base", Decimal(0)
    if collective:
        if target is not None:
            reader.fail("target", "an intéressement scheme has no individual target: its pool is in interessement.pool")
    elif not isinstance(target, Mapping):
        reader.fail("target", "required: {kind: percent_of_base | fixed, value: …}")
    else:
        target_kind = reader.choice(target, "kind", "target.", TARGET_KINDS)
        target_value = reader.number(target, "value", "target.") or Decimal(0)
    cap = reader.number(data, "cap", "", required=False)
    pool = reader.number(data, "pool", "", required=False)
    eligibility = data.get("eligibility") or {}
    if not isinstance(eligibility, Mapping):
        reader.fail("eligibility", "must be an object")
        eligibility = {}
    job_roles = reader.names(eligibility, "job_roles", "eligibility.", JOB_ROLES)
    store_codes = reader.names(eligibility, "stores", "eligibility.")
    regions = reader.names(eligibility, "regions", "eligibility.")
    min_tenure = reader.integer(eligibility, "min_tenure_days", "eligibility.", 0)
    at_end = eligibility.get("employed_at_period_end", False)
    if not isinstance(at_end, bool):
        reader.fail("eligibility.employed_at_period_end", "must be true or false")
        at_end = False
    terms = None
    if collective:
        for key, unset in (("job_roles", None), ("min_tenure_days", 0), ("employed_at_period_end", False)):
            if eligibility.get(key, unset) != unset:
                reader.fail(
                    f"eligibility.{key}",
                    "not for intéressement: every employee benefits, leavers included; "
                    "use interessement.seniority_months",
                )
        for key in ("cap", "pool"):
            if data.get(key) is not None:
                reader.fail(key, "not for intéressement: the caps are the law's, the pool is interessement.pool")
        terms = _terms(reader, data.get("interessement"))
    elif data.get("interessement") is not None:
        reader.fail("interessement", "only for a scheme of kind interessement")
    components: list[ComponentSpec] = []
    raw_components = data.get("components")
    if not isinstance(raw_components, list) or not raw_components:
        reader.fail("components", "give 1 to 3 components")
        raw_components = []
    keys: set[str] = set()
    for index, raw in enumerate(raw_components):
        path = f"components[{index}]."
        if not isinstance(raw, Mapping):
            reader.fail(path[:-1], "must be an object")
            continue
        kpi = reader.text(raw, "kpi", path, limit=40)
        key = reader.text(raw, "key", path, required=False, limit=40) or kpi
        if key in keys:
            reader.fail(path + "key", f"{key!r} is used twice")
        keys.add(key)
        direction = reader.choice(raw, "direction", path, DIRECTIONS, default=BUILTIN_KPIS.get(kpi, "higher"))
        scope = reader.choice(raw, "scope", path, SCOPES, default="store")
        weight = reader.number(raw, "weight", path)
        measure = reader.choice(raw, "measure", path, MEASURES, default="value")
        minimum = reader.integer(raw, "min_responses", path, 0)
        fallback = reader.choice(raw, "fallback", path, FALLBACKS, default="zero")
        curve = reader.curve(raw.get("curve"), path + "curve")
        if kpi and weight is not None and curve is not None:
            components.append(ComponentSpec(key, kpi, direction, scope, weight, measure, minimum, fallback, curve))
    if reader.errors:
        raise SchemeFormatError(reader.errors)
    document = SchemeDocument(
        code=code,
        name=name,
        description=description,
        period_type=period_type,
        valid_from=valid_from,  # type: ignore[arg-type]
        valid_to=valid_to,
        pay_code=pay_code,
        target_kind=target_kind,
        target_value=target_value,
        cap=cap,
        pool=pool,
        job_roles=job_roles,
        store_codes=store_codes,
        regions=regions,
        min_tenure_days=min_tenure,
        employed_at_period_end=at_end,
        components=tuple(components),
        kind=kind,
        interessement=terms,
    )
    if collective:
        errors, warnings = validate_interessement(document.interessement_spec(1), period_type), []
    else:
        errors, warnings = validate_scheme(document.spec(1))
    if errors:
        raise SchemeFormatError(errors)
    return SchemeDocument(**{**document.__dict__, "warnings": tuple(warnings)})


def _terms(reader: _Reader, raw: Any) -> InteressementTerms | None:
    """Read the `interessement` object of an intéressement scheme."""
    if not isinstance(raw, Mapping):
        reader.fail("interessement", "required for an intéressement scheme: pool_level, pool, subpools")
        return None
    path = "interessement."
    level = reader.choice(raw, "pool_level", path, POOL_LEVELS)
    pool = raw.get("pool")
    pool_kind, pool_value = "amount", None
    if not isinstance(pool, Mapping):
        reader.fail(path + "pool", "required: {kind: amount | percent_of_payroll, value: …}")
    else:
        pool_kind = reader.choice(pool, "kind", path + "pool.", POOL_KINDS)
        pool_value = reader.number(pool, "value", path + "pool.")
    subpools = []
    raw_subpools = raw.get("subpools")
    if not isinstance(raw_subpools, list) or not raw_subpools:
        reader.fail(path + "subpools", "give 1 to 3 sub-pools: {basis: equal | salary | presence, share: …}")
        raw_subpools = []
    for index, sub in enumerate(raw_subpools):
        where = f"{path}subpools[{index}]"
        if not isinstance(sub, Mapping):
            reader.fail(where, "must be an object")
            continue
        basis = reader.choice(sub, "basis", where + ".", BASES)
        share = reader.number(sub, "share", where + ".")
        if share is not None:
            subpools.append(SubPool(basis, share))
    seniority = raw.get("seniority_months", 0)
    if isinstance(seniority, bool) or not isinstance(seniority, int):
        reader.fail(path + "seniority_months", "a whole number of months from 0 to 3")
        seniority = 0
    redistribution = reader.choice(raw, "cap_redistribution", path, REDISTRIBUTIONS, default="redistribute")
    if pool_value is None:
        return None
    return InteressementTerms(level, pool_kind, pool_value, tuple(subpools), seniority, redistribution)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _curve(curve: Curve) -> dict[str, Any]:
    if isinstance(curve, StepsCurve):
        return {"type": "steps", "steps": [[_text(t), _text(p)] for t, p in curve.steps]}
    return {
        "type": "linear",
        **{k: _text(getattr(curve, k)) for k in ("threshold", "floor", "target", "maximum", "ceiling")},
    }


def write_document(document: SchemeDocument, version: int | None = None) -> dict[str, Any]:
    """The JSON-ready form of a scheme document (decimals as strings, so nothing is lost)."""
    data: dict[str, Any] = {"format": FORMAT, "code": document.code}
    if version is not None:
        data["version"] = version
    if document.is_interessement:
        # Written only for intéressement, so a bonus scheme's stored document stays as it always was.
        data["kind"] = document.kind
    data.update(
        {
            "name": document.name,
            "description": document.description,
            "period_type": document.period_type,
            "valid_from": document.valid_from.isoformat(),
            "valid_to": document.valid_to.isoformat() if document.valid_to else None,
            "pay_code": document.pay_code,
            "target": {"kind": document.target_kind, "value": _text(document.target_value)},
            "cap": _text(document.cap),
            "pool": _text(document.pool),
            "eligibility": {
                "job_roles": list(document.job_roles) if document.job_roles else None,
                "stores": list(document.store_codes) if document.store_codes else None,
                "regions": list(document.regions) if document.regions else None,
                "min_tenure_days": document.min_tenure_days,
                "employed_at_period_end": document.employed_at_period_end,
            },
            **_collective_fields(document),
            "components": [
                {
                    "key": c.key,
                    "kpi": c.kpi_code,
                    "direction": c.direction,
                    "scope": c.scope,
                    "weight": _text(c.weight),
                    "measure": c.measure,
                    "min_responses": c.min_responses,
                    "fallback": c.fallback,
                    "curve": _curve(c.curve),
                }
                for c in document.components
            ],
        }
    )
    if document.is_interessement:
        for name in ("target", "cap", "pool"):
            del data[name]
        for name in ("job_roles", "min_tenure_days", "employed_at_period_end"):
            del data["eligibility"][name]
    return data


def _collective_fields(document: SchemeDocument) -> dict[str, Any]:
    terms = document.interessement
    if terms is None:
        return {}
    return {
        "interessement": {
            "pool_level": terms.pool_level,
            "pool": {"kind": terms.pool_kind, "value": _text(terms.pool_value)},
            "subpools": [{"basis": s.basis, "share": _text(s.share)} for s in terms.subpools],
            "seniority_months": terms.seniority_months,
            "cap_redistribution": terms.cap_redistribution,
        }
    }
