"""Upload forms for organisation files."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired

ALLOWED = ["csv", "xlsx", "txt"]


class UploadForm(FlaskForm):
    file = FileField(
        _l("File (CSV or XLSX)"), validators=[FileRequired(), FileAllowed(ALLOWED, _l("CSV or XLSX only."))]
    )
