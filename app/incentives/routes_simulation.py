"""Simulation: run a scheme version over a past period on today's data, alone or beside another version.

A GET page: nothing is saved, so the same URL can be bookmarked and shared.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask import render_template, request
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from app.auth.access import allow
from app.core import clock, formatting
from app.extensions import db
from app.incentives import charts, simulation
from app.incentives.blueprint import bp
from app.incentives.forms import SimulationForm
from app.incentives.models import Scheme, SchemeVersion
from app.periods import Period


def _choices(optional: bool) -> list[SelectChoice]:
    versions = db.session.scalars(
        sa.select(SchemeVersion).join(Scheme).order_by(Scheme.code, SchemeVersion.version.desc())
    )
    choices = [SelectChoice("", _("— none —"))] if optional else []
    return choices + [
        SelectChoice(f"{v.scheme.code}:{v.version}", f"{v.scheme.code} v{v.version} — {v.name}") for v in versions
    ]


def _histogram(result: simulation.Simulation):
    def label(low: Decimal, high: Decimal) -> str:
        if high == 0:
            return _("nothing paid")
        return f"{formatting.money(low)} – {formatting.money(high)}"

    return charts.histogram_chart(
        result.bins,
        title=_("Employees by amount, %(code)s v%(v)d", code=result.code, v=result.version),
        label_of=label,
        edge_text=formatting.whole_money,
    )


@bp.route("/simulation")
@allow("hr")
def simulation_page():
    """Simulate one version (or compare two) over a period without saving anything."""
    form = SimulationForm(request.args)
    form.scheme.choices = _choices(False)
    form.compare.choices = _choices(True)
    if not request.args:
        form.period.data = str(Period.containing(clock.today(), "quarter").previous())
        return render_template("incentives/simulation.html", form=form, results=[], comparison=None, errors=[])
    results, errors = [], []
    if form.validate():
        for reference in [form.scheme.data] + ([form.compare.data] if form.compare.data else []):
            try:
                result = simulation.simulate(simulation.find_version(reference), form.period.data)
            except simulation.SimulationError as exc:
                errors.append(str(exc))
                continue
            results.append((result, _histogram(result)))
    comparison = None
    if len(results) == 2:
        comparison = simulation.compare_stores(results[0][0], results[1][0])
    status = 400 if errors or form.errors else 200
    return (
        render_template("incentives/simulation.html", form=form, results=results, comparison=comparison, errors=errors),
        status,
    )
