"""Routes of the feedback blueprint (api)."""

from app.feedback import bp  # noqa: F401
