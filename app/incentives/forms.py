"""Forms of the scheme designer, the JSON import and the publication of objectives.

Numbers are text fields: the designer hands them to `scheme_format.read_document`, which reads them as Decimals
and names every bad field; nothing here ever turns an amount into a float.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.core import labels

COMPONENT_SLOTS = 3
STEP_ROWS = 5


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


PERIOD_TYPES = _choices([("quarter", _l("Quarter")), ("month", _l("Month")), ("year", _l("Year"))])
TARGET_KINDS = _choices(labels.choices("target_kind"))
JOB_ROLES = _choices(labels.choices("job_role"))
DIRECTIONS = _choices(labels.choices("direction"))
SCOPES = _choices(labels.choices("scope"))
MEASURES = _choices(labels.choices("measure"))
FALLBACKS = _choices(labels.choices("fallback"))
CURVE_TYPES = _choices(labels.choices("curve"))


class StepForm(Form):
    threshold = StringField(_l("Threshold"), validators=[Optional(), Length(max=20)])
    achievement = StringField(_l("Achievement %"), validators=[Optional(), Length(max=20)])


class ComponentForm(Form):
    """One component: a KPI, how it is measured and weighted, its fallback and its payout curve."""

    key = HiddenField()
    kpi = SelectField(_l("KPI"), validators=[Optional()])
    direction = SelectField(_l("Direction"), choices=DIRECTIONS, default="higher")
    scope = SelectField(_l("Scope"), choices=SCOPES, default="store")
    weight = StringField(_l("Weight %"), validators=[Optional(), Length(max=20)])
    measure = SelectField(_l("Measured as"), choices=MEASURES, default="value")
    min_responses = StringField(_l("Minimum responses"), validators=[Optional(), Length(max=6)], default="30")
    fallback = SelectField(_l("When there are fewer responses"), choices=FALLBACKS, default="zero")
    curve_type = SelectField(_l("Payout curve"), choices=CURVE_TYPES, default="linear")
    threshold = StringField(_l("Threshold (pays the floor)"), validators=[Optional(), Length(max=20)])
    floor = StringField(_l("Floor %"), validators=[Optional(), Length(max=20)])
    target = StringField(_l("Target (pays 100 %)"), validators=[Optional(), Length(max=20)])
    maximum = StringField(_l("Maximum (pays the ceiling)"), validators=[Optional(), Length(max=20)])
    ceiling = StringField(_l("Ceiling %"), validators=[Optional(), Length(max=20)])
    steps = FieldList(FormField(StepForm), min_entries=STEP_ROWS, max_entries=STEP_ROWS)


class SchemeForm(FlaskForm):
    """The whole scheme on one page, a fieldset per part; `read_document` does the checking."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description (printed on statements)"), validators=[Length(max=5000)])
    period_type = SelectField(_l("Paid per"), choices=PERIOD_TYPES, default="quarter")
    valid_from = StringField(_l("Valid from (YYYY-MM-DD)"), validators=[DataRequired(), Length(max=10)])
    valid_to = StringField(_l("Valid to (optional)"), validators=[Optional(), Length(max=10)])
    pay_code = StringField(_l("Pay code"), validators=[DataRequired(), Length(max=40)])
    target_kind = SelectField(_l("Target bonus"), choices=TARGET_KINDS, default="percent_of_base")
    target_value = StringField(_l("Target value (% or amount)"), validators=[DataRequired(), Length(max=20)])
    cap = StringField(_l("Cap per employee and period (optional)"), validators=[Optional(), Length(max=20)])
    pool = StringField(_l("Budget pool for the run (optional)"), validators=[Optional(), Length(max=20)])
    job_roles = MultiCheckboxField(_l("Job roles (none ticked: all)"), choices=JOB_ROLES)
    stores = SelectMultipleField(_l("Stores (none: all)"), choices=[])
    regions = SelectMultipleField(_l("Regions (none: all)"), choices=[])
    min_tenure_days = StringField(_l("Minimum tenure in days"), validators=[Optional(), Length(max=6)], default="0")
    employed_at_period_end = BooleanField(_l("Must be employed at the end of the period"))
    components = FieldList(FormField(ComponentForm), min_entries=COMPONENT_SLOTS, max_entries=COMPONENT_SLOTS)


class ImportSchemeForm(FlaskForm):
    file = FileField(_l("Scheme file (JSON)"), validators=[FileRequired(), FileAllowed(["json"], _l("JSON only."))])


class PublishForm(FlaskForm):
    version = SelectField(_l("Version"), coerce=int, validators=[DataRequired()])
    period = StringField(_l("Period (e.g. 2027-Q1)"), validators=[DataRequired(), Length(max=10)])


class SimulationForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: nothing is saved

    scheme = SelectField(_l("Scheme version"), validators=[DataRequired()])
    compare = SelectField(_l("Compare with (optional)"), validators=[Optional()])
    period = StringField(_l("Period"), validators=[DataRequired(), Length(max=10)])


# --- between the form and the scheme document ------------------------------------------------------------


def _number(text: str | None) -> str | int | None:
    """A decimal typed in the form, as the document's text ("62,5" → "62.5"); empty → None."""
    text = (text or "").strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    return text or None


def _integer(text: str | None, default: int) -> int | str:
    text = (text or "").strip()
    if not text:
        return default
    return int(text) if text.isdigit() else text  # a non-number is left for read_document to name


@dataclass
class Layout:
    """Which form slots became which document entries, so an error on components[1] lands on the right field."""

    components: list[int] = field(default_factory=list)
    steps: dict[int, list[int]] = field(default_factory=dict)


def document_data(form: SchemeForm) -> tuple[dict[str, Any], Layout]:
    """The scheme document the form describes (components whose KPI is chosen, step rows that are filled)."""
    layout = Layout()
    components = []
    used_keys: set[str] = set()
    for slot, entry in enumerate(form.components):
        c = entry.form
        if not c.kpi.data:
            continue
        layout.components.append(slot)
        key = (c.key.data or "").strip() or c.kpi.data
        if key in used_keys:
            key = f"{c.kpi.data}-{slot + 1}"
        used_keys.add(key)
        curve: dict[str, Any] = {"type": c.curve_type.data}
        if c.curve_type.data == "steps":
            rows = []
            layout.steps[slot] = []
            for row, step in enumerate(c.steps):
                threshold, pct = _number(step.form.threshold.data), _number(step.form.achievement.data)
                if threshold is None and pct is None:
                    continue
                layout.steps[slot].append(row)
                rows.append([threshold, pct])
            curve["steps"] = rows
        else:
            for name in ("threshold", "floor", "target", "maximum", "ceiling"):
                curve[name] = _number(getattr(c, name).data)
        components.append(
            {
                "key": key,
                "kpi": c.kpi.data,
                "direction": c.direction.data,
                "scope": c.scope.data,
                "weight": _number(c.weight.data),
                "measure": c.measure.data,
                "min_responses": _integer(c.min_responses.data, 0),
                "fallback": c.fallback.data,
                "curve": curve,
            }
        )
    data = {
        "format": "primo-scheme/1",
        "code": (form.code.data or "").strip(),
        "name": (form.name.data or "").strip(),
        "description": (form.description.data or "").strip(),
        "period_type": form.period_type.data,
        "valid_from": (form.valid_from.data or "").strip(),
        "valid_to": (form.valid_to.data or "").strip() or None,
        "pay_code": (form.pay_code.data or "").strip(),
        "target": {"kind": form.target_kind.data, "value": _number(form.target_value.data)},
        "cap": _number(form.cap.data),
        "pool": _number(form.pool.data),
        "eligibility": {
            "job_roles": list(form.job_roles.data or []) or None,
            "stores": list(form.stores.data or []) or None,
            "regions": list(form.regions.data or []) or None,
            "min_tenure_days": _integer(form.min_tenure_days.data, 0),
            "employed_at_period_end": bool(form.employed_at_period_end.data),
        },
        "components": components,
    }
    return data, layout


def form_data(document: dict[str, Any]) -> dict[str, Any]:
    """The form's initial data from a stored scheme document."""
    eligibility = document.get("eligibility") or {}
    components = []
    for c in document.get("components", [])[:COMPONENT_SLOTS]:
        curve = c.get("curve") or {}
        entry = {
            "key": c.get("key"),
            "kpi": c.get("kpi"),
            "direction": c.get("direction", "higher"),
            "scope": c.get("scope", "store"),
            "weight": c.get("weight"),
            "measure": c.get("measure", "value"),
            "min_responses": str(c.get("min_responses", 0)),
            "fallback": c.get("fallback", "zero"),
            "curve_type": curve.get("type", "linear"),
            "steps": [{"threshold": t, "achievement": p} for t, p in curve.get("steps", [])][:STEP_ROWS],
        }
        for name in ("threshold", "floor", "target", "maximum", "ceiling"):
            entry[name] = curve.get(name)
        components.append(entry)
    target = document.get("target") or {}
    return {
        "code": document.get("code"),
        "name": document.get("name"),
        "description": document.get("description"),
        "period_type": document.get("period_type"),
        "valid_from": document.get("valid_from"),
        "valid_to": document.get("valid_to") or "",
        "pay_code": document.get("pay_code"),
        "target_kind": target.get("kind"),
        "target_value": target.get("value"),
        "cap": document.get("cap") or "",
        "pool": document.get("pool") or "",
        "job_roles": eligibility.get("job_roles") or [],
        "stores": eligibility.get("stores") or [],
        "regions": eligibility.get("regions") or [],
        "min_tenure_days": str(eligibility.get("min_tenure_days", 0)),
        "employed_at_period_end": bool(eligibility.get("employed_at_period_end")),
        "components": components,
    }


_PATH = re.compile(r"^(?P<path>[a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)*)")
_INDEXED = re.compile(r"^(?P<name>[a-z_]+)\[(?P<index>\d+)\]$")
TOP_FIELDS = {
    "code": "code",
    "name": "name",
    "description": "description",
    "period_type": "period_type",
    "valid_from": "valid_from",
    "valid_to": "valid_to",
    "pay_code": "pay_code",
    "target": "target_value",
    "target.kind": "target_kind",
    "target_kind": "target_kind",
    "target.value": "target_value",
    "target_value": "target_value",
    "cap": "cap",
    "pool": "pool",
    "eligibility": "job_roles",
    "eligibility.job_roles": "job_roles",
    "job_roles": "job_roles",
    "eligibility.stores": "stores",
    "store_codes": "stores",
    "eligibility.regions": "regions",
    "regions": "regions",
    "eligibility.min_tenure_days": "min_tenure_days",
    "min_tenure_days": "min_tenure_days",
    "eligibility.employed_at_period_end": "employed_at_period_end",
}
COMPONENT_FIELDS = {
    "kpi": "kpi",
    "kpi_code": "kpi",
    "key": "kpi",
    "direction": "direction",
    "scope": "scope",
    "weight": "weight",
    "measure": "measure",
    "min_responses": "min_responses",
    "fallback": "fallback",
    "curve": "curve_type",
    "curve.type": "curve_type",
    "curve.steps": "steps",
}
CURVE_FIELDS = ("threshold", "floor", "target", "maximum", "ceiling")


def _add(field_: Any, message: str) -> None:
    field_.errors = [*field_.errors, labels.problem_text(message, with_field=False)]


def apply_errors(form: SchemeForm, errors: list[str], layout: Layout) -> list[str]:
    """Put each of read_document's errors on the field it names; return those that name no single field."""
    general: list[str] = []
    for message in errors:
        if message.startswith("component weights must add up"):
            for slot in layout.components:
                _add(form.components[slot].form.weight, message)
            if not layout.components:
                general.append(labels.problem_text(message))
            continue
        if message.startswith("components must number") or message.startswith("components:"):
            _add(form.components[0].form.kpi, message)
            continue
        match = _PATH.match(message)
        path = match.group("path") if match else ""
        target = _component_field(form, path, layout) if path.startswith("components[") else None
        if target is None and path in TOP_FIELDS:
            target = getattr(form, TOP_FIELDS[path])
        if target is None:
            general.append(labels.problem_text(message))
        else:
            _add(target, message)
    return general


def _component_field(form: SchemeForm, path: str, layout: Layout) -> Any:
    head, _, rest = path.partition(".")
    index = int(_INDEXED.match(head).group("index"))  # type: ignore[union-attr]
    if index >= len(layout.components):
        return None
    slot = layout.components[index]
    component = form.components[slot].form
    if rest.startswith("curve.steps["):
        step_head, _, step_field = rest.removeprefix("curve.").partition(".")
        row_index = int(_INDEXED.match(step_head).group("index"))  # type: ignore[union-attr]
        rows = layout.steps.get(slot, [])
        row = rows[row_index] if row_index < len(rows) else 0
        step = component.steps[row].form
        return step.achievement if step_field == "achievement" else step.threshold
    if rest == "curve.steps":
        return component.steps[0].form.threshold
    if rest.startswith("curve.") and rest.removeprefix("curve.") in CURVE_FIELDS:
        return getattr(component, rest.removeprefix("curve."))
    name = COMPONENT_FIELDS.get(rest)
    return getattr(component, name) if name and name != "steps" else None
