"""Routes of the feedback blueprint (routes_ingest)."""

from app.feedback import bp  # noqa: F401
