"""Exact money arithmetic: Decimal parsing and the one half-up rounding rule used everywhere."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class MoneyError(ValueError):
    """A value that cannot be read as an amount of money."""


def to_decimal(value: object) -> Decimal:
    """Turn an int, str or Decimal into a Decimal; refuse floats, which are never exact."""
    if isinstance(value, bool):
        raise MoneyError(f"not an amount: {value!r}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise MoneyError(f"not an amount: {value!r}") from None
        if not result.is_finite():
            raise MoneyError(f"not an amount: {value!r}")
        return result
    raise MoneyError(f"not an amount: {value!r} ({type(value).__name__})")


def round_half_up(value: Decimal, places: int = 2) -> Decimal:
    """Round to `places` decimals, halves away from zero (the payroll rule, unlike Python's default)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def round_cents(value: Decimal) -> Decimal:
    """Round an amount once, to the cent, half-up."""
    return round_half_up(value, 2)


def floor_cents(value: Decimal) -> Decimal:
    """Truncate a non-negative amount to the cent (used by pool scaling, which only scales down)."""
    return value.quantize(CENT, rounding=ROUND_DOWN)


def to_cents(value: Decimal) -> int:
    """Exact integer cents of an amount that has at most two decimals."""
    cents = value * 100
    if cents != cents.to_integral_value():
        raise MoneyError(f"more than two decimals: {value}")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    """The Decimal amount of an integer number of cents, always with two decimals."""
    return (Decimal(cents) / 100).quantize(CENT)
