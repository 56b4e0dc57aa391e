"""Settings HR changes at run time, each a JSON `Setting` row saved with its audit record; and the company's own.

The company settings' precedence: the saved row, then `PRIMO_MANAGERS_READ_STATEMENTS` (environment or
instance/config.py), then off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from flask import current_app

from app.audit.services import record
from app.core.memo import remembered
from app.core.models import Setting
from app.extensions import db

KEY = "company"


def saved_setting(key: str, default: Any = None) -> Any:
    """The value HR saved under `key`, or `default` while nothing is saved."""
    # The identity map remembers a saved row, not a missing one: a page reading an unsaved setting asked again.
    row = remembered(("setting", key), lambda: db.session.get(Setting, key))
    return row.value if row is not None else default


def save_setting(
    key: str,
    value: Any,
    *,
    action: str = "setting.change",
    summary: str = "",
    before: Mapping[str, Any] | None = None,
) -> bool:
    """Store a setting with its audit record (before: `before`, else the stored value; after: the new one); tell
    whether anything changed. Saving the value already stored writes nothing. The caller commits."""
    row = db.session.get(Setting, key)
    if row is not None and row.value == value:
        return False
    stored = row.value if row is not None else None
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value
    db.session.flush()
    record(
        action,
        "setting",
        key,
        summary=summary or key,
        before=before if before is not None else _as_mapping(stored),
        after=_as_mapping(value),
    )
    return True


def _as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {"value": value}


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
    return saved_setting(KEY) is not None


def load_company_settings() -> CompanySettings:
    """The saved settings (a missing or unreadable value falls back to its default)."""
    base = defaults()
    raw = saved_setting(KEY)
    value = raw.get("managers_read_statements") if isinstance(raw, dict) else None
    return CompanySettings(managers_read_statements=value if isinstance(value, bool) else base.managers_read_statements)


def save_company_settings(new: CompanySettings) -> CompanySettings:
    """Store the settings (audited, with before and after); the caller commits."""
    before = asdict(load_company_settings())
    save_setting(KEY, asdict(new), action="company.settings", summary="company settings changed", before=before)
    return new


def managers_read_statements() -> bool:
    """Whether managers may read their team's bonus statements and amounts (never those of another team)."""
    return load_company_settings().managers_read_statements
