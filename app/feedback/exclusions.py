"""HR takes a single survey response out of the KPIs (with a reason, audited), or puts it back.

Both are refused once a bonus run has paid on the response's month: the figures it paid on must not move.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.audit.services import current_actor, record
from app.dbtypes import utcnow
from app.extensions import db
from app.feedback.models import SurveyResponse
from app.feedback.paid_months import month_label, month_paid

REASONS = ("score_begging", "test", "wrong_store", "other")
REASON_LABELS = {
    "score_begging": _l("Suspected score begging"),
    "test": _l("Test answer"),
    "wrong_store": _l("Wrong store"),
    "other": _l("Other"),
}
DETAILS_MAX = 400


class ExclusionError(Exception):
    """An exclusion or a restore that the rules refuse; the message is safe to show."""


class ExclusionReasonError(ExclusionError):
    """No reason, an unknown one, or `other` without an explanation."""


class MonthPaidError(ExclusionError):
    """The response's month is paid: a bonus run approved on it."""


def reason_text(code: str, details: str | None) -> str:
    """The stored reason: its code, then the explanation if any ("wrong_store: belongs to B1")."""
    code = (code or "").strip()
    details = " ".join((details or "").split())
    if code not in REASONS:
        raise ExclusionReasonError(_("Choose a reason for the exclusion."))
    if code == "other" and not details:
        raise ExclusionReasonError(_("Explain the reason when it is “other”."))
    if len(details) > DETAILS_MAX:
        raise ExclusionReasonError(_("The explanation is limited to %(n)d characters.", n=DETAILS_MAX))
    return f"{code}: {details}" if details else code


def split_reason(stored: str | None) -> tuple[str | None, str]:
    """The reason code and explanation of a stored reason (the reverse of `reason_text`)."""
    if not stored:
        return None, ""
    code, _sep, details = stored.partition(": ")
    return code, details


def _state(response: SurveyResponse) -> dict[str, object]:
    return {"excluded": response.excluded, "excluded_reason": response.excluded_reason}


def _refuse_if_paid(response: SurveyResponse) -> None:
    if month_paid(response.local_month):
        month = month_label(response.local_month)
        raise MonthPaidError(
            _("The month %(month)s is already paid: its responses can no longer be excluded or restored.", month=month)
        )


def exclude_response(
    response: SurveyResponse, code: str, details: str | None = None, *, now: datetime | None = None
) -> SurveyResponse:
    """Leave a response out of every KPI from now on, with the reason why (flush only)."""
    reason = reason_text(code, details)
    if response.excluded:
        raise ExclusionError(_("This response is already excluded."))
    _refuse_if_paid(response)
    before = _state(response)
    response.excluded = True
    response.excluded_reason = reason
    response.excluded_by = current_actor()[1]
    response.excluded_at = now or utcnow()
    db.session.flush()
    record(
        "response.exclude",
        "survey_response",
        response.id,
        summary=f"excluded from the KPIs: {reason}",
        before=before,
        after=_state(response),
    )
    return response


def restore_response(response: SurveyResponse) -> SurveyResponse:
    """Count an excluded response in the KPIs again (flush only)."""
    if not response.excluded:
        raise ExclusionError(_("This response is not excluded."))
    _refuse_if_paid(response)
    before = _state(response)
    response.excluded = False
    response.excluded_reason = None
    response.excluded_by = None
    response.excluded_at = None
    db.session.flush()
    record(
        "response.restore",
        "survey_response",
        response.id,
        summary="counted in the KPIs again",
        before=before,
        after=_state(response),
    )
    return response
