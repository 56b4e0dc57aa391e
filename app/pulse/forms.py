"""Forms of the pulse pages: HR's new survey, the answer form, and the page where a store code is typed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.auth.forms import MultiCheckboxField
from app.pulse.models import MAX_ITEMS
from app.pulse.services import ENPS_EN, ENPS_FR, TEXT_MAX


class SurveyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    period = StringField(_l("Period (YYYY-MM, YYYY-Qn or YYYY)"), validators=[DataRequired(), Length(max=10)])
    whole_company = BooleanField(_l("Every store (the whole company)"), default=True)
    stores = MultiCheckboxField(_l("Or these stores"), validators=[Optional()], validate_choice=False)
    enps_fr = TextAreaField(_l("eNPS question in French"), default=ENPS_FR, validators=[Length(max=TEXT_MAX)])
    enps_en = TextAreaField(_l("eNPS question in English"), default=ENPS_EN, validators=[Length(max=TEXT_MAX)])


# The optional 1–5 questions: a French and an English field each.
for _position in range(1, MAX_ITEMS + 1):
    setattr(
        SurveyForm,
        f"item_fr_{_position}",
        StringField(_l("Question %(n)d in French", n=_position), validators=[Optional(), Length(max=TEXT_MAX)]),
    )
    setattr(
        SurveyForm,
        f"item_en_{_position}",
        StringField(_l("Question %(n)d in English", n=_position), validators=[Optional(), Length(max=TEXT_MAX)]),
    )


class AnswerForm(FlaskForm):
    """The scores are radio buttons read by the service; the form carries the CSRF token and the change code."""

    change_code = StringField(_l("Change code"), validators=[Optional(), Length(max=20)])


class CodeForm(FlaskForm):
    class Meta:
        csrf = False  # a GET that only leads to the store's form

    code = StringField(_l("Code of your store"), validators=[DataRequired(), Length(max=20)])
