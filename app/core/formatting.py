"""Locale-aware formatting that never lets Babel round money half-to-even."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_currency, format_date, format_datetime, format_decimal, get_locale

from app.money import round_half_up


def money(value: Decimal | None, currency: str | None = None) -> str:
    """Format an amount for the current locale, rounded half-up to the cent first."""
    if value is None:
        return "—"
    return format_currency(round_half_up(value, 2), currency or current_app.config["PRIMO_CURRENCY"])


def number(value: Decimal | int | None, places: int = 0) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        value = round_half_up(value, places)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(value, format=pattern)


def day(value: date | None, style: str = "medium") -> str:
    return format_date(value, style) if value else "—"


def moment(value: datetime | None) -> str:
    if value is None:
        return "—"
    local = value.astimezone(ZoneInfo(current_app.config["PRIMO_TIMEZONE"]))
    return format_datetime(local.replace(tzinfo=None), "short")


def language() -> str:
    return str(get_locale() or current_app.config["PRIMO_DEFAULT_LANGUAGE"])
