"""A one-screen summary of a client's books for a trainer: who, what is metered, money in and out."""

from __future__ import annotations

from typing import Any

import psycopg

from seed.months import require_books


def _rows(conn: psycopg.Connection, query: str) -> list[dict[str, Any]]:
    cur = conn.execute(query)
    names = [d.name for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def collect(dsn: str) -> dict[str, Any]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET search_path TO okno, public")
        require_books(conn)
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
        closed = [m for m in months if m["status"] == "closed"]
        charged = sum(m["charged"] for m in closed[:-1]) if len(closed) > 1 else 0
        paid = sum(m["paid"] for m in closed[1:]) if len(closed) > 1 else 0
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
        for row in debt:
            row["age"] = row["age"].split(": ", 1)[1]
    return {
        "totals": totals,
        "meters": meters,
        "months": months,
        "agents": agents,  # payments per agent per month
        # Payments in a month settle the previous month's bill: compare paid in months 2..n with
        # charged in months 1..n-1 of the closed periods.
        "collection_rate": float(paid / charged) if charged else None,
        "debt_by_age": debt,
    }
