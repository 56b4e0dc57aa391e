"""What the incentive pages share: the 409 page, the company's day and currency, curve previews."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import NoReturn

from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.exceptions import Conflict

from app.auth.models import User
from app.incentives import charts
from app.incentives.engine import Curve, LinearCurve, StepsCurve, curve_from_dict, validate_curve
from app.incentives.forms import STEP_ROWS


def conflict(message: str) -> NoReturn:
    """Stop with a 409 page that says why the action is refused."""
    exc = Conflict(description=_("This cannot be done now: %(reason)s", reason=message))
    exc.primo_message = True  # type: ignore[attr-defined]
    raise exc


def acting_user() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def currency() -> str:
    return current_app.config["PRIMO_CURRENCY"]


def _decimal(text: str | None) -> Decimal | None:
    text = (text or "").strip().replace(",", ".").replace(" ", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def curve_from_fields(get: Callable[[str], str | None]) -> Curve | None:
    """A curve from designer fields (`get("threshold")`, `get("steps-0-threshold")` …), None when incomplete."""
    if get("curve_type") == "steps":
        steps = []
        for row in range(STEP_ROWS):
            threshold, pct = _decimal(get(f"steps-{row}-threshold")), _decimal(get(f"steps-{row}-achievement"))
            if threshold is not None and pct is not None:
                steps.append((threshold, pct))
        return StepsCurve(tuple(steps)) if steps else None
    values = {name: _decimal(get(name)) for name in ("threshold", "floor", "target", "maximum", "ceiling")}
    if any(v is None for v in values.values()):
        return None
    return LinearCurve(**values)  # type: ignore[arg-type]


def curve_preview(get: Callable[[str], str | None]) -> tuple[Markup, list[str]]:
    """The curve chart of a component's fields, and what is wrong with the curve (if anything)."""
    direction = get("direction") if get("direction") in ("higher", "lower") else "higher"
    kpi = get("kpi") or ""
    curve = curve_from_fields(get)
    problems = validate_curve(curve, direction) if curve is not None else []
    chart = charts.curve_chart(
        curve,
        direction,
        title=_("Payout curve"),
        kpi_code=kpi,
        empty_text=_("Fill in the curve to see it here.") if curve is None else _("This curve has a mistake."),
        x_label=kpi.upper() if kpi else "",
    )
    return chart, problems


def as_decimal(value: object) -> Decimal | None:
    """A number stored as text in a trace, back as a Decimal for fmt.number (never a float)."""
    if value is None or value == "":
        return None
    return Decimal(str(value))


def printed(value: object) -> str:
    """A KPI figure in the page's locale with the decimals it was printed with ("35,0", "86,25")."""
    from app.core import formatting

    return formatting.printed(as_decimal(value))


def trace_charts(trace: dict) -> list[Markup]:
    """Each component of a stored line drawn on its curve, with the value that was measured."""
    found = []
    # An intéressement share is measured on its pool's components.
    for c in trace.get("components") or trace.get("pool", {}).get("components", []):
        marker = charts.measured_marker(
            as_decimal(c.get("measured")), c.get("measure"), as_decimal(c.get("lower")), as_decimal(c.get("upper"))
        )
        found.append(
            charts.curve_chart(
                curve_from_dict(c["curve"]),
                c.get("direction", "higher"),
                title=_("Payout curve of %(key)s", key=c["key"]),
                kpi_code=c["kpi_code"],
                marker=marker,
                x_label=c["kpi_code"].upper(),
                css_class="chart chart-curve chart-small",
            )
        )
    return found
