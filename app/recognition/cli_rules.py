"""`flask points rules add|list|on|off|apply` and `flask challenges create|list|settle`."""

from __future__ import annotations

import click
from flask import g
from flask.cli import AppGroup

from app.core.cli_support import fail
from app.core.jsonout import dumps
from app.extensions import db
from app.recognition.cli import _commit, _date, points_cli
from app.recognition.models import POINT_EVENTS, PointsRule

challenges_cli = AppGroup("challenges", help="Team challenges on a KPI, settled at their end.")


@points_cli.group("rules")
def rules_cli() -> None:
    """Automatic points: "when EVENT, award N points" rules."""


@rules_cli.command("add")
@click.option("--event", required=True, help=", ".join(POINT_EVENTS))
@click.option("--points", "points_", type=int, required=True, help="Points per occurrence (per member for store_kpi).")
@click.option("--badge", "badge_code", default=None, help="A badge code granted with the points.")
@click.option("--cap-per-month", "cap", type=int, default=None, help="At most this many points per employee a month.")
@click.option("--kpi", default=None, help="store_kpi only: nps, csat, ces or followup.")
@click.option("--threshold", default=None, help="store_kpi only: the figure a month must reach (CES: at most).")
@click.option("--min-answers", type=int, default=30, show_default=True, help="store_kpi only: answers needed.")
@click.option("--off", is_flag=True, help="Create it switched off.")
def add_rule_command(
    event: str,
    points_: int,
    badge_code: str | None,
    cap: int | None,
    kpi: str | None,
    threshold: str | None,
    min_answers: int,
    off: bool,
) -> None:
    """Add a rule that awards points (and perhaps a badge) when an event happens."""
    from app.recognition.rules import RuleError, add_rule

    g.primo_actor_label = "cli"
    try:
        rule = add_rule(
            event,
            points_,
            badge_code=badge_code,
            cap_per_month=cap,
            kpi=kpi,
            threshold=threshold,
            min_answers=min_answers,
            active=not off,
        )
    except RuleError as exc:
        fail(f"{exc.field}: {exc}" if exc.field else str(exc))
    _commit()
    click.echo(f"rule {rule.id}: when {rule.event}, {rule.points} points" + ("" if rule.active else " (off)"))


@rules_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_rules_command(as_json: bool) -> None:
    """List the rules, on and off."""
    from app.recognition.rules import all_rules, rule_dict

    rules = [rule_dict(rule) for rule in all_rules()]
    if as_json:
        click.echo(dumps(rules))
        return
    for rule in rules:
        cap = f", at most {rule['cap_per_month']} a month" if rule["cap_per_month"] else ""
        state = "on" if rule["active"] else "off"
        click.echo(f"{rule['id']}: when {rule['event']}, {rule['points']} points{cap} ({state})")


def _switch(rule_id: int, active: bool) -> None:
    from app.recognition.rules import set_active

    g.primo_actor_label = "cli"
    rule = db.session.get(PointsRule, rule_id)
    if rule is None:
        fail(f"no rule {rule_id}")
    set_active(rule, active)
    _commit()
    click.echo(f"rule {rule_id} {'on' if active else 'off'}")


@rules_cli.command("on")
@click.argument("rule_id", type=int)
def rule_on_command(rule_id: int) -> None:
    """Switch a rule on."""
    _switch(rule_id, True)


@rules_cli.command("off")
@click.argument("rule_id", type=int)
def rule_off_command(rule_id: int) -> None:
    """Switch a rule off."""
    _switch(rule_id, False)


@rules_cli.command("apply")
@click.option("--as-of", "as_of", default=None, help="YYYY-MM-DD (default: today).")
def apply_rules_command(as_of: str | None) -> None:
    """Pay anniversaries, last month's store KPIs and any promoter event missed; idempotent (run it daily)."""
    from app.core import clock
    from app.recognition.rules import apply

    g.primo_actor_label = "cli"
    day = _date(as_of, "--as-of")
    if day is not None and day > clock.today():
        fail(f"--as-of: {day.isoformat()} has not come yet")
    result = apply(day)
    _commit()
    click.echo(f"{result.total} points paid: " + ", ".join(f"{k} {v}" for k, v in result.points.items()))


@challenges_cli.command("create")
@click.option("--store", "store_code", default=None, help="A store code (or --region).")
@click.option("--region", "region_name", default=None, help="A region name (or --store).")
@click.option("--kpi", required=True, help="nps, csat, ces or followup (follow-up rate, %).")
@click.option("--goal", required=True, help="The figure to reach (CES: at most).")
@click.option("--from", "from_", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "to", required=True, help="Last day, YYYY-MM-DD.")
@click.option("--points", "points_", type=int, default=None, help="Points per member (pro-rata of presence).")
@click.option("--reward", "reward_id", type=int, default=None, help="A team reward from the catalogue (its id).")
@click.option("--min-answers", type=int, default=30, show_default=True, help="Answers (or cases) needed.")
@click.option("--name", default="", help="What the team reads (default: team, KPI and goal).")
def create_challenge_command(
    store_code: str | None,
    region_name: str | None,
    kpi: str,
    goal: str,
    from_: str,
    to: str,
    points_: int | None,
    reward_id: int | None,
    min_answers: int,
    name: str,
) -> None:
    """Create a challenge for a store or region team; prints its id last."""
    from app.recognition.challenges import ChallengeError, create_challenge

    g.primo_actor_label = "cli"
    starts_on, ends_on = _date(from_, "--from"), _date(to, "--to")
    assert starts_on is not None and ends_on is not None
    try:
        challenge = create_challenge(
            store_code=store_code,
            region_name=region_name,
            kpi=kpi,
            goal=goal,
            starts_on=starts_on,
            ends_on=ends_on,
            points_per_member=points_,
            reward_id=reward_id,
            min_answers=min_answers,
            name=name,
        )
    except ChallengeError as exc:
        fail(f"--{exc.field}: {exc}" if exc.field else str(exc))
    _commit()
    click.echo(f"challenge {challenge.name}")
    click.echo(challenge.id)


@challenges_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_challenges_command(as_json: bool) -> None:
    """List the challenges with their status and result."""
    from app.recognition.challenges import all_challenges, challenge_dict

    rows = [challenge_dict(c) for c in all_challenges()]
    if as_json:
        click.echo(dumps(rows))
        return
    for row in rows:
        click.echo(f"{row['id']}: {row['name']} {row['from']}..{row['to']} {row['status']}")


@challenges_cli.command("settle")
@click.option("--as-of", "as_of", default=None, help="YYYY-MM-DD (default: today).")
def settle_command(as_of: str | None) -> None:
    """Settle the challenges over by then and pay the teams that met their goal; idempotent."""
    from app.recognition.challenges import ChallengeError, settle

    g.primo_actor_label = "cli"
    try:
        result = settle(_date(as_of, "--as-of"))
    except ChallengeError as exc:
        fail(str(exc))
    _commit()
    click.echo(f"{len(result.met)} met, {len(result.missed)} missed, {result.points} points paid")
