"""The form HR registers an endpoint with."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.auth.forms import MultiCheckboxField
from app.core.labels import WEBHOOK_EVENTS


def _event_choice(code: str) -> SelectChoice:
    return SelectChoice(code, Markup('%s <code translate="no">%s</code>') % (WEBHOOK_EVENTS[code], code))


class EndpointForm(FlaskForm):
    """A new endpoint: where Primo posts, which events, a note for HR."""

    url = StringField(_l("URL"), validators=[DataRequired(), Length(max=2000)])
    events = MultiCheckboxField(
        _l("Events"), choices=[SelectChoice(code, code) for code in WEBHOOK_EVENTS], validators=[DataRequired()]
    )
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Labelled per form, in the reader's language (built once at import, they stayed in English).
        self.events.choices = [_event_choice(code) for code in WEBHOOK_EVENTS]
