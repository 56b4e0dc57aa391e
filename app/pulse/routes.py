"""Pulse survey pages: HR opens, closes and reads surveys; employees and store staff answer anonymously."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import PUBLIC, allow
from app.auth.limiting import answer_taken, client_address, pulse_answer_limit, pulse_code_limit, unknown_code
from app.extensions import db, limiter
from app.feedback.charts import TrendPoint, trend_chart
from app.org.models import Employee, Store
from app.periods import PeriodError
from app.pulse import results as pulse_results
from app.pulse import services
from app.pulse.forms import AnswerForm, CodeForm, SurveyForm
from app.pulse.models import MAX_ITEMS, PulseError, PulseStore, PulseSurvey
from app.reports import charts

bp = Blueprint("pulse", __name__, url_prefix="/pulse")

NEW_CODE = "pulse_new_code"  # the change code to show once, on the page after an answer
COOKIE_DAYS = 400


def _survey_or_404(survey_id: int) -> PulseSurvey:
    survey = services.get_survey(survey_id)
    if survey is None:
        abort(404)
    return survey


# --- HR -----------------------------------------------------------------------------------------------------------


@bp.route("/")
@allow("hr")
def index():
    """List the pulse surveys, with the company eNPS of each and its trend."""
    trend = pulse_results.trend()
    points = [
        TrendPoint(
            row.survey.period,
            row.survey.name,
            row.figure.result.nps if row.figure.result else None,
            row.figure.result.moe if row.figure.result else None,
            row.figure.result.n if row.figure.result else 0,
        )
        for row in trend
    ]
    chart = trend_chart(points, title=_("Company eNPS, survey by survey"), empty_text=_("not enough answers"))
    return render_template("pulse/index.html", surveys=services.surveys(), trend=trend, chart=chart)


def _store_choices() -> list[tuple[str, str]]:
    return [(s.code, f"{s.code} — {s.name}") for s in db.session.scalars(db.select(Store).order_by(Store.code))]


@bp.route("/new", methods=["GET", "POST"])
@allow("hr")
def new():
    """Open a pulse survey: name, period, stores, the eNPS question and up to five 1–5 questions, in both languages."""
    form = SurveyForm()
    form.stores.choices = _store_choices()
    error = None
    if form.validate_on_submit():
        items = []
        for position in range(1, MAX_ITEMS + 1):
            fr = (getattr(form, f"item_fr_{position}").data or "").strip()
            en = (getattr(form, f"item_en_{position}").data or "").strip()
            if fr or en:
                items.append(services.Wording(fr, en))
        stores = [] if form.whole_company.data else list(form.stores.data or [])
        if not form.whole_company.data and not stores:
            error = _("store: choose the stores, or the whole company")
        else:
            try:
                survey = services.create_survey(
                    form.name.data,
                    form.period.data,
                    stores,
                    enps=services.Wording(form.enps_fr.data or "", form.enps_en.data or ""),
                    items=items,
                )
            except (PulseError, PeriodError) as exc:
                db.session.rollback()
                error = str(exc)
            else:
                db.session.commit()
                flash(_("Pulse survey opened."), "success")
                return redirect(url_for("pulse.detail", survey_id=survey.id))
    elif request.method == "POST":
        error = _("Check the fields marked below.")
    status = 400 if request.method == "POST" else 200
    return render_template("pulse/new.html", form=form, error=error, items=range(1, MAX_ITEMS + 1)), status


@bp.route("/<int:survey_id>")
@allow("hr")
def detail(survey_id: int):
    """Show a survey's eNPS per company, region and store (hidden under 5 answers) and eNPS against NPS."""
    survey = _survey_or_404(survey_id)
    res = pulse_results.results(survey)
    scatter = pulse_results.enps_against_nps(res)
    chart = charts.scatter_chart(
        [charts.ScatterPoint(p.code, p.nps, p.enps) for p in scatter.pairs],
        title=_("eNPS against customer NPS, per store"),
        x_label=_("Customer NPS of the period (points)"),
        y_label=_("eNPS (points)"),
    )
    return render_template(
        "pulse/detail.html",
        survey=survey,
        res=res,
        scatter=scatter,
        chart=chart,
        beside=pulse_results.beside(res),
        language=str(get_locale()),
    )


@bp.route("/<int:survey_id>/close", methods=["POST"])
@allow("hr")
def close(survey_id: int):
    """Close a survey: answers can no longer be given or changed."""
    survey = _survey_or_404(survey_id)
    if not AnswerForm().validate_on_submit():
        abort(400)
    try:
        services.close_survey(survey)
    except PulseError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("pulse.detail", survey_id=survey.id)), 409
    db.session.commit()
    flash(_("Pulse survey closed."), "success")
    return redirect(url_for("pulse.detail", survey_id=survey.id))


@bp.route("/<int:survey_id>/codes")
@allow("hr")
def codes(survey_id: int):
    """The sheet HR prints for staff without a login: one code per store, and where to type it."""
    survey = _survey_or_404(survey_id)
    stores = sorted(survey.stores, key=lambda s: s.store.code)
    return render_template(
        "pulse/codes.html", survey=survey, stores=stores, entry_url=url_for("pulse.enter", _external=True)
    )


# --- answering ----------------------------------------------------------------------------------------------------


def _scores(survey: PulseSurvey) -> tuple[int, dict[str, int]]:
    posted = {q.position: request.form.get(f"item_{q.position}") for q in survey.items}
    return services.check_scores(survey, request.form.get("enps"), posted)


def _answer_page(survey: PulseSurvey, surveyed: PulseStore | None, employee: Employee | None, action: str):
    """Show and take the answer form, for an employee (logged in or through their link) or a store's staff."""
    if surveyed is None:
        return render_template("pulse/answer.html", survey=survey, not_asked=True, language=str(get_locale())), 404
    cookie_key = (
        services.unsign_key(survey, employee, request.cookies.get(services.cookie_name(survey))) if employee else None
    )
    form = AnswerForm()
    answered = employee is not None and services.has_answered(survey, employee)
    error = None
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            enps, items = _scores(survey)
            key = (form.change_code.data or "").strip() or cookie_key
            _row, new_key = services.answer(survey, surveyed, enps, items, employee=employee, key=key)
        except PulseError as exc:
            db.session.rollback()
            error, status = str(exc), (409 if not survey.is_open or answered else 400)
        else:
            db.session.commit()
            response = redirect(action)
            if new_key is not None:
                session[NEW_CODE] = new_key
                if employee is not None:
                    response.set_cookie(
                        services.cookie_name(survey),
                        services.sign_key(survey, employee, new_key),
                        max_age=int(timedelta(days=COOKIE_DAYS).total_seconds()),
                        path="/pulse",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
                        httponly=True,
                        samesite="Lax",
                    )
                flash(_("Thank you: your answer is recorded."), "success")
            else:
                flash(_("Your answer is changed."), "success")
            return response
    current = services.find_answer(survey, cookie_key)
    return (
        render_template(
            "pulse/answer.html",
            survey=survey,
            store=surveyed.store,
            form=form,
            current=current,
            answered=answered or current is not None,
            error=error,
            new_code=session.pop(NEW_CODE, None),
            posted=request.form if request.method == "POST" else None,
            language=str(get_locale()),
            action=action,
        ),
        status,
    )


@bp.route("/<int:survey_id>/answer", methods=["GET", "POST"])
@allow("employee")
def answer(survey_id: int):
    """An employee answers a survey asking their store (one answer each, changeable until it closes)."""
    survey = _survey_or_404(survey_id)
    employee = current_user.employee
    if employee is None:
        abort(404)
    surveyed = services.surveyed_store(survey, services.store_of(employee))
    return _answer_page(survey, surveyed, employee, url_for("pulse.answer", survey_id=survey.id))


@bp.route("/link/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
def personal(token: str):
    """An employee answers through their personal link (no login: the signed link says who they are)."""
    found = services.from_personal_token(token)
    if found is None:
        abort(404)
    survey, employee = found
    surveyed = services.surveyed_store(survey, services.store_of(employee))
    return _answer_page(survey, surveyed, employee, url_for("pulse.personal", token=token))


@bp.route("/code")
@allow(PUBLIC)
@limiter.shared_limit(pulse_code_limit, scope="pulse-code", key_func=client_address, deduct_when=unknown_code)
def enter():
    """The page the printed sheet points to: type the store's code to reach its answer form."""
    form = CodeForm(request.args)
    if request.args.get("code") is not None and form.validate():
        surveyed = services.by_code(form.code.data)
        if surveyed is not None:
            return redirect(url_for("pulse.by_code", code=surveyed.code))
        return render_template("pulse/enter.html", form=form, unknown=True), 404
    return render_template("pulse/enter.html", form=form, unknown=False)


@bp.route("/code/<code>", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.shared_limit(pulse_code_limit, scope="pulse-code", key_func=client_address, deduct_when=unknown_code)
@limiter.limit(pulse_answer_limit, key_func=client_address, methods=["POST"], deduct_when=answer_taken)
def by_code(code: str):
    """Staff without a login answer for their store with its printed code (anonymous; limited per address).

    Unknown codes count against the address (guessing), and so do the answers it posts (stuffing a store's box).
    """
    surveyed = services.by_code(code)
    if surveyed is None:
        abort(404)
    return _answer_page(surveyed.survey, surveyed, None, url_for("pulse.by_code", code=surveyed.code))
