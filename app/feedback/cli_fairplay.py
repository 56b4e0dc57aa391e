"""`flask engagement import`, `flask invitations import` and `flask feedback flags`."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.core import jsonout
from app.core.cli_support import fail, fail_import, read_bytes
from app.core.tabular import ImportRejected, read_table
from app.extensions import db
from app.feedback import engagement, flags
from app.feedback.cli import feedback_cli
from app.org.models import Store
from app.periods import Period, PeriodError

engagement_cli = AppGroup("engagement", help="Engagement figures per store and period (turnover, absenteeism).")
invitations_cli = AppGroup("invitations", help="Survey invitations per store and period (response rate).")

SUMMARY = "{what} imported: {new} new, {changed} changed, {unchanged} unchanged."


def _import(path: str, columns: tuple[str, ...], importer, what: str) -> None:
    content = read_bytes(path)
    try:
        summary = importer(read_table(content, path, columns))
    except ImportRejected as exc:
        fail_import(exc)
    db.session.commit()
    click.echo(SUMMARY.format(what=what, **summary))


@engagement_cli.command("import")
@click.argument("path", metavar="FILE")
def import_engagement(path: str) -> None:
    """Import store_code,period,headcount,leavers,absence_days,worked_days (CSV or XLSX), all or nothing."""
    _import(path, engagement.ENGAGEMENT_COLUMNS, engagement.import_engagement, "Engagement figures")


@invitations_cli.command("import")
@click.argument("path", metavar="FILE")
def import_invitations(path: str) -> None:
    """Import store_code,period,invitations (CSV or XLSX), all or nothing."""
    _import(path, engagement.INVITATION_COLUMNS, engagement.import_invitations, "Invitations")


@feedback_cli.command("flags")
@click.option("--period", required=True, help="2026-07, 2026-Q3 or 2026.")
@click.option("--store", "store_code", help="Only this store.")
@click.option("--recompute", is_flag=True, help="Compute the period's flags again first (every store, or --store).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of {rule, store, response_ids, evidence}.")
def list_flags(period: str, store_code: str | None, recompute: bool, as_json: bool) -> None:
    """List the anomaly flags of a period: the rule, the store, the responses and the evidence."""
    try:
        chosen = Period.parse(period)
    except PeriodError as exc:
        fail(f"--period: {exc}")
    store_ids = None
    if store_code:
        store = db.session.scalar(sa.select(Store).where(Store.code == store_code.strip()))
        if store is None:
            fail(f"--store: unknown store {store_code!r}")
        store_ids = [store.id]
    if recompute:
        months = [m.month_key for m in chosen.month_periods()]
        ids = store_ids or list(db.session.scalars(sa.select(Store.id)))
        flags.recompute([(s, m) for s in ids for m in months])
        db.session.commit()
    found = flags.flags_for(chosen, store_ids)
    if as_json:
        click.echo(jsonout.dumps([flags.as_json(f) for f in found]))
        return
    if not found:
        click.echo(f"No flags for {chosen}.")
    for flag in found:
        click.echo(
            f"{flag.store.code} {flag.evidence.get('month', '')} {flag.rule}: {len(flag.response_ids)} response(s)"
        )
