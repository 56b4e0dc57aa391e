"""Forms of the column mapping pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.mappings.columns import MAX_HEADER_ROWS

ALLOWED = ["csv", "xlsx", "txt"]
KIND_CHOICES = [
    SelectChoice("surveys", _l("Survey responses")),
    SelectChoice("employees", _l("Employees (HRIS export)")),
]


class SampleForm(FlaskForm):
    """A file of the tool's, whose columns the mapping is drawn from."""

    kind = SelectField(_l("Import"), choices=KIND_CHOICES)
    file = FileField(
        _l("An export of the tool (CSV or XLSX)"),
        validators=[FileRequired(), FileAllowed(ALLOWED, _l("CSV or XLSX only."))],
    )
    header_rows = IntegerField(
        _l("Header rows"), default=1, validators=[DataRequired(), NumberRange(1, MAX_HEADER_ROWS)]
    )


class MappingForm(FlaskForm):
    """The mapping's name and options; each column's field comes from the table of columns."""

    name = StringField(_l("Mapping name"), validators=[DataRequired(), Length(max=80)])
    source = StringField(_l("Source (survey imports)"), validators=[Optional(), Length(max=32)])
    header_rows = IntegerField(
        _l("Header rows"), default=1, validators=[DataRequired(), NumberRange(1, MAX_HEADER_ROWS)]
    )
    date_format = StringField(_l("Date format (e.g. dd/mm/yyyy HH:MM:SS)"), validators=[Optional(), Length(max=40)])
    timezone = StringField(_l("Time zone of the file's times (empty: the company's)"), validators=[Length(max=60)])
    values = TextAreaField(_l("Value mappings, one per line: field: file value = Primo value"))
    constants = TextAreaField(_l("Constant values, one per line: field = value"))
