"""`flask webhooks add URL --event E …`, `list [--json]`, `send-due` and `purge [--older-than DAYS]`."""

from __future__ import annotations

import json

import click
from flask import g
from flask.cli import AppGroup

from app.core.cli_support import fail
from app.extensions import db

webhooks_cli = AppGroup("webhooks", help="Outgoing webhooks: endpoints and their deliveries.")


@webhooks_cli.command("add")
@click.argument("url")
@click.option("--event", "events", multiple=True, required=True, help="An event type; repeat for several.")
@click.option("--description", default="", help="A note for HR (at most 200 characters).")
def add_command(url: str, events: tuple[str, ...], description: str) -> None:
    """Register an endpoint; prints its signing secret (shown once) last."""
    from app.webhooks.services import EndpointError, create_endpoint

    g.primo_actor_label = "cli"
    try:
        created = create_endpoint(url, events, description, "cli")
    except EndpointError as exc:
        fail(str(exc))
    db.session.commit()
    click.echo(f"endpoint {created.endpoint.id}: {created.endpoint.url} ({', '.join(created.endpoint.events)})")
    click.echo(created.secret)


@webhooks_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_command(as_json: bool) -> None:
    """List the endpoints with their events and how their deliveries stand (never their secrets)."""
    import sqlalchemy as sa

    from app.webhooks.models import WebhookDelivery
    from app.webhooks.services import endpoints

    rows = []
    for endpoint in endpoints():
        counts: dict[str, int] = {
            status: n
            for status, n in db.session.execute(
                sa.select(WebhookDelivery.status, sa.func.count())
                .where(WebhookDelivery.endpoint_id == endpoint.id)
                .group_by(WebhookDelivery.status)
            )
        }
        rows.append(
            {
                "id": endpoint.id,
                "url": endpoint.url,
                "events": endpoint.events,
                "description": endpoint.description,
                "active": endpoint.active,
                "created_at": endpoint.created_at.isoformat(),
                "deliveries": {s: counts.get(s, 0) for s in ("pending", "sending", "delivered", "failed")},
            }
        )
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        state = "active" if row["active"] else "off"
        click.echo(f"{row['id']}\t{state}\t{row['url']}\t{','.join(row['events'])}\t{row['deliveries']}")


@webhooks_cli.command("send-due")
def send_due_command() -> None:
    """Send deliveries whose time has come that the queue lost (the broker was down); safe to run again."""
    from app.webhooks.services import send_due

    g.primo_actor_label = "cli"
    click.echo(f"{send_due()} deliveries delivered")


@webhooks_cli.command("purge")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=1),
    default=90,
    show_default=True,
    help="Days a finished delivery and its event's contents are kept.",
)
def purge_command(days: int) -> None:
    """Remove delivered and failed deliveries (with their attempts) older than the limit, and clear the contents
    of events left without deliveries; pending ones stay. Safe to run again."""
    from datetime import timedelta

    from app.webhooks.services import purge

    g.primo_actor_label = "cli"
    purged = purge(timedelta(days=days))
    db.session.commit()
    click.echo(f"{purged.deliveries} deliveries removed, {purged.events} events cleared")
