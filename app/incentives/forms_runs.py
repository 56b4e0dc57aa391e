"""Forms of the run pages (create, submit, approve, reject, adjust) and of the questions on lines."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class CreateRunForm(FlaskForm):
    version = SelectField(_l("Scheme version"), validators=[DataRequired()])
    period = StringField(_l("Period (e.g. 2026-Q3)"), validators=[DataRequired(), Length(max=10)])
    corrective_reason = TextAreaField(
        _l("Reason for a corrective run (only for a period already paid)"),
        validators=[Optional(), Length(max=2000)],
    )


class CommentForm(FlaskForm):
    """Submit or approve, with an optional note kept in the run's history."""

    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=2000)])


class RejectForm(FlaskForm):
    comment = TextAreaField(_l("Why does the run go back to draft?"), validators=[DataRequired(), Length(max=2000)])


class AdjustForm(FlaskForm):
    employee = StringField(_l("Employee number"), validators=[DataRequired(), Length(max=40)])
    amount = StringField(_l("Amount (signed, e.g. 25.00 or -10.50)"), validators=[DataRequired(), Length(max=20)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(min=3, max=500)])
    corrects = StringField(
        _l("Corrects line id (of an approved run, optional)"), validators=[Optional(), Length(max=12)]
    )
    question = HiddenField()


class AskForm(FlaskForm):
    question = TextAreaField(_l("Your question about this line"), validators=[DataRequired(), Length(min=10, max=2000)])


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(), Length(min=2, max=4000)])


class InteressementSettingsForm(FlaskForm):
    """The intéressement pay code, and the PASS of one year (to add a year or correct one)."""

    pay_code = StringField(_l("Pay code of intéressement"), validators=[DataRequired(), Length(max=40)])
    year = StringField(_l("Year of the PASS"), validators=[Optional(), Length(max=4)])
    pass_amount = StringField(_l("PASS of that year"), validators=[Optional(), Length(max=20)])
