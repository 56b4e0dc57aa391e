"""Forms of the dashboards and of HR's other KPIs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class RankingSettingsForm(FlaskForm):
    hide_ranking = BooleanField(_l("Hide the store ranking from managers (they see their stores against their past)"))


class KpiDefinitionForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=20)])
    direction = SelectField(
        _l("Better when"),
        choices=[SelectChoice("higher", _l("higher")), SelectChoice("lower", _l("lower"))],
        validators=[DataRequired()],
    )
    aggregate = SelectField(
        _l("A quarter or a year is"),
        choices=[
            SelectChoice("mean", _l("the mean of its months")),
            SelectChoice("sum", _l("the sum of its months")),
            SelectChoice("last", _l("its last month with a value")),
        ],
        validators=[DataRequired()],
    )


class KpiValueForm(FlaskForm):
    kpi = SelectField(_l("KPI"), coerce=int, validators=[DataRequired()])
    store = SelectField(_l("Store"), coerce=int, validators=[DataRequired()])
    period = StringField(_l("Period (2026-07, 2026-Q3 or 2026)"), validators=[DataRequired(), Length(max=10)])
    value = StringField(_l("Value"), validators=[DataRequired(), Length(max=30)])
