"""Routes of the feedback blueprint (routes_cases)."""

from app.feedback import bp  # noqa: F401
