"""Numbers and amounts as people read them in a given language, rounded half-up before Babel formats them.

Babel rounds half-to-even (0.125 € → 0,12 €), so every figure is rounded here first. The one home of number and
money formatting, and Flask-free: pages (app.core.formatting, in the page's language), statements (in the
employee's) and the plain words of app.incentives.wording all format through it.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import NamedTuple

from babel import Locale
from babel.numbers import (
    format_currency,
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
)

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
    symbols = _symbols(locale)
    if symbols is None:
        text = format_decimal(value, format="#,##0" + ("." + "0" * places if places else ""), locale=locale)
    else:
        text = symbols.grouped(value, places)
    return "+" + text if signed and value > 0 else text


def printed(value: Decimal, locale: str, *, signed: bool = False) -> str:
    """A figure with exactly the decimals it was printed (and paid) with: a stored 35.0 stays "35.0"."""
    return number(value, locale, max(0, -Decimal(value).as_tuple().exponent), signed=signed)  # type: ignore[operator]


def percent(value: Decimal | int, locale: str, *, most: int = 4) -> str:
    """A percentage figure with its sign ("62,5 %"), as many decimals as it has up to `most`."""
    return f"{number(value, locale, most=most)}{NBSP}%"


def money(value: Decimal, currency: str, locale: str) -> str:
    """An amount rounded half-up to the cent ("290,63 €", "€290.63")."""
    value = round_half_up(Decimal(value), 2)
    symbols = _symbols(locale)
    affixes = _currency_affixes(currency, locale)
    if symbols is None or affixes is None:
        return format_currency(value, currency, locale=locale)
    prefix, suffix = affixes[value.is_signed()]
    return prefix + symbols.grouped(abs(value), 2) + suffix


def money_exact(value: Decimal, currency: str, locale: str) -> str:
    """An unrounded amount with up to four decimals (at least two), to show what rounding started from."""
    return format_currency(round_half_up(Decimal(value), 4), currency, locale=locale, decimal_quantization=False)


# --- what Babel would write, without parsing a pattern per figure ---------------------------------------------------
# A page shows hundreds of figures, and Babel's formatting took about 50 µs each (a fifth of a dashboard's time).
# For locales that group digits by threes (English, French), the same text comes from Python's own grouping and the
# locale's symbols, read from Babel once; tests/unit/test_numbers.py checks it against Babel figure by figure.


class _Symbols(NamedTuple):
    decimal: str
    group: str
    minus: str

    def grouped(self, value: Decimal, places: int) -> str:
        """`value` (already rounded to `places`) as "-1 234,50": Babel's sign, groups and decimal mark."""
        digits = f"{abs(value):,.{places}f}".replace(",", "\0").replace(".", self.decimal).replace("\0", self.group)
        return (self.minus if value.is_signed() else "") + digits


@functools.cache
def _symbols(locale: str) -> _Symbols | None:
    """The locale's symbols when its numbers group by threes in Latin digits; None leaves the locale to Babel."""
    parsed = Locale.parse(locale)
    if parsed.decimal_formats[None].grouping != (3, 3) or parsed.default_numbering_system != "latn":
        return None
    return _Symbols(get_decimal_symbol(locale), get_group_symbol(locale), get_minus_sign_symbol(locale))


@functools.cache
def _currency_affixes(currency: str, locale: str) -> tuple[tuple[str, str], tuple[str, str]] | None:
    """(prefix, suffix) of a positive and a negative amount ("€" and "-€" in English, "\u00a0€" after it in
    French); None when the currency or its pattern is not one this shortcut writes like Babel (cents, "¤" alone)."""
    pattern = Locale.parse(locale).currency_formats["standard"]
    affixes = (*pattern.prefix, *pattern.suffix)
    if get_currency_precision(currency) != 2 or pattern.grouping != (3, 3) or pattern.frac_prec != (2, 2):
        return None
    if any("'" in a or "¤¤" in a for a in affixes) or "-" in pattern.prefix[0] + pattern.suffix[0]:
        return None
    symbol = get_currency_symbol(currency, locale)
    minus = get_minus_sign_symbol(locale)
    (positive, negative), (after, after_negative) = pattern.prefix, pattern.suffix

    def written(affix: str) -> str:
        return affix.replace("¤", symbol).replace("-", minus)

    return (written(positive), written(after)), (written(negative), written(after_negative))
