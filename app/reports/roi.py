"""Programme ROI per store or region and period: recognition points awarded and redeemed (and what the redeemed
rewards cost), the unspent points still owed, the bonus cost, and how NPS, CSAT and eNPS moved since the period
before.

eNPS comes from the latest pulse survey whose period overlaps the report's, exactly as that survey's results page
shows it (app/pulse/results.py): a group hidden there for anonymity is hidden here too ("not enough answers"), so
the report reveals nothing the results page does not.

A correlation, not a cause: the report and its workbook say so. Money stays Decimal; the workbook reuses
app.reports.xlsx_layout so every amount shows in full.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from openpyxl import Workbook

from app.core.tabular import neutralise
from app.extensions import db
from app.feedback.aggregate import Scope, kpis
from app.money import ZERO, round_half_up
from app.org.models import Assignment, Region, Store
from app.periods import Period, PeriodError
from app.pulse import results as pulse_results
from app.pulse.models import PulseSurvey
from app.recognition.models import PointsEntry, Redemption, RedemptionStatus
from app.reports import reporting
from app.reports.xlsx_layout import fit_columns

BY = ("store", "region")
CAVEAT = (
    "Correlation, not causation: scores move for many reasons (season, staffing, the survey's sample); "
    "read the change beside its margin of error."
)

ENPS_NOTE = (
    "eNPS: the latest pulse survey whose period overlaps the report's, as its results page shows it; "
    "'not enough answers' where a group has fewer than 5 answers or a subtraction would reveal fewer."
)


@dataclass(frozen=True)
class RoiRow:
    key: str  # store code or region name
    label: str
    points_awarded: int
    points_redeemed: int
    redeemed_cost: Decimal  # the euro value of the rewards fulfilled in the period
    unspent_points: int  # balances at the period's end of the people there then
    liability: Decimal | None  # unspent points at the period's euro value per point (None: no valued redemption)
    bonus_cost: Decimal
    nps: Decimal | None
    nps_change: Decimal | None
    csat: Decimal | None
    csat_change: Decimal | None
    enps: Decimal | None = None
    enps_change: Decimal | None = None  # None when either survey hides the group, or both periods share one survey
    enps_hidden: bool = False  # fewer than 5 answers, or a subtraction would reveal fewer: nothing shown


@dataclass(frozen=True)
class TrendPoint:
    month: str
    points_redeemed: int
    cost: Decimal


def _store_on(day: date) -> dict[int, int]:
    """Each employee's store on a day."""
    rows = db.session.execute(
        sa.select(Assignment.employee_id, Assignment.store_id).where(
            Assignment.start_date <= day, sa.or_(Assignment.end_date.is_(None), Assignment.end_date >= day)
        )
    )
    return dict(rows.tuples().all())


def _stores() -> dict[int, tuple[str, str, str]]:
    """store id → (code, name, region name)."""
    rows = db.session.execute(sa.select(Store.id, Store.code, Store.name, Region.name).join(Region))
    return {sid: (code, name, region) for sid, code, name, region in rows}


def value_per_point(until: date) -> Decimal | None:
    """What a point has been worth in fulfilled rewards up to a day (euro value over points), or None."""
    points, value = db.session.execute(
        sa.select(sa.func.sum(Redemption.points), sa.func.sum(Redemption.euro_value)).where(
            Redemption.status == RedemptionStatus.FULFILLED.value,
            Redemption.euro_value.is_not(None),
            Redemption.fulfilled_on <= until,
        )
    ).one()
    if not points or value is None:
        return None
    return Decimal(value) / Decimal(points)


def survey_for(period: Period) -> PulseSurvey | None:
    """The latest pulse survey (by the end of its period, then the newest) whose period overlaps `period`."""
    found: list[tuple[date, int, PulseSurvey]] = []
    for survey in db.session.scalars(sa.select(PulseSurvey)):
        try:
            asked = Period.parse(survey.period)
        except PeriodError:  # pragma: no cover  (surveys are created with a checked period)
            continue
        if asked.start <= period.end and asked.end >= period.start:
            found.append((asked.end, survey.id, survey))
    return max(found, key=lambda f: (f[0], f[1]))[2] if found else None


def _enps_figures(survey: PulseSurvey | None, by: str) -> dict[str, pulse_results.Figure]:
    """Each store's (or region's) eNPS figure as the survey's results page shows it, hidden ones included."""
    if survey is None:
        return {}
    res = pulse_results.results(survey)
    if by == "region":
        return {f.key: f for f in res.regions}
    return {f.key: f for _region, f in res.stores}


def report(period: Period, by: str = "store") -> list[RoiRow]:
    """The ROI rows of every store (or region) for a period, by key."""
    if by not in BY:
        raise ValueError(f"by: store or region, not {by!r}")
    stores = _stores()
    start, end = period.start, period.end

    def key_of(store_id: int | None) -> str | None:
        if store_id is None or store_id not in stores:
            return None
        code, _name, region = stores[store_id]
        return code if by == "store" else region

    home_at_end = _store_on(end)
    awarded: dict[str, int] = defaultdict(int)
    for employee_id, store_id, points in db.session.execute(
        sa.select(PointsEntry.employee_id, PointsEntry.store_id, PointsEntry.points).where(
            PointsEntry.kind == "earn", PointsEntry.on_date >= start, PointsEntry.on_date <= end
        )
    ):
        key = key_of(store_id or home_at_end.get(employee_id))
        if key:
            awarded[key] += points
    redeemed: dict[str, int] = defaultdict(int)
    cost: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for redemption in db.session.scalars(
        sa.select(Redemption).where(
            Redemption.status == RedemptionStatus.FULFILLED.value,
            Redemption.fulfilled_on >= start,
            Redemption.fulfilled_on <= end,
        )
    ):
        key = key_of(home_at_end.get(redemption.employee_id))
        if key:
            redeemed[key] += redemption.points
            cost[key] += redemption.euro_value or ZERO
    unspent: dict[str, int] = defaultdict(int)
    for employee_id, balance in db.session.execute(
        sa.select(PointsEntry.employee_id, sa.func.sum(PointsEntry.points))
        .where(PointsEntry.on_date <= end)
        .group_by(PointsEntry.employee_id)
    ):
        key = key_of(home_at_end.get(employee_id))
        if key and balance:
            unspent[key] += int(balance)
    rate = value_per_point(end)
    bonus = {row.key: row.amount for row in reporting.cost(str(period), by)}

    rows = []
    keys: dict[str, tuple[str, Scope]] = {}
    for store_id, (code, name, _region) in stores.items():
        if by == "store":
            keys[code] = (f"{code} — {name}", Scope.store(store_id))
    if by == "region":
        for region_id, region in db.session.execute(sa.select(Region.id, Region.name)):
            keys[region] = (region, Scope.region(region_id))
    survey, survey_before = survey_for(period), survey_for(period.previous())
    enps_now = _enps_figures(survey, by)
    # The same survey for both periods (a quarterly pulse in monthly reports) measures no change.
    enps_before = _enps_figures(survey_before, by) if survey_before is not survey else {}
    for key in sorted(keys):
        label, scope = keys[key]
        figure, figure_before = enps_now.get(key), enps_before.get(key)
        enps = figure.result.nps if figure is not None and figure.result is not None else None
        enps_was = figure_before.result.nps if figure_before is not None and figure_before.result is not None else None
        now, before = kpis(scope, period), kpis(scope, period.previous())
        nps = now.nps.nps if now.nps else None
        nps_before = before.nps.nps if before.nps else None
        csat = now.csat.csat if now.csat else None
        csat_before = before.csat.csat if before.csat else None
        rows.append(
            RoiRow(
                key=key,
                label=label,
                points_awarded=awarded[key],
                points_redeemed=redeemed[key],
                redeemed_cost=cost[key],
                unspent_points=unspent[key],
                liability=round_half_up(unspent[key] * rate) if rate is not None else None,
                bonus_cost=bonus.get(key, ZERO),
                nps=nps,
                nps_change=nps - nps_before if nps is not None and nps_before is not None else None,
                csat=csat,
                csat_change=csat - csat_before if csat is not None and csat_before is not None else None,
                enps=enps,
                enps_change=enps - enps_was if enps is not None and enps_was is not None else None,
                enps_hidden=figure is not None and figure.hidden,
            )
        )
    return rows


def redemption_trend(last: Period, months: int = 12) -> list[TrendPoint]:
    """Points redeemed and their cost per month, company-wide, for the months up to the end of `last`."""
    first = Period.containing(last.end, "month").shifted(-(months - 1))
    totals: dict[str, tuple[int, Decimal]] = {}
    for redemption in db.session.scalars(
        sa.select(Redemption).where(
            Redemption.status == RedemptionStatus.FULFILLED.value,
            Redemption.fulfilled_on >= first.start,
            Redemption.fulfilled_on <= last.end,
        )
    ):
        month = str(Period.containing(redemption.fulfilled_on, "month"))
        points, value = totals.get(month, (0, ZERO))
        totals[month] = (points + redemption.points, value + (redemption.euro_value or ZERO))
    trend = []
    for step in range(months):
        month = str(first.shifted(step))
        points, value = totals.get(month, (0, ZERO))
        trend.append(TrendPoint(month, points, value))
    return trend


HEADER = (
    "period",
    "key",
    "label",
    "points_awarded",
    "points_redeemed",
    "redeemed_cost",
    "unspent_points",
    "liability",
    "bonus_cost",
    "nps",
    "nps_change",
    "csat",
    "csat_change",
    "enps",
    "enps_change",
)


def roi_xlsx(period: Period, by: str, rows: Sequence[RoiRow], trend: Sequence[TrendPoint]) -> bytes:
    """The ROI workbook: one sheet of rows, one of the monthly redemption trend, one with the caveat."""
    hidden = _("not enough answers")
    workbook = Workbook()
    ws = workbook.active
    ws.title = "roi"
    ws.append(list(HEADER))
    for r in rows:
        ws.append(
            [
                str(period),
                neutralise(r.key),
                neutralise(r.label),
                r.points_awarded,
                r.points_redeemed,
                r.redeemed_cost,
                r.unspent_points,
                r.liability,
                r.bonus_cost,
                r.nps,
                r.nps_change,
                r.csat,
                r.csat_change,
                hidden if r.enps_hidden else r.enps,
                hidden if r.enps_hidden else r.enps_change,
            ]
        )
    for column, number_format in {
        6: reporting.MONEY,
        8: reporting.MONEY,
        9: reporting.MONEY,
        10: "0.0",
        11: "+0.0;-0.0;0.0",
        12: "0.00",
        13: "+0.00;-0.00;0.00",
        14: "0.0",
        15: "+0.0;-0.0;0.0",
    }.items():
        for (cell,) in ws.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = number_format
    ws.freeze_panes = "A2"
    fit_columns(ws)
    sheet = workbook.create_sheet("redemption_trend")
    sheet.append(["month", "points_redeemed", "cost"])
    for point in trend:
        sheet.append([point.month, point.points_redeemed, point.cost])
    for (cell,) in sheet.iter_rows(min_row=2, min_col=3, max_col=3):
        cell.number_format = reporting.MONEY
    fit_columns(sheet)
    notes = workbook.create_sheet("read_me")
    notes.append([CAVEAT])
    notes.append([f"by {by}; liability values unspent points at what fulfilled rewards were worth per point"])
    notes.append([ENPS_NOTE])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
