"""What keeps a registry's load following the registry, not the books: its joins to the books by key, with
no memoize to fill and miss, switched back after; the lines matched to accounts with the planner's choice;
the payments applied to the balances in one statement, each row written by the ctid it was read at."""

from __future__ import annotations

import datetime as dt
import threading

import psycopg
import pytest
from psycopg import sql

from seed.errors import RegistryError
from seed.registry.load import apply_payments, by_keys

pytestmark = pytest.mark.docker

SWITCHES = ("enable_bitmapscan", "enable_hashjoin", "enable_mergejoin", "enable_memoize")


def settings(conn: psycopg.Connection) -> dict[str, str]:
    """The planner switches the server has, as they are now."""
    rows = conn.execute("SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", (list(SWITCHES),)).fetchall()
    return {str(name): str(value) for name, value in rows}


def test_by_keys_switches_off_the_scans_and_memoize_then_back(pg_dsn: str) -> None:
    with psycopg.connect(pg_dsn) as conn, conn.transaction():
        before = settings(conn)
        assert set(before.values()) == {"on"}
        with by_keys(conn):
            assert set(settings(conn).values()) == {"off"}
        assert settings(conn) == before


def test_by_keys_plans_a_join_by_key_lookups(pg_dsn: str) -> None:
    """A join the planner would hash (a small table against a larger one) is an index lookup per row within."""
    with psycopg.connect(pg_dsn) as conn, conn.transaction():
        conn.execute("CREATE TEMP TABLE books (id integer PRIMARY KEY, v integer) ON COMMIT DROP")
        conn.execute("INSERT INTO books SELECT g, g FROM generate_series(1, 20000) g")
        conn.execute("CREATE TEMP TABLE paying (id integer) ON COMMIT DROP")
        conn.execute("INSERT INTO paying SELECT g * 7 FROM generate_series(1, 2000) g")
        conn.execute("ANALYZE books, paying")
        query = "EXPLAIN SELECT b.v FROM paying p JOIN books b ON b.id = p.id"
        with by_keys(conn):
            plan = "\n".join(row[0] for row in conn.execute(query).fetchall())
        assert "Nested Loop" in plan and "Index Scan" in plan, plan
        assert "Memoize" not in plan and "Hash" not in plan, plan


BOOKS = """
CREATE TABLE balance (account_id integer, service_id smallint, period date, paid numeric(14,2),
                      closing numeric(14,2), PRIMARY KEY (account_id, service_id, period));
INSERT INTO balance VALUES (1, 1, '2026-11-01', 0, 300), (1, 2, '2026-11-01', 0, 100), (1, 3, '2026-11-01', 0, -50),
                           (2, 1, '2026-11-01', 0, 40), (2, 2, '2026-11-01', 0, 10), (1, 1, '2026-10-01', 0, 999);
CREATE TABLE paying (account_id integer, kopecks bigint);
INSERT INTO paying VALUES (1, 20000), (1, 5000), (2, 10000), (3, 700);
"""
MONTH = dt.date(2026, 11, 1)


def books_schema(conn: psycopg.Connection, name: str) -> None:
    """A schema of its own holding a month of balances and the payments to apply, first on the path."""
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0}").format(sql.Identifier(name)))
    conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(name)))
    conn.execute(BOOKS)


def test_payments_apply_debts_first_in_one_pass_by_the_rows_read(pg_dsn: str) -> None:
    """Debts first, the largest first; the rest to the largest; the account with no balance named. The rows
    are written by the ctid they were read at: a Tid Scan, not a second index lookup."""
    with psycopg.connect(pg_dsn) as conn, conn.transaction(force_rollback=True):
        books_schema(conn, "apply_test")
        conn.execute("LOAD 'auto_explain'")
        for name, value in (("log_min_duration", "0"), ("log_nested_statements", "on"), ("log_level", "notice")):
            conn.execute(sql.SQL("SET LOCAL auto_explain.{} = {}").format(sql.SQL(name), sql.Literal(value)))
        plans: list[str] = []
        conn.add_notice_handler(lambda diag: plans.append(diag.message_primary or ""))
        without = apply_payments(conn, "paying", MONTH)
        conn.execute("RESET auto_explain.log_min_duration")
        rows = conn.execute("SELECT account_id, service_id, paid, closing FROM balance ORDER BY 1, 2, 3").fetchall()
    assert without == [3]  # no balance in the month: the load names its lines
    assert [(a, sv, float(p), float(c)) for a, sv, p, c in rows] == [
        (1, 1, 0.0, 999.0),  # another month: untouched
        (1, 1, 250.0, 50.0),  # the largest debt first, as far as the payment goes
        (1, 2, 0.0, 100.0),
        (1, 3, 0.0, -50.0),
        (2, 1, 90.0, -50.0),  # debts paid, the rest (an advance) to the largest
        (2, 2, 10.0, 0.0),
    ]
    plan = "\n".join(p for p in plans if "UPDATE balance" in p)
    assert "Tid Scan on balance t" in plan and "Seq Scan on balance t" not in plan, plan


def test_a_balance_changed_while_payments_apply_refuses_them(pg_dsn: str) -> None:
    """A row another transaction changes between the read and the write is not written by its old ctid:
    the rows written fall short of the shares, and the load is refused (rolled back), never half applied."""
    with psycopg.connect(pg_dsn, autocommit=True) as setup:
        books_schema(setup, "apply_race")
    other = psycopg.connect(pg_dsn)
    try:
        other.execute("UPDATE apply_race.balance SET closing = closing + 1 WHERE account_id = 2 AND service_id = 2")
        threading.Timer(1.0, other.commit).start()  # the load waits for the row, then finds it changed
        with psycopg.connect(pg_dsn) as conn, conn.transaction(force_rollback=True):
            conn.execute("SET search_path TO apply_race")
            with pytest.raises(RegistryError, match="changed while"):
                apply_payments(conn, "paying", MONTH)
    finally:
        other.close()
        with psycopg.connect(pg_dsn, autocommit=True) as cleanup:
            cleanup.execute("DROP SCHEMA apply_race CASCADE")
