"""Command groups of the feedback feature: `flask surveys …`, `flask feedback …`, `flask kpis …`."""

from flask.cli import AppGroup

surveys_cli = AppGroup("surveys", help="Survey responses.")
feedback_cli = AppGroup("feedback", help="Feedback sources and data retention.")
kpis_cli = AppGroup("kpis", help="KPI definitions, values and figures.")

from app.feedback import cli_ingest, cli_kpis  # noqa: E402, F401
