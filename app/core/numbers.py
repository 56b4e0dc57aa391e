"""Numbers and amounts as people read them in a given language, rounded half-up before Babel formats them.

Babel rounds half-to-even (0.125 € → 0,12 €), so every figure is rounded here first. The one home of number and
money formatting, and Flask-free: pages (app.core.formatting, in the page's language), statements (in the
employee's) and the plain words of app.incentives.wording all format through it.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, format_decimal

from app.money import round_half_up

NBSP = "\u00a0"


def number(value: Decimal | int, locale: str, places: int | None = None, *, most: int = 4, signed: bool = False) -> str:
    """`places` decimals, or as many as the value has up to `most` (no trailing zeros); "+" before a positive
    figure when `signed`."""
    value = Decimal(value)
    if places is None:
        value = round_half_up(value, most).normalize()
        places = max(0, -value.as_tuple().exponent)  # type: ignore[operator]
    else:
        value = round_half_up(value, places)
    text = format_decimal(value, format="#,##0" + ("." + "0" * places if places else ""), locale=locale)
    return "+" + text if signed and value > 0 else text


def printed(value: Decimal, locale: str, *, signed: bool = False) -> str:
    """A figure with exactly the decimals it was printed (and paid) with: a stored 35.0 stays "35.0"."""
    return number(value, locale, max(0, -Decimal(value).as_tuple().exponent), signed=signed)  # type: ignore[operator]


def percent(value: Decimal | int, locale: str, *, most: int = 4) -> str:
    """A percentage figure with its sign ("62,5 %"), as many decimals as it has up to `most`."""
    return f"{number(value, locale, most=most)}{NBSP}%"


def money(value: Decimal, currency: str, locale: str) -> str:
    """An amount rounded half-up to the cent ("290,63 €", "€290.63")."""
    return format_currency(round_half_up(Decimal(value), 2), currency, locale=locale)


def money_exact(value: Decimal, currency: str, locale: str) -> str:
    """An unrounded amount with up to four decimals (at least two), to show what rounding started from."""
    return format_currency(round_half_up(Decimal(value), 4), currency, locale=locale, decimal_quantization=False)
