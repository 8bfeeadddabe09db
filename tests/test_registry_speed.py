"""What keeps a registry's load following the registry, not the books: its joins to the books by key, with
no memoize to fill and miss, switched back after; the lines matched to accounts with the planner's choice."""

from __future__ import annotations

import psycopg
import pytest

from seed.registry.load import by_keys

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
