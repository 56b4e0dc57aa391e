"""Follow-up case pages (queue, detail, status, notes, hand-over), the call guide, HR's response exclusion
pages and the happy-customers feed.

The customer's name and contact appear only on a case's page, and only for the store's managers and whoever
holds the case; nothing here logs or audits them.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.auth.access import allow
from app.auth.forms import ActionForm
from app.core import clock
from app.dbtypes import utcnow
from app.extensions import db
from app.feedback.aggregate import nps_category_condition
from app.feedback.blueprint import bp
from app.feedback.cases import (
    ACTIVE,
    CLOSED,
    OUTCOME_LABELS,
    STATUS_LABELS,
    CaseAssignmentError,
    CaseError,
    CaseOutcomeError,
    CaseStatus,
    add_note,
    assign_case,
    assignable_employees,
    call_guide,
    case_notice,
    compliments,
    holds_case,
    is_overdue,
    manages_case,
    may_see_contact,
    may_work_on,
    next_statuses,
    note_entries,
    overdue_condition,
    queue_order,
    save_call_guide,
    transition_case,
    visible_cases_condition,
)
from app.feedback.exclusions import (
    REASON_LABELS,
    ExclusionError,
    ExclusionReasonError,
    exclude_response,
    restore_response,
    split_reason,
)
from app.feedback.forms_cases import CallGuideForm, CaseAssignForm, CaseNoteForm, CaseTransitionForm, ExcludeForm
from app.feedback.kpi import NPS_CATEGORIES
from app.feedback.models import FollowUpCase, SurveyResponse
from app.feedback.paid_months import month_paid
from app.org.models import Store
from app.org.scope import managed_store_ids, visible_store_ids
from app.periods import Period, PeriodError

RECOGNITION_ENDPOINT = "recognition.award_from_compliment"
RESPONSE_CATEGORIES = (*NPS_CATEGORIES, "none")  # "none": no NPS answer
CASE_FILTERS = ("active", "overdue", "open", "contacted", "resolved", "unreachable", "closed", "all")


@bp.app_context_processor
def inject_case_notice() -> dict[str, object]:
    # Lets `feedback/_case_notice.html` be included from any page; it counts only when rendered.
    return {"case_notice": case_notice}


def _month_or_none(text: str) -> Period | None:
    try:
        period = Period.parse(text)
    except PeriodError:
        return None
    return period if period.kind == "month" else None


def _page_size() -> int:
    return int(current_app.config.get("PRIMO_PAGE_SIZE", 25))


def _store_choices() -> list[Store]:
    query = sa.select(Store).order_by(Store.code)
    ids = visible_store_ids(current_user)
    if ids is not None:
        query = query.where(Store.id.in_(ids or {-1}))
    return list(db.session.scalars(query))


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() else None


# --- the queue and a case --------------------------------------------------------------------------


@bp.route("/cases")
@allow("hr", "manager", "employee")
def cases():
    """List the follow-up cases the user may see: overdue first, then due soonest."""
    now = utcnow()
    status = request.args.get("status", "active")
    if status not in CASE_FILTERS:
        status = "active"
    store_id = _int_arg("store")
    query = (
        sa.select(FollowUpCase)
        .where(visible_cases_condition(current_user))
        .options(
            selectinload(FollowUpCase.store), selectinload(FollowUpCase.assignee), selectinload(FollowUpCase.response)
        )
    )
    if status == "active":
        query = query.where(FollowUpCase.status.in_([s.value for s in ACTIVE]))
    elif status == "overdue":
        query = query.where(overdue_condition(now))
    elif status == "closed":
        query = query.where(FollowUpCase.status.in_([s.value for s in CLOSED]))
    elif status != "all":
        query = query.where(FollowUpCase.status == status)
    if store_id is not None:
        query = query.where(FollowUpCase.store_id == store_id)
    page = db.paginate(query.order_by(*queue_order(now)), per_page=_page_size(), error_out=False)
    stores = _store_choices() if current_user.has_role("hr", "manager") else []
    return render_template(
        "feedback/cases.html",
        page=page,
        now=now,
        status=status,
        store_id=store_id,
        stores=stores,
        filters=CASE_FILTERS,
        status_labels=STATUS_LABELS,
        outcome_labels=OUTCOME_LABELS,
        is_overdue=is_overdue,
        notice=case_notice(current_user, now),
    )


def _case_or_404(case_id: int) -> FollowUpCase:
    case = db.session.scalar(
        sa.select(FollowUpCase).where(FollowUpCase.id == case_id, visible_cases_condition(current_user))
    )
    if case is None:
        abort(404)
    return case


def _render_case(
    case: FollowUpCase,
    *,
    code: int = 200,
    transition_form: CaseTransitionForm | None = None,
    note_form: CaseNoteForm | None = None,
    assign_form: CaseAssignForm | None = None,
):
    status = CaseStatus(case.status)
    works = may_work_on(current_user, case)
    manages = manages_case(current_user, case)
    if works and status in ACTIVE and transition_form is None:
        transition_form = CaseTransitionForm(next_statuses(status), formdata=None)
    if works and note_form is None:
        note_form = CaseNoteForm(formdata=None)
    if manages and status in ACTIVE and assign_form is None:
        assign_form = _assign_form(case, formdata=None)
        assign_form.assignee.data = str(case.assignee_id or "")
    reason_code, reason_details = split_reason(case.response.excluded_reason)
    return (
        render_template(
            "feedback/case_detail.html",
            case=case,
            notes=note_entries(case.notes),
            response=case.response,
            status=status,
            overdue=is_overdue(case),
            show_contact=may_see_contact(current_user, case),
            holds=holds_case(current_user, case),
            guide=call_guide(),
            transition_form=transition_form if works and status in ACTIVE else None,
            note_form=note_form if works else None,
            assign_form=assign_form if manages and status in ACTIVE else None,
            status_labels=STATUS_LABELS,
            outcome_labels=OUTCOME_LABELS,
            reason_labels=REASON_LABELS,
            reason_code=reason_code,
            reason_details=reason_details,
        ),
        code,
    )


def _assign_form(case: FollowUpCase, **kwargs) -> CaseAssignForm:
    team = [(str(e.id), f"{e.full_name} ({e.number})") for e in assignable_employees(case, clock.today())]
    return CaseAssignForm(team, **kwargs)


@bp.route("/cases/<int:case_id>")
@allow("hr", "manager", "employee")
def case_detail(case_id: int):
    """Show a case, its response, the call guide and, to those who call, the customer's contact."""
    return _render_case(_case_or_404(case_id))


def _case_to_work_on(case_id: int) -> FollowUpCase:
    case = _case_or_404(case_id)
    if not may_work_on(current_user, case):
        abort(403)
    return case


@bp.route("/cases/<int:case_id>/status", methods=["POST"])
@allow("manager", "employee")
def case_transition(case_id: int):
    """Move a case on (contacted, resolved, unreachable) with its outcome and an optional note."""
    case = _case_to_work_on(case_id)
    form = CaseTransitionForm(next_statuses(case.status) if case.status in ACTIVE else [])
    if not form.validate_on_submit():
        return _render_case(case, code=400, transition_form=form)
    try:
        transition_case(case, form.status.data, outcome=form.outcome.data, notes=form.notes.data)
        from app.recognition import rules  # recognition reads feedback: imported here, not at the top

        rules.on_case_closed(case, current_user.employee_id)
    except CaseOutcomeError as exc:
        db.session.rollback()
        form.outcome.errors = [str(exc)]
        return _render_case(case, code=400, transition_form=form)
    except CaseError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_case(case, code=409)
    db.session.commit()
    flash(_("The case is now %(status)s.", status=STATUS_LABELS[CaseStatus(case.status)]), "success")
    return redirect(url_for("feedback.case_detail", case_id=case.id))


@bp.route("/cases/<int:case_id>/note", methods=["POST"])
@allow("manager", "employee")
def case_note(case_id: int):
    """Add a dated note to a case."""
    case = _case_to_work_on(case_id)
    form = CaseNoteForm()
    if not form.validate_on_submit():
        return _render_case(case, code=400, note_form=form)
    try:
        add_note(case, form.notes.data)
    except CaseError as exc:
        db.session.rollback()
        form.notes.errors = [str(exc)]
        return _render_case(case, code=400, note_form=form)
    db.session.commit()
    flash(_("Note added."), "success")
    return redirect(url_for("feedback.case_detail", case_id=case.id))


@bp.route("/cases/<int:case_id>/assign", methods=["POST"])
@allow("manager")
def case_assign(case_id: int):
    """Hand a case to a member of the store's team, or take it back."""
    case = _case_or_404(case_id)
    if not manages_case(current_user, case):
        abort(403)
    form = _assign_form(case)
    if not form.validate_on_submit():
        return _render_case(case, code=400, assign_form=form)
    raw = (form.assignee.data or "").strip()
    if raw and not raw.isdigit():
        form.assignee.errors = [_("Choose someone of the store's team.")]
        return _render_case(case, code=400, assign_form=form)
    try:
        assign_case(case, int(raw) if raw else None, on=clock.today())
    except CaseAssignmentError as exc:
        db.session.rollback()
        if CaseStatus(case.status) in CLOSED:
            flash(str(exc), "error")
            return _render_case(case, code=409)
        form.assignee.errors = [str(exc)]
        return _render_case(case, code=400, assign_form=form)
    db.session.commit()
    flash(_("The case is handed over.") if raw else _("The case is back with the store's managers."), "success")
    return redirect(url_for("feedback.case_detail", case_id=case.id))


@bp.route("/cases/guide", methods=["GET", "POST"])
@allow("hr")
def call_guide_edit():
    """Write the call guide shown on every case."""
    form = CallGuideForm(data={"guide": call_guide()})
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("feedback/call_guide.html", form=form), 400
        save_call_guide(form.guide.data or "")
        db.session.commit()
        flash(_("Call guide saved."), "success")
        return redirect(url_for("feedback.call_guide_edit"))
    return render_template("feedback/call_guide.html", form=form)


# --- HR: responses and their exclusion -------------------------------------------------------------


@bp.route("/responses")
@allow("hr")
def responses():
    """List survey responses with filters (store, month, category, excluded), newest first."""
    query = sa.select(SurveyResponse).options(selectinload(SurveyResponse.store))
    store_id = _int_arg("store")
    month_text = request.args.get("month", "").strip()
    category = request.args.get("category", "")
    excluded = request.args.get("excluded", "")
    month_error = None
    if store_id is not None:
        query = query.where(SurveyResponse.store_id == store_id)
    if month_text:
        month = _month_or_none(month_text)
        if month is not None:
            query = query.where(SurveyResponse.local_month == month.month_key)
        else:
            month_error = _("The month looks like 2026-07.")
    if category == "none":
        query = query.where(SurveyResponse.nps.is_(None))
    elif category in NPS_CATEGORIES:
        query = query.where(nps_category_condition(category))
    if excluded == "yes":
        query = query.where(SurveyResponse.excluded.is_(True))
    elif excluded == "no":
        query = query.where(SurveyResponse.excluded.is_(False))
    query = query.order_by(SurveyResponse.answered_at.desc(), SurveyResponse.id.desc())
    page = db.paginate(query, per_page=_page_size(), error_out=False)
    filters = {"store": store_id or "", "month": month_text, "category": category, "excluded": excluded}
    return (
        render_template(
            "feedback/exclusion_list.html",
            page=page,
            stores=_store_choices(),
            filters={k: v for k, v in filters.items() if v},
            store_id=store_id,
            month=month_text,
            category=category,
            excluded=excluded,
            month_error=month_error,
            categories=RESPONSE_CATEGORIES,
            reason_labels=REASON_LABELS,
            split_reason=split_reason,
        ),
        400 if month_error else 200,
    )


def _response_or_404(response_id: int) -> SurveyResponse:
    response = db.session.get(SurveyResponse, response_id)
    if response is None:
        abort(404)
    return response


def _render_response(response: SurveyResponse, *, code: int = 200, form: ExcludeForm | None = None):
    case = db.session.scalar(sa.select(FollowUpCase).where(FollowUpCase.response_id == response.id))
    reason_code, reason_details = split_reason(response.excluded_reason)
    return (
        render_template(
            "feedback/exclusion_detail.html",
            response=response,
            case=case,
            paid=month_paid(response.local_month),
            form=form or ExcludeForm(formdata=None),
            reason_labels=REASON_LABELS,
            reason_code=reason_code,
            reason_details=reason_details,
            status_labels=STATUS_LABELS,
        ),
        code,
    )


@bp.route("/responses/<int:response_id>")
@allow("hr")
def response_detail(response_id: int):
    """Show one response (never the customer's contact) with the form to exclude or restore it."""
    return _render_response(_response_or_404(response_id))


@bp.route("/responses/<int:response_id>/exclude", methods=["POST"])
@allow("hr")
def response_exclude(response_id: int):
    """Leave a response out of the KPIs, with a reason."""
    response = _response_or_404(response_id)
    form = ExcludeForm()
    if not form.validate_on_submit():
        return _render_response(response, code=400, form=form)
    try:
        exclude_response(response, form.reason.data, form.details.data)
    except ExclusionReasonError as exc:
        db.session.rollback()
        form.details.errors = [str(exc)]
        return _render_response(response, code=400, form=form)
    except ExclusionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_response(response, code=409, form=form)
    db.session.commit()
    flash(_("The response is excluded from the KPIs."), "success")
    return redirect(url_for("feedback.response_detail", response_id=response.id))


@bp.route("/responses/<int:response_id>/restore", methods=["POST"])
@allow("hr")
def response_restore(response_id: int):
    """Count an excluded response in the KPIs again."""
    response = _response_or_404(response_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        restore_response(response)
    except ExclusionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_response(response, code=409)
    db.session.commit()
    flash(_("The response counts in the KPIs again."), "success")
    return redirect(url_for("feedback.response_detail", response_id=response.id))


# --- happy customers -------------------------------------------------------------------------------


@bp.route("/happy")
@allow("hr", "manager", "employee")
def happy():
    """Show promoters' comments, newest first: what the store's customers loved."""
    managed = managed_store_ids(current_user)
    store_id = _int_arg("store")
    query = compliments(current_user, clock.today(), store_id).options(
        selectinload(SurveyResponse.store), selectinload(SurveyResponse.employee)
    )
    page = db.paginate(query, per_page=_page_size(), error_out=False)
    stores = _store_choices() if current_user.has_role("hr", "manager") else []
    return render_template(
        "feedback/happy.html",
        page=page,
        managed=managed,
        stores=stores,
        store_id=store_id,
        me=current_user.employee_id,
        can_thank=RECOGNITION_ENDPOINT in current_app.view_functions,
        thank_endpoint=RECOGNITION_ENDPOINT,
    )
