"""`flask stores import FILE`, `flask employees import FILE`, `flask employees export FILE`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from flask.cli import AppGroup

from app.core.cli_support import fail, fail_import, read_bytes
from app.core.tabular import ImportRejected, Table, read_table
from app.extensions import db
from app.mappings import services as mappings
from app.org import services

stores_cli = AppGroup("stores", help="Stores and regions.")
employees_cli = AppGroup("employees", help="Employees and their store history.")


def _import(file: str, plan_fn: Callable[[Table], services.ImportPlan], apply_fn, columns: tuple[str, ...]) -> None:
    """Check the whole file, then write it in one transaction, or print every bad row and write nothing."""
    _apply(lambda: plan_fn(read_table(read_bytes(file), file, columns)), apply_fn)


def _apply(plan: Callable[[], services.ImportPlan], apply_fn) -> None:
    try:
        summary = apply_fn(plan())
    except ImportRejected as exc:
        fail_import(exc)
    db.session.commit()
    click.echo(f"{summary['new']} new, {summary['changed']} changed, {summary['unchanged']} unchanged")


@stores_cli.command("import")
@click.argument("file")
def import_stores(file: str) -> None:
    """Import stores (store_code,name,region,opened_on) from CSV or XLSX, all or nothing."""
    _import(file, services.plan_stores, services.apply_stores, services.STORE_COLUMNS)


@employees_cli.command("import")
@click.argument("file")
@click.option("--mapping", "mapping_name", help="Read an HRIS export through this saved column mapping.")
def import_employees(file: str, mapping_name: str | None) -> None:
    """Import employees from CSV or XLSX, all or nothing; a changed store opens a new assignment."""
    if not mapping_name:
        _import(file, services.plan_employees, services.apply_employees, services.EMPLOYEE_COLUMNS)
        return
    try:
        spec = mappings.spec_of(mappings.find_mapping(mapping_name, "employees"))
    except mappings.MappingNotFound as exc:
        fail(str(exc))
    _apply(lambda: mappings.plan_employees(read_bytes(file), file, spec)[0], services.apply_employees)


@employees_cli.command("export")
@click.argument("file")
@click.option(
    "--decimal-separator",
    type=click.Choice(services.DECIMAL_SEPARATORS),
    default=",",
    show_default=True,
    help="Decimal separator of fte and salaries (the file is `;`-separated either way).",
)
def export_employees(file: str, decimal_separator: str) -> None:
    """Write every employee as CSV in the import's columns (UTF-8 with BOM, `;`), as French Excel opens it."""
    content = services.export_employees(decimal_separator)
    try:
        Path(file).write_bytes(content)
    except OSError as exc:
        fail(f"cannot write {file}: {exc.strerror}")
    lines = content.count(b"\n") - 1
    click.echo(f"{lines} employees written to {file}")
