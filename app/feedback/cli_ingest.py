"""Commands of the feedback feature (cli_ingest)."""

from app.feedback.cli import feedback_cli, kpis_cli, surveys_cli  # noqa: F401
