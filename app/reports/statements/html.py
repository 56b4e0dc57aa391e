"""The statement as HTML: a standalone document (for the PDF) or a page of the site, in the employee's language.

Plain `StatementData` in, text out; it knows nothing of HTTP or the database, but needs an application context
(templates and the message catalogue).
"""

from __future__ import annotations

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from app.incentives import charts
from app.incentives.engine import curve_from_dict
from app.incentives.runs import status_label
from app.reports.statements.data import ComponentView, StatementData
from app.reports.statements.labels import (
    curve_lines,
    fallback_label,
    job_role_label,
    measure_label,
    numbers_for,
    presence_formula,
    scope_label,
    weighted_formula,
)


def curve_svg(component: ComponentView, *, sparse: bool = False) -> Markup:
    """The component's payout curve with where the measured KPI sits: the chart "my bonus" draws.

    `sparse` (the PDF) draws the shape, thresholds and marker without labels: the curve in words beside it gives
    every figure, and each SVG label is costly to print.
    """
    return charts.curve_chart(
        curve_from_dict(component.curve),
        component.direction,
        title=_("Payout curve of %(kpi)s", kpi=component.kpi_name),
        kpi_code=component.kpi_code,
        marker=charts.measured_marker(component.measured, component.measure, component.lower, component.upper),
        x_label=component.kpi_name + (f" ({component.unit})" if component.unit else ""),
        sparse=sparse,
    )


def _context(data: StatementData, logo_src: str | None, *, printed: bool = False) -> dict:
    f = numbers_for(data)
    curves = {(i, c.key): curve_svg(c, sparse=printed) for i, part in enumerate(data.parts) for c in part.components}
    if data.share is not None:
        curves.update({("share", c.key): curve_svg(c, sparse=printed) for c in data.share.components})
    return {
        "s": data,
        "f": f,
        "curves": curves,
        "curve_lines": lambda c: curve_lines(c, f),
        "measure_label": lambda c: measure_label(c, f),
        "scope_label": scope_label,
        "fallback_label": lambda c: fallback_label(c, f),
        "status_label": status_label,
        "job_role_label": job_role_label,
        "weighted_formula": lambda part: weighted_formula(part, f),
        "presence_formula": lambda part: presence_formula(part, f),
        "logo_src": logo_src,
    }


def build_statement_html(data: StatementData, *, page: bool = False, logo_src: str | None = None, **extra) -> str:
    """The statement as a standalone HTML document (for WeasyPrint), or as a page of the site when `page`."""
    with force_locale(data.language):
        if page:
            return render_template("reports/statement_page.html", **_context(data, logo_src), **extra)
        return render_template("reports/statement_document.html", **_context(data, data.logo or None, printed=True))
