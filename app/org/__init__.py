"""Regions, stores, employees and assignments: pages, imports, export."""

from flask import Blueprint

bp = Blueprint("org", __name__)

from app.org import routes  # noqa: E402, F401
