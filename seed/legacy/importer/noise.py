"""Optional noise on the loaded books: each account's amounts and each meter's readings scaled by a keyed
factor near 1, keeping every relation the books had."""

from __future__ import annotations

import psycopg
from psycopg import sql

from seed.legacy.importer.state import ImportState
from seed.load import copy_rows

NOISE_SQL = [
    # a closed account keeps its amounts: each scaled term rounds on its own, so a settled account's last
    # closing would no longer be exactly zero (closed_account_settled)
    "UPDATE noise_account SET f = 1 WHERE account_id IN (SELECT id FROM account WHERE closed_on IS NOT NULL)",
    # payments first: each scaled, never below a kopeck; registries follow their payments
    "CREATE TABLE payment_noisy (LIKE payment INCLUDING ALL)",
    "INSERT INTO payment_noisy SELECT p.id, p.account_id, p.agent_id, p.registry_id, p.paid_on, p.period, "
    "greatest(round(p.amount * n.f, 2), 0.01) FROM payment p JOIN noise_account n USING (account_id)",
    # balances: charged, recalculated and paid scaled; paid adjusted on one service of a month so that the
    # month's paid still equals its payments where it did; openings and closings rebuilt as running sums of
    # the scaled movements, with any break the export had (opening <> last closing, or a closing that does
    # not reconcile) scaled and kept
    """CREATE TABLE balance_noisy (LIKE balance INCLUDING ALL)""",
    """INSERT INTO balance_noisy
    WITH b AS (
        SELECT b.*, n.f, lag(b.closing) OVER (PARTITION BY b.account_id, b.service_id ORDER BY b.period) AS before
          FROM balance b JOIN noise_account n USING (account_id)
    ), paid AS (
        SELECT account_id, period, sum(paid) AS original, sum(round(paid * f, 2)) AS scaled FROM b GROUP BY 1, 2
    ), pay AS (
        SELECT p.account_id, p.period, sum(p.amount) AS original, sum(q.amount) AS scaled
          FROM payment p JOIN payment_noisy q USING (id) GROUP BY 1, 2
    ), moves AS (
        SELECT b.account_id, b.service_id, b.period,
               round(b.charged * b.f, 2) AS c, round(b.recalculated * b.f, 2) AS r,
               round(b.paid * b.f, 2) + CASE
                   WHEN row_number() OVER (PARTITION BY b.account_id, b.period ORDER BY b.paid DESC, b.service_id) = 1
                        AND paid.original = coalesce(pay.original, 0)
                   THEN coalesce(pay.scaled, 0) - paid.scaled ELSE 0 END AS p,
               round((b.opening - coalesce(b.before, 0)) * b.f, 2) AS d,
               round((b.closing - (b.opening + b.charged + b.recalculated - b.paid)) * b.f, 2) AS e
          FROM b JOIN paid USING (account_id, period) LEFT JOIN pay USING (account_id, period)
    )
    SELECT account_id, service_id, period,
           sum(d + c + r - p + e) OVER w - (c + r - p + e), c, r, p, sum(d + c + r - p + e) OVER w
      FROM moves
    WINDOW w AS (PARTITION BY account_id, service_id ORDER BY period ROWS UNBOUNDED PRECEDING)""",
    "DROP TABLE balance",
    "ALTER TABLE balance_noisy RENAME TO balance",
    "DROP TABLE payment",
    "ALTER TABLE payment_noisy RENAME TO payment",
    "UPDATE payment_registry r SET total = s.total FROM (SELECT registry_id, sum(amount) AS total FROM payment "
    "GROUP BY 1) s WHERE s.registry_id = r.id",
    # readings: a meter's whole series scaled by one factor keeps its order
    "CREATE TABLE reading_noisy (LIKE meter_reading INCLUDING ALL)",
    "INSERT INTO reading_noisy SELECT r.meter_id, r.period, r.taken_on, r.source_id, round(r.value1 * n.f, 3), "
    "round(r.value2 * n.f, 3), round(r.value3 * n.f, 3) FROM meter_reading r JOIN noise_meter n USING (meter_id)",
    "DROP TABLE meter_reading",
    "ALTER TABLE reading_noisy RENAME TO meter_reading",
    "DROP TABLE noise_account",
    "DROP TABLE noise_meter",
]


def add_noise(state: ImportState, admin: psycopg.Connection, work: str) -> None:
    """Scale each account's amounts (a closed account's excepted) and each meter's readings by a keyed
    factor near 1, keeping every relation the books had: balances reconcile and carry over as before (and
    a break in the export stays a break, scaled), the paid amounts of a month still equal its payments,
    registries their totals, readings their order."""

    schema = sql.Identifier(work)
    for table in ("noise_account (account_id", "noise_meter (meter_id"):
        admin.execute(sql.SQL("CREATE TABLE {}." + table + " int PRIMARY KEY, f numeric)").format(schema))
    for table, factors in (("noise_account", state.account_factors), ("noise_meter", state.meter_factors)):
        copy_rows(admin, work, table, ((n, f"{f:.6f}") for n, f in enumerate(factors, start=1)))
    with admin.transaction():
        admin.execute(sql.SQL("SET LOCAL search_path TO {}").format(schema))
        rewritten = ("balance", "payment", "meter_reading")
        comments = {t: admin.execute("SELECT obj_description(%s::regclass)", (t,)).fetchone() for t in rewritten}
        for statement in NOISE_SQL:
            admin.execute(statement.encode())
        for table, comment in comments.items():
            if comment and comment[0]:
                text = sql.Literal(comment[0])
                admin.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(sql.Identifier(table), text))
