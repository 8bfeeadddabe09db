"""The books' billing months: whether there are books at all, which months they hold, the open one, and
opening the next one on the last one's closing balances (the month-end step of a switch-over, and the month
an import leaves open). Month numbers and their arithmetic are :mod:`seed.period`."""

from __future__ import annotations

import datetime as dt

import psycopg
from psycopg import sql

from seed.errors import NoData
from seed.period import month_add

NO_BOOKS = "no «Одно Окно» data here (schema okno is missing)"


def has_books(conn: psycopg.Connection) -> bool:
    """Whether the database holds books at all (the schema okno), before any query of them."""
    row = conn.execute("SELECT to_regclass('okno.account') IS NOT NULL").fetchone()
    return bool(row and row[0])


def require_books(conn: psycopg.Connection, fix: str = "seed it first") -> None:
    """The "no books yet" guard: :class:`NoData` that says how to make some."""
    if not has_books(conn):
        raise NoData(f"{NO_BOOKS}; {fix}")


def open_month(conn: psycopg.Connection) -> dt.date | None:
    """The books' open billing month (the one payments and charges go to); None when every month is closed."""
    row = conn.execute("SELECT max(period) FROM okno.billing_period WHERE status = 'open'").fetchone()
    return row[0] if row else None


def book_months(dsn: str) -> tuple[dt.date, dt.date]:
    """The first and the last billing month of the books at ``dsn``."""
    with psycopg.connect(dsn) as conn:
        require_books(conn)
        row = conn.execute("SELECT min(period), max(period) FROM okno.billing_period").fetchone()
    if row is None or row[0] is None:
        raise NoData("the books have no billing period")
    return row[0], row[1]


def open_balances(conn: psycopg.Connection, schema: str, month: dt.date) -> int:
    """The balances of the open ``month``: each account and service with a balance in the month before,
    opening where that one closed (nothing charged or paid yet); an account closed before the month, with
    nothing left on it, gets none. Returns the rows made. The month's rows must not exist yet."""
    before = month_add(month, -1)
    made = conn.execute(
        sql.SQL(
            "INSERT INTO {balance} (account_id, service_id, period, opening, charged, recalculated, paid, closing) "
            "SELECT b.account_id, b.service_id, %(month)s, b.closing, 0, 0, 0, b.closing FROM {balance} b "
            "JOIN {account} a ON a.id = b.account_id WHERE b.period = %(before)s "
            "AND (a.closed_on IS NULL OR a.closed_on >= %(month)s OR b.closing <> 0)"
        ).format(balance=sql.Identifier(schema, "balance"), account=sql.Identifier(schema, "account")),
        {"month": month, "before": before},
    )
    return made.rowcount
