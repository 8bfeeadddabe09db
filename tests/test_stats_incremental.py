"""The summary tables `provision stats` reads stay exactly what a full scan of the books says: after a seed,
a registry load and a suspense assignment, a trainee's SQL of every kind, a month closed, a TRUNCATE; and
books loaded before the tables existed get them on first use. The tests run in order, on one set of books."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from seed.dsn import replace_dsn
from seed.load import seed_database
from seed.months import open_balances
from seed.period import month_add
from seed.registry import formats, load
from seed.registry.codec import RegistryReader
from seed.registry.sample import sample_registry
from seed.stats import collect

pytestmark = [pytest.mark.docker, pytest.mark.slow]

DATABASE = "stats_incremental"


@pytest.fixture(scope="module")
def dsn(pg_dsn: str) -> Iterator[str]:
    """Books of 300 accounts in a database of this module's own."""
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    url = replace_dsn(pg_dsn, dbname=DATABASE)
    seed_database(url, accounts=300, months=6, seed=5)
    yield url
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def same_as_full(dsn: str) -> None:
    kept, full = collect(dsn), collect(dsn, full=True)
    assert kept == full
    assert kept["agents"] and kept["debt_by_age"] and kept["meters"]


def run(dsn: str, *statements: str) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute("SET search_path TO okno, public")
        for statement in statements:
            conn.execute(statement)


def test_after_a_seed_the_summary_is_the_full_scan(dsn: str) -> None:
    same_as_full(dsn)


def test_a_registry_load_and_an_assignment_keep_it(dsn: str, tmp_path: Path) -> None:
    fmt = formats.find_format("bank")
    path = tmp_path / "registry.txt"
    sample_registry(dsn, fmt, dt.date.today(), path, lines=200, faults=5)
    result = load.load_registry(dsn, RegistryReader(path, fmt), path.name)
    assert result.loaded > 150 and result.suspense
    same_as_full(dsn)
    line = next(s for s in load.suspense(dsn) if s.amount > 0)
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT number FROM okno.account WHERE closed_on IS NULL ORDER BY id LIMIT 1").fetchone()
    assert row is not None
    load.assign(dsn, line.id, row[0])
    same_as_full(dsn)


def test_a_trainee_s_sql_keeps_it(dsn: str) -> None:
    run(
        dsn,
        "UPDATE payment SET amount = amount + 1 WHERE id IN (SELECT id FROM payment ORDER BY id LIMIT 5)",
        "UPDATE payment SET agent_id = (SELECT max(id) FROM payment_agent), period = period - interval '1 month' "
        "WHERE id IN (SELECT id FROM payment ORDER BY id DESC LIMIT 3)",
        "DELETE FROM payment_suspense WHERE payment_id IN (SELECT id FROM payment ORDER BY id LIMIT 2)",
        "DELETE FROM payment WHERE id IN (SELECT id FROM payment ORDER BY id LIMIT 2)",
        "INSERT INTO payment (account_id, agent_id, registry_id, paid_on, period, amount) "
        "SELECT account_id, agent_id, registry_id, paid_on, period, 123.45 FROM payment ORDER BY id LIMIT 4",
        "UPDATE balance SET charged = charged + 10, closing = closing + 10 WHERE account_id IN (1, 2, 3)",
        "UPDATE balance SET closing = closing + 50000 WHERE account_id = 4",
        "DELETE FROM balance WHERE account_id = 5 AND service_id = (SELECT min(service_id) FROM balance "
        "WHERE account_id = 5)",
        "UPDATE account SET closed_on = now()::date, residents = residents + 2 WHERE id IN (6, 7)",
        "INSERT INTO person (surname, given_name, gender) VALUES ('Иванов', 'Пётр', 'M')",
        "UPDATE premise SET total_area = total_area + 1.25 WHERE id = 1",
        "INSERT INTO meter (account_id, service_id, serial, zones, capacity_digits, next_verification) "
        "SELECT a.account_id, a.service_id, 'TEST-' || a.account_id, 1, 5, now()::date - 1 "
        "FROM account_service a JOIN service s ON s.id = a.service_id AND s.metered "
        "WHERE NOT EXISTS (SELECT 1 FROM meter m WHERE m.account_id = a.account_id "
        "AND m.service_id = a.service_id) ORDER BY 1, 2 LIMIT 3",
        "UPDATE meter SET removed_on = installed_on WHERE id IN (SELECT id FROM meter ORDER BY id LIMIT 4)",
        "UPDATE meter SET next_verification = now()::date - 10 WHERE id IN (SELECT id FROM meter ORDER BY id DESC "
        "LIMIT 4)",
        "DELETE FROM account_service WHERE (account_id, service_id) IN (SELECT account_id, service_id FROM meter "
        "WHERE NOT EXISTS (SELECT 1 FROM meter_reading r WHERE r.meter_id = meter.id) ORDER BY id LIMIT 1) "
        "AND NOT EXISTS (SELECT 1 FROM balance b WHERE b.account_id = account_service.account_id)",
        "INSERT INTO account_service (account_id, service_id) SELECT a.id, s.id FROM account a, service s "
        "WHERE NOT EXISTS (SELECT 1 FROM account_service x WHERE x.account_id = a.id AND x.service_id = s.id) "
        "ORDER BY 1, 2 LIMIT 5",
    )
    same_as_full(dsn)


def test_a_month_closed_keeps_it(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute("SET search_path TO okno, public")
        row = conn.execute("SELECT max(period) FROM billing_period WHERE status = 'open'").fetchone()
        assert row is not None
        month = month_add(row[0], 1)
        conn.execute("UPDATE billing_period SET status = 'closed', closed_at = now() WHERE period = %s", (row[0],))
        conn.execute("INSERT INTO billing_period (period, status) VALUES (%s, 'open')", (month,))
        open_balances(conn, "okno", month)
    same_as_full(dsn)


def test_a_trainee_s_single_row_edit_stays_fast(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute("SET search_path TO okno, public")
        started = time.perf_counter()
        for account in range(10, 20):
            conn.execute(
                "UPDATE balance SET paid = paid + 1, closing = closing - 1 WHERE account_id = %s AND "
                "service_id = (SELECT min(service_id) FROM balance WHERE account_id = %s) AND period = "
                "(SELECT max(period) FROM billing_period WHERE status = 'closed')",
                (account, account),
            )
        seconds = (time.perf_counter() - started) / 10
    assert seconds < 0.2, f"{seconds * 1000:.0f} ms a row"
    same_as_full(dsn)


def test_books_loaded_before_the_summary_get_it_on_first_use(dsn: str) -> None:
    run(
        dsn,
        "DROP TABLE stat_total, stat_month, stat_agent, stat_service, stat_meter_due, stat_debt",
        "DROP FUNCTION stat_on_totals, stat_on_balance, stat_on_payment, stat_on_account_service, stat_on_meter, "
        "stat_on_period, stat_on_truncate CASCADE",
        "DROP FUNCTION stat_refresh, stat_refresh_debt, stat_age, stat_triggers",
        "DELETE FROM schema_migration WHERE name = 'stats_summary'",
    )
    assert collect(dsn) == collect(dsn, full=True)
    run(dsn, "DELETE FROM payment WHERE id = (SELECT max(id) FROM payment)")
    same_as_full(dsn)


def test_a_truncate_computes_it_again(dsn: str) -> None:
    run(dsn, "TRUNCATE payment_suspense, payment")
    kept = collect(dsn)
    assert kept == collect(dsn, full=True)
    assert kept["agents"] == []
