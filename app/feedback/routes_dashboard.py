"""Dashboards (company, region, store), a store's latest comments, and HR's pages for other KPIs.

HR sees the company and every region and store; a manager lands on their region or store and gets a 404 for any
other; employees and payroll get a 403 (payroll reads approved runs, not the customer-feedback dashboards).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from app.auth.access import allow
from app.core import clock, formatting
from app.core.tabular import CellError, parse_decimal, period_problem
from app.extensions import db
from app.feedback import aggregate, charts, engagement, other_kpis, ranking
from app.feedback.aggregate import Scope
from app.feedback.blueprint import bp
from app.feedback.forms_kpis import KpiDefinitionForm, KpiValueForm, RankingSettingsForm
from app.feedback.kpi import NPS_CATEGORIES, KpiSummary, change_beyond_margin
from app.feedback.models import KpiDefinition, KpiValue, SurveyResponse
from app.incentives.thresholds import nps_thresholds
from app.org.models import ManagerScope, Region, Store
from app.org.scope import visible_store_ids
from app.periods import Period, PeriodError

TREND_MONTHS = 12
PAST_PERIODS = 5


# --- helpers -----------------------------------------------------------------------------------------------


def _chosen_period(today: date) -> Period:
    text = request.args.get("period", "").strip()
    if not text:
        return Period.containing(today, "quarter")
    return Period.parse(text)  # a PeriodError is a 400 that names the period (app.core.web)


def _managed_region_ids() -> set[int]:
    if not current_user.has_role("manager") or current_user.employee_id is None:
        return set()
    return set(
        db.session.scalars(
            sa.select(ManagerScope.region_id).where(
                ManagerScope.employee_id == current_user.employee_id, ManagerScope.region_id.is_not(None)
            )
        )
    )


def _visible_stores() -> list[Store]:
    query = sa.select(Store).options(selectinload(Store.region)).order_by(Store.code)
    ids = visible_store_ids(current_user)
    if ids is not None:
        query = query.where(Store.id.in_(ids or {-1}))
    return list(db.session.scalars(query))


def _store_or_404(store_id: int) -> Store:
    ids = visible_store_ids(current_user)
    store = db.session.get(Store, store_id)
    if store is None or (ids is not None and store.id not in ids):
        abort(404)
    return store


@dataclass
class KpiCard:
    key: str
    label: str
    value: Decimal | None
    moe: Decimal | None
    n: int
    places: int
    unit: str = ""
    previous: Decimal | None = None
    direction: str = "higher"
    detail: str = ""
    previous_moe: Decimal | None = None
    sampled: bool = True  # False for a count of every case (no sampling error): any change is real

    @property
    def delta(self) -> Decimal | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def clear_change(self) -> bool:
        """Whether the change is beyond its margin of error (else it is shown neutral, not as a rise or a fall)."""
        if self.value is None or self.previous is None:
            return False
        return not self.sampled or change_beyond_margin(self.value, self.moe, self.previous, self.previous_moe)


@dataclass
class PastRow:
    store: Store
    figures: list[tuple[Period, KpiSummary]] = field(default_factory=list)


def _cards(scope: Scope, period: Period) -> list[KpiCard]:
    (_previous, before), (_period, now) = aggregate.series(scope, period, 2)  # one query for both periods
    follow_before, follow_now = other_kpis.followup_shares(scope, [period.previous(), period])
    nps, csat, ces = now.nps, now.csat, now.ces
    assert nps and csat and ces and before.nps and before.csat and before.ces
    return [
        KpiCard(
            "nps",
            _("NPS"),
            nps.nps,
            nps.moe,
            nps.n,
            1,
            previous=before.nps.nps,
            previous_moe=before.nps.moe,
            detail=" · ".join(
                (
                    ngettext("%(num)d promoter", "%(num)d promoters", nps.promoters),
                    ngettext("%(num)d passive", "%(num)d passives", nps.passives),
                    ngettext("%(num)d detractor", "%(num)d detractors", nps.detractors),
                )
            ),
        ),
        KpiCard(
            "csat",
            _("CSAT"),
            csat.csat,
            csat.moe,
            csat.n,
            2,
            unit="%",
            previous=before.csat.csat,
            previous_moe=before.csat.moe,
        ),
        KpiCard(
            "ces",
            _("CES (1–7, higher is easier)"),
            ces.mean,
            ces.moe,
            ces.n,
            2,
            previous=before.ces.mean,
            previous_moe=before.ces.moe,
        ),
        KpiCard(
            "followup_48h",
            _("Detractors called back within 48 h"),
            follow_now.value,
            None,
            follow_now.n,
            2,
            unit="%",
            previous=follow_before.value,
            sampled=False,
        ),
    ]


def _scope_store_ids(scope: Scope) -> set[int] | None:
    if scope.kind == "store":
        return {scope.id} if scope.id is not None else set()
    if scope.kind == "region":
        return set(db.session.scalars(sa.select(Store.id).where(Store.region_id == scope.id)))
    return None


def _engagement_cards(scope: Scope, period: Period) -> list[KpiCard]:
    """Response rate, turnover and absenteeism, when HR has imported what they are made of (counts, not samples)."""
    store_ids = _scope_store_ids(scope)
    cards = []
    before, rate = engagement.pooled_response_rates([period.previous(), period], store_ids)
    if rate is not None:
        cards.append(
            KpiCard(
                "response_rate",
                _("Response rate"),
                rate.value,
                None,
                rate.invitations,
                2,
                unit="%",
                previous=before.value if before else None,
                detail=_("%(r)d responses of %(i)d invitations", r=rate.responses, i=rate.invitations),
                sampled=False,
            )
        )
    before_figures, figures = engagement.pooled_engagements([period.previous(), period], store_ids)
    if figures is not None:
        cards += [
            KpiCard(
                "turnover",
                _("Staff turnover"),
                figures.turnover,
                None,
                int(figures.headcount),
                2,
                unit="%",
                previous=before_figures.turnover if before_figures else None,
                direction="lower",
                detail=_(
                    "%(l)d leavers, average headcount %(h)s",
                    l=figures.leavers,
                    h=formatting.number(figures.headcount, 1),
                ),
                sampled=False,
            ),
            KpiCard(
                "absenteeism",
                _("Absenteeism"),
                figures.absenteeism,
                None,
                int(figures.worked_days),
                2,
                unit="%",
                previous=before_figures.absenteeism if before_figures else None,
                direction="lower",
                detail=_(
                    "%(a)s absence days of %(w)s days to be worked",
                    a=formatting.number(figures.absence_days, 1),
                    w=formatting.number(figures.worked_days, 1),
                ),
                sampled=False,
            ),
        ]
    return cards


def _trend_end(period: Period, today: date) -> Period:
    last_month = period.month_periods()[-1]
    this_month = Period.containing(today, "month")
    return min(last_month, this_month, key=lambda p: (p.year, p.index))


def _openings(scope: Scope) -> list[date]:
    """The opening days of the scope's stores (a month a store opened in is only partly covered)."""
    query = sa.select(Store.opened_on).where(Store.opened_on.is_not(None))
    if scope.kind == "store":
        query = query.where(Store.id == scope.id)
    elif scope.kind == "region":
        query = query.where(Store.region_id == scope.id)
    return list(db.session.scalars(query))


def _partial(month: Period, today: date, openings: list[date]) -> bool:
    """A month whose answers cover only part of it: still under way, or a store of the scope opened after its 1st."""
    return month.end >= today or any(month.start < day <= month.end for day in openings)


def _thresholds(store: Store | None, period: Period) -> list[charts.ThresholdLine]:
    if store is None:
        return []
    return [
        charts.ThresholdLine(
            t.value,
            _(
                "%(scheme)s: %(value)s → %(pct)s %%",
                scheme=t.scheme_code,
                value=formatting.number(t.value, 1),
                pct=formatting.number(t.achievement),
            ),
        )
        for t in nps_thresholds(store, period)
    ]


def _charts(scope: Scope, period: Period, today: date, store: Store | None = None) -> dict[str, object]:
    trend = aggregate.monthly_series(scope, _trend_end(period, today), TREND_MONTHS)
    openings = _openings(scope)

    def point(p: Period, figure: Decimal, moe: Decimal | None, n: int) -> charts.TrendPoint:
        return charts.TrendPoint(
            f"{p.index:02d}/{p.year % 100:02d}", str(p), figure, moe, n, _partial(p, today, openings)
        )

    nps_points = [point(p, s.nps.nps, s.nps.moe, s.nps.n) for p, s in trend if s.nps]
    csat_points = [point(p, s.csat.csat, s.csat.moe, s.csat.n) for p, s in trend if s.csat]
    partial = _("partial")
    counts = aggregate.nps_distribution(scope, period)
    labels = {"promoter": _("promoter"), "passive": _("passive"), "detractor": _("detractor")}
    return {
        "nps_trend": charts.trend_chart(
            nps_points,
            title=_("NPS over the last 12 months, with its 95 % margin"),
            empty_text=_("No answers in these months."),
            partial_text=partial,
            thresholds=_thresholds(store, period),
        ),
        "csat_trend": charts.trend_chart(
            csat_points,
            title=_("CSAT in % over the last 12 months, with its 95 % margin"),
            empty_text=_("No answers in these months."),
            low=Decimal(0),
            high=Decimal(100),
            step=Decimal(10),
            places=2,
            css_class="chart chart-trend chart-csat",
            partial_text=partial,
        ),
        "distribution": charts.distribution_chart(
            counts,
            title=_("NPS answers by score, %(period)s", period=str(period)),
            answers_label=_("answers"),
            category_labels=labels,
        ),
        "distribution_total": sum(counts),
    }


def _own_past(period: Period, stores: list[Store]) -> tuple[list[Period], list[PastRow]]:
    periods = [period.shifted(step) for step in range(1 - PAST_PERIODS, 1)]
    figures = aggregate.kpis_by_store_and_period(period.kind, periods[0], period, [s.id for s in stores])
    empty = aggregate.EMPTY.summary()
    return periods, [PastRow(s, [(p, figures.get((s.id, p), empty)) for p in periods]) for s in stores]


def _period_choices(today: date, chosen: Period) -> list[tuple[str, list[str]]]:
    this_month = Period.containing(today, "month")
    this_quarter = Period.containing(today, "quarter")
    this_year = Period.containing(today, "year")
    groups = [
        (_("Quarters"), [str(this_quarter.shifted(-i)) for i in range(8)]),
        (_("Months"), [str(this_month.shifted(-i)) for i in range(24)]),
        (_("Years"), [str(this_year.shifted(-i)) for i in range(3)]),
    ]
    if not any(str(chosen) in options for _label, options in groups):
        groups.insert(0, (_("Chosen"), [str(chosen)]))
    return groups


def _render(view: str, scope: Scope, period: Period, title: str, **extra):
    today = clock.today()
    following = period.shifted(1)
    context = {
        "view": view,
        "title": title,
        "period": period,
        "previous_period": period.previous(),
        "next_period": following if following.start <= today else None,
        "choices": _period_choices(today, period),
        "cards": _cards(scope, period) + _engagement_cards(scope, period),
        "min_responses": ranking.min_responses(),
        **_charts(scope, period, today, extra.get("store")),
    }
    context.update(extra)
    return render_template("feedback/dashboard.html", **context)


# --- dashboards --------------------------------------------------------------------------------------------


@bp.route("/dashboard")
@allow("hr", "manager")
def dashboard():
    """Show HR the company dashboard; send a manager to their region's or store's."""
    if not current_user.has_role("hr"):
        period_arg = {"period": request.args["period"]} if request.args.get("period") else {}
        regions = sorted(_managed_region_ids())
        if regions:
            return redirect(url_for("feedback.dashboard_region", region_id=regions[0], **period_arg))
        stores = _visible_stores()
        if stores:
            return redirect(url_for("feedback.dashboard_store", store_id=stores[0].id, **period_arg))
        return render_template("feedback/dashboard_none.html")
    period = _chosen_period(clock.today())
    stores = _visible_stores()
    settings_form = RankingSettingsForm(hide_ranking=ranking.hidden_from_managers())
    return _render(
        "company",
        Scope.company(),
        period,
        current_app.config["PRIMO_COMPANY_NAME"],
        ranking=ranking.rank_stores(period, stores, ranking.min_responses()),
        show_region=True,
        regions=list(db.session.scalars(sa.select(Region).order_by(Region.name))),
        settings_form=settings_form,
    )


@bp.route("/dashboard/region/<int:region_id>")
@allow("hr", "manager")
def dashboard_region(region_id: int):
    """Show a region's pooled KPIs and its stores (ranked, or each against its own past)."""
    region = db.session.get(Region, region_id)
    if region is None or not (current_user.has_role("hr") or region_id in _managed_region_ids()):
        abort(404)
    period = _chosen_period(clock.today())
    stores = list(region.stores)
    extra: dict[str, object] = {}
    if ranking.sees_ranking(current_user):
        extra["ranking"] = ranking.rank_stores(period, stores, ranking.min_responses())
    else:
        extra["past_periods"], extra["past_rows"] = _own_past(period, stores)
    return _render(
        "region", Scope.region(region.id), period, _("Region %(name)s", name=region.name), region=region, **extra
    )


@bp.route("/dashboard/store/<int:store_id>")
@allow("hr", "manager")
def dashboard_store(store_id: int):
    """Show one store: KPIs with n and margins, trends, score distribution, its past, latest comments."""
    store = _store_or_404(store_id)
    period = _chosen_period(clock.today())
    past_periods, past_rows = _own_past(period, [store])
    comments = list(
        db.session.scalars(_comments_query(store.id, None).options(selectinload(SurveyResponse.employee)).limit(5))
    )
    other = [
        (kpi, other_kpis.value_for(kpi, store, period), other_kpis.value_for(kpi, store, period.previous()))
        for kpi in other_kpis.definitions()
    ]
    sees_region = current_user.has_role("hr") or store.region_id in _managed_region_ids()
    siblings = _visible_stores() if not current_user.has_role("hr") else []
    return _render(
        "store",
        Scope.store(store.id),
        period,
        _("Store %(code)s · %(name)s", code=store.code, name=store.name),
        store=store,
        past_periods=past_periods,
        past_rows=past_rows,
        comments=comments,
        other_kpis=other,
        sees_region=sees_region,
        siblings=siblings if len(siblings) > 1 else [],
    )


@bp.route("/dashboard/settings", methods=["POST"])
@allow("hr")
def dashboard_settings():
    """Save whether managers see the store ranking."""
    form = RankingSettingsForm()
    if not form.validate_on_submit():
        abort(400)
    hide = bool(form.hide_ranking.data)
    ranking.hide_from_managers(hide)
    db.session.commit()
    flash(_("Managers no longer see the store ranking.") if hide else _("Managers see the store ranking."), "success")
    return redirect(url_for("feedback.dashboard"))


# --- comments ----------------------------------------------------------------------------------------------


def _comments_query(store_id: int, category: str | None) -> sa.Select:
    query = sa.select(SurveyResponse).where(
        SurveyResponse.store_id == store_id,
        SurveyResponse.excluded.is_(False),
        SurveyResponse.comment.is_not(None),
        SurveyResponse.comment != "",
    )
    if category:
        query = query.where(aggregate.nps_category_condition(category))
    return query.order_by(SurveyResponse.answered_at.desc(), SurveyResponse.id.desc())


@bp.route("/dashboard/store/<int:store_id>/comments")
@allow("hr", "manager")
def store_comments(store_id: int):
    """List a store's latest comments, newest first, optionally of one NPS category (no customer details)."""
    store = _store_or_404(store_id)
    category = request.args.get("category", "").strip() or None
    if category is not None and category not in NPS_CATEGORIES:
        abort(400)
    query = _comments_query(store.id, category).options(selectinload(SurveyResponse.employee))
    page = db.paginate(query, per_page=int(current_app.config.get("PRIMO_PAGE_SIZE", 25)))
    return render_template("feedback/comments.html", store=store, page=page, category=category)


# --- other KPIs (HR) ---------------------------------------------------------------------------------------


@bp.route("/kpis", methods=["GET", "POST"])
@allow("hr")
def kpi_definitions():
    """List the KPIs other than NPS/CSAT/CES and define a new one (or change one by its code)."""
    form = KpiDefinitionForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                kpi, created = other_kpis.define_kpi(
                    form.code.data, form.name.data, form.unit.data or "", form.direction.data, form.aggregate.data
                )
            except other_kpis.KpiError as exc:
                db.session.rollback()
                getattr(form, exc.field).errors.append(exc.message)
            else:
                db.session.commit()
                flash(
                    _("KPI %(code)s defined.", code=kpi.code) if created else _("KPI %(code)s updated.", code=kpi.code),
                    "success",
                )
                return redirect(url_for("feedback.kpi_definitions"))
        status = 400
    return (
        render_template(
            "feedback/kpis.html", form=form, definitions=other_kpis.definitions(), builtin=other_kpis.BUILTIN.values()
        ),
        status,
    )


@bp.route("/kpis/values", methods=["GET", "POST"])
@allow("hr")
def kpi_values():
    """Enter one KPI value for a store and period (a value already there is replaced)."""
    form = KpiValueForm()
    definitions = other_kpis.definitions()
    stores = list(db.session.scalars(sa.select(Store).order_by(Store.code)))
    form.kpi.choices = [SelectChoice(k.id, f"{k.code} · {k.name}") for k in definitions]
    form.store.choices = [SelectChoice(s.id, f"{s.code} · {s.name}") for s in stores]
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            kpi = db.session.get(KpiDefinition, form.kpi.data)
            store = db.session.get(Store, form.store.data)
            period = value = None
            try:
                period = Period.parse(form.period.data)
            except PeriodError as exc:
                form.period.errors.append(str(period_problem(exc)))
            try:
                value = parse_decimal(form.value.data.replace(",", "."))
            except CellError as exc:
                form.value.errors.append(str(exc))
            if kpi and store and period and value is not None:
                try:
                    outcome = other_kpis.set_value(kpi, store, period, value)
                except other_kpis.KpiError as exc:
                    db.session.rollback()
                    form.value.errors.append(exc.message)
                else:
                    db.session.commit()
                    flash(
                        _(
                            "Value saved: %(kpi)s of %(store)s for %(period)s.",
                            kpi=kpi.code,
                            store=store.code,
                            period=str(period),
                        )
                        if outcome != "unchanged"
                        else _("That value was already stored."),
                        "success",
                    )
                    return redirect(url_for("feedback.kpi_values"))
        status = 400
    latest = db.session.scalars(
        sa.select(KpiValue)
        .options(selectinload(KpiValue.kpi), selectinload(KpiValue.store))
        .order_by(KpiValue.updated_at.desc(), KpiValue.id.desc())
        .limit(20)
    )
    return render_template(
        "feedback/kpis_values.html", form=form, latest=list(latest), has_kpis=bool(definitions)
    ), status
