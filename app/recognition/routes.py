"""Recognition pages for employees and managers: my points, the catalogue, awards, the feed and leaderboards."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload
from wtforms.fields.choices import SelectChoice

from app.auth.access import allow
from app.auth.forms import ActionForm
from app.core import clock
from app.extensions import db
from app.feedback.models import SurveyResponse
from app.org.models import Employee, Region, Store
from app.org.scope import can_see_employee
from app.periods import Period
from app.recognition import points
from app.recognition.awards import (
    AwardError,
    AwardRefused,
    award_points,
    awards_given,
    compliment_for,
    month_of,
    team_of,
    thanked_award,
    visible_award_condition,
)
from app.recognition.badges import active_badges
from app.recognition.blueprint import bp
from app.recognition.budgets import BudgetError, budget_status
from app.recognition.catalogue import (
    CatalogueError,
    RedemptionRefused,
    RedemptionStateError,
    catalogue,
    change_redemption,
    redemptions_of,
    request_redemption,
)
from app.recognition.challenges import employee_store_ids, team_challenges
from app.recognition.forms import REWARD_KIND_LABELS, AwardForm, PrivacyForm
from app.recognition.models import Award, Badge, BadgeGrant, PointsEntry, Redemption, Reward
from app.recognition.rules import EVENT_LABELS, KPI_LABELS
from app.recognition.settings import load_settings
from app.recognition.social import feed, hides_name, leaderboard, set_hide_name, social_store_ids, visible_stores

HISTORY_LIMIT = 100


def _status_labels() -> dict[str, str]:
    return {
        "pending": _("pending"),
        "approved": _("approved"),
        "fulfilled": _("fulfilled"),
        "rejected": _("rejected"),
        "cancelled": _("cancelled"),
        "refunded": _("refunded"),
    }


def _kind_labels() -> dict[str, str]:
    return {
        "earn": _("earned"),
        "hold": _("held"),
        "release": _("given back"),
        "redeem": _("spent"),
        "refund": _("refunded"),
        "expire": _("expired"),
        "adjust": _("adjusted"),
    }


@bp.app_context_processor
def inject_recognition_notice() -> dict[str, object]:
    # Lets `recognition/_expiry_notice.html` be included from any page; it reads the ledger only when rendered.
    return {"recognition_notice": expiry_notice}


def expiry_notice() -> list:
    """Return the current user's points that expire within 30 days (empty for users without an employee record)."""
    if not current_user.is_authenticated or current_user.employee is None:
        return []
    return points.notices_of(current_user.employee)


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() else None


# --- an employee's points -------------------------------------------------------------------------------------------


def _history(employee_id: int) -> list[PointsEntry]:
    return list(
        db.session.scalars(
            sa.select(PointsEntry)
            .where(PointsEntry.employee_id == employee_id)
            # Each entry has at most one of each, read by a query of its own: joined into one query, the nine
            # tables took PostgreSQL's planner 10–14 ms to order, ten times what the separate reads cost.
            .options(
                selectinload(PointsEntry.award).joinedload(Award.giver),
                selectinload(PointsEntry.grant).joinedload(BadgeGrant.badge),
                selectinload(PointsEntry.redemption).joinedload(Redemption.reward),
                selectinload(PointsEntry.rule),
                selectinload(PointsEntry.challenge),
            )
            .order_by(PointsEntry.on_date.desc(), PointsEntry.id.desc())
            .limit(HISTORY_LIMIT)
        )
    )


def _badges_of(employee_id: int) -> list[BadgeGrant]:
    return list(
        db.session.scalars(
            sa.select(BadgeGrant)
            .where(BadgeGrant.employee_id == employee_id)
            .options(joinedload(BadgeGrant.badge))
            .order_by(BadgeGrant.granted_on.desc(), BadgeGrant.id.desc())
        )
    )


def _awards_received(employee: Employee) -> list[Award]:
    query = (
        sa.select(Award)
        .where(Award.employee_id == employee.id, visible_award_condition(current_user))
        .options(joinedload(Award.giver), joinedload(Award.badge))
        .order_by(Award.awarded_on.desc(), Award.id.desc())
        .limit(50)
    )
    return list(db.session.scalars(query))


def _render_employee(employee: Employee, code: int = 200):
    today = clock.today()
    own = employee.id == current_user.employee_id
    settings = load_settings()
    entries = points.entries_of(employee.id)  # read once for the summary and the notices
    summary = points.summary_of(employee, today, settings, entries)
    return (
        render_template(
            "recognition/employee.html",
            employee=employee,
            own=own,
            summary=summary,
            notices=points.notices_of(employee, today, settings, entries),
            tiers=settings.tier_list,
            history=_history(employee.id),
            history_limit=HISTORY_LIMIT,
            badges=_badges_of(employee.id),
            awards=_awards_received(employee),
            redemptions=redemptions_of(employee.id),
            rewards=catalogue() if own else [],
            privacy_form=PrivacyForm(hide_name=hides_name(employee.id)) if own else None,
            kind_labels=_kind_labels(),
            status_labels=_status_labels(),
            reward_kinds=REWARD_KIND_LABELS,
            challenges=team_challenges(employee_store_ids(employee, today), today),
            kpi_labels=KPI_LABELS,
            event_labels=EVENT_LABELS,
        ),
        code,
    )


@bp.route("/")
@allow("hr", "manager", "employee")
def index():
    """Show my points, tier, history, badges and what expires soon; HR without an employee record go to the feed."""
    if current_user.employee is None:
        return redirect(url_for("recognition.feed_page"))
    return _render_employee(current_user.employee)


@bp.route("/employees/<int:employee_id>")
@allow("hr", "manager", "employee")
def employee(employee_id: int):
    """Show an employee's points (managers their team, employees themselves)."""
    person = db.session.get(Employee, employee_id)
    if person is None or not can_see_employee(current_user, person, clock.today()):
        abort(404)
    return _render_employee(person)


@bp.route("/privacy", methods=["POST"])
@allow("hr", "manager", "employee")
def privacy():
    """Show or hide my name on leaderboards."""
    if current_user.employee is None:
        abort(404)
    form = PrivacyForm()
    if not form.validate_on_submit():
        abort(400)
    set_hide_name(current_user.employee_id, bool(form.hide_name.data))
    db.session.commit()
    flash(
        _("You appear as “anonymous” on leaderboards.")
        if form.hide_name.data
        else _("Your name shows on leaderboards."),
        "success",
    )
    return redirect(url_for("recognition.index"))


# --- catalogue and redemptions --------------------------------------------------------------------------------------


def _render_catalogue(code: int = 200):
    employee = current_user.employee
    summary = points.summary_of(employee) if employee is not None else None
    return (
        render_template(
            "recognition/catalogue.html",
            rewards=catalogue(),
            summary=summary,
            can_redeem=employee is not None,
            reward_kinds=REWARD_KIND_LABELS,
        ),
        code,
    )


@bp.route("/catalogue")
@allow("hr", "manager", "employee")
def catalogue_page():
    """List the rewards points can buy."""
    return _render_catalogue()


@bp.route("/catalogue/<int:reward_id>/redeem", methods=["POST"])
@allow("hr", "manager", "employee")
def redeem(reward_id: int):
    """Ask for a reward: its cost is held from my points until HR fulfils or rejects it."""
    employee = current_user.employee
    reward = db.session.get(Reward, reward_id)
    if employee is None or reward is None or not reward.active:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        redemption = request_redemption(employee, reward)
    except RedemptionRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_catalogue(409)
    db.session.commit()
    flash(
        _(
            "%(reward)s requested: %(points)d points are held until HR hands it over.",
            reward=reward.name,
            points=redemption.points,
        ),
        "success",
    )
    return redirect(url_for("recognition.index"))


@bp.route("/redemptions/<int:redemption_id>/cancel", methods=["POST"])
@allow("hr", "manager", "employee")
def cancel(redemption_id: int):
    """Cancel my pending request: the points come back."""
    redemption = db.session.get(Redemption, redemption_id)
    if redemption is None or redemption.employee_id != current_user.employee_id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        change_redemption(redemption, "cancel")
    except (RedemptionStateError, CatalogueError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_employee(current_user.employee, 409)
    db.session.commit()
    flash(_("Request cancelled; the points are back."), "success")
    return redirect(url_for("recognition.index"))


# --- awards ---------------------------------------------------------------------------------------------------------


def _award_form(today: date, **kwargs) -> AwardForm:
    form = AwardForm(**kwargs)
    form.employee.choices = [SelectChoice("", _("— choose —"))] + [
        SelectChoice(str(e.id), f"{e.full_name} ({e.number})") for e in team_of(current_user, today)
    ]
    form.badge.choices = [SelectChoice("", _("— none —"))] + [
        SelectChoice(str(b.id), b.name) for b in active_badges(manual_only=True)
    ]
    return form


def _render_award(form: AwardForm, code: int = 200, response: SurveyResponse | None = None, already=None):
    today = clock.today()
    settings = load_settings()
    status = budget_status(current_user.employee_id, month_of(today)) if current_user.employee_id else None
    return (
        render_template(
            "recognition/award.html",
            form=form,
            budget=status,
            max_points=settings.max_award_points,
            given=awards_given(current_user),
            response=response,
            already=already,
        ),
        code,
    )


@bp.route("/award", methods=["GET", "POST"])
@allow("manager")
def award():
    """Give points and perhaps a badge to an employee of my team, out of this month's budget."""
    today = clock.today()
    form = _award_form(today)
    if request.method == "GET":
        return _render_award(form)
    if not form.validate_on_submit():
        return _render_award(form, 400)
    raw_employee = form.employee.data or ""
    employee = db.session.get(Employee, int(raw_employee)) if raw_employee.isdigit() else None
    raw_badge = form.badge.data or ""
    badge = db.session.get(Badge, int(raw_badge)) if raw_badge.isdigit() else None
    raw_response = form.response_id.data or ""
    response = compliment_for(current_user, int(raw_response)) if raw_response.isdigit() else None
    if employee is None:
        form.employee.errors = [_("Choose someone of your team.")]
        return _render_award(form, 400)
    if raw_badge and (badge is None or badge.rule is not None):
        form.badge.errors = [_("Choose one of the badges listed.")]
        return _render_award(form, 400)
    if raw_response and response is None:
        abort(404)
    try:
        given = award_points(
            current_user,
            employee,
            form.points.data,
            form.message.data,
            badge=badge,
            public=bool(form.public.data),
            on=today,
            response=response,
        )
    except (AwardRefused, BudgetError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_award(form, 409, response=response)
    except AwardError as exc:
        db.session.rollback()
        field = getattr(form, exc.field or "", None)
        if field is not None:
            field.errors = [str(exc)]
        else:
            flash(str(exc), "error")
        return _render_award(form, 400, response=response)
    db.session.commit()
    flash(
        ngettext(
            "%(num)d point awarded to %(name)s.",
            "%(num)d points awarded to %(name)s.",
            given.points,
            name=employee.full_name,
        ),
        "success",
    )
    return redirect(url_for("recognition.award"))


@bp.route("/award/compliment/<int:response_id>")
@allow("manager")
def award_from_compliment(response_id: int):
    """Show the award form filled in to thank the employee a happy customer named."""
    response = compliment_for(current_user, response_id)
    if response is None:
        abort(404)
    today = clock.today()
    settings = load_settings()
    already = thanked_award(response.id)
    left = budget_status(current_user.employee_id, month_of(today)).left if current_user.employee_id else 0
    suggested = max(0, min(settings.compliment_points, settings.max_award_points, left))
    comment = (response.comment or "").strip()
    message = (
        _("A customer praised you: “%(comment)s” Thank you!", comment=comment[:800])
        if comment
        else _("A customer gave us %(score)s/10 thanks to you. Thank you!", score=response.nps)
    )
    form = _award_form(
        today,
        data={
            "employee": str(response.employee_id),
            "points": suggested,
            "message": message,
            "public": True,
            "response_id": str(response.id),
        },
    )
    return _render_award(form, response=response, already=already)


# --- feed and leaderboards ------------------------------------------------------------------------------------------


def _scope_filter(today: date) -> tuple[list[Store], set[int] | None, Store | None, Region | None]:
    """Return the visible stores and the store ids a store= or region= argument narrows them to (404 if hidden)."""
    stores = visible_stores(current_user, today)
    allowed = social_store_ids(current_user, today)
    store_id, region_id = _int_arg("store"), _int_arg("region")
    if store_id is not None:
        store = db.session.get(Store, store_id)
        if store is None or (allowed is not None and store_id not in allowed):
            abort(404)
        return stores, {store_id}, store, None
    if region_id is not None:
        region = db.session.get(Region, region_id)
        if region is None:
            abort(404)
        ids = {s.id for s in stores if s.region_id == region_id}
        if not ids:
            abort(404)
        return stores, ids, None, region
    return stores, allowed, None, None


def _regions(stores: list[Store]) -> list[Region]:
    return sorted({s.region for s in stores}, key=lambda r: r.name)


@bp.route("/feed")
@allow("hr", "manager", "employee")
def feed_page():
    """Show the public awards of my store and region (managers their stores, HR all), newest first."""
    today = clock.today()
    stores, ids, store, region = _scope_filter(today)
    return render_template(
        "recognition/feed.html",
        awards=feed(ids),
        challenges=team_challenges(ids, today),
        kpi_labels=KPI_LABELS,
        stores=stores,
        regions=_regions(stores),
        store=store,
        region=region,
    )


@bp.route("/leaderboard")
@allow("hr", "manager", "employee")
def leaderboard_page():
    """Rank employees on points earned in a month, per store or region; hidden names show as anonymous."""
    today = clock.today()
    raw_month = request.args.get("month", "").strip()
    # A PeriodError is a 400 that names the period (app.core.web).
    month = Period.parse(raw_month) if raw_month else Period.containing(today, "month")
    if month.kind != "month":
        abort(404)
    stores, ids, store, region = _scope_filter(today)
    return render_template(
        "recognition/leaderboard.html",
        rows=leaderboard(month, ids),
        month=month,
        previous=month.previous(),
        following=month.shifted(1) if month.shifted(1).start <= today else None,
        stores=stores,
        regions=_regions(stores),
        store=store,
        region=region,
        scope_args={"store": store.id} if store else {"region": region.id} if region else {},
        me=current_user.employee_id,
    )
