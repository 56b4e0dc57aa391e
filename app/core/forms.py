"""The company settings form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField


class CompanySettingsForm(FlaskForm):
    managers_read_statements = BooleanField(_l("Managers read their team's bonus statements"))
