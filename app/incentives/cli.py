"""`flask schemes import FILE`, `flask schemes export CODE [--version V]`."""

from __future__ import annotations

import json
from decimal import Decimal

import click
from flask.cli import AppGroup

from app.core.cli_support import fail, read_bytes
from app.extensions import db
from app.incentives.scheme_format import SchemeFormatError, read_document
from app.incentives.schemes import SchemeError, export_document, save_document

schemes_cli = AppGroup("schemes", help="Bonus schemes.")


@schemes_cli.command("import")
@click.argument("file")
def import_scheme(file: str) -> None:
    """Import a scheme document (JSON); a frozen scheme gets a new version, an identical one changes nothing."""
    try:
        data = json.loads(read_bytes(file).decode("utf-8-sig"), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:  # RecursionError: nested too deeply
        fail(f"{file} is not JSON: {exc}")
    try:
        document = read_document(data)
    except SchemeFormatError as exc:
        db.session.rollback()
        for error in exc.errors:
            click.echo(f"Error: {error}", err=True)
        fail(f"{file}: {len(exc.errors)} problem(s); nothing was imported")
    version, outcome = save_document(document)
    db.session.commit()
    for warning in document.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(f"{document.code} version {version.version}: {outcome}")


@schemes_cli.command("export")
@click.argument("code")
@click.option("--version", "version", type=int, default=None, help="Version number (default: the latest).")
def export_scheme(code: str, version: int | None) -> None:
    """Print a scheme version as JSON (the import format)."""
    try:
        document = export_document(code, version)
    except SchemeError as exc:
        fail(str(exc))
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))


runs_cli = AppGroup("runs", help="Bonus runs: create, compute, adjust, submit, approve, reject, show.")


def _run(run_id: int):
    from app.incentives.runs import RunError, get_run

    try:
        return get_run(run_id)
    except RunError as exc:
        fail(str(exc))


def _act(action) -> None:
    """Carry out one run action in one transaction, or print why not and write nothing."""
    from app.incentives.runs import RunError

    try:
        action()
    except RunError as exc:
        fail(str(exc))
    db.session.commit()


@runs_cli.command("create")
@click.option("--scheme", "code", required=True, help="Scheme code.")
@click.option("--version", "version", type=int, default=None, help="Version (default: the latest).")
@click.option("--period", required=True, help="2026-07, 2026-Q3 or 2026, matching the scheme's period type.")
@click.option(
    "--corrective-reason",
    default=None,
    help="Why a period already paid is run again: the run is corrective and pays only the difference.",
)
def create_run_command(code: str, version: int | None, period: str, corrective_reason: str | None) -> None:
    """Open a draft run; its id is printed alone on the last line."""
    from app.incentives.runs import RunError, create_run, run_warnings

    try:
        run = create_run(code, period, version, corrective_reason)
    except (RunError, SchemeError) as exc:
        fail(str(exc))
    db.session.commit()
    for warning in run_warnings(run):
        click.echo(f"Warning: {warning}", err=True)
    kind = "corrective run" if run.corrective else "run"
    corrects = f" (corrects run {run.corrects_run_id})" if run.corrective else ""
    click.echo(f"draft {kind} of {code} v{run.version.version} for {run.period}{corrects}")
    click.echo(str(run.id))


@runs_cli.command("compute")
@click.argument("run_id", type=int)
def compute_command(run_id: int) -> None:
    """Compute (or recompute) a draft run from the current data."""
    from app.incentives.runs import compute

    run = _run(run_id)
    _act(lambda: compute(run))
    click.echo(f"run {run.id}: {len(run.lines)} lines, total {run.total}")


@runs_cli.command("adjust")
@click.argument("run_id", type=int)
@click.option("--employee", "employee_number", required=True)
@click.option("--amount", required=True, help="Signed amount, e.g. 25.00 or -10.50.")
@click.option("--reason", required=True)
@click.option("--user", "email", required=True, help="The HR user making the adjustment.")
def adjust_command(run_id: int, employee_number: str, amount: str, reason: str, email: str) -> None:
    """Add a signed manual amount with its reason to a draft run."""
    from app.incentives.runs import adjust, user_by_email

    run = _run(run_id)
    _act(lambda: adjust(run, employee_number, amount, reason, user_by_email(email)))
    click.echo(f"run {run.id}: adjusted {employee_number} by {amount}; total {run.total}")


@runs_cli.command("submit")
@click.argument("run_id", type=int)
@click.option("--user", "email", required=True)
@click.option("--comment", default=None, help="A note for the approver, kept in the run's history.")
def submit_command(run_id: int, email: str, comment: str | None) -> None:
    """Submit a computed draft run for approval."""
    from app.incentives.runs import submit, user_by_email

    run = _run(run_id)
    _act(lambda: submit(run, user_by_email(email), comment))
    click.echo(f"run {run.id}: submitted")


@runs_cli.command("approve")
@click.argument("run_id", type=int)
@click.option("--user", "email", required=True)
@click.option("--comment", default=None, help="A note kept in the run's history.")
def approve_command(run_id: int, email: str, comment: str | None) -> None:
    """Approve a submitted run (a second HR user: four eyes)."""
    from app.incentives.runs import approve, user_by_email

    run = _run(run_id)
    _act(lambda: approve(run, user_by_email(email), comment))
    click.echo(f"run {run.id}: approved" + (" (an advance: its period is not over)" if run.advance else ""))


@runs_cli.command("reject")
@click.argument("run_id", type=int)
@click.option("--user", "email", required=True)
@click.option("--comment", required=True)
def reject_command(run_id: int, email: str, comment: str) -> None:
    """Send a submitted run back to draft with a comment."""
    from app.incentives.runs import reject, user_by_email

    run = _run(run_id)
    _act(lambda: reject(run, user_by_email(email), comment))
    click.echo(f"run {run.id}: back to draft")


@runs_cli.command("show")
@click.argument("run_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def show_command(run_id: int, as_json: bool) -> None:
    """Show a run, its lines and totals."""
    from app.incentives.runs import run_as_json

    data = run_as_json(_run(run_id))
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    kind = f" corrective of run {data['corrects_run_id']}" if data["corrective"] else ""
    kind += " advance" if data["advance"] else ""
    click.echo(f"run {data['id']}: {data['scheme']} v{data['version']} {data['period']} {data['status']}{kind}")
    for line in data["lines"]:  # type: ignore[union-attr]
        click.echo(f"  {line['employee_number']:10} {line['store_code']:8} {line['amount']:>12}")
    click.echo(f"  total {data['total']}")


interessement_cli = AppGroup("interessement", help="Intéressement: gross pay per period, the PASS, the pay code.")


@interessement_cli.command("import-gross-pay")
@click.argument("path", metavar="FILE")
def import_gross_pay_command(path: str) -> None:
    """Import gross pay from an employee_number,period,gross_pay file (CSV or XLSX), all or nothing."""
    from app.core.cli_support import fail_import
    from app.core.tabular import ImportRejected, read_table
    from app.incentives import gross_pay

    content = read_bytes(path)
    try:
        summary = gross_pay.import_gross_pay(read_table(content, path, gross_pay.IMPORT_COLUMNS))
    except ImportRejected as exc:
        fail_import(exc)
    db.session.commit()
    click.echo("Gross pay imported: {new} new, {changed} changed, {unchanged} unchanged.".format(**summary))


@interessement_cli.command("settings")
@click.option("--pass", "passes", multiple=True, metavar="YEAR=AMOUNT", help="The PASS of a year, e.g. 2027=49000.")
@click.option("--pay-code", default=None, help="The pay code of intéressement when a scheme names none.")
def settings_command(passes: tuple[str, ...], pay_code: str | None) -> None:
    """Show the PASS per year and the intéressement pay code; change them with the options."""
    from app.incentives import gross_pay

    if passes or pay_code is not None:
        years: dict[int, Decimal] = {}
        for item in passes:
            year, _sep, amount = item.partition("=")
            try:
                years[int(year)] = Decimal(amount.strip())
            except (ValueError, ArithmeticError):
                fail(f"pass: {item!r} is not YEAR=AMOUNT")
        try:
            gross_pay.save_settings(years, pay_code)
        except gross_pay.SettingsError as exc:
            fail(str(exc))
        db.session.commit()
    settings = gross_pay.load_settings()
    click.echo(f"pay_code {settings.pay_code}")
    for year, amount in sorted(settings.pass_by_year.items()):
        click.echo(f"pass {year} {amount}")
