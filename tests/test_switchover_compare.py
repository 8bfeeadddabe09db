"""The switch-over's comparison counts by sums first and joins rows only where sums differ: its counts must be
those of the plain row-by-row join. Two copies of synthetic books side by side (schemas ``old`` and ``new``),
the new one changed as an old system changes its books in a month (a reading and a balance of a closed month
corrected, a late reading of a closed month, readings of the next month, one of them already in the old
books), are counted both ways."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from provision.clients import lifecycle
from seed.legacy.switchover import compare
from seed.period import month_add
from tests.clients import seeded_client

pytestmark = [pytest.mark.docker, pytest.mark.slow]
CLIENT = "swc-compare"
TABLES = ("account", "person", "account_person", "meter", "meter_reading", "payment", "balance", "billing_period")
# the plain joins the sums stand for: every matched row compared
PLAIN = {
    "readings": (
        "SELECT count(*) FILTER (WHERE o.meter_id IS NULL), count(*) FILTER (WHERE o.meter_id IS NOT NULL AND "
        "(o.value1, o.value2, o.value3) IS DISTINCT FROM (n.value1, n.value2, n.value3)) FROM new.meter_reading n "
        "LEFT JOIN (SELECT o.id AS old_id, n.id AS new_id FROM old.meter o JOIN old.account oa ON oa.id = o.account_id "
        "JOIN new.meter n ON n.serial = o.serial JOIN new.account na ON na.id = n.account_id AND na.number = oa.number"
        ") m ON m.new_id = n.meter_id LEFT JOIN old.meter_reading o ON o.meter_id = m.old_id AND o.period = n.period"
    ),
    "balances": (
        "SELECT count(*) FROM old.account oa JOIN new.account na USING (number) JOIN old.balance ob "
        "ON ob.account_id = oa.id AND ob.period <= %(closed)s JOIN new.balance nb ON nb.account_id = na.id "
        "AND nb.service_id = ob.service_id AND nb.period = ob.period WHERE (ob.opening, ob.charged, ob.recalculated, "
        "ob.paid, ob.closing) IS DISTINCT FROM (nb.opening, nb.charged, nb.recalculated, nb.paid, nb.closing)"
    ),
}


@pytest.fixture(scope="module")
def sides(tmp_path_factory: pytest.TempPathFactory, pg_image: str) -> Iterator[dict[str, Any]]:
    root: Path = tmp_path_factory.mktemp("compare").resolve()
    workspace, dsn = seeded_client(root, CLIENT, "[seed]\naccounts = 300\nmonths = 4\n")
    try:
        with psycopg.connect(dsn) as conn, conn.transaction():
            last = conn.execute("SELECT max(period) FROM okno.billing_period").fetchone()[0]  # type: ignore[index]
            closed = month_add(last, -2)  # the old books' last closed month; ``last`` the new books' later one
            for schema in ("old", "new"):
                conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
                for table in TABLES:
                    conn.execute(
                        sql.SQL("CREATE TABLE {s}.{t} (LIKE okno.{t} INCLUDING ALL); INSERT INTO {s}.{t} "
                                "SELECT * FROM okno.{t}").format(s=sql.Identifier(schema), t=sql.Identifier(table))
                    )  # fmt: skip
            conn.execute("DELETE FROM old.meter_reading WHERE period > %s", (closed,))
            conn.execute("DELETE FROM old.balance WHERE period > %s", (closed,))
            # a meter's reading already in the old books for the next month, the same in the new
            conn.execute(
                "INSERT INTO old.meter_reading SELECT * FROM new.meter_reading WHERE period > %s "
                "AND meter_id = (SELECT min(meter_id) FROM new.meter_reading WHERE period > %s)",
                (closed, closed),
            )
            # a closed month's reading and balance corrected, and a reading of a closed month the old books lacked
            conn.execute(
                "UPDATE new.meter_reading SET value1 = value1 + 1 WHERE (meter_id, period) = "
                "(SELECT meter_id, period FROM new.meter_reading WHERE period <= %s ORDER BY 1 DESC, 2 LIMIT 1)",
                (closed,),
            )
            conn.execute(
                "DELETE FROM old.meter_reading WHERE (meter_id, period) = (SELECT meter_id, period FROM "
                "old.meter_reading WHERE period <= %s ORDER BY 1, 2 DESC LIMIT 1 OFFSET 40)",
                (closed,),
            )
            conn.execute(
                "UPDATE new.balance SET charged = charged + 10, closing = closing + 10 WHERE (account_id, service_id, "
                "period) = (SELECT account_id, service_id, period FROM new.balance WHERE period = %s LIMIT 1)",
                (closed,),
            )
        yield {"dsn": dsn, "closed": closed}
    finally:
        lifecycle.destroy(workspace, CLIENT)


def test_the_counts_by_sums_are_those_of_the_plain_row_join(sides: dict[str, Any]) -> None:
    dsn, closed = sides["dsn"], sides["closed"]
    counts = compare(dsn, "old", "new", closed)
    with psycopg.connect(dsn) as conn:
        added, corrected = conn.execute(PLAIN["readings"]).fetchone()  # type: ignore[misc]
        (balances,) = conn.execute(PLAIN["balances"], {"closed": closed}).fetchone()  # type: ignore[misc]
    assert (counts["readings_added"], counts["readings_corrected"]) == (added, corrected)
    assert counts["balances_corrected"] == balances == 1
    assert corrected == 1 and added > 100  # the late reading and the next month's, less the one already there
    assert isinstance(closed, dt.date)
