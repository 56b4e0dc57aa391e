"""The command groups `flask surveys …` and `flask feedback …`; their commands are in cli_ingest.py."""

from flask.cli import AppGroup

surveys_cli = AppGroup("surveys", help="Survey responses.")
feedback_cli = AppGroup("feedback", help="Feedback sources and data retention.")
