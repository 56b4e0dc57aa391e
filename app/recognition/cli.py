"""`flask budgets set`, `flask points award|import|expire|balance`, `flask badges evaluate`."""

from __future__ import annotations

import json
from datetime import date

import click
import sqlalchemy as sa
from flask import g
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from app.core.cli_support import fail, fail_import, read_bytes
from app.core.tabular import ImportRejected, read_table
from app.extensions import db
from app.org.models import Employee
from app.periods import Period, PeriodError

budgets_cli = AppGroup("budgets", help="Managers' monthly points budgets.")
points_cli = AppGroup("points", help="Recognition points: awards, opening balances, expiry, balances.")
badges_cli = AppGroup("badges", help="Badges granted by rules.")


def _date(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{name}: {text!r} is not a date (YYYY-MM-DD)")


def _employee(number: str) -> Employee:
    employee = db.session.scalar(sa.select(Employee).where(Employee.number == number.strip()))
    if employee is None:
        fail(f"no employee {number!r}")
    return employee


def _commit() -> None:
    try:
        db.session.commit()
    except IntegrityError:
        fail("someone else changed the same records at the same time; nothing was written, try again")


@budgets_cli.command("set")
@click.option("--manager", "email", required=True, help="The manager's login e-mail.")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--points", "points_", type=int, required=True, help="The month's allowance in points.")
@click.option("--rollover/--no-rollover", default=None, help="Carry what is left into the next month.")
def set_budget_command(email: str, month: str, points_: int, rollover: bool | None) -> None:
    """Set a manager's points allowance for a month."""
    from app.recognition.budgets import BudgetError, manager_by_email, set_budget

    g.primo_actor_label = "cli"
    try:
        status, changed = set_budget(manager_by_email(email), month, points_, rollover)
    except BudgetError as exc:
        fail(str(exc))
    _commit()
    click.echo(
        f"{email} {status.month}: allowance {status.allowance}, carried {status.carried}, spent {status.spent}, "
        f"left {status.left}" + (", rolls over" if status.rollover else "") + ("" if changed else " (unchanged)")
    )


@points_cli.command("award")
@click.option("--manager", "email", required=True, help="The manager's login e-mail.")
@click.option("--employee", "number", required=True, help="The employee number.")
@click.option("--points", "points_", type=int, required=True)
@click.option("--message", required=True, help="At least 10 characters.")
@click.option("--badge", "badge_code", default=None, help="A badge code.")
@click.option("--private", is_flag=True, help="Leave it out of the public feed.")
def award_command(email: str, number: str, points_: int, message: str, badge_code: str | None, private: bool) -> None:
    """Award points (and a badge) to an employee of the manager's team."""
    from app.auth.services import find_user
    from app.recognition.awards import AwardError, award_points
    from app.recognition.badges import badge_by_code
    from app.recognition.budgets import BudgetError

    user = find_user(email)
    if user is None:
        fail(f"no user {email!r}")
    g.primo_actor = user
    badge = None
    if badge_code:
        badge = badge_by_code(badge_code)
        if badge is None:
            fail(f"no badge {badge_code!r}")
    try:
        award = award_points(user, _employee(number), points_, message, badge=badge, public=not private)
    except (AwardError, BudgetError) as exc:
        fail(str(exc))
    _commit()
    click.echo(f"award {award.id}: {award.points} points to {number}" + (f", badge {badge.code}" if badge else ""))


@points_cli.command("import")
@click.argument("file")
def import_command(file: str) -> None:
    """Import opening balances (employee_number,points,earned_on,reason), all or nothing; again adds nothing."""
    from app.recognition.points import IMPORT_COLUMNS, import_opening_balances

    g.primo_actor_label = "cli"
    try:
        result = import_opening_balances(read_table(read_bytes(file), file, IMPORT_COLUMNS))
    except ImportRejected as exc:
        fail_import(exc)
    _commit()
    click.echo(f"{result.imported} rows imported ({result.points} points), {result.already} already imported")


@points_cli.command("expire")
@click.option("--as-of", "as_of", default=None, help="YYYY-MM-DD (default: today).")
def expire_command(as_of: str | None) -> None:
    """Write the expiries due (dated when the points went) and apply the leavers' policy; idempotent."""
    from app.recognition.points import PointsError, expire_points

    g.primo_actor_label = "cli"
    try:
        run = expire_points(_date(as_of, "--as-of"))
    except PointsError as exc:
        fail(str(exc))
    _commit()
    click.echo(f"{run.points} points expired in {run.entries} entries for {run.employees} employees")


@points_cli.command("balance")
@click.argument("employee_number")
@click.option("--as-of", "as_of", default=None, help="YYYY-MM-DD (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def balance_command(employee_number: str, as_of: str | None, as_json: bool) -> None:
    """Print an employee's balance, held and lifetime points, tier and upcoming expiries."""
    from app.recognition.points import summary_of

    summary = summary_of(_employee(employee_number), _date(as_of, "--as-of"))
    if as_json:
        click.echo(json.dumps(summary.as_json_dict()))
        return
    click.echo(
        f"balance {summary.balance}, held {summary.held}, lifetime {summary.lifetime}, tier {summary.tier or '-'}"
    )
    for item in summary.expiring:
        click.echo(f"  {item.points} points gone on {item.date.isoformat()}")


@badges_cli.command("evaluate")
@click.option("--period", required=True, help="2026-07, 2026-Q3 or 2026.")
def evaluate_command(period: str) -> None:
    """Grant the rule-based badges earned in a period (never twice for the same rule, employee and period)."""
    from app.recognition.badges import BadgeError, evaluate

    g.primo_actor_label = "cli"
    try:
        result = evaluate(Period.parse(period))
    except (PeriodError, BadgeError) as exc:
        fail(str(exc))
    _commit()
    for note in result.skipped:
        click.echo(f"skipped {note}", err=True)
    click.echo(f"{len(result.granted)} badges granted, {result.already} already granted")
