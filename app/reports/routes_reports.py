"""HR reports: each a page with an SVG chart and the same figures as an xlsx download (GET: nothing changes)."""

from __future__ import annotations

from decimal import Decimal

from flask import Response, abort, render_template, request
from flask_babel import gettext as _

from app.auth.access import allow
from app.core import formatting
from app.core.downloads import download
from app.extensions import db
from app.incentives.models import PAID_STATUSES, BonusRun
from app.periods import Period
from app.reports import charts, reporting, roi
from app.reports.blueprint import bp

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(content: bytes, name: str) -> Response:
    return download(content, name, XLSX)


def _period(required: bool = False) -> tuple[str | None, list[str]]:
    """The period asked for (checked), else the latest one with a paid run; and the list to choose from."""
    periods = reporting.paid_periods()
    asked = request.args.get("period", "").strip()
    if asked == "all" and not required:
        return None, periods
    if asked:
        return str(Period.parse(asked)), periods  # a PeriodError is a 400 that names the period (app.core.web)
    return (periods[0] if periods else None), periods


@bp.route("/reports")
@allow("hr")
def reports_index():
    """The list of HR reports."""
    return render_template("reports/index.html")


@bp.route("/reports/cost")
@allow("hr")
def report_cost():
    """Bonus cost per store or region for a period (or all periods)."""
    period, periods = _period()
    by = "region" if request.args.get("by") == "region" else "store"
    rows = reporting.cost(period, by) if periods else []
    bars = [charts.Bar(f"{r.key} {r.period}" if period is None else r.key, r.amount, r.label) for r in rows]
    chart = charts.bar_chart(bars, title=_("Bonus cost"), value_text=formatting.money)
    total = sum((r.amount for r in rows), Decimal("0.00"))
    return render_template(
        "reports/cost.html", rows=rows, chart=chart, period=period, periods=periods, by=by, total=total
    )


@bp.route("/reports/cost.xlsx")
@allow("hr")
def report_cost_xlsx():
    """Bonus cost per store or region, as xlsx."""
    period, periods = _period()
    by = "region" if request.args.get("by") == "region" else "store"
    rows = reporting.cost(period, by) if periods else []
    return _xlsx(reporting.cost_xlsx(rows, by), f"bonus-cost-{by}-{period or 'all'}.xlsx")


def _distribution() -> tuple[reporting.Distribution, str | None, int | None, list[str]]:
    run_id = request.args.get("run", type=int)
    if run_id is not None:
        run = db.session.get(BonusRun, run_id)
        if run is None or run.status not in PAID_STATUSES:
            abort(404)
        return reporting.Distribution(reporting.employee_amounts(None, run_id)), run.period, run_id, []
    period, periods = _period()
    return reporting.Distribution(reporting.employee_amounts(period) if periods else []), period, None, periods


@bp.route("/reports/distribution")
@allow("hr")
def report_distribution():
    """How bonus amounts are spread over employees (per period or run): a histogram with count, median, zeros."""
    dist, period, run_id, periods = _distribution()
    bins = charts.histogram_bins(dist.amounts)
    chart = charts.histogram_chart(bins, title=_("Employees per amount"), edge_text=formatting.whole_money)
    return render_template(
        "reports/distribution.html", dist=dist, bins=bins, chart=chart, period=period, run_id=run_id, periods=periods
    )


@bp.route("/reports/distribution.xlsx")
@allow("hr")
def report_distribution_xlsx():
    """The distribution of amounts, as xlsx."""
    dist, period, run_id, _periods = _distribution()
    name = f"bonus-distribution-{('run-' + str(run_id)) if run_id else (period or 'all')}.xlsx"
    return _xlsx(reporting.distribution_xlsx(dist, charts.histogram_bins(dist.amounts)), name)


@bp.route("/reports/cost-vs-nps")
@allow("hr")
def report_cost_vs_nps():
    """Each store's bonus cost against its NPS for a period (scatter)."""
    period, periods = _period(required=True)
    points = reporting.cost_vs_nps(period) if period else []
    chart = charts.scatter_chart(
        [charts.ScatterPoint(p.code, p.nps, p.amount) for p in points if p.nps is not None],
        title=_("Bonus cost against NPS"),
        x_label=_("NPS of the period (points, −100 to 100)"),
        y_label=_("Bonus cost of the store (%(currency)s)", currency=formatting.currency_symbol()),
        y_text=formatting.whole_money,
    )
    return render_template("reports/cost_vs_nps.html", points=points, chart=chart, period=period, periods=periods)


@bp.route("/reports/cost-vs-nps.xlsx")
@allow("hr")
def report_cost_vs_nps_xlsx():
    """Cost against NPS per store, as xlsx."""
    period, _periods = _period(required=True)
    points = reporting.cost_vs_nps(period) if period else []
    return _xlsx(reporting.cost_vs_nps_xlsx(points), f"cost-vs-nps-{period or 'none'}.xlsx")


def _recognition_period() -> str:
    asked = request.args.get("period", "").strip()
    return str(Period.parse(asked)) if asked else str(Period.parse(reporting.latest_month()))


@bp.route("/reports/recognition")
@allow("hr")
def report_recognition():
    """Recognition use per manager in a period: awards, points and badges given, allowance."""
    period = _recognition_period()
    rows = reporting.manager_use(period)
    bars = [charts.Bar(r.name or r.number, Decimal(r.points_given), r.number) for r in rows or []]
    chart = charts.bar_chart(bars, title=_("Points given per manager"), value_text=lambda v: formatting.number(v))
    return render_template("reports/recognition.html", rows=rows, chart=chart, period=period)


@bp.route("/reports/recognition.xlsx")
@allow("hr")
def report_recognition_xlsx():
    """Recognition use per manager, as xlsx."""
    period = _recognition_period()
    return _xlsx(reporting.manager_use_xlsx(reporting.manager_use(period) or []), f"recognition-use-{period}.xlsx")


def _roi_query() -> tuple[Period, str]:
    period = Period.parse(_recognition_period())
    return period, "region" if request.args.get("by") == "region" else "store"


@bp.route("/reports/roi")
@allow("hr")
def report_roi():
    """Programme ROI per store or region: points awarded and redeemed, liability, bonus cost, NPS/CSAT/eNPS change."""
    period, by = _roi_query()
    rows = roi.report(period, by)
    trend = roi.redemption_trend(period)
    survey = roi.survey_for(period)
    return render_template("reports/roi.html", rows=rows, trend=trend, period=str(period), by=by, survey=survey)


@bp.route("/reports/roi.xlsx")
@allow("hr")
def report_roi_xlsx():
    """Programme ROI, as xlsx (with the monthly redemption trend and the caveat)."""
    period, by = _roi_query()
    content = roi.roi_xlsx(period, by, roi.report(period, by), roi.redemption_trend(period))
    return _xlsx(content, f"programme-roi-{by}-{period}.xlsx")
