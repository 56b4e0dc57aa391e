"""Recognition: manager budgets, awards and badges, the points ledger, the rewards catalogue, feed and leaderboards."""

from flask import Blueprint

bp = Blueprint("recognition", __name__, url_prefix="/recognition")

from app.recognition import routes, routes_manage  # noqa: E402, F401
