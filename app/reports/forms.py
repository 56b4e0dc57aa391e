"""Forms of the statement, bulk-rendering and payroll pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

BULK_FORMATS = [SelectChoice("zip", _l("ZIP of PDFs")), SelectChoice("pdf", _l("One merged PDF"))]
PAYROLL_FORMATS = [SelectChoice("xlsx", "Excel (xlsx)"), SelectChoice("csv", "CSV")]
SEPARATORS = [SelectChoice(",", _l("comma (,)")), SelectChoice(".", _l("point (.)"))]


class BulkForm(FlaskForm):
    fmt = SelectField(_l("Format"), choices=BULK_FORMATS, default="zip")
    store = SelectField(_l("Store"), validators=[Optional()], default="")


class PayrollExportForm(FlaskForm):
    fmt = SelectField(_l("Format"), choices=PAYROLL_FORMATS, default="xlsx")
    decimal_separator = SelectField(_l("CSV decimal separator"), choices=SEPARATORS, default=",")


class BenefitsExportForm(PayrollExportForm):
    period = StringField(_l("Period (e.g. 2026-07 or 2026-Q3)"), validators=[DataRequired(), Length(max=10)])
