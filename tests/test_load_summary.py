"""A load that brings no statistics' summary of its own (an import) gets it computed beside the tables'
ANALYZE: the same rows as the full computation, and what `provision stats` reads is the full scan."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from seed.generate import Generator
from seed.load import begin_load, copy_chunks, copy_rows, finish_load
from seed.stats import collect

pytestmark = [pytest.mark.docker, pytest.mark.slow]

STAT_TABLES = ["stat_total", "stat_month", "stat_agent", "stat_service", "stat_meter_due", "stat_debt"]


def stat_rows(conn: psycopg.Connection) -> dict[str, list[tuple[object, ...]]]:
    return {t: sorted(conn.execute(f"SELECT * FROM okno.{t}").fetchall()) for t in STAT_TABLES}


def test_a_load_without_a_summary_gets_it_computed(pg_dsn: str) -> None:
    gen = Generator(3, 350, 4, dt.date(2026, 5, 1), chunk_accounts=120)
    with psycopg.connect(pg_dsn, autocommit=True) as admin:
        work = begin_load(admin)
        for table, rows in gen.reference_rows().items():
            copy_rows(admin, work, table, rows)
        copy_chunks(pg_dsn, work, gen.chunks())
        copy_rows(admin, work, "payment_registry", gen.registry_rows())
        finish_load(pg_dsn, admin, work, {"origin": "test", "accounts": 350}, {}, room_made=True)
    with psycopg.connect(pg_dsn) as conn:
        computed = stat_rows(conn)
        assert computed["stat_total"] and computed["stat_debt"] and computed["stat_agent"]
        assert computed == {t: sorted(rows) for t, rows in gen.summary_rows().items()}  # what a seed COPYs
        conn.execute("SELECT okno.stat_refresh('okno')")
        assert computed == stat_rows(conn)
        conn.rollback()
    assert collect(pg_dsn) == collect(pg_dsn, full=True)
