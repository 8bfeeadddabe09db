"""The seed at scale, tested small: its text rows, the open month's balances written apart, flat memory."""

from __future__ import annotations

import datetime as dt
import tracemalloc

import numpy as np
import psycopg
import pytest

from seed import seed_database
from seed.generate import Generator
from seed.synth.base import NULL, lines

END = dt.date(2026, 11, 1)


def test_lines_join_fields_by_tabs_a_line_a_row() -> None:
    ids = np.array([7, 12])
    names = np.array(["Иванов", "Петрова"])
    assert lines([ids.astype(str), names, np.full(2, NULL)]) == "7\tИванов\t\\N\n12\tПетрова\t\\N\n"
    assert lines([np.array([], dtype=str)]) == ""


def test_the_open_months_balances_come_apart_and_count_with_the_rest() -> None:
    gen = Generator(3, 700, 6, END, chunk_accounts=300)
    for chunk in gen.chunks():
        # a balance row: a field count (2 bytes), then each field's length (4) and value (4, 2, 4, 5 x 16)
        services = len(chunk.apart["balance"]) // (2 + 8 * 4 + 4 + 2 + 4 + 5 * 16)
        assert len(chunk.binary["balance"]) == 5 * len(chunk.apart["balance"])
        assert chunk.rows["balance"] == 6 * services


@pytest.mark.slow
def test_generating_holds_one_chunk_whatever_the_number_of_accounts() -> None:
    def peak(accounts: int) -> int:
        tracemalloc.start()
        for _chunk in Generator(1, accounts, 12, END).chunks():
            pass
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top

    assert peak(16_000) < 1.3 * peak(4_000)


@pytest.mark.docker
def test_the_open_month_lies_on_pages_of_its_own_with_room_and_no_dead_rows(pg_dsn: str) -> None:
    seed_database(pg_dsn, accounts=300, months=4, seed=2, end_period=END)
    with psycopg.connect(pg_dsn) as conn:
        options = conn.execute("SELECT reloptions FROM pg_class WHERE oid = 'okno.balance'::regclass").fetchone()
        pages = conn.execute(
            "SELECT period = (SELECT max(period) FROM okno.billing_period) AS open, "
            "array_agg(DISTINCT (ctid::text::point)[0]) FROM okno.balance GROUP BY 1 ORDER BY 1"
        ).fetchall()
        dead = conn.execute("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = 'okno.balance'::regclass")
        dead_rows = dead.fetchone()
    assert options and "fillfactor=45" in options[0]
    closed, open_ = (set(p) for _, p in pages)
    assert min(open_) > max(closed)  # after every closed month's page, none shared
    assert dead_rows and dead_rows[0] == 0
