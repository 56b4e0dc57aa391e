"""Forms of the engagement and invitation imports and of the anomaly flags pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectMultipleField, TextAreaField
from wtforms.validators import Length, Optional

from app.feedback.forms_cases import ExcludeForm
from app.feedback.forms_ingest import ALLOWED


class FiguresUploadForm(FlaskForm):
    file = FileField(
        _l("File (CSV or XLSX)"), validators=[FileRequired(), FileAllowed(ALLOWED, _l("CSV or XLSX only."))]
    )


class ExcludeFlaggedForm(ExcludeForm):
    """HR's bulk exclusion: the flags ticked, and the reason every response of theirs is excluded with."""

    # The choices are the flags listed; the service looks the ids up again and refuses any it does not find.
    flags = SelectMultipleField(_l("Flags"), coerce=int, validate_choice=False)


class PhrasesForm(FlaskForm):
    fr = TextAreaField(_l("French phrases (one a line)"), validators=[Optional(), Length(max=10_000)])
    en = TextAreaField(_l("English phrases (one a line)"), validators=[Optional(), Length(max=10_000)])
