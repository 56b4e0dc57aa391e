"""Forms of the survey import and webhook source pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.core import labels
from app.feedback.models import SOURCE_FORMATS

ALLOWED = ["csv", "xlsx", "txt"]
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
NAME_MESSAGE = _l("Letters, digits, '.', '_' and '-' only.")


class SurveyUploadForm(FlaskForm):
    # Saved column mappings of the kind (the page sets the choices); empty: the file has Primo's own columns.
    mapping = SelectField(_l("Column mapping"), choices=[], validate_choice=False)
    file = FileField(
        _l("File (CSV or XLSX)"), validators=[FileRequired(), FileAllowed(ALLOWED, _l("CSV or XLSX only."))]
    )
    # The pending upload's kind holds "surveys:<source>" in 40 characters.
    source = StringField(
        _l("Source"),
        default="import",
        validators=[DataRequired(), Length(max=32), Regexp(NAME_PATTERN, message=NAME_MESSAGE)],
    )


def _ref(label: str) -> StringField:
    return StringField(label, validators=[Optional(), Length(max=120)])


class SourceRefsForm(FlaskForm):
    """Which Typeform question (by its ref) holds each answer."""

    nps = _ref(_l("NPS question ref"))
    csat = _ref(_l("CSAT question ref"))
    ces = _ref(_l("CES question ref"))
    comment = _ref(_l("Comment question ref"))
    consent = _ref(_l("Contact consent question ref (yes/no)"))
    name = _ref(_l("Customer name question ref"))
    contact = _ref(_l("Customer e-mail or phone question ref"))

    REF_FIELDS = ("nps", "csat", "ces", "comment", "consent", "name", "contact")

    def refs(self) -> dict[str, str | None]:
        return {key: getattr(self, key).data for key in self.REF_FIELDS}


class SourceForm(SourceRefsForm):
    source_name = StringField(
        _l("Name (used in the webhook address)"),
        validators=[DataRequired(), Length(max=80), Regexp(NAME_PATTERN, message=NAME_MESSAGE)],
    )
    format = SelectField(
        _l("Format"), choices=[SelectChoice(f, labels.SOURCE_FORMATS[f]) for f in SOURCE_FORMATS], default="generic"
    )
