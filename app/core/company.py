"""Company settings HR changes at run time, kept as one JSON `Setting` row; the environment gives the defaults.

Precedence: the saved row, then `PRIMO_MANAGERS_READ_STATEMENTS` (environment or instance/config.py), then off.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from flask import current_app

from app.audit.services import record
from app.core.models import Setting
from app.extensions import db

KEY = "company"


@dataclass(frozen=True)
class CompanySettings:
    """Who may read what: a company decision, not a technical one."""

    # Managers read the bonus statements (and amounts, salaries) of their team; otherwise only HR, payroll and
    # the employee do, and managers see no individual's pay anywhere.
    managers_read_statements: bool = False


def defaults() -> CompanySettings:
    """The settings until HR saves the page: from the configuration."""
    return CompanySettings(managers_read_statements=bool(current_app.config.get("PRIMO_MANAGERS_READ_STATEMENTS")))


def is_saved() -> bool:
    return db.session.get(Setting, KEY) is not None


def load_company_settings() -> CompanySettings:
    """The saved settings (a missing or unreadable value falls back to its default)."""
    base = defaults()
    row = db.session.get(Setting, KEY)
    raw = row.value if row is not None and isinstance(row.value, dict) else {}
    value = raw.get("managers_read_statements")
    return CompanySettings(managers_read_statements=value if isinstance(value, bool) else base.managers_read_statements)


def save_company_settings(new: CompanySettings) -> CompanySettings:
    """Store the settings (audited, with before and after); the caller commits."""
    before = asdict(load_company_settings())
    row = db.session.get(Setting, KEY)
    if row is None:
        db.session.add(Setting(key=KEY, value=asdict(new)))
    else:
        row.value = asdict(new)
    db.session.flush()
    record("company.settings", "setting", KEY, summary="company settings changed", before=before, after=asdict(new))
    return new


def managers_read_statements() -> bool:
    """Whether managers may read their team's bonus statements and amounts (never those of another team)."""
    return load_company_settings().managers_read_statements
