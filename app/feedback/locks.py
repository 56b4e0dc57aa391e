"""Temporary: ingest.py and routes_ingest.py import from here; delete once they import app.feedback.paid_months."""

from app.feedback.paid_months import locked_months, month_label

__all__ = ["locked_months", "month_label"]
