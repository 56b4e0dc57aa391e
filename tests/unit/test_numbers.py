"""Numbers and amounts: the quick formatting of app.core.numbers writes exactly what Babel writes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal
from hypothesis import example, given
from hypothesis import strategies as st

from app.core import numbers
from app.money import round_half_up

figures = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=6, allow_nan=False)


@given(value=figures, places=st.integers(0, 4), locale=st.sampled_from(["en", "fr", "fr_CH", "de", "en_IN"]))
@example(value=Decimal("-0.001"), places=2, locale="fr")
@example(value=Decimal("999999.995"), places=2, locale="en")
def test_a_number_reads_as_babel_writes_it_after_rounding_half_up(value, places, locale):
    rounded = round_half_up(value, places)
    babel = format_decimal(rounded, format="#,##0" + ("." + "0" * places if places else ""), locale=locale)
    assert numbers.number(value, locale, places) == babel


@given(
    value=figures,
    currency=st.sampled_from(["EUR", "USD", "GBP", "CHF", "JPY"]),
    locale=st.sampled_from(["en", "fr", "fr_CH", "de", "en_IN"]),
)
@example(value=Decimal("-0.004"), currency="USD", locale="en")
def test_an_amount_reads_as_babel_writes_it_after_rounding_half_up_to_the_cent(value, currency, locale):
    assert numbers.money(value, currency, locale) == format_currency(round_half_up(value, 2), currency, locale=locale)


@pytest.mark.parametrize(
    ("value", "locale", "expected"),
    [
        (Decimal("1234.5"), "fr", "1\u202f234,50\u00a0€"),
        (Decimal("-1234.5"), "en", "-€1,234.50"),
        (Decimal("0.125"), "fr", "0,13\u00a0€"),  # half-up, where Babel alone would give 0,12
    ],
)
def test_amounts_in_english_and_french(value, locale, expected):
    assert numbers.money(value, "EUR", locale) == expected


def test_an_amount_in_a_locale_that_does_not_group_by_threes_is_left_to_babel():
    assert numbers._currency_affixes("EUR", "en_IN") is None
    assert numbers.money(Decimal("1234567"), "EUR", "en_IN") == "€12,34,567.00"
