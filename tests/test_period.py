"""Month numbers (seed/period.py): the one arithmetic of billing months every reader and writer uses."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seed.period import iso_month_number, month_add, month_iso, month_label, month_number, month_start


def test_a_month_number_counts_months_from_year_zero() -> None:
    assert month_number(dt.date(2026, 1, 31)) == 2026 * 12
    assert month_number(dt.date(2026, 12, 1)) == 2026 * 12 + 11
    assert month_number(dt.date(2027, 1, 1)) - month_number(dt.date(2026, 12, 31)) == 1


def test_a_month_number_reads_back_as_its_first_day_and_its_words() -> None:
    month = month_number(dt.date(2026, 11, 17))
    assert month_start(month) == dt.date(2026, 11, 1)
    assert month_iso(month) == "2026-11-01"
    assert month_label(month) == "2026-11"
    assert month_label(month_number(dt.date(999, 3, 1))) == "0999-03"


@pytest.mark.parametrize("text", ["2026-11-05", "2026-11", "2026-11-30T10:00"])
def test_an_iso_date_as_text_gives_the_same_number(text: str) -> None:
    assert iso_month_number(text) == month_number(dt.date(2026, 11, 1))


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 11, 17), 1, dt.date(2026, 12, 1)),
        (dt.date(2026, 12, 31), 1, dt.date(2027, 1, 1)),
        (dt.date(2026, 1, 1), -1, dt.date(2025, 12, 1)),
        (dt.date(2026, 3, 15), -14, dt.date(2025, 1, 1)),
        (dt.date(2026, 3, 15), 0, dt.date(2026, 3, 1)),
    ],
)
def test_month_add_crosses_years_both_ways(day: dt.date, months: int, expected: dt.date) -> None:
    assert month_add(day, months) == expected


@given(st.dates(min_value=dt.date(1, 2, 1), max_value=dt.date(9998, 12, 31)), st.integers(-1200, 1200))
def test_the_arithmetic_round_trips(day: dt.date, months: int) -> None:
    month = month_number(day)
    assert month_number(month_start(month)) == month
    assert iso_month_number(month_iso(month)) == month == iso_month_number(day.isoformat())
    if 12 <= month + months < 10000 * 12:  # years 1 to 9999, as a date has them
        assert month_number(month_add(day, months)) == month + months
