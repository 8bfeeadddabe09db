"""Billing months as whole numbers: ``year * 12 + month - 1``, so that a month's successor is ``+ 1`` and
a span of months a subtraction. The one place that turns a month into its number and back; the books'
months in a database (which they hold, the open one) are :mod:`seed.months`."""

from __future__ import annotations

import datetime as dt


def month_number(day: dt.date) -> int:
    """The number of the month ``day`` falls in."""
    return day.year * 12 + day.month - 1


def iso_month_number(day: str) -> int:
    """The number of the month of an ISO date as text ('2026-11-05', '2026-11')."""
    return int(day[:4]) * 12 + int(day[5:7]) - 1


def month_start(month: int) -> dt.date:
    """The first day of a month number."""
    return dt.date(month // 12, month % 12 + 1, 1)


def month_iso(month: int) -> str:
    """The first day of a month as ISO text ('2026-01-01'), as PostgreSQL reads a date."""
    return f"{month // 12:04d}-{month % 12 + 1:02d}-01"


def month_label(month: int) -> str:
    """A month as a person reads it in a report: '2026-01'."""
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def month_add(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after (or before) the month of ``day``."""
    return month_start(month_number(day) + months)
