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
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
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
