"""Forms of the absence kinds page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from app.absences.services import CODE_LENGTH, LABEL_LENGTH


class KindForm(FlaskForm):
    """A kind's names and whether its days count as presence (the code is set once, when the kind is added)."""

    label_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=LABEL_LENGTH)])
    label_fr = StringField(_l("Name in French"), validators=[DataRequired(), Length(max=LABEL_LENGTH)])
    counts_as_presence = BooleanField(_l("Counts as presence"))


class NewKindForm(KindForm):
    code = StringField(
        _l("Code (as import files name it)"),
        validators=[
            DataRequired(),
            Length(max=CODE_LENGTH),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Letters, digits, _ and - only.")),
        ],
    )
