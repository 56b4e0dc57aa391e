"""The incentives blueprint: its route modules and the template filters its pages use."""

from flask import Blueprint

bp = Blueprint("incentives", __name__)

from app.incentives import (  # noqa: E402, F401  (each route module adds its views to `bp`)
    routes_common,
    routes_employee,
    routes_interessement,
    routes_objectives,
    routes_questions,
    routes_runs,
    routes_schemes,
    routes_simulation,
    runs,
)

bp.add_app_template_filter(routes_common.as_decimal, "as_decimal")
bp.add_app_template_filter(routes_common.printed, "kpi_printed")
bp.add_app_template_filter(runs.status_label, "run_status")
bp.add_app_template_filter(runs.event_label, "run_event")
