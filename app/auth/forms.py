"""Forms for logging in, passwords and user administration."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import DateField, EmailField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.auth.access import ROLES, SCOPES
from app.core import labels


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(
        _l("Repeat the new password"), validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))]
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(r, labels.USER_ROLES[r]) for r in ROLES]


class InviteForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    roles = MultiCheckboxField(_l("Roles"), choices=role_choices(), validators=[DataRequired()])
    employee_number = StringField(_l("Employee number (optional)"), validators=[Optional(), Length(max=40)])


class RolesForm(FlaskForm):
    roles = MultiCheckboxField(_l("Roles"), choices=role_choices(), validators=[DataRequired()])


class ActionForm(FlaskForm):
    """A button that changes state: nothing but the CSRF token."""


# Each language is named in itself, so that a reader who does not understand the page can still find theirs.
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}


class LanguageForm(FlaskForm):
    """The language switch: "" leaves the choice to the employee record and the browser."""

    language = SelectField(
        _l("Language"),
        choices=[
            SelectChoice("", _l("Automatic (from your employee record or browser)")),
            *(SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGE_NAMES.items()),
        ],
    )
    next = HiddenField()


class ApiTokenForm(FlaskForm):
    """A new integration token: its name, what it may do, until when."""

    name = StringField(_l("Integration name"), validators=[DataRequired(), Length(max=120)])
    scopes = MultiCheckboxField(
        _l("Scopes"),
        choices=[SelectChoice(s, Markup('<code translate="no">%s</code>') % s) for s in SCOPES],
        validators=[DataRequired()],
    )
    expires_on = DateField(_l("Valid until"), validators=[DataRequired()])
