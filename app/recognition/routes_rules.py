"""HR's pages for automatic points rules and team challenges."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from app.auth.access import allow
from app.core import clock
from app.extensions import db
from app.org.models import Region, Store
from app.recognition.badges import active_badges
from app.recognition.blueprint import bp
from app.recognition.catalogue import catalogue
from app.recognition.challenges import ChallengeError, all_challenges, create_challenge, points_paid, progress_of
from app.recognition.forms import ChallengeForm, PointsRuleForm
from app.recognition.models import CHALLENGE_KPIS, POINT_EVENTS, PointsRule
from app.recognition.rules import EVENT_LABELS, KPI_LABELS, RuleError, add_rule, all_rules, set_active, spent_by_month


def _rule_form() -> PointsRuleForm:
    form = PointsRuleForm()
    form.event.choices = [SelectChoice(e, EVENT_LABELS[e]) for e in POINT_EVENTS]
    form.badge.choices = [SelectChoice("", "—")] + [SelectChoice(b.code, b.name) for b in active_badges(True)]
    form.kpi.choices = [SelectChoice("", "—")] + [SelectChoice(k, KPI_LABELS[k]) for k in CHALLENGE_KPIS]
    return form


def _render_rules(form: PointsRuleForm, code: int = 200):
    return (
        render_template(
            "recognition/rules.html",
            form=form,
            rules=all_rules(),
            event_labels=EVENT_LABELS,
            kpi_labels=KPI_LABELS,
            spent=spent_by_month(),
        ),
        code,
    )


@bp.route("/rules", methods=["GET", "POST"])
@allow("hr")
def rules_page():
    """List the automatic points rules and add one."""
    form = _rule_form()
    if request.method != "POST":
        return _render_rules(form)
    if not form.validate_on_submit():
        return _render_rules(form, 400)
    try:
        rule = add_rule(
            form.event.data,
            form.points.data,
            badge_code=form.badge.data or None,
            cap_per_month=form.cap_per_month.data,
            kpi=form.kpi.data or None,
            threshold=form.threshold.data or None,
            min_answers=form.min_answers.data if form.min_answers.data is not None else 30,
        )
    except RuleError as exc:
        db.session.rollback()
        getattr(form, exc.field if exc.field in form else "event").errors = [str(exc)]
        return _render_rules(form, 400)
    db.session.commit()
    flash(_("Rule saved: %(event)s, %(points)d points.", event=EVENT_LABELS[rule.event], points=rule.points), "success")
    return redirect(url_for("recognition.rules_page"))


@bp.route("/rules/<int:rule_id>/switch", methods=["POST"])
@allow("hr")
def rule_switch(rule_id: int):
    """Switch a rule on or off."""
    rule = db.session.get(PointsRule, rule_id)
    if rule is None:
        abort(404)
    set_active(rule, not rule.active)
    db.session.commit()
    flash(_("Rule switched on.") if rule.active else _("Rule switched off."), "success")
    return redirect(url_for("recognition.rules_page"))


def _challenge_form() -> ChallengeForm:
    form = ChallengeForm()
    stores = db.session.scalars(sa.select(Store).order_by(Store.code))
    regions = db.session.scalars(sa.select(Region).order_by(Region.name))
    form.team.choices = [SelectChoice(f"store:{s.code}", f"{s.code} · {s.name}") for s in stores] + [
        SelectChoice(f"region:{r.name}", _("Region %(name)s", name=r.name)) for r in regions
    ]
    form.kpi.choices = [SelectChoice(k, KPI_LABELS[k]) for k in CHALLENGE_KPIS]
    form.reward.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(r.id), r.name, render_kw={"translate": "no"})
        for r in catalogue()  # a name: not translated
    ]
    return form


def _render_challenges(form: ChallengeForm, code: int = 200):
    today = clock.today()
    rows = [(progress_of(c, today), points_paid(c) if c.status != "running" else None) for c in all_challenges()]
    return render_template("recognition/challenges.html", form=form, rows=rows, kpi_labels=KPI_LABELS), code


@bp.route("/challenges", methods=["GET", "POST"])
@allow("hr")
def challenges_page():
    """List the team challenges with their progress, and create one."""
    form = _challenge_form()
    if request.method != "POST":
        return _render_challenges(form)
    if not form.validate_on_submit():
        return _render_challenges(form, 400)
    kind, _sep, team = form.team.data.partition(":")
    try:
        challenge = create_challenge(
            store_code=team if kind == "store" else None,
            region_name=team if kind == "region" else None,
            kpi=form.kpi.data,
            goal=form.goal.data,
            starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
            points_per_member=form.points.data,
            reward_id=int(form.reward.data) if (form.reward.data or "").isdigit() else None,
            min_answers=form.min_answers.data,
            name=form.name.data or "",
        )
    except ChallengeError as exc:
        db.session.rollback()
        names = {"store": "team", "region": "team", "to": "ends_on", "from": "starts_on"}
        field_name = names.get(exc.field or "", exc.field or "goal")
        getattr(form, field_name if field_name in form else "goal").errors = [str(exc)]
        return _render_challenges(form, 400)
    db.session.commit()
    flash(_("Challenge %(name)s created.", name=challenge.name), "success")
    return redirect(url_for("recognition.challenges_page"))
