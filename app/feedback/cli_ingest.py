"""`flask surveys import|undo`, `flask feedback purge`, `flask feedback sources add|list`."""

from __future__ import annotations

from datetime import date

import click
import sqlalchemy as sa

from app.core.cli_support import fail, fail_import
from app.core.tabular import ImportRejected
from app.extensions import db
from app.feedback import flags, ingest
from app.feedback.cli import feedback_cli, surveys_cli
from app.feedback.models import SOURCE_FORMATS, FeedbackSource
from app.feedback.sources import create_source
from app.feedback.webhook import REF_KEYS
from app.mappings import services as mappings


@surveys_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--source",
    help=f"Source the external ids belong to [default: the mapping's source, else {ingest.DEFAULT_SOURCE}].",
)
@click.option("--mapping", "mapping_name", help="Read another tool's export through this saved column mapping.")
def import_surveys(file: str, source: str | None, mapping_name: str | None) -> None:
    """Import survey responses from CSV or XLSX, all or nothing; ids already stored are skipped."""
    spec = None
    if mapping_name:
        try:
            mapping = mappings.find_mapping(mapping_name, "surveys")
        except mappings.MappingNotFound as exc:
            fail(str(exc))
        spec, source = mappings.spec_of(mapping), source or mapping.source
    try:
        summary = ingest.import_responses(file, file, source or ingest.DEFAULT_SOURCE, mapping=spec)
    except ImportRejected as exc:
        fail_import(exc)
    except ingest.IngestError as exc:
        fail(str(exc))
    db.session.commit()
    click.echo(
        f"batch {summary.batch_id}: {summary.rows} rows, {summary.new} new, "
        f"{summary.skipped} already imported, skipped; {summary.cases} follow-up case(s) opened"
    )


@surveys_cli.command("undo")
@click.argument("batch_id", type=int)
def undo_import(batch_id: int) -> None:
    """Undo an import batch: delete its responses, their contacts and cases."""
    try:
        counts = ingest.undo_batch(batch_id)
        flags.after_undo()
    except ingest.IngestError as exc:
        fail(str(exc))
    db.session.commit()
    click.echo(f"import {batch_id} undone: {counts['responses']} responses, {counts['cases']} case(s) deleted")


def _as_of(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@feedback_cli.command("purge")
@click.option("--as-of", "as_of", callback=_as_of, help="Erase what is due on or before this day (YYYY-MM-DD).")
def purge(as_of: date | None) -> None:
    """Erase customer contacts whose retention period is over (default: as of today); safe to run again."""
    erased = ingest.purge_contacts(as_of)
    db.session.commit()
    click.echo(f"{erased} customer contact(s) erased")


@feedback_cli.group("sources")
def sources_cli() -> None:
    """Webhook sources."""


def _refs(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    refs: dict[str, str] = {}
    for value in values:
        key, sep, ref = value.partition("=")
        if not sep or key not in REF_KEYS or not ref.strip():
            raise click.BadParameter(f"{value!r}: expected KEY=REF with KEY among {', '.join(REF_KEYS)}")
        refs[key] = ref.strip()
    return refs


@sources_cli.command("add")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(SOURCE_FORMATS), default="generic", show_default=True)
@click.option("--ref", "refs", multiple=True, callback=_refs, help="Typeform question ref, e.g. nps=REF (repeat).")
def add_source(name: str, fmt: str, refs: dict[str, str]) -> None:
    """Register a webhook source and print its signing secret (shown only now)."""
    try:
        source = create_source(name, fmt, refs)
    except ingest.IngestError as exc:
        fail(str(exc))
    db.session.commit()
    click.echo(f"source {source.name} ({source.format}) created; POST to /api/feedback/{source.name}")
    click.echo(f"secret: {source.secret}")


@sources_cli.command("list")
def list_sources() -> None:
    """List the webhook sources (never their secrets)."""
    for source in db.session.scalars(sa.select(FeedbackSource).order_by(FeedbackSource.name)):
        refs = ", ".join(f"{k}={v}" for k, v in sorted((source.question_refs or {}).items()))
        click.echo(f"{source.name}\t{source.format}\t{refs}")
