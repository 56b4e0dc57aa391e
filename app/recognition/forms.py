"""Forms of the recognition pages: awards, budgets, badges, rewards, redemption decisions, settings, privacy."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from app.recognition.awards import MESSAGE_MAX, MESSAGE_MIN
from app.recognition.settings import LEAVER_POLICIES

REWARD_KIND_LABELS = {
    "goods": _l("Goods"),
    "gift_card": _l("Gift card"),
    "day_off": _l("Day off"),
    "donation": _l("Donation"),
}
RULE_LABELS = {
    "detractors_recovered": _l("Five detractors recovered in a month"),
    "promoter_compliment": _l("Named in a promoter's compliment"),
    "nps_progression": _l("Best NPS progression of the region"),
}
LEAVER_LABELS = {"forfeit": _l("Forfeited on the exit date"), "keep": _l("Kept until they expire")}


class AwardForm(FlaskForm):
    # The choices only draw the page: the award service checks the team, the budget and the badge.
    employee = SelectField(_l("Employee"), validators=[DataRequired()], validate_choice=False)
    points = IntegerField(_l("Points"), validators=[InputRequired(), NumberRange(min=0)])
    message = TextAreaField(_l("Message"), validators=[DataRequired(), Length(min=MESSAGE_MIN, max=MESSAGE_MAX)])
    badge = SelectField(_l("Badge (optional)"), validators=[Optional()], validate_choice=False)
    public = BooleanField(_l("Show it in the store's feed"), default=True)
    response_id = HiddenField()


class BudgetForm(FlaskForm):
    manager = SelectField(_l("Manager"), validators=[DataRequired()], validate_choice=False)
    month = StringField(_l("Month (YYYY-MM)"), validators=[DataRequired(), Regexp(r"^\d{4}-(0[1-9]|1[0-2])$")])
    points = IntegerField(_l("Points for the month"), validators=[InputRequired(), NumberRange(min=0, max=10**7)])
    rollover = BooleanField(_l("What is left carries into the next month"))


class BadgeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    icon = SelectField(_l("Icon"), validators=[DataRequired()], validate_choice=False)
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    criteria = TextAreaField(_l("Criteria"), validators=[Optional(), Length(max=2000)])
    points = IntegerField(_l("Points (optional)"), validators=[Optional(), NumberRange(min=1, max=100000)])
    rule = SelectField(_l("Granted by a rule"), validators=[Optional()], validate_choice=False)
    active = BooleanField(_l("Active"), default=True)


class RewardForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(k, label) for k, label in REWARD_KIND_LABELS.items()],
        validators=[DataRequired()],
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    cost = IntegerField(_l("Cost in points"), validators=[InputRequired(), NumberRange(min=1, max=10**7)])
    stock = IntegerField(_l("Stock (empty: unlimited)"), validators=[Optional(), NumberRange(min=0, max=10**7)])
    limit_per_year = IntegerField(
        _l("Limit per employee and year (optional)"), validators=[Optional(), NumberRange(min=1, max=1000)]
    )
    euro_value = StringField(_l("Value in euros (taxable benefit)"), validators=[Optional(), Length(max=20)])
    icon = SelectField(_l("Image"), validators=[Optional()], validate_choice=False)
    active = BooleanField(_l("In the catalogue"), default=True)


class DecisionForm(FlaskForm):
    note = TextAreaField(_l("Reason (needed to reject or refund)"), validators=[Optional(), Length(max=500)])


class SettingsForm(FlaskForm):
    max_award_points = IntegerField(_l("Most points per award"), validators=[InputRequired(), NumberRange(min=1)])
    expiry_months = IntegerField(
        _l("Months before earned points expire"), validators=[InputRequired(), NumberRange(min=1, max=120)]
    )
    leaver_policy = SelectField(
        _l("Points of leavers"),
        choices=[SelectChoice(p, LEAVER_LABELS[p]) for p in LEAVER_POLICIES],
        validators=[DataRequired()],
    )
    bronze = IntegerField(_l("Bronze from (lifetime points)"), validators=[InputRequired(), NumberRange(min=1)])
    silver = IntegerField(_l("Silver from"), validators=[InputRequired(), NumberRange(min=1)])
    gold = IntegerField(_l("Gold from"), validators=[InputRequired(), NumberRange(min=1)])
    benefit_pay_code = StringField(_l("Pay code of benefits in kind"), validators=[DataRequired(), Length(max=40)])
    day_off_pay_code = StringField(_l("Pay code of days off"), validators=[DataRequired(), Length(max=40)])
    compliment_points = IntegerField(
        _l("Points suggested to thank for a compliment"), validators=[InputRequired(), NumberRange(min=0)]
    )
    automatic_points_per_month = IntegerField(
        _l("Company budget for automatic points, per month (0: no limit)"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=10**9)],
    )


class PrivacyForm(FlaskForm):
    hide_name = BooleanField(_l("Show me as “anonymous” on leaderboards"))


class PointsRuleForm(FlaskForm):
    # The choices only draw the page: the rules service checks the event, the badge and the KPI.
    event = SelectField(_l("When"), validators=[DataRequired()], validate_choice=False)
    points = IntegerField(_l("Points"), validators=[InputRequired(), NumberRange(min=1, max=100000)])
    badge = SelectField(_l("Badge (optional)"), validators=[Optional()], validate_choice=False)
    cap_per_month = IntegerField(
        _l("At most, per employee and month (optional)"), validators=[Optional(), NumberRange(min=1, max=10**6)]
    )
    kpi = SelectField(_l("KPI (store KPI rules)"), validators=[Optional()], validate_choice=False)
    threshold = StringField(_l("Threshold (store KPI rules)"), validators=[Optional(), Length(max=20)])
    min_answers = IntegerField(
        _l("Answers needed (store KPI rules)"), default=30, validators=[Optional(), NumberRange(min=0, max=10**6)]
    )


class ChallengeForm(FlaskForm):
    name = StringField(_l("Name (optional)"), validators=[Optional(), Length(max=200)])
    team = SelectField(_l("Team"), validators=[DataRequired()], validate_choice=False)
    kpi = SelectField(_l("KPI"), validators=[DataRequired()], validate_choice=False)
    goal = StringField(_l("Goal"), validators=[DataRequired(), Length(max=20)])
    min_answers = IntegerField(
        _l("Answers needed"), default=30, validators=[InputRequired(), NumberRange(min=0, max=10**6)]
    )
    starts_on = DateField(_l("From"), validators=[DataRequired()])
    ends_on = DateField(_l("To"), validators=[DataRequired()])
    points = IntegerField(_l("Points per member"), validators=[Optional(), NumberRange(min=1, max=100000)])
    reward = SelectField(_l("Team reward (optional)"), validators=[Optional()], validate_choice=False)
