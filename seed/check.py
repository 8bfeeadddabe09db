"""The invariants of the «Одно Окно» books, checked in SQL on data that may be wrong.

Every check counts its violations and keeps the first few offending rows, so a deployer sees what
is wrong and where. The same checks run on synthetic and on imported data.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import psycopg

from seed.months import require_books
from seed.words.checks import RULES, SKIPPED

SAMPLE = 5
CONNECTIONS = 2  # queries run at once, each a pass over its tables: one per core of a small server
# A session that runs such passes: no JIT (compiling the expressions of a pass costs more than it saves) and
# no parallel workers (the connections keep the cores busy already).
SESSION = "SET jit = off; SET max_parallel_workers_per_gather = 0;"
Job = TypeVar("Job", bound=Hashable)
Done = TypeVar("Done")


def _weighted(weights: tuple[int, ...]) -> str:
    """The weighted sum of the first digits of ``s``, as one SQL expression."""
    return " + ".join(f"substr(s, {i}, 1)::int * {w}" for i, w in enumerate(weights, 1))


INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
INN12 = ((7, 2, 4, 10, 3, 5, 9, 4, 6, 8), (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8))
# The check digits as plain expressions, no subquery: PostgreSQL inlines such a function into the query, so a
# million persons cost a million expressions, not a million function calls. The СНИЛС control number is the
# weighted sum mod 101, with 100 as 00: (t % 101) % 100.
FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION pg_temp.snils_ok(s text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN s !~ '^[0-9]{{11}}$' THEN false
              WHEN substr(s, 1, 9)::int <= 1001998 THEN true
              ELSE (({_weighted((9, 8, 7, 6, 5, 4, 3, 2, 1))}) % 101) % 100 = substr(s, 10, 2)::int END $$;
CREATE OR REPLACE FUNCTION pg_temp.inn_ok(s text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN s ~ '^[0-9]{{10}}$' THEN (({_weighted(INN10)}) % 11) % 10 = substr(s, 10, 1)::int
              WHEN s ~ '^[0-9]{{12}}$' THEN (({_weighted(INN12[0])}) % 11) % 10 = substr(s, 11, 1)::int
                AND (({_weighted(INN12[1])}) % 11) % 10 = substr(s, 12, 1)::int
              ELSE false END $$;
"""

# A balance column against the sum of a table's amounts for the same account, service and month, in one
# aggregate over both tables (no join of two tables of that size): {column}, its total, and whether a
# balance row is there at all.
BALANCE_AGAINST = (
    "SELECT account_id, service_id, period, sum({column}) AS {column}, sum(amount) AS total, "
    "count({column}) AS balances FROM (SELECT account_id, service_id, period, {column}, NULL::numeric AS amount "
    "FROM balance UNION ALL SELECT account_id, service_id, period, NULL, amount FROM {table}) u GROUP BY 1, 2, 3"
)
# A meter's last reading of a zone before this one (its zone may be missing in some months): the latest of
# the (month, value) pairs before it, in the same pass over the readings as the first zone's lag.
LAST_BEFORE = "(max(ARRAY[period - DATE '2000-01-01', {value}]) FILTER (WHERE {value} IS NOT NULL) OVER before)[2]"
# Each reading (``s``) with the one before it of each zone (prev1, prev2, prev3), in one pass over the readings.
WITH_PREVIOUS = (
    "(SELECT meter_id, period, taken_on, value1, value2, value3, lag(value1) OVER w AS prev1, "
    + LAST_BEFORE.format(value="value2")
    + " AS prev2, "
    + LAST_BEFORE.format(value="value3")
    + " AS prev3 FROM meter_reading WINDOW w AS (PARTITION BY meter_id ORDER BY period), "
    "before AS (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) s"
)

# name: the SQL selecting the offending rows (what must hold: seed.words.checks.RULES)
QUERIES: dict[str, str] = {
    "balance_reconciles": (
        "SELECT account_id, service_id, period, opening, charged, recalculated, paid, closing FROM balance "
        "WHERE closing <> opening + charged + recalculated - paid"
    ),
    "balance_carries_over": (
        "SELECT account_id, service_id, period, prev_closing, opening FROM (SELECT account_id, service_id, "
        "period, opening, lag(closing) OVER w AS prev_closing, lag(period) OVER w AS prev_period FROM balance "
        "WINDOW w AS (PARTITION BY account_id, service_id ORDER BY period)) s "
        "WHERE prev_period = (period - interval '1 month')::date AND opening <> prev_closing"
    ),
    "balance_matches_charges": (
        "SELECT account_id, service_id, period, charged, coalesce(total, 0) AS charges FROM ("
        + BALANCE_AGAINST.format(column="charged", table="charge")
        + ") g WHERE balances > 0 AND charged <> coalesce(total, 0)"
    ),
    "balance_matches_recalculations": (  # few recalculations: their sums hashed, the balances passed once
        "SELECT b.account_id, b.service_id, b.period, b.recalculated, coalesce(r.total, 0) AS recalculations "
        "FROM balance b LEFT JOIN (SELECT account_id, service_id, period, sum(amount) AS total "
        "FROM recalculation GROUP BY 1, 2, 3) r USING (account_id, service_id, period) "
        "WHERE b.recalculated <> coalesce(r.total, 0)"
    ),
    "balance_matches_payments": (  # both sides summed in the accounts' key order and merged (PLANS_OFF)
        "SELECT account_id, period, b.paid, p.payments FROM (SELECT account_id, period, sum(paid) AS paid "
        "FROM balance GROUP BY 1, 2) b FULL JOIN (SELECT account_id, period, sum(amount) AS payments FROM payment "
        "GROUP BY 1, 2) p USING (account_id, period) WHERE coalesce(b.paid, 0) <> coalesce(p.payments, 0)"
    ),
    "readings_never_decrease": (
        "SELECT s.meter_id, s.period, z.prev_value, z.value, z.zone FROM "
        + WITH_PREVIOUS
        + " JOIN (SELECT id, 10::numeric ^ capacity_digits / 2 AS half FROM meter) m ON m.id = s.meter_id "
        "CROSS JOIN LATERAL (VALUES (1, s.prev1, s.value1), (2, s.prev2, s.value2), (3, s.prev3, s.value3)) "
        "AS z(zone, prev_value, value) WHERE (s.value1 < s.prev1 OR s.value2 < s.prev2 OR s.value3 < s.prev3) "
        "AND z.value < z.prev_value AND z.prev_value - z.value < m.half"
    ),
    "readings_within_meter_life": (
        "SELECT r.meter_id, r.period, r.taken_on, m.installed_on, m.removed_on FROM meter_reading r "
        "JOIN meter m ON m.id = r.meter_id WHERE r.taken_on < m.installed_on OR r.taken_on > m.removed_on"
    ),
    "readings_of_known_meters": (
        "SELECT r.meter_id, r.period FROM meter_reading r LEFT JOIN meter m ON m.id = r.meter_id WHERE m.id IS NULL"
    ),
    "charge_is_volume_times_tariff": (
        "SELECT account_id, service_id, period, zone, volume, tariff, amount FROM charge "
        "WHERE amount <> round(volume * tariff, 2)"
    ),
    "charge_tariff_in_force": (  # a hash of the few tariffs, probed once per charge
        "SELECT c.account_id, c.service_id, c.period, c.zone, c.tariff, t.price FROM charge c "
        "LEFT JOIN tariff t ON t.service_id = c.service_id AND t.zone = c.zone "
        "AND c.period BETWEEN t.valid_from AND t.valid_to WHERE t.price IS DISTINCT FROM c.tariff"
    ),
    "payment_account_known": (
        "SELECT p.id, p.account_id, p.amount FROM payment p LEFT JOIN account a ON a.id = p.account_id "
        "WHERE a.id IS NULL"
    ),
    "payment_agent_known": (
        "SELECT p.id, p.agent_id, p.registry_id FROM payment p LEFT JOIN payment_agent g ON g.id = p.agent_id "
        "LEFT JOIN payment_registry r ON r.id = p.registry_id WHERE g.id IS NULL OR r.id IS NULL "
        "OR r.agent_id <> p.agent_id"
    ),
    "registry_totals_match": (
        "SELECT r.id, r.file_name, r.line_count, r.total, coalesce(p.n, 0) AS lines, coalesce(p.s, 0) AS sum "
        "FROM payment_registry r LEFT JOIN (SELECT registry_id, count(*) AS n, sum(amount) AS s FROM payment "
        "GROUP BY 1) p ON p.registry_id = r.id WHERE r.line_count <> coalesce(p.n, 0) "
        "OR r.total <> coalesce(p.s, 0)"
    ),
    "registry_lines_accounted": (
        "SELECT r.id, r.file_name, r.file_lines, r.file_total, coalesce(p.n, 0) + coalesce(s.n, 0) AS lines, "
        "coalesce(p.s, 0) + coalesce(s.s, 0) AS sum FROM payment_registry r "
        "LEFT JOIN (SELECT registry_id, count(*) AS n, sum(amount) AS s FROM payment GROUP BY 1) p "
        "ON p.registry_id = r.id LEFT JOIN (SELECT registry_id, count(*) AS n, sum(amount) AS s "
        "FROM payment_suspense WHERE payment_id IS NULL GROUP BY 1) s ON s.registry_id = r.id "
        "WHERE r.file_lines IS NOT NULL AND (r.file_lines <> coalesce(p.n, 0) + coalesce(s.n, 0) "
        "OR r.file_total <> coalesce(p.s, 0) + coalesce(s.s, 0))"
    ),
    "account_number_unique": "SELECT number, count(*) FROM account GROUP BY number HAVING count(*) > 1",
    "els_format": (
        "SELECT id, number, els FROM account WHERE length(els) <> 10 OR els IN "
        "(SELECT els FROM account GROUP BY els HAVING count(*) > 1)"
    ),
    "meter_serial_unique": "SELECT service_id, serial, count(*) FROM meter GROUP BY 1, 2 HAVING count(*) > 1",
    "snils_check_digits": (
        "SELECT id, surname, snils FROM person WHERE snils IS NOT NULL AND NOT pg_temp.snils_ok(snils)"
    ),
    "inn_check_digits": (
        "SELECT 'person' AS kind, id, inn FROM person WHERE inn IS NOT NULL AND NOT pg_temp.inn_ok(inn) "
        "UNION ALL SELECT 'supplier', id, inn FROM supplier WHERE NOT pg_temp.inn_ok(inn)"
    ),
    "ownership_shares_sum_to_one": (
        "SELECT account_id, sum(share) FROM account_person WHERE role = 'owner' GROUP BY account_id "
        "HAVING abs(sum(share) - 1) > 0.001"  # thirds stored as 0.3333 add up to 0.9999
    ),
    "living_area_within_total": (
        "SELECT id, number, total_area, living_area FROM premise WHERE living_area > total_area"
    ),
    "closed_account_settled": (
        "SELECT id, number, closed_on, sum FROM (SELECT a.id, a.number, a.closed_on, b.period, sum(b.closing), "
        "max(b.period) OVER (PARTITION BY a.id) AS last FROM account a JOIN balance b ON b.account_id = a.id "
        "WHERE a.closed_on IS NOT NULL GROUP BY a.id, b.period) s WHERE period = last AND sum <> 0"
    ),
}


# Checks counted together in one pass over their tables: a balance, its charges and recalculations and its
# month before (a window over the balances' key order, merged with the charges' own); a charge and the
# tariffs in force (each service, zone and month's prices, expanded over the books' months, so a charge finds
# them by equality); a reading, the reading before and its meter. A pass returns a count per check; a check
# whose count is not zero runs its own query for its first rows, so a pass costs what one of its checks did.
# The charges' and recalculations' sums are joined only where their checks are wanted (not for imports).
PASS_JOINS = {
    "balance_matches_charges": (
        ", c.total AS charges",
        " LEFT JOIN (SELECT account_id, service_id, period, sum(amount) AS total FROM charge GROUP BY 1, 2, 3) c "
        "USING (account_id, service_id, period)",
    ),
    "balance_matches_recalculations": (
        ", r.total AS recalculations",
        " LEFT JOIN (SELECT account_id, service_id, period, sum(amount) AS total FROM recalculation "
        "GROUP BY 1, 2, 3) r USING (account_id, service_id, period)",
    ),
}
PASSES: dict[str, tuple[str, dict[str, str]]] = {
    "balances": (
        "SELECT {counts} FROM (SELECT b.account_id, b.service_id, b.period, b.opening, b.charged, b.recalculated, "
        "b.paid, b.closing, lag(b.closing) OVER w AS prev_closing, lag(b.period) OVER w AS prev_period{columns} "
        "FROM balance b{joins} WINDOW w AS (PARTITION BY b.account_id, b.service_id ORDER BY b.period)) s",
        {
            "balance_reconciles": "count(*) FILTER (WHERE closing <> opening + charged + recalculated - paid)",
            "balance_carries_over": (
                "count(*) FILTER (WHERE prev_period = (period - interval '1 month')::date AND opening <> prev_closing)"
            ),
            "balance_matches_charges": "count(*) FILTER (WHERE charged <> coalesce(charges, 0))",
            "balance_matches_recalculations": "count(*) FILTER (WHERE recalculated <> coalesce(recalculations, 0))",
        },
    ),
    "charges": (
        "SELECT {counts} FROM charge c LEFT JOIN (SELECT t.service_id, t.zone, m.period, array_agg(t.price) AS prices "
        "FROM tariff t JOIN billing_period m ON m.period BETWEEN t.valid_from AND t.valid_to GROUP BY 1, 2, 3) t "
        "ON t.service_id = c.service_id AND t.zone = c.zone AND t.period = c.period",
        {
            "charge_is_volume_times_tariff": "count(*) FILTER (WHERE c.amount <> round(c.volume * c.tariff, 2))",
            # as many as the tariffs in force whose price is not the charge's (array_remove: IS NOT DISTINCT)
            "charge_tariff_in_force": (
                "coalesce(sum(CASE WHEN t.prices IS NULL THEN (c.tariff IS NOT NULL)::int "
                "ELSE cardinality(array_remove(t.prices, c.tariff)) END), 0)"
            ),
        },
    ),
    "readings": (
        "SELECT {counts} FROM "
        + WITH_PREVIOUS
        + " LEFT JOIN (SELECT id, installed_on, removed_on, 10::numeric ^ capacity_digits / 2 AS half FROM meter) m "
        "ON m.id = s.meter_id",
        {
            "readings_never_decrease": " + ".join(
                f"count(*) FILTER (WHERE s.value{z} < s.prev{z} AND s.prev{z} - s.value{z} < m.half)" for z in (1, 2, 3)
            ),
            "readings_within_meter_life": (
                "count(*) FILTER (WHERE s.taken_on < m.installed_on OR s.taken_on > m.removed_on)"
            ),
            "readings_of_known_meters": "count(*) FILTER (WHERE m.id IS NULL)",
        },
    ),
}
# Plans a pass must not take: the planner guesses the charges' sums by account, service and month a tenth as
# many as they are, and would hash them, spill the hash and sort it, where the charges' key already gives
# their order (measured at 100,000 accounts: twice the time).
# And the payments against the balances' paid: both sums are as many as the accounts' months, a hash of them
# spills at a million accounts, where their keys' order (an incremental sort by month within each account)
# merges them in one pass (measured at 100,000 accounts: 3.5 s of the server's CPU against 5.0 s).
PLANS_OFF = {"balances": ("enable_hashagg",), "balance_matches_payments": ("enable_hashagg", "enable_hashjoin")}
PASS_OF = {name: pass_name for pass_name, (_sql, counts) in PASSES.items() for name in counts}


def pass_query(pass_name: str, names: list[str]) -> str:
    """The SQL of a pass counting the checks ``names`` (a column each, in that order)."""
    template, counts = PASSES[pass_name]
    joined = [PASS_JOINS[name] for name in names if name in PASS_JOINS]
    return template.format(
        counts=", ".join(f"{counts[name]} AS {name}" for name in names),
        columns="".join(column for column, _join in joined),
        joins="".join(join for _column, join in joined),
    )


# What the checks over the large tables cost (the server's CPU seconds at 20,000 accounts), so the longest
# start first; a check not named costs little.
COST = {
    "balance_matches_charges": 7.2,
    "balance_matches_payments": 3.9,
    "balance_carries_over": 3.7,
    "readings_never_decrease": 3.2,
    "balance_matches_recalculations": 2.3,
    "charge_tariff_in_force": 1.2,
    "charge_is_volume_times_tariff": 1.0,
    "registry_totals_match": 1.0,
    "balance_reconciles": 1.0,
    "inn_check_digits": 0.6,
    "readings_within_meter_life": 0.5,
}

# name: (what must hold, in English, SQL selecting the offending rows)
CHECKS: dict[str, tuple[str, str]] = {name: (RULES[name].en, query) for name, query in QUERIES.items()}

# Checks that do not apply to books imported from an old system: exports carry balances (with the month's
# charged and recalculated totals) but not the individual charges and recalculations behind them (why, in
# English: seed.words.checks.SKIPPED).
NOT_FOR_IMPORTS: dict[str, str] = {name: why.en for name, why in SKIPPED.items()}


@dataclass
class CheckResult:
    name: str
    rule: str
    violations: int
    columns: list[str] = field(default_factory=list)
    sample: list[tuple[Any, ...]] = field(default_factory=list)
    skipped: str = ""  # why the check does not apply to these data

    @property
    def ok(self) -> bool:
        return self.violations == 0


def data_origin(conn: psycopg.Connection, schema: str = "okno") -> str:
    """'synthetic' or 'import', from the seed_info the loader leaves (older loads: synthetic)."""
    row = conn.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = %s AND table_name = 'seed_info' "
        "AND column_name = 'origin'",
        (schema,),
    ).fetchone()
    if row is None:
        return "synthetic"
    origin = conn.execute(f'SELECT origin FROM "{schema}".seed_info LIMIT 1').fetchone()
    return str(origin[0]) if origin else "synthetic"


def run_checks(dsn: str, only: list[str] | None = None) -> list[CheckResult]:
    """Run every check (or those named) against the ``okno`` schema of ``dsn``, in :data:`CHECKS`' order."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET search_path TO okno, public")
        require_books(conn)
        imported = data_origin(conn) == "import"
        has_suspense = conn.execute("SELECT to_regclass('okno.payment_suspense')").fetchone() not in (None, (None,))
    results: dict[str, CheckResult] = {}
    wanted = []
    for name, (rule, _query) in CHECKS.items():
        if only and name not in only:
            continue
        if name == "registry_lines_accounted" and not has_suspense:
            results[name] = CheckResult(name, rule, 0, skipped="these books predate loaded registries")
        elif imported and name in NOT_FOR_IMPORTS:
            results[name] = CheckResult(name, rule, 0, skipped=NOT_FOR_IMPORTS[name])
        else:
            wanted.append(name)
    jobs: list[tuple[str, ...]] = [(name,) for name in wanted if name not in PASS_OF]
    jobs += [tuple(name for name in wanted if PASS_OF.get(name) == p) for p in PASSES]
    jobs = sorted((job for job in jobs if job), key=lambda job: -sum(COST.get(name, 0) for name in job))
    setup = "SET search_path TO okno, public;" + FUNCTIONS
    for done in over_connections(dsn, jobs, _run_job, setup).values():
        results.update((r.name, r) for r in done)
    return [results[name] for name in CHECKS if name in results]


def over_connections(
    dsn: str, jobs: list[Job], run: Callable[[psycopg.Connection, Job], Done], setup: str = ""
) -> dict[Job, Done]:
    """``run`` each of ``jobs`` (independent queries, the longest first) over :data:`CONNECTIONS`
    connections at once, each ``setup`` first: the server's cores busy with no query run twice, as a
    parallel plan's workers each building the same hash of a small table would. The first error is raised."""
    pending = list(jobs)
    lock = threading.Lock()

    def work() -> dict[Job, Done]:
        done: dict[Job, Done] = {}
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(SESSION + setup)
            while True:
                with lock:
                    if not pending:
                        return done
                    job = pending.pop(0)
                done[job] = run(conn, job)

    with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        futures = [pool.submit(work) for _ in range(min(CONNECTIONS, len(jobs)))]
        return {job: result for future in futures for job, result in future.result().items()}


def _run_job(conn: psycopg.Connection, names: tuple[str, ...]) -> list[CheckResult]:
    """A check on its own, or the checks of one pass: counted together, the first rows of each check that
    fails fetched by its own query."""
    alone = len(names) == 1 and names[0] not in PASS_OF
    job = names[0] if alone else PASS_OF[names[0]]
    off = PLANS_OFF.get(job, ())
    for setting in off:
        conn.execute(f"SET {setting} = off")
    try:
        if alone:
            return [_run_one(conn, job)]
        row = conn.execute(pass_query(job, list(names))).fetchone()
    finally:
        for setting in off:
            conn.execute(f"RESET {setting}")
    assert row is not None
    return [
        _run_one(conn, name) if count else CheckResult(name, CHECKS[name][0], 0)
        for name, count in zip(names, row, strict=True)
    ]


def _run_one(conn: psycopg.Connection, name: str) -> CheckResult:
    """One check: its violations counted, the first :data:`SAMPLE` of them kept."""
    rule, query = CHECKS[name]
    cur = conn.execute(f"SELECT v.*, count(*) OVER () AS violations__ FROM ({query}) AS v LIMIT {SAMPLE}")
    rows = cur.fetchall()
    columns = [d.name for d in cur.description or []][:-1]
    count = int(rows[0][-1]) if rows else 0
    return CheckResult(name, rule, count, columns, [tuple(r[:-1]) for r in rows])
