"""Forms of the follow-up cases, the call guide and the exclusion of a response."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.feedback.cases import NOTES_MAX, OUTCOME_LABELS, OUTCOMES, STATUS_LABELS, CaseStatus
from app.feedback.exclusions import DETAILS_MAX, REASON_LABELS, REASONS


def outcome_choices() -> list[SelectChoice]:
    """Every outcome code, grouped under the closing status it fits."""
    choices = [SelectChoice("", _l("— outcome (when closing) —"))]
    for status in (CaseStatus.RESOLVED, CaseStatus.UNREACHABLE):
        group = str(STATUS_LABELS[status])
        choices += [SelectChoice(code, OUTCOME_LABELS[code], optgroup=group) for code in OUTCOMES[status]]
    return choices


class CaseTransitionForm(FlaskForm):
    """Move a case on; the choices of `status` are the moves its current status allows."""

    # The choices only draw the page: the case's life cycle (`check_transition`, `check_outcome`) decides.
    status = SelectField(_l("New status"), validators=[DataRequired()], validate_choice=False)
    outcome = SelectField(_l("Outcome"), validators=[Optional()], validate_choice=False)
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])

    def __init__(self, allowed: list[CaseStatus], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice(s.value, STATUS_LABELS[s]) for s in allowed]
        self.outcome.choices = outcome_choices()


class CaseNoteForm(FlaskForm):
    notes = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=min(4000, NOTES_MAX))])


class CaseAssignForm(FlaskForm):
    """Hand the case to someone of the store's team ("" gives it back to the managers)."""

    # The service checks the store's team (it may have changed since the page was drawn), not these choices.
    assignee = SelectField(_l("Handled by"), validators=[Optional()], validate_choice=False)

    def __init__(self, team: list[tuple[str, str]], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.assignee.choices = [SelectChoice("", _l("The store's managers"))] + [
            SelectChoice(value, label) for value, label in team
        ]


class CallGuideForm(FlaskForm):
    guide = TextAreaField(_l("Call guide"), validators=[Optional(), Length(max=10_000)])


class ExcludeForm(FlaskForm):
    reason = SelectField(
        _l("Reason"),
        choices=[SelectChoice("", _l("— choose a reason —"))] + [SelectChoice(c, REASON_LABELS[c]) for c in REASONS],
        validators=[DataRequired(_l("Choose a reason for the exclusion."))],
    )
    details = TextAreaField(_l("Explanation (required for “other”)"), validators=[Optional(), Length(max=DETAILS_MAX)])
