"""The notification preferences form: one choice per kind the user may receive."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from app.notify import messages
from app.notify.kinds import Kind, Mode

MODE_CHOICES = [
    SelectChoice(Mode.IMMEDIATE.value, _l("Immediately")),
    SelectChoice(Mode.DIGEST.value, _l("In a weekly digest")),
    SelectChoice(Mode.OFF.value, _l("Off")),
]


def preferences_form(kinds: list[Kind], current: dict[str, Mode], formdata: object = None) -> FlaskForm:
    """A form with a select per kind (named after the kind's code), filled with the user's current choices."""

    class PreferencesForm(FlaskForm):
        pass

    for kind in kinds:
        setattr(PreferencesForm, kind.code, SelectField(messages.label(kind.code), choices=MODE_CHOICES))
    data = {kind.code: current[kind.code].value for kind in kinds}
    if formdata is None:
        return PreferencesForm(formdata=None, data=data)
    return PreferencesForm(data=data)
