"""HR's recognition pages: budgets, badges, the rewards catalogue, redemption requests, the report and settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from app.auth.access import allow
from app.core import clock
from app.core.web import bad_request
from app.extensions import db
from app.org.models import Employee
from app.periods import Period
from app.recognition.badges import BadgeError, icons, save_badge
from app.recognition.blueprint import bp
from app.recognition.budgets import BudgetError, manager_users, month_label, month_statuses, set_budget
from app.recognition.catalogue import (
    HR_ACTIONS,
    TRANSITIONS,
    CatalogueError,
    RedemptionStateError,
    change_redemption,
    parse_euro_value,
    save_reward,
)
from app.recognition.forms import (
    LEAVER_LABELS,
    REWARD_KIND_LABELS,
    RULE_LABELS,
    BadgeForm,
    BudgetForm,
    DecisionForm,
    RewardForm,
    SettingsForm,
)
from app.recognition.models import BADGE_RULES, Badge, Redemption, RedemptionStatus, Reward
from app.recognition.routes import _status_labels
from app.recognition.settings import RecognitionSettings, SettingsError, load_settings, save_settings
from app.recognition.social import hr_report

OPEN_STATUSES = (RedemptionStatus.PENDING.value, RedemptionStatus.APPROVED.value)


def _this_month() -> str:
    return str(Period.containing(clock.today(), "month"))


# --- budgets --------------------------------------------------------------------------------------------------------


def _budget_form(**kwargs) -> BudgetForm:
    form = BudgetForm(**kwargs)
    form.manager.choices = [SelectChoice("", _("— choose —"))] + [
        SelectChoice(str(u.employee_id), f"{u.employee.full_name} ({u.email})") for u in manager_users() if u.employee
    ]
    return form


def _render_budgets(form: BudgetForm, month: str, code: int = 200):
    return (
        render_template(
            "recognition/budgets.html",
            form=form,
            month=month,
            previous=str(Period.parse(month).previous()),
            following=str(Period.parse(month).shifted(1)),
            rows=month_statuses(month),
        ),
        code,
    )


@bp.route("/budgets", methods=["GET", "POST"])
@allow("hr")
def budgets():
    """Show every manager's budget for a month, and set one."""
    raw = request.args.get("month", "").strip() or _this_month()
    try:
        month = month_label(raw)
    except BudgetError as exc:
        bad_request(str(exc))
    form = _budget_form(data={"month": month} if request.method == "GET" else None)
    if request.method == "GET":
        return _render_budgets(form, month)
    if not form.validate_on_submit():
        return _render_budgets(form, month, 400)
    manager = db.session.get(Employee, int(form.manager.data)) if (form.manager.data or "").isdigit() else None
    if manager is None:
        form.manager.errors = [_("Choose a manager.")]
        return _render_budgets(form, month, 400)
    try:
        status, changed = set_budget(manager, form.month.data, form.points.data, bool(form.rollover.data))
    except BudgetError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_budgets(form, month, 409)
    db.session.commit()
    if changed:
        flash(
            _(
                "Budget of %(name)s for %(month)s: %(points)d points.",
                name=manager.full_name,
                month=status.month,
                points=status.allowance,
            ),
            "success",
        )
    else:
        flash(_("Nothing changed."), "success")
    return redirect(url_for("recognition.budgets", month=status.month))


# --- badges ---------------------------------------------------------------------------------------------------------


@bp.route("/badges")
@allow("hr")
def badges():
    """List the badges, those granted by rules included."""
    rows = list(db.session.scalars(sa.select(Badge).order_by(Badge.active.desc(), Badge.name)))
    return render_template("recognition/badges.html", badges=rows, rule_labels=RULE_LABELS)


def _badge_form(badge: Badge | None) -> BadgeForm:
    form = BadgeForm(obj=badge) if request.method == "GET" and badge is not None else BadgeForm()
    form.icon.choices = [SelectChoice(name, name) for name in icons()]
    form.rule.choices = [SelectChoice("", _("— given by managers —"))] + [
        SelectChoice(r, RULE_LABELS[r]) for r in BADGE_RULES
    ]
    if request.method == "GET" and badge is not None:
        form.rule.data = badge.rule or ""
    return form


def _edit_badge(badge: Badge | None):
    form = _badge_form(badge)

    def save() -> Badge:
        return save_badge(
            badge,
            code=form.code.data,
            name=form.name.data,
            icon=form.icon.data,
            description=form.description.data or "",
            criteria=form.criteria.data or "",
            points_given=form.points.data,
            rule=form.rule.data or None,
            active=bool(form.active.data),
        )

    def saved(name: str) -> str:
        return _("Badge %(name)s saved.", name=name)

    page = partial(render_template, "recognition/badge_form.html", form=form, badge=badge)
    return _save_form(form, save, BadgeError, "code", "recognition.badges", saved, page)


def _save_form(
    form: FlaskForm,
    save: Callable[[], Badge | Reward],
    error: type[Exception],
    field: str,
    listing: str,
    saved: Callable[[str], str],
    page: Callable[[], str],
) -> Response | tuple[str, int]:
    """An HR edit form: on a valid POST save through the service, commit and go back to the list. A service
    error shows on its field (or `field`). Otherwise the form `page`: 200 for a GET, 400 for a form to correct."""
    if request.method != "POST":
        return page(), 200
    if form.validate_on_submit():
        try:
            result = save()
        except error as exc:
            db.session.rollback()
            getattr(form, getattr(exc, "field", None) or field).errors = [str(exc)]
        else:
            db.session.commit()
            flash(saved(result.name), "success")
            return redirect(url_for(listing))
    return page(), 400


@bp.route("/badges/new", methods=["GET", "POST"])
@allow("hr")
def badge_new():
    """Create a badge."""
    return _edit_badge(None)


@bp.route("/badges/<int:badge_id>", methods=["GET", "POST"])
@allow("hr")
def badge_edit(badge_id: int):
    """Change a badge (or withdraw it: untick Active)."""
    badge = db.session.get(Badge, badge_id)
    if badge is None:
        abort(404)
    return _edit_badge(badge)


# --- rewards --------------------------------------------------------------------------------------------------------


@bp.route("/rewards")
@allow("hr")
def rewards():
    """List the rewards of the catalogue, withdrawn ones included."""
    rows = list(db.session.scalars(sa.select(Reward).order_by(Reward.active.desc(), Reward.cost, Reward.name)))
    return render_template("recognition/rewards.html", rewards=rows, reward_kinds=REWARD_KIND_LABELS)


def _edit_reward(reward: Reward | None):
    if request.method == "GET" and reward is not None:
        form = RewardForm(obj=reward)
        form.euro_value.data = str(reward.euro_value) if reward.euro_value is not None else ""
    else:
        form = RewardForm()
    form.icon.choices = [SelectChoice("", _("— no image —"))] + [SelectChoice(name, name) for name in icons()]

    def save() -> Reward:
        return save_reward(
            reward,
            name=form.name.data,
            kind=form.kind.data,
            cost=form.cost.data,
            description=form.description.data or "",
            stock=form.stock.data,
            limit_per_year=form.limit_per_year.data,
            euro_value=parse_euro_value(form.euro_value.data),
            icon=form.icon.data or "",
            active=bool(form.active.data),
        )

    def saved(name: str) -> str:
        return _("Reward %(name)s saved.", name=name)

    page = partial(render_template, "recognition/reward_form.html", form=form, reward=reward)
    return _save_form(form, save, CatalogueError, "name", "recognition.rewards", saved, page)


@bp.route("/rewards/new", methods=["GET", "POST"])
@allow("hr")
def reward_new():
    """Add a reward to the catalogue."""
    return _edit_reward(None)


@bp.route("/rewards/<int:reward_id>", methods=["GET", "POST"])
@allow("hr")
def reward_edit(reward_id: int):
    """Change a reward (its stock, cost, value) or withdraw it from the catalogue."""
    reward = db.session.get(Reward, reward_id)
    if reward is None:
        abort(404)
    return _edit_reward(reward)


# --- redemption requests --------------------------------------------------------------------------------------------


def _render_redemptions(code: int = 200, form: DecisionForm | None = None):
    show = request.args.get("show", "open")
    query = (
        sa.select(Redemption)
        .options(selectinload(Redemption.reward), selectinload(Redemption.employee))
        .order_by(Redemption.requested_on, Redemption.id)
    )
    if show != "all":
        show = "open"
        query = query.where(Redemption.status.in_(OPEN_STATUSES))
    page = db.paginate(query, per_page=50, error_out=False)
    return (
        render_template(
            "recognition/redemptions.html",
            page=page,
            show=show,
            form=form or DecisionForm(),
            actions={status.value: [a for a in TRANSITIONS[status] if a in HR_ACTIONS] for status in TRANSITIONS},
            status_labels=_status_labels(),
            reward_kinds=REWARD_KIND_LABELS,
        ),
        code,
    )


@bp.route("/redemptions")
@allow("hr")
def redemptions():
    """List the redemption requests to approve, fulfil or reject, oldest first."""
    return _render_redemptions()


@bp.route("/redemptions/<int:redemption_id>/<action>", methods=["POST"])
@allow("hr")
def decide(redemption_id: int, action: str):
    """Approve, fulfil, reject or refund a redemption."""
    redemption = db.session.get(Redemption, redemption_id)
    if redemption is None or action not in HR_ACTIONS:
        abort(404)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_redemptions(400, form)
    try:
        change_redemption(redemption, action, note=form.note.data or "")
    except RedemptionStateError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_redemptions(409)
    except CatalogueError:
        db.session.rollback()
        flash(_("To reject or refund, give the reason."), "error")
        return _render_redemptions(400)
    db.session.commit()
    flash(
        _("Request #%(id)d is now %(status)s.", id=redemption.id, status=_status_labels()[redemption.status]), "success"
    )
    return redirect(url_for("recognition.redemptions"))


# --- report and settings --------------------------------------------------------------------------------------------


@bp.route("/report")
@allow("hr")
def report():
    """Show awards per manager, the share of each team recognised, and full-time against part-time."""
    raw = request.args.get("period", "").strip()
    # A PeriodError is a 400 that names the period (app.core.web).
    period = Period.parse(raw) if raw else Period.containing(clock.today(), "quarter")
    managers, groups = hr_report(period)
    return render_template("recognition/report.html", period=period, managers=managers, groups=groups)


@bp.route("/settings", methods=["GET", "POST"])
@allow("hr")
def settings():
    """Change the award cap, expiry, leavers' policy, tiers and pay codes."""
    current = load_settings()
    if request.method == "GET":
        form = SettingsForm(data={**current.__dict__, **current.tiers})
        return render_template("recognition/settings.html", form=form, leaver_labels=LEAVER_LABELS)
    form = SettingsForm()
    if not form.validate_on_submit():
        return render_template("recognition/settings.html", form=form, leaver_labels=LEAVER_LABELS), 400
    new = replace(
        RecognitionSettings(),
        max_award_points=form.max_award_points.data,
        expiry_months=form.expiry_months.data,
        leaver_policy=form.leaver_policy.data,
        tiers={"bronze": form.bronze.data, "silver": form.silver.data, "gold": form.gold.data},
        benefit_pay_code=form.benefit_pay_code.data.strip(),
        day_off_pay_code=form.day_off_pay_code.data.strip(),
        compliment_points=form.compliment_points.data,
        automatic_points_per_month=form.automatic_points_per_month.data or 0,
    )
    try:
        save_settings(new)
    except SettingsError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return render_template("recognition/settings.html", form=form, leaver_labels=LEAVER_LABELS), 400
    db.session.commit()
    flash(_("Recognition settings saved."), "success")
    return redirect(url_for("recognition.settings"))
