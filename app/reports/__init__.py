"""Statements (page, PDF, Excel), bulk rendering on the queue, payroll exports and HR reports.

Builders take plain data and return bytes; routes and CLI commands turn them into downloads and files.
"""

from flask import Blueprint

bp = Blueprint("reports", __name__)

from app.reports import routes_payroll, routes_reports, routes_statements  # noqa: E402, F401
