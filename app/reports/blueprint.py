"""The reports blueprint and its route modules."""

from flask import Blueprint

bp = Blueprint("reports", __name__)

from app.reports import routes_payroll, routes_reports, routes_statements  # noqa: E402, F401  (each adds its views)
