"""Routes of the feedback blueprint (routes_dashboard)."""

from app.feedback import bp  # noqa: F401
