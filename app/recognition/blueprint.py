"""The recognition blueprint and its route modules."""

from flask import Blueprint

bp = Blueprint("recognition", __name__, url_prefix="/recognition")

from app.recognition import routes, routes_manage, routes_rules  # noqa: E402, F401  (each adds its views to `bp`)
