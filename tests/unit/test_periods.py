"""Periods: labels read within the supported years, and every neighbour of a readable period is a real date range."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.periods import FIRST_YEAR, LAST_YEAR, Period, PeriodError


@pytest.mark.parametrize("label", ["9999-Q4", "9999-12", "9999", "1999-12", "0001", "2101-01"])
def test_a_year_outside_the_supported_range_is_refused(label):
    with pytest.raises(PeriodError, match=f"from {FIRST_YEAR} to {LAST_YEAR}") as caught:
        Period.parse(label)
    assert caught.value.text == label


@pytest.mark.parametrize("label", ["2000-01", "2100-Q4", "2100", "2026-q3"])
def test_the_first_and_last_supported_years_are_read(label):
    assert FIRST_YEAR <= Period.parse(label).year <= LAST_YEAR


@pytest.mark.parametrize("label", ["", "2026-13", "2026-Q5", "26-07", "soon"])
def test_an_unreadable_label_names_itself(label):
    with pytest.raises(PeriodError) as caught:
        Period.parse(label)
    assert caught.value.text == label


LABELS = st.one_of(
    st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(FIRST_YEAR, LAST_YEAR), st.integers(1, 12)),
    st.builds(lambda y, q: f"{y}-Q{q}", st.integers(FIRST_YEAR, LAST_YEAR), st.integers(1, 4)),
    st.builds(str, st.integers(FIRST_YEAR, LAST_YEAR)),
)


@given(LABELS, st.integers(-24, 24))
def test_every_neighbour_of_a_readable_period_has_real_dates(label, steps):
    period = Period.parse(label)
    for other in (period.shifted(steps), period.previous(), period.same_last_year(), *period.month_periods()):
        assert other.start <= other.end
        assert other.days >= 28


def test_a_month_key_is_the_yyyymm_responses_store_and_reads_back():
    assert Period.parse("2026-07").month_key == 202607
    assert Period.from_month_key(202612) == Period.parse("2026-12")
    assert [m.month_key for m in Period.parse("2026-Q3").month_periods()] == [202607, 202608, 202609]
    with pytest.raises(ValueError):
        Period.parse("2026-Q3").month_key  # noqa: B018  (a quarter has no single month key)
