"""`flask kpis show|define|import`: survey KPIs of a scope and period, and HR's other KPIs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.core import jsonout
from app.core.cli_support import fail, fail_import, read_bytes
from app.core.tabular import ImportRejected, read_table
from app.extensions import db
from app.feedback import other_kpis
from app.feedback.aggregate import Scope, kpis
from app.feedback.kpi import KpiSummary
from app.feedback.models import KPI_AGGREGATES, KPI_DIRECTIONS
from app.org.models import Region, Store
from app.periods import Period, PeriodError

kpis_cli = AppGroup("kpis", help="KPI definitions, values and figures.")


def kpis_report(scope: Scope, period: Period, store: Store | None = None, region: Region | None = None) -> dict:
    """The figures `kpis show` prints, as a JSON-ready dict (numbers rounded as printed)."""
    summary = kpis(scope, period)
    followup = other_kpis.followup_share(scope, period)
    report: dict[str, Any] = {
        "scope": scope.kind,
        "store": store.code if store else None,
    }
    if scope.kind == "region":
        report["region"] = region.name if region else None
    report["period"] = str(period)
    report.update(summary.as_json_dict())
    report["followup_48h"] = followup.value
    report["followup_n"] = followup.n
    return report


def _text(value: Decimal | None) -> str:
    return "—" if value is None else str(value)


def _table(title: str, summary: KpiSummary, followup: other_kpis.FollowupShare) -> str:
    nps, csat, ces = summary.nps, summary.csat, summary.ces
    assert nps and csat and ces
    rows = [
        ("NPS", _text(nps.nps), _text(nps.moe), str(nps.n)),
        ("CSAT %", _text(csat.csat), _text(csat.moe), str(csat.n)),
        ("CES", _text(ces.mean), _text(ces.moe), str(ces.n)),
        ("Follow-up 48 h %", _text(followup.value), "", str(followup.n)),
    ]
    lines = [title, f"{'KPI':18} {'value':>8} {'±95 %':>8} {'n':>7}"]
    lines += [f"{name:18} {value:>8} {moe:>8} {n:>7}" for name, value, moe, n in rows]
    lines.append(f"NPS answers: {nps.promoters} promoters, {nps.passives} passives, {nps.detractors} detractors")
    return "\n".join(lines)


@kpis_cli.command("show")
@click.option("--store", "store_code", help="A store code.")
@click.option("--region", "region_name", help="A region name (its stores' responses pooled).")
@click.option("--company", is_flag=True, help="Every store's responses pooled.")
@click.option("--period", required=True, help="2026-07, 2026-Q3 or 2026.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def show(store_code: str | None, region_name: str | None, company: bool, period: str, as_json: bool) -> None:
    """Print NPS, CSAT and CES with n and margins for a store, a region or the company."""
    if sum(bool(x) for x in (store_code, region_name, company)) != 1:
        fail("give exactly one of --store CODE, --region NAME or --company")
    try:
        chosen = Period.parse(period)
    except PeriodError as exc:
        fail(f"--period: {exc}")
    store = region = None
    if store_code:
        store = db.session.scalar(sa.select(Store).where(Store.code == store_code.strip()))
        if store is None:
            fail(f"--store: unknown store {store_code!r}")
        scope = Scope.store(store.id)
        title = f"Store {store.code} ({store.name}) · {chosen}"
    elif region_name:
        region = db.session.scalar(sa.select(Region).where(Region.name == region_name.strip()))
        if region is None:
            fail(f"--region: unknown region {region_name!r}")
        scope = Scope.region(region.id)
        title = f"Region {region.name} · {chosen}"
    else:
        scope = Scope.company()
        title = f"Company · {chosen}"
    if as_json:
        click.echo(jsonout.dumps(kpis_report(scope, chosen, store, region)))
    else:
        click.echo(_table(title, kpis(scope, chosen), other_kpis.followup_share(scope, chosen)))


@kpis_cli.command("define")
@click.argument("code")
@click.option("--name", required=True, help="What the KPI measures, e.g. 'Return rate'.")
@click.option("--unit", default="", help="e.g. %, €, stars.")
@click.option("--direction", type=click.Choice(KPI_DIRECTIONS), required=True, help="Which way is better.")
@click.option("--aggregate", type=click.Choice(KPI_AGGREGATES), required=True, help="How months make a quarter.")
def define(code: str, name: str, unit: str, direction: str, aggregate: str) -> None:
    """Define a KPI other than NPS/CSAT/CES, or update the one with this code."""
    try:
        kpi, created = other_kpis.define_kpi(code, name, unit, direction, aggregate)
    except other_kpis.KpiError as exc:
        fail(str(exc))
    db.session.commit()
    click.echo(f"KPI {kpi.code} {'defined' if created else 'updated'}.")


@kpis_cli.command("import")
@click.argument("path", metavar="FILE")
def import_values(path: str) -> None:
    """Import KPI values from a kpi_code,store_code,period,value file (CSV or XLSX), all or nothing."""
    content = read_bytes(path)
    try:
        summary = other_kpis.import_values(read_table(content, path, other_kpis.IMPORT_COLUMNS))
    except ImportRejected as exc:
        fail_import(exc)
    db.session.commit()
    click.echo("KPI values imported: {new} new, {changed} changed, {unchanged} unchanged.".format(**summary))
