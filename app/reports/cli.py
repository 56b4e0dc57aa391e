"""`flask statements …` and `flask payroll …`: render statements and export payroll files from the command line.

Errors go to stderr with a non-zero exit; each command commits once at the end.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import g
from flask.cli import with_appcontext

from app.auth.models import User
from app.core.cli_support import fail
from app.extensions import db
from app.incentives.models import BonusRun
from app.org.models import Employee
from app.reports import payroll
from app.reports.statements import documents


def _run(run_id: int) -> BonusRun:
    run = db.session.get(BonusRun, run_id)
    if run is None:
        fail(f"run: no run {run_id}")
    return run


def _write(path: str, content: bytes) -> None:
    try:
        Path(path).write_bytes(content)
    except OSError as exc:
        fail(f"--out: cannot write {path}: {exc.strerror}")


@click.group("statements")
def statements_cli() -> None:
    """Render bonus statements (PDF, Excel), one or all of a run."""


@statements_cli.command("render")
@click.argument("run_id", type=int)
@click.option("--employee", "number", required=True, help="Employee number.")
@click.option("--format", "fmt", type=click.Choice(documents.FORMATS), default="pdf", show_default=True)
@click.option("--out", required=True, help="File to write.")
@with_appcontext
def render_command(run_id: int, number: str, fmt: str, out: str) -> None:
    """Write one employee's statement for a run (the stored copy for an approved run)."""
    run = _run(run_id)
    employee = db.session.scalar(sa.select(Employee).where(Employee.number == number))
    if employee is None:
        fail(f"--employee: no employee {number}")
    try:
        statement = documents.obtain(run, employee, fmt)
    except documents.DocumentError as exc:
        fail(str(exc))
    db.session.commit()
    _write(out, statement.content)
    click.echo(f"{out}: {len(statement.content)} bytes, sha256 {statement.sha256}")


@statements_cli.command("bulk")
@click.argument("run_id", type=int)
@click.option("--out", required=True, help="File to write.")
@click.option("--format", "fmt", type=click.Choice(("zip", "pdf")), default="zip", show_default=True)
@click.option("--store", "store_code", default=None, help="Only the statements of this store's team.")
@with_appcontext
def bulk_command(run_id: int, out: str, fmt: str, store_code: str | None) -> None:
    """Write every statement of a run as a ZIP of PDFs or one merged PDF, showing progress on stderr."""
    run = _run(run_id)
    count = [0]

    def total(n: int) -> None:
        count[0] = n
        click.echo(f"rendering {n} statements", err=True)

    def progress(done: int) -> None:
        click.echo(f"\r{done}/{count[0]}", nl=done >= count[0], err=True)

    try:
        content = documents.bulk_statements(run, fmt, [store_code] if store_code else None, progress, total)
    except documents.DocumentError as exc:
        fail(str(exc))
    db.session.commit()
    _write(out, content)
    click.echo(f"{out}: {count[0]} statements, {len(content)} bytes")


@click.group("payroll")
def payroll_cli() -> None:
    """Payroll files: an approved run's bonuses, a period's recognition benefits."""


def _who(email: str | None) -> str:
    """The user an export is logged under: --user (a payroll or HR account), else the system user of the CLI."""
    if not email:
        label = f"cli:{getpass.getuser()}"
        g.primo_actor_label = label
        return label
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        fail(f"--user: no active account {email}")
    if not user.has_role("payroll", "hr"):
        fail(f"--user: {email} is neither a payroll nor an HR user")
    g.primo_actor = user
    return user.email


FORMAT = click.Choice(payroll.FORMATS)
SEPARATOR = click.Choice(payroll.DECIMAL_SEPARATORS)


@payroll_cli.command("export")
@click.argument("run_id", type=int)
@click.option("--format", "fmt", type=FORMAT, default="xlsx", show_default=True)
@click.option("--out", required=True, help="File to write.")
@click.option("--user", "email", default=None, help="Payroll or HR user the export is logged under.")
@click.option("--decimal-separator", default=",", type=SEPARATOR, show_default=True, help="CSV only.")
@with_appcontext
def export_command(run_id: int, fmt: str, out: str, email: str | None, decimal_separator: str) -> None:
    """Export an approved run for payroll; the export is logged and the run marked exported."""
    who = _who(email)
    run = _run(run_id)
    try:
        export = payroll.export_run(run, fmt, who, decimal_separator)
    except payroll.PayrollError as exc:
        fail(str(exc))
    _write(out, export.content)
    db.session.commit()
    click.echo(
        f"{out}: {len(export.payroll.rows)} rows, total {export.payroll.total}, "
        f"rows sha256 {export.log.rows_sha256}, file sha256 {export.log.file_sha256}"
    )


@payroll_cli.command("benefits")
@click.option("--period", required=True, help="e.g. 2026-07 or 2026-Q3")
@click.option("--format", "fmt", type=FORMAT, default="xlsx", show_default=True)
@click.option("--out", required=True, help="File to write.")
@click.option("--user", "email", default=None, help="Payroll or HR user the export is logged under.")
@click.option("--decimal-separator", default=",", type=SEPARATOR, show_default=True, help="CSV only.")
@with_appcontext
def benefits_command(period: str, fmt: str, out: str, email: str | None, decimal_separator: str) -> None:
    """Export a period's recognition benefits and days off for payroll, in the same layout; logged."""
    who = _who(email)
    try:
        export = payroll.export_benefits(period, fmt, who, decimal_separator)
    except payroll.PayrollError as exc:
        fail(str(exc))
    _write(out, export.content)
    db.session.commit()
    click.echo(f"{out}: {len(export.payroll.rows)} rows, total {export.payroll.total}", file=sys.stdout)
