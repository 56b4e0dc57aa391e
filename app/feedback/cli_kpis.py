"""Commands of the feedback feature (cli_kpis)."""

from app.feedback.cli import feedback_cli, kpis_cli, surveys_cli  # noqa: F401
