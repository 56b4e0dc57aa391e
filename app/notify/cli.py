"""`flask notify send-due [--as-of D]`: what the queue's schedule (or cron) runs; safe to run again."""

from __future__ import annotations

import json
from datetime import date

import click
from flask import g
from flask.cli import AppGroup

from app.core.cli_support import fail

notify_cli = AppGroup("notify", help="Notifications: e-mails, digests, home-page notices.")


@notify_cli.command("send-due")
@click.option("--as-of", "as_of", default=None, help="YYYY-MM-DD (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def send_due_command(as_of: str | None, as_json: bool) -> None:
    """Record overdue cases, expiring points and compliments, then send what is due (digests, leftovers)."""
    from app.notify.events import send_due

    g.primo_actor_label = "cli"
    day = None
    if as_of is not None:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            fail(f"--as-of: {as_of!r} is not a date (YYYY-MM-DD)")
    result = send_due(day)
    if as_json:
        click.echo(json.dumps(result.as_json_dict()))
    else:
        click.echo(
            f"{result.recorded} notifications recorded, {result.sent_immediate} e-mails sent, "
            f"{result.sent_digests} digests sent"
        )
