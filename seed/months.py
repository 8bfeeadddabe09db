"""The books' billing months: which they hold, and opening the next one on the last one's closing balances
(the month-end step of a switch-over, and the month an import leaves open)."""

from __future__ import annotations

import datetime as dt

import psycopg
from psycopg import sql

from seed.catalog import month_add
from seed.errors import NoData


def book_months(dsn: str) -> tuple[dt.date, dt.date]:
    """The first and the last billing month of the books at ``dsn``."""
    with psycopg.connect(dsn) as conn:
        if conn.execute("SELECT to_regclass('okno.billing_period')").fetchone() in (None, (None,)):
            raise NoData("no «Одно Окно» data here (schema okno is missing); seed it first")
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
