"""A one-screen summary of a client's books for a trainer: who, what is metered, money in and out.

Its figures come from small summary tables (``stat_*``, :file:`sql/005_stats_summary.sql`) that triggers keep
true as the books change, so a summary of a million accounts reads a few hundred rows. Books loaded before
those tables existed get them on first use. ``full=True`` computes every figure from the books themselves:
the reference the summary tables are checked against.
"""

from __future__ import annotations

from typing import Any

import psycopg

from seed import migrate
from seed.months import require_books


def _rows(conn: psycopg.Connection, query: str) -> list[dict[str, Any]]:
    cur = conn.execute(query)
    names = [d.name for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def collect(dsn: str, *, full: bool = False) -> dict[str, Any]:
    """The summary: from the summary tables, or with ``full`` from the books themselves (a scan of them all)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET search_path TO okno, public")
        require_books(conn)
        figures = _full(conn) if full else _kept(conn)
    closed = [m for m in figures["months"] if m["status"] == "closed"]
    charged = sum(m["charged"] for m in closed[:-1]) if len(closed) > 1 else 0
    paid = sum(m["paid"] for m in closed[1:]) if len(closed) > 1 else 0
    for row in figures["debt_by_age"]:
        row["age"] = row["age"].split(": ", 1)[1]
    return {
        "totals": figures["totals"],
        "meters": figures["meters"],
        "months": figures["months"],
        "agents": figures["agents"],  # payments per agent per month
        # Payments in a month settle the previous month's bill: compare paid in months 2..n with
        # charged in months 1..n-1 of the closed periods.
        "collection_rate": float(paid / charged) if charged else None,
        "debt_by_age": figures["debt_by_age"],
    }


def ensure_summary(conn: psycopg.Connection) -> None:
    """The summary tables, computed now on books loaded before they existed; debt by age moved to the last
    closed month if it is not of it (the triggers move it when a month is closed; this mends books where
    they could not)."""
    if conn.execute("SELECT to_regclass('okno.stat_total') IS NULL").fetchone() == (True,):
        with conn.transaction():
            # as a registry load does, so the two never add the tables at once
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (migrate.UPGRADE_LOCK,))
            migrate.apply(conn, migrate.SCHEMA)
    stale = conn.execute(
        "SELECT debt_period IS DISTINCT FROM (SELECT max(period) FROM billing_period WHERE status = 'closed') "
        "FROM stat_total"
    ).fetchone()
    if stale is None or stale[0]:
        conn.execute("SELECT stat_refresh_debt('okno')" if stale else "SELECT stat_refresh('okno')")


def _kept(conn: psycopg.Connection) -> dict[str, Any]:
    """The figures as the summary tables hold them: the same rows, names and types as :func:`_full`."""
    ensure_summary(conn)
    totals = _rows(
        conn,
        """
        SELECT t.accounts, t.open_accounts, t.residents, t.persons, t.buildings,
               round(t.area / nullif(t.premises, 0), 1) AS mean_area,
               (SELECT min(period) FROM billing_period) AS first_period,
               (SELECT max(period) FROM billing_period) AS last_period,
               (SELECT max(period) FROM billing_period WHERE status = 'open') AS open_period
          FROM stat_total t""",
    )[0]
    meters = _rows(
        conn,
        """
        SELECT s.name AS service,
               coalesce((SELECT sum(meters) FROM stat_meter_due d WHERE d.service_id = s.id), 0)::bigint AS meters,
               coalesce((SELECT sum(meters) FROM stat_meter_due d
                          WHERE d.service_id = s.id AND d.due <= now()::date), 0)::bigint AS overdue,
               round(100.0 * v.covered / nullif(v.accounts, 0), 1) AS coverage_pct
          FROM service s JOIN stat_service v ON v.service_id = s.id
         WHERE s.metered AND v.accounts > 0 ORDER BY s.id""",
    )
    months = _rows(
        conn,
        """
        SELECT p.period, p.status, CASE WHEN m.balances > 0 THEN m.charged ELSE 0 END AS charged,
               CASE WHEN m.payments > 0 THEN m.paid ELSE 0 END AS paid
          FROM billing_period p LEFT JOIN stat_month m ON m.period = p.period
         ORDER BY p.period""",
    )
    agents = _rows(
        conn,
        """
        SELECT y.period, g.name AS agent, y.payments, y.paid
          FROM stat_agent y JOIN payment_agent g ON g.id = y.agent_id
         WHERE y.payments > 0 ORDER BY y.period, g.id""",
    )
    debt = _rows(conn, "SELECT age, accounts, debt FROM stat_debt WHERE accounts > 0 ORDER BY age")
    return {"totals": totals, "meters": meters, "months": months, "agents": agents, "debt_by_age": debt}


def _full(conn: psycopg.Connection) -> dict[str, Any]:
    """Every figure computed from the books: a scan of them all (tests and checks only)."""
    totals = _rows(
        conn,
        """
        SELECT (SELECT count(*) FROM account) AS accounts,
               (SELECT count(*) FROM account WHERE closed_on IS NULL) AS open_accounts,
               (SELECT coalesce(sum(residents), 0) FROM account) AS residents,
               (SELECT count(*) FROM person) AS persons,
               (SELECT count(*) FROM building) AS buildings,
               (SELECT round(avg(total_area), 1) FROM premise) AS mean_area,
               (SELECT min(period) FROM billing_period) AS first_period,
               (SELECT max(period) FROM billing_period) AS last_period,
               (SELECT max(period) FROM billing_period WHERE status = 'open') AS open_period""",
    )[0]
    meters = _rows(
        conn,
        """
        SELECT s.name AS service, count(m.id) FILTER (WHERE m.removed_on IS NULL) AS meters,
               count(m.id) FILTER (WHERE m.removed_on IS NULL AND m.next_verification <= now()::date)
                   AS overdue,
               round(100.0 * count(DISTINCT m.account_id) / nullif(count(DISTINCT a.account_id), 0), 1)
                   AS coverage_pct
          FROM service s JOIN account_service a ON a.service_id = s.id
          LEFT JOIN meter m ON m.account_id = a.account_id AND m.service_id = s.id
         WHERE s.metered GROUP BY s.id, s.name ORDER BY s.id""",
    )
    months = _rows(
        conn,
        """
        SELECT p.period, p.status, coalesce(c.charged, 0) AS charged, coalesce(y.paid, 0) AS paid
          FROM billing_period p
          LEFT JOIN (SELECT period, sum(charged + recalculated) AS charged, sum(paid) AS paid_b
                       FROM balance GROUP BY period) c ON c.period = p.period
          LEFT JOIN (SELECT period, sum(amount) AS paid FROM payment GROUP BY period) y ON y.period = p.period
         ORDER BY p.period""",
    )
    agents = _rows(
        conn,
        """
        SELECT y.period, g.name AS agent, count(*) AS payments, sum(y.amount) AS paid
          FROM payment y JOIN payment_agent g ON g.id = y.agent_id
         GROUP BY y.period, g.id, g.name ORDER BY y.period, g.id""",
    )
    debt = _rows(
        conn,
        """
        WITH last AS (SELECT account_id, sum(closing) AS debt, sum(charged) AS monthly FROM balance
                       WHERE period = (SELECT max(period) FROM billing_period WHERE status = 'closed')
                       GROUP BY account_id)
        SELECT CASE WHEN debt <= 0 THEN '0: none'
                    WHEN debt <= monthly THEN '1: up to 1 month'
                    WHEN debt <= 3 * monthly THEN '2: 1-3 months'
                    WHEN debt <= 6 * monthly THEN '3: 3-6 months'
                    WHEN debt <= 12 * monthly THEN '4: 6-12 months'
                    ELSE '5: over a year' END AS age,
               count(*) AS accounts, coalesce(sum(greatest(debt, 0)), 0) AS debt
          FROM last GROUP BY 1 ORDER BY 1""",
    )
    return {"totals": totals, "meters": meters, "months": months, "agents": agents, "debt_by_age": debt}
