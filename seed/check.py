"""The invariants of the «Одно Окно» books, checked in SQL on data that may be wrong.

Every check counts its violations and keeps the first few offending rows, so a deployer sees what
is wrong and where. The same checks run on synthetic and on imported data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg

from seed.months import require_books
from seed.words.checks import RULES, SKIPPED

SAMPLE = 5

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION pg_temp.snils_ok(s text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN s !~ '^[0-9]{11}$' THEN false
              WHEN substr(s, 1, 9)::int <= 1001998 THEN true
              ELSE (SELECT CASE WHEN t < 100 THEN t WHEN t IN (100, 101) THEN 0
                                ELSE CASE WHEN t % 101 = 100 THEN 0 ELSE t % 101 END END
                      FROM (SELECT sum(substr(s, i, 1)::int * (10 - i)) AS t
                              FROM generate_series(1, 9) AS i) AS w) = substr(s, 10, 2)::int END $$;
CREATE OR REPLACE FUNCTION pg_temp.inn_digit(s text, w int[]) RETURNS int LANGUAGE sql IMMUTABLE AS $$
  SELECT (sum(substr(s, i, 1)::int * w[i]) % 11) % 10 FROM generate_series(1, array_length(w, 1)) AS i $$;
CREATE OR REPLACE FUNCTION pg_temp.inn_ok(s text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN s ~ '^[0-9]{10}$' THEN
                pg_temp.inn_digit(s, '{2,4,10,3,5,9,4,6,8}') = substr(s, 10, 1)::int
              WHEN s ~ '^[0-9]{12}$' THEN
                pg_temp.inn_digit(s, '{7,2,4,10,3,5,9,4,6,8}') = substr(s, 11, 1)::int
                AND pg_temp.inn_digit(s, '{3,7,2,4,10,3,5,9,4,6,8}') = substr(s, 12, 1)::int
              ELSE false END $$;
"""

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
        "SELECT b.account_id, b.service_id, b.period, b.charged, coalesce(c.total, 0) AS charges FROM balance b "
        "LEFT JOIN (SELECT account_id, service_id, period, sum(amount) AS total FROM charge "
        "GROUP BY 1, 2, 3) c USING (account_id, service_id, period) WHERE b.charged <> coalesce(c.total, 0)"
    ),
    "balance_matches_recalculations": (
        "SELECT b.account_id, b.service_id, b.period, b.recalculated, coalesce(r.total, 0) AS recalculations "
        "FROM balance b LEFT JOIN (SELECT account_id, service_id, period, sum(amount) AS total "
        "FROM recalculation GROUP BY 1, 2, 3) r USING (account_id, service_id, period) "
        "WHERE b.recalculated <> coalesce(r.total, 0)"
    ),
    "balance_matches_payments": (
        "SELECT coalesce(b.account_id, p.account_id) AS account_id, coalesce(b.period, p.period) AS period, "
        "b.paid, p.paid AS payments FROM (SELECT account_id, period, sum(paid) AS paid FROM balance "
        "GROUP BY 1, 2) b FULL JOIN (SELECT account_id, period, sum(amount) AS paid FROM payment "
        "GROUP BY 1, 2) p ON p.account_id = b.account_id AND p.period = b.period "
        "WHERE coalesce(b.paid, 0) <> coalesce(p.paid, 0)"
    ),
    "readings_never_decrease": (
        "SELECT meter_id, period, prev_value, value, zone FROM (SELECT r.meter_id, r.period, z.zone, z.value, "
        "lag(z.value) OVER (PARTITION BY r.meter_id, z.zone ORDER BY r.period) AS prev_value, m.capacity_digits "
        "FROM meter_reading r JOIN meter m ON m.id = r.meter_id "
        "CROSS JOIN LATERAL (VALUES (1, r.value1), (2, r.value2), (3, r.value3)) AS z(zone, value) "
        "WHERE z.value IS NOT NULL) s "
        "WHERE value < prev_value AND prev_value - value < 10::numeric ^ capacity_digits / 2"
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
    "charge_tariff_in_force": (
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
        "SELECT a.id, a.number, a.closed_on, sum(b.closing) FROM account a JOIN balance b ON b.account_id = a.id "
        "WHERE a.closed_on IS NOT NULL AND b.period = (SELECT max(period) FROM balance l WHERE l.account_id = a.id) "
        "GROUP BY a.id HAVING sum(b.closing) <> 0"
    ),
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
    """Run every check (or those named) against the ``okno`` schema of ``dsn``."""
    results = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET search_path TO okno, public")
        require_books(conn)
        conn.execute(FUNCTIONS)
        imported = data_origin(conn) == "import"
        has_suspense = conn.execute("SELECT to_regclass('okno.payment_suspense')").fetchone() not in (None, (None,))
        for name, (rule, query) in CHECKS.items():
            if only and name not in only:
                continue
            if name == "registry_lines_accounted" and not has_suspense:
                results.append(CheckResult(name, rule, 0, skipped="these books predate loaded registries"))
                continue
            if imported and name in NOT_FOR_IMPORTS:
                results.append(CheckResult(name, rule, 0, skipped=NOT_FOR_IMPORTS[name]))
                continue
            cur = conn.execute(f"SELECT v.*, count(*) OVER () AS violations__ FROM ({query}) AS v LIMIT {SAMPLE}")
            rows = cur.fetchall()
            columns = [d.name for d in cur.description or []][:-1]
            count = int(rows[0][-1]) if rows else 0
            results.append(CheckResult(name, rule, count, columns, [tuple(r[:-1]) for r in rows]))
    return results
