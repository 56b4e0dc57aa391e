"""The feedback blueprint and its route modules."""

from flask import Blueprint

bp = Blueprint("feedback", __name__)

from app.feedback import (  # noqa: E402, F401  (each adds its views)
    api,
    routes_cases,
    routes_dashboard,
    routes_fairplay,
    routes_ingest,
)
