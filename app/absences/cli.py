"""`flask absences import FILE` and `flask absences kinds`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.absences import services
from app.core.cli_support import fail_import, read_bytes
from app.core.tabular import ImportRejected, read_table
from app.extensions import db

absences_cli = AppGroup("absences", help="Employees' absences and the kinds that count as presence.")


@absences_cli.command("import")
@click.argument("file")
def import_absences(file: str) -> None:
    """Import absences (employee_number,start,end,kind) from CSV or XLSX, all or nothing; known ones are skipped."""
    try:
        services.ensure_default_kinds()
        plan = services.plan_absences(read_table(read_bytes(file), file, services.ABSENCE_COLUMNS))
        summary = services.apply_absences(plan)
    except ImportRejected as exc:
        fail_import(exc)
    db.session.commit()
    click.echo(f"{summary['new']} new, {summary['unchanged']} already imported")


@absences_cli.command("kinds")
def list_kinds() -> None:
    """List the absence kinds: code, whether they count as presence, English and French names."""
    kinds = services.list_kinds()
    db.session.commit()  # the defaults, stored on a new database
    for kind in kinds:
        counts = "counts as presence" if kind.counts_as_presence else "deducted from presence"
        click.echo(f"{kind.code}\t{counts}\t{kind.label_en}\t{kind.label_fr}")
