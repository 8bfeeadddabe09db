"""Seeding, checking and summarising a real PostgreSQL: invariants, planted faults, all-or-nothing."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from decimal import Decimal

import psycopg
import pytest
from typer.testing import CliRunner

from provision.cli import app
from provision.errors import EXIT_FAILED
from seed import collect_stats, run_checks, seed_database
from seed.check import CHECKS, FUNCTIONS, PASSES, QUERIES, pass_query

pytestmark = [pytest.mark.docker, pytest.mark.slow]
END = dt.date(2026, 11, 1)
TABLES = [
    "building",
    "premise",
    "account",
    "person",
    "account_person",
    "account_service",
    "meter",
    "meter_reading",
    "charge",
    "recalculation",
    "payment_registry",
    "payment",
    "balance",
    "tariff",
]


def digest(dsn: str) -> dict[str, str]:
    out = {}
    with psycopg.connect(dsn) as conn:
        for table in TABLES:
            row = conn.execute(f"SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM okno.{table} t").fetchone()
            out[table] = row[0] if row else ""
    return out


def test_same_seed_same_tables_other_seed_other_tables(pg_dsn: str) -> None:
    seed_database(pg_dsn, accounts=800, months=6, seed=11, end_period=END)
    first = digest(pg_dsn)
    seed_database(pg_dsn, accounts=800, months=6, seed=11, end_period=END)
    assert digest(pg_dsn) == first
    seed_database(pg_dsn, accounts=800, months=6, seed=12, end_period=END)
    other = digest(pg_dsn)
    assert all(other[t] != first[t] for t in TABLES)


@pytest.mark.parametrize(("seed", "accounts", "months"), [(1, 3000, 12), (5, 1200, 24), (9, 400, 3)])
def test_every_invariant_holds_and_figures_are_realistic(pg_dsn: str, seed: int, accounts: int, months: int) -> None:
    result = seed_database(pg_dsn, accounts=accounts, months=months, seed=seed, end_period=END)
    assert result.rows["account"] == accounts
    failed = [(r.name, r.violations, r.sample[:1]) for r in run_checks(pg_dsn) if not r.ok]
    assert failed == []
    stats = collect_stats(pg_dsn)
    totals = stats["totals"]
    assert totals["accounts"] == accounts
    assert Decimal(47) <= totals["mean_area"] <= Decimal(57)  # mean flat 52 m2
    assert 2.3 <= totals["residents"] / accounts <= 2.7  # 2.5 persons a household
    coverage = {m["service"]: float(m["coverage_pct"]) for m in stats["meters"]}
    assert 85 <= coverage["Холодное водоснабжение"] <= 95
    assert coverage["Электроснабжение"] >= 97
    if months >= 6:
        assert 0.90 <= stats["collection_rate"] <= 0.99  # about 95% nationally
    periods = [m["period"] for m in stats["months"]]
    assert len(periods) == months and periods[-1] == END
    assert [m["status"] for m in stats["months"]].count("open") == 1


STAT_TABLES = ["stat_total", "stat_month", "stat_agent", "stat_service", "stat_meter_due", "stat_debt"]


def stat_rows(conn: psycopg.Connection) -> dict[str, list[tuple[object, ...]]]:
    return {t: sorted(conn.execute(f"SELECT * FROM okno.{t}").fetchall()) for t in STAT_TABLES}


@pytest.mark.parametrize(
    ("seed", "accounts", "months", "chunk"), [(9, 400, 3, 90), (2, 250, 1, 2000), (4, 600, 13, 150)]
)
def test_the_generated_summary_is_what_stat_refresh_computes(
    pg_dsn: str, seed: int, accounts: int, months: int, chunk: int
) -> None:
    """The loader COPYs the summary the generator summed, chunk by chunk, instead of computing it from the
    books: row for row what the full computation says, a month of books (nothing closed) too."""
    seed_database(pg_dsn, accounts=accounts, months=months, seed=seed, end_period=END, chunk_accounts=chunk)
    with psycopg.connect(pg_dsn) as conn:
        given = stat_rows(conn)
        assert given["stat_total"] and given["stat_month"] and given["stat_meter_due"]
        conn.execute("SELECT okno.stat_refresh('okno')")
        assert given == stat_rows(conn)
        conn.rollback()
    assert collect_stats(pg_dsn) == collect_stats(pg_dsn, full=True)


PLANTS: dict[str, list[str]] = {
    "balance_reconciles": [
        "UPDATE balance SET closing = closing + 1 WHERE (account_id, service_id, period) IN "
        "(SELECT account_id, service_id, max(period) FROM balance GROUP BY 1, 2 LIMIT 1)"
    ],
    "balance_carries_over": [
        "UPDATE balance SET opening = opening + 5, closing = closing + 5 WHERE "
        "(account_id, service_id, period) IN (SELECT account_id, service_id, max(period) "
        "FROM balance GROUP BY 1, 2 LIMIT 1)"
    ],
    "balance_matches_charges": [
        "UPDATE charge SET amount = amount + 3 WHERE (account_id, service_id, period, zone) "
        "IN (SELECT account_id, service_id, period, zone FROM charge LIMIT 1)"
    ],
    "balance_matches_recalculations": [
        "INSERT INTO recalculation SELECT account_id, service_id, period, period, "
        "-1, -10, 'planted' FROM balance LIMIT 1"
    ],
    "balance_matches_payments": ["DELETE FROM payment WHERE id = (SELECT min(id) FROM payment)"],
    "readings_never_decrease": [
        "UPDATE meter_reading SET value1 = 0 WHERE (meter_id, period) IN (SELECT meter_id, "
        "max(period) FROM meter_reading GROUP BY 1 HAVING count(*) > 2 LIMIT 1)"
    ],
    "readings_within_meter_life": [
        "UPDATE meter_reading r SET taken_on = m.installed_on - 1 FROM meter m "
        "WHERE m.id = r.meter_id AND (r.meter_id, r.period) IN "
        "(SELECT meter_id, period FROM meter_reading LIMIT 1)"
    ],
    "readings_of_known_meters": [
        "ALTER TABLE meter_reading DROP CONSTRAINT meter_reading_meter_id_fkey",
        "INSERT INTO meter_reading SELECT -5, period, taken_on, source_id, value1, value2, "
        "value3 FROM meter_reading LIMIT 1",
    ],
    "charge_is_volume_times_tariff": [
        "UPDATE charge SET volume = volume + 1 WHERE (account_id, service_id, period, "
        "zone) IN (SELECT account_id, service_id, period, zone FROM charge LIMIT 1)"
    ],
    "charge_tariff_in_force": [
        "UPDATE charge SET tariff = tariff + 1, amount = round(volume * (tariff + 1), 2) "
        "WHERE (account_id, service_id, period, zone) IN "
        "(SELECT account_id, service_id, period, zone FROM charge LIMIT 1)"
    ],
    "payment_account_known": [
        "ALTER TABLE payment DROP CONSTRAINT payment_account_id_fkey",
        "UPDATE payment SET account_id = -1 WHERE id = (SELECT max(id) FROM payment)",
    ],
    "payment_agent_known": [
        "ALTER TABLE payment DROP CONSTRAINT payment_agent_id_fkey",
        "UPDATE payment SET agent_id = 99 WHERE id = (SELECT max(id) FROM payment)",
    ],
    "registry_totals_match": [
        "UPDATE payment_registry SET total = total + 1 WHERE id = (SELECT min(id) FROM payment_registry)"
    ],
    "registry_lines_accounted": [
        "UPDATE payment_registry SET file_lines = 9999, file_total = 1 "
        "WHERE id = (SELECT max(id) FROM payment_registry)"
    ],
    "account_number_unique": [
        "ALTER TABLE account DROP CONSTRAINT account_number_key",
        "UPDATE account SET number = (SELECT number FROM account WHERE id = 1) WHERE id = 2",
    ],
    "els_format": ["UPDATE account SET els = '12345' WHERE id = 3"],
    "meter_serial_unique": [
        "ALTER TABLE meter DROP CONSTRAINT meter_serial_key",
        "UPDATE meter SET serial = (SELECT serial FROM meter ORDER BY id LIMIT 1) WHERE id = "
        "(SELECT id FROM meter WHERE service_id = (SELECT service_id FROM meter ORDER BY id "
        "LIMIT 1) ORDER BY id OFFSET 1 LIMIT 1)",
    ],
    "snils_check_digits": [
        "UPDATE person SET snils = substr(snils, 1, 10) || ((substr(snils, 11, 1)::int + 1) % 10) "
        "WHERE id = (SELECT min(id) FROM person WHERE snils IS NOT NULL)"
    ],
    "inn_check_digits": [
        "UPDATE person SET inn = substr(inn, 1, 11) || ((substr(inn, 12, 1)::int + 1) % 10) "
        "WHERE id = (SELECT min(id) FROM person WHERE inn IS NOT NULL)"
    ],
    "ownership_shares_sum_to_one": [
        "UPDATE account_person SET share = 0.3 WHERE (account_id, person_id) IN "
        "(SELECT account_id, person_id FROM account_person WHERE share = 1 LIMIT 1)"
    ],
    "living_area_within_total": ["UPDATE premise SET living_area = total_area + 1 WHERE id = 4"],
    "closed_account_settled": [
        "UPDATE account SET closed_on = '2026-10-15' WHERE id = (SELECT account_id FROM "
        "balance WHERE closing > 0 LIMIT 1)"
    ],
}


def test_check_catches_each_kind_of_violation(pg_dsn: str) -> None:
    assert set(PLANTS) == set(CHECKS)
    seed_database(pg_dsn, accounts=600, months=6, seed=3, end_period=END)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("SET search_path TO okno")
        for statements in PLANTS.values():
            for statement in statements:
                conn.execute(statement)  # type: ignore[call-overload]
    results = {r.name: r for r in run_checks(pg_dsn)}
    missed = [name for name in PLANTS if results[name].ok]
    assert missed == []
    for result in results.values():
        assert result.sample, result.name  # the first offending rows are shown
    with psycopg.connect(pg_dsn, autocommit=True) as conn:  # a pass counts as its checks' own queries do
        conn.execute("SET search_path TO okno, public;" + FUNCTIONS)
        for pass_name, (_sql, counts) in PASSES.items():
            counted = conn.execute(pass_query(pass_name, list(counts))).fetchone() or ()
            alone = [conn.execute(f"SELECT count(*) FROM ({QUERIES[name]}) v").fetchone() for name in counts]
            assert list(counted) == [row[0] for row in alone if row] == [results[n].violations for n in counts]

    runner = CliRunner()
    outcome = runner.invoke(app, ["check", "--dsn", pg_dsn])
    assert outcome.exit_code == EXIT_FAILED
    assert "FAIL  balance_reconciles" in outcome.output
    assert "0 of 22 checks hold" in outcome.output


def test_interrupted_seed_leaves_previous_data_and_the_next_run_succeeds(pg_dsn: str) -> None:
    seed_database(pg_dsn, accounts=500, months=6, seed=21, end_period=END)
    before = digest(pg_dsn)
    code = (
        "import datetime as dt, sys; from seed import seed_database; "
        "seed_database(sys.argv[1], accounts=60000, months=12, seed=22, end_period=dt.date(2026, 11, 1))"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, pg_dsn], env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            while time.monotonic() < deadline:
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%okno_seed%'"
                ).fetchone()
                if row and row[0] >= 6:
                    break
                time.sleep(0.2)
            else:
                pytest.fail("the seed never started copying")
            time.sleep(1.0)
        proc.kill()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    time.sleep(1.0)
    assert digest(pg_dsn) == before
    with psycopg.connect(pg_dsn) as conn:
        left = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'okno_seed_%'").fetchone()
    assert left and left[0] == 1  # the half-made schema, until the next run
    seed_database(pg_dsn, accounts=300, months=3, seed=23, end_period=END)
    with psycopg.connect(pg_dsn) as conn:
        left = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'okno_seed_%'").fetchone()
        accounts = conn.execute("SELECT count(*) FROM okno.account").fetchone()
    assert left and left[0] == 0
    assert accounts and accounts[0] == 300


def test_cli_seed_and_stats_by_dsn(pg_dsn: str) -> None:
    runner = CliRunner()
    seeded = runner.invoke(
        app, ["seed", "--dsn", pg_dsn, "--accounts", "300", "--months", "4", "--seed", "2", "--end-period", "2026-11"]
    )
    assert seeded.exit_code == 0, seeded.output
    assert "seeded postgresql://odno_okno:***@" in seeded.output
    assert "300 accounts, 4 months to 2026-11" in seeded.output
    stats = runner.invoke(app, ["stats", "--dsn", pg_dsn])
    assert stats.exit_code == 0
    assert "300 accounts" in stats.output and "collection rate" in stats.output
    checked = runner.invoke(app, ["check", "--dsn", pg_dsn])
    assert checked.exit_code == 0
    assert "22 of 22 checks hold" in checked.output
    bad = runner.invoke(app, ["seed", "--dsn", pg_dsn, "--end-period", "November"])
    assert bad.exit_code == 2
    assert "YYYY-MM" in bad.output
