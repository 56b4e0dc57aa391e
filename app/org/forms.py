"""Upload forms for organisation files."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField

ALLOWED = ["csv", "xlsx", "txt"]


class UploadForm(FlaskForm):
    # Saved column mappings of the kind (the page sets the choices); empty: the file has Primo's own columns.
    mapping = SelectField(_l("Column mapping"), choices=[], validate_choice=False)
    file = FileField(
        _l("File (CSV or XLSX)"), validators=[FileRequired(), FileAllowed(ALLOWED, _l("CSV or XLSX only."))]
    )
