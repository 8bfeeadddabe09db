"""The checks as they run at a million accounts: check digits as inlined expressions, a meter's readings in one
pass with a zone missing in a month, and the queries spread over two connections."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import psycopg
import pytest

from seed import migrate
from seed.check import FUNCTIONS, QUERIES, over_connections
from seed.people import inn_person, snils, valid_inn, valid_snils

pytestmark = pytest.mark.docker
SCHEMA = "check_scale"


@pytest.fixture
def conn(pg_dsn: str) -> Iterator[psycopg.Connection]:
    """A connection with the checks' functions and an empty schema of the books' tables first on its path."""
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
        migrate.apply(conn, SCHEMA, upto=1)
        conn.execute(f"SET search_path TO {SCHEMA}, public")
        conn.execute(FUNCTIONS)
        yield conn
        conn.execute(f"DROP SCHEMA {SCHEMA} CASCADE")


def test_check_digits_in_sql_agree_with_the_generators(conn: psycopg.Connection) -> None:
    rng = np.random.default_rng(5)
    snilses = [*map(str, snils(rng, 300)), *(f"{n:011d}" for n in rng.integers(0, 10**11, 700))]
    snilses += ["1234567890", "x2345678901"]
    inns = [*map(str, inn_person(rng, 300, 77)), *(f"{n:012d}" for n in rng.integers(0, 10**12, 300))]
    inns += [f"{n:010d}" for n in rng.integers(0, 10**10, 300)] + ["12345", "77a7777777"]
    for value in snilses:
        (ok,) = conn.execute("SELECT pg_temp.snils_ok(%s)", (value,)).fetchone() or (None,)
        old_number = value.isdigit() and len(value) == 11 and int(value[:9]) <= 1001998  # no check digits then
        assert ok == (old_number or valid_snils(value)), value
    for value in inns:
        (ok,) = conn.execute("SELECT pg_temp.inn_ok(%s)", (value,)).fetchone() or (None,)
        assert ok == valid_inn(value), value


def test_a_reading_lower_than_the_last_one_of_its_zone_is_found_across_a_month_without_it(
    conn: psycopg.Connection,
) -> None:
    conn.execute(
        "INSERT INTO meter (id, account_id, service_id, serial, zones, capacity_digits, installed_on) "
        "VALUES (1, 1, 1, 'A1', 2, 6, '2020-01-01')"
    )
    months = [dt.date(2025, m, 1) for m in (1, 2, 3, 4)]
    zone2 = [500, None, 400, 450]  # the night zone read in January, not in February, lower in March
    for month, night in zip(months, zone2, strict=True):
        conn.execute(
            "INSERT INTO meter_reading (meter_id, period, taken_on, source_id, value1, value2) "
            "VALUES (1, %s, %s, 1, %s, %s)",
            (month, month, 1000 + month.month, night),
        )
    rows = conn.execute(QUERIES["readings_never_decrease"]).fetchall()
    assert [(r[1], r[2], r[3], r[4]) for r in rows] == [(months[2], 500, 400, 2)]


def test_queries_over_connections_each_run_once_and_an_error_is_raised(pg_dsn: str) -> None:
    def square(conn: psycopg.Connection, n: int) -> int:
        row = conn.execute("SELECT %s::int * %s::int", (n, n)).fetchone()
        return int(row[0]) if row else -1

    assert over_connections(pg_dsn, list(range(7)), square) == {n: n * n for n in range(7)}

    def failing(conn: psycopg.Connection, n: int) -> int:
        conn.execute("SELECT 1 / %s::int", (n,))
        return n

    with pytest.raises(psycopg.errors.DivisionByZero):
        over_connections(pg_dsn, [3, 0, 2], failing)
