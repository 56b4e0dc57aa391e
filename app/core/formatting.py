"""Money, numbers, dates and instants for pages, in the page's language (numbers and money through app.core.numbers)."""

from __future__ import annotations

import functools
import re
from datetime import date, datetime
from decimal import Decimal

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime
from babel.numbers import get_currency_symbol
from flask import current_app
from flask_babel import format_currency, format_date, get_locale

from app.core import clock, numbers


def money(value: Decimal | None, currency: str | None = None) -> str:
    """Format an amount for the current locale, rounded half-up to the cent first."""
    if value is None:
        return "—"
    return numbers.money(value, currency or current_app.config["PRIMO_CURRENCY"], language())


def whole_money(value: Decimal, currency: str | None = None) -> str:
    """A round amount without its cents ("1 000 €", "€1,000"), as on a chart's axis; other amounts keep them."""
    if value != value.to_integral_value():
        return money(value, currency)
    pattern = Locale.parse(language()).currency_formats["standard"].pattern.split(";")[0]
    return format_currency(
        value,
        currency or current_app.config["PRIMO_CURRENCY"],
        format=re.sub(r"\.0+", "", pattern),
        currency_digits=False,
    )


def currency_symbol(currency: str | None = None) -> str:
    """The company currency's symbol in the page's language (€, $…), for axis titles."""
    return get_currency_symbol(currency or current_app.config["PRIMO_CURRENCY"], language())


def number(value: Decimal | int | None, places: int = 0) -> str:
    return "—" if value is None else numbers.number(value, language(), places)


def printed(value: Decimal | None) -> str:
    """A KPI figure with the decimals it was printed with ("35,0", "86,25")."""
    return "—" if value is None else numbers.printed(value, language())


def day(value: date | None, style: str = "medium") -> str:
    if not value:
        return "—"
    if type(value) is date:  # a datetime goes through Flask-Babel, which moves it to the user's zone first
        return _day(value, style, language())
    return format_date(value, style)


@functools.lru_cache(maxsize=4096)
def _day(value: date, style: str, locale: str) -> str:
    """A date as Babel writes it, remembered: a page lists the same few days many times (50 µs each)."""
    return babel_format_date(value, style, locale=locale)


def moment(value: datetime | None, style: str = "short", *, locale: str | None = None, zone: str | None = None) -> str:
    """A stored instant as text on the company's wall clock, in the page's (or the given) language.

    The only place an instant is formatted for people: pages, statements and messages all come here. The
    conversion happens once, in `clock.local`; Babel is then told the zone it already is in, so it cannot convert
    again (Flask-Babel's own `format_datetime` would, taking a naive value for UTC).
    """
    if value is None:
        return "—"
    when = clock.local(value, zone)
    return format_datetime(when, style, tzinfo=when.tzinfo, locale=locale or language())


def language() -> str:
    return str(get_locale() or current_app.config["PRIMO_DEFAULT_LANGUAGE"])


def colon() -> str:
    """A colon after a label, as the page's language sets it: "Total:" in English, "Total :" in French."""
    return "\u00a0:" if language() == "fr" else ":"
