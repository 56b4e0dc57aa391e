"""`flask users create --email E --role R [--role R2 …] [--employee N]`."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.auth.access import ROLES
from app.auth.services import AccountError, create_user
from app.core.cli_support import fail
from app.extensions import db

users_cli = AppGroup("users", help="User accounts.")


@users_cli.command("create")
@click.option("--email", required=True, help="Login e-mail address.")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES), help="Repeat for several.")
@click.option("--employee", "employee_number", default=None, help="Employee number this account belongs to.")
def create(email: str, roles: tuple[str, ...], employee_number: str | None) -> None:
    """Create a user; the password comes from standard input when it is not a terminal, else a prompt."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = create_user(email, roles, password=password, employee_number=employee_number)
    except AccountError as exc:
        fail(str(exc))
    db.session.commit()
    click.echo(f"created {user.email} ({', '.join(sorted(user.roles))})")
