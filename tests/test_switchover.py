"""The month-end switch-over against a real client: synthetic books play the old system. A first export
(through M-1) is imported; the old system moves on (a new account, a closed one, a resident moving, a
meter replaced, payments, a balance of a closed month corrected) and makes the final export (through M).
The rehearsal finds and counts every change with no difference, leaving the working database as it was;
the run opens M+1 on M's closing balances, and `provision check` holds. Wrong exports are refused."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from provision.clients import lifecycle
from seed.period import month_add
from tests.clients import cli, one_row, seeded_client

pytestmark = [pytest.mark.docker, pytest.mark.slow]
CLIENT = "swo"
ENC = "cp1251"


def move_on(dsn: str, month: dt.date) -> None:
    """The old system during ``month`` after the first export: a new account, one closed after paying
    its debt, a resident moving to another account, a meter replaced, a balance of the month before
    corrected (and carried on)."""
    end = month_add(month, 1) - dt.timedelta(days=1)
    with psycopg.connect(dsn) as conn, conn.transaction():
        conn.execute("SET LOCAL search_path TO okno, public")
        conn.execute(
            "INSERT INTO account (id, number, els, premise_id, opened_on, residents, area) "
            "SELECT max(id) + 1, '77700001', '77АА777001', min(premise_id), %s, 1, 30.5 FROM account",
            (month + dt.timedelta(days=14),),
        )
        # the closed account pays what it owes at the month's end: a payment, and its balances settled
        closing = conn.execute(
            "SELECT a.id FROM account a JOIN balance b ON b.account_id = a.id AND b.period = %s "
            "WHERE a.closed_on IS NULL GROUP BY a.id HAVING min(b.closing) > 0 ORDER BY a.id LIMIT 1",
            (month,),
        ).fetchone()
        assert closing is not None
        (closed,) = closing
        owed = conn.execute("SELECT sum(closing) FROM balance WHERE account_id = %s AND period = %s", (closed, month))
        registry = conn.execute("SELECT min(id) FROM payment_registry").fetchone()
        assert registry is not None
        conn.execute(
            "INSERT INTO payment (account_id, agent_id, registry_id, paid_on, period, amount) "
            "SELECT %s, r.agent_id, r.id, %s, %s, %s FROM payment_registry r WHERE r.id = %s",
            (closed, end, month, owed.fetchone()[0], registry[0]),  # type: ignore[index]
        )
        conn.execute(
            "UPDATE balance SET paid = paid + closing, closing = 0 WHERE account_id = %s AND period = %s",
            (closed, month),
        )
        conn.execute("DELETE FROM balance WHERE account_id = %s AND period > %s", (closed, month))
        conn.execute("UPDATE account SET closed_on = %s WHERE id = %s", (end, closed))
        # a resident moves to another account
        conn.execute(
            "UPDATE account_person SET account_id = (SELECT max(id) FROM account WHERE id <> %s AND closed_on IS NULL) "
            "WHERE ctid = (SELECT min(ctid) FROM account_person WHERE account_id = %s)",
            (closed, closed + 1),
        )
        # a meter replaced
        conn.execute(
            "WITH old AS (UPDATE meter SET removed_on = %s WHERE id = (SELECT min(id) FROM meter "
            "WHERE removed_on IS NULL AND account_id <> %s) RETURNING *) "
            "INSERT INTO meter (id, account_id, service_id, serial, zones, capacity_digits, installed_on, "
            "verified_on, next_verification, replaces_meter_id) SELECT (SELECT max(id) + 1 FROM meter), account_id, "
            "service_id, 'NEW-' || serial, zones, capacity_digits, %s, %s, next_verification, id FROM old",
            (month + dt.timedelta(days=19), closed, month + dt.timedelta(days=19), month + dt.timedelta(days=19)),
        )
        # the old system corrects a charge of the month before: its closing and everything after follow
        before = month_add(month, -1)
        conn.execute(
            "WITH one AS (SELECT account_id, service_id FROM balance WHERE period = %s AND account_id <> %s "
            "ORDER BY account_id, service_id LIMIT 1) "
            "UPDATE balance b SET charged = charged + CASE WHEN b.period = %s THEN 10 ELSE 0 END, "
            "opening = opening + CASE WHEN b.period > %s THEN 10 ELSE 0 END, closing = closing + 10 "
            "FROM one WHERE b.account_id = one.account_id AND b.service_id = one.service_id AND b.period >= %s",
            (before, closed, before, before, before),
        )


@pytest.fixture(scope="module")
def rollout(tmp_path_factory: pytest.TempPathFactory, pg_image: str) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("switchover").resolve()
    workspace, dsn = seeded_client(root, CLIENT, "[seed]\naccounts = 300\nmonths = 4\n")
    last = one_row(dsn, "SELECT max(period) FROM okno.billing_period")[0]
    month = month_add(last, -1)  # M: the month the switch-over closes
    first, final = root / "first", root / "final"
    code, out = cli(workspace, "import", "sample", CLIENT, str(first), "--through", f"{month_add(month, -1):%Y-%m}")
    assert code == 0, out
    move_on(dsn, month)
    code, out = cli(workspace, "import", "sample", CLIENT, str(final), "--through", f"{month:%Y-%m}")
    assert code == 0, out
    later = root / "later"  # through M+1: a month past the one the books will have open
    code, out = cli(workspace, "import", "sample", CLIENT, str(later), "--through", f"{month_add(month, 1):%Y-%m}")
    assert code == 0, out
    code, out = cli(workspace, "import", "load", CLIENT, str(first))
    assert code == 0, out
    yield {
        "workspace": workspace,
        "dsn": dsn,
        "month": month,
        "first": first,
        "final": final,
        "later": later,
        "root": root,
    }
    lifecycle.destroy(workspace, CLIENT)


def fingerprint(dsn: str) -> tuple[Any, ...]:
    return one_row(
        dsn,
        "SELECT (SELECT count(*) FROM okno.account), (SELECT sum(closing) FROM okno.balance), "
        "(SELECT count(*) FROM okno.payment), (SELECT max(period) FROM okno.billing_period WHERE status = 'open'), "
        "(SELECT count(*) FROM pg_database WHERE datname LIKE '%%rehearsal%%')",
    )


def test_import_sample_through_a_month_holds_that_month_and_no_later(rollout: dict[str, Any]) -> None:
    month: dt.date = rollout["month"]
    balances = (rollout["first"] / "balances.csv").read_bytes().decode(ENC)
    assert f";{month_add(month, -1):%m.%Y};" in balances and f";{month:%m.%Y};" not in balances
    final = rollout["final"]
    assert f";{month:%m.%Y};" in (final / "balances.csv").read_bytes().decode(ENC)
    assert "77700001" in (final / "accounts.csv").read_bytes().decode(ENC)
    assert "77700001" not in (rollout["first"] / "accounts.csv").read_bytes().decode(ENC)
    code, out = cli(
        rollout["workspace"], "import", "sample", CLIENT, str(rollout["root"] / "x"), "--through", "2001-01"
    )
    assert code == 2 and "--through 2001-01: the books hold" in out


def test_a_rehearsal_counts_every_change_and_leaves_the_working_database_alone(rollout: dict[str, Any]) -> None:
    workspace, dsn, month = rollout["workspace"], rollout["dsn"], rollout["month"]
    before = fingerprint(dsn)
    assert before[3] == month  # the first import left M open
    page = rollout["root"] / "rehearsal.html"
    code, out = cli(workspace, "switchover", "rehearse", CLIENT, str(rollout["final"]), "--json", "--html", str(page))
    assert code == 0, out
    html = page.read_text(encoding="utf-8")
    assert "Репетиция перехода" in html and "Расхождений нет" in html and "новые лицевые счета" in html
    report = json.loads(out[out.index("{") :])
    changes = report["changes"]
    assert changes["accounts_added"] == 1 and changes["accounts_closed"] == 1
    assert changes["persons_moved_in"] >= 1 and changes["persons_moved_out"] >= 1
    assert changes["meters_installed"] >= 1 and changes["meters_removed"] >= 1  # ours, and the books own
    assert 1 <= changes["meters_replaced"] <= changes["meters_removed"]
    assert changes["payments_added"] > 100 and changes["readings_added"] > 100
    assert changes["balances_corrected"] >= 1 and changes["balances_added"] > 500
    assert changes["accounts_missing"] == 0 and changes["accounts_unrecognized"] <= 2
    assert report["recognized"]["by_number"] == report["recognized"]["books"] == 300
    assert report["large_changes"] == {}
    assert report["differences"] == [] and not report["refused"]
    assert [c["check"] for c in report["checks"] if c["violations"]] == []
    assert report["closed_month"] == f"{month:%Y-%m}" and report["opened_month"] == f"{month_add(month, 1):%Y-%m}"
    assert {"copy aside", "read, anonymize, load", "compare with the books", "reconcile", "checks"} <= set(
        report["steps"]
    )
    assert fingerprint(dsn) == before


def test_wrong_final_exports_are_refused_with_the_reason(rollout: dict[str, Any], tmp_path: Path) -> None:
    workspace, dsn = rollout["workspace"], rollout["dsn"]
    before = fingerprint(dsn)
    code, out = cli(workspace, "switchover", "rehearse", CLIENT, str(rollout["first"]))
    assert code == 2 and "older than the books" in out, out
    code, out = cli(workspace, "switchover", "rehearse", CLIENT, str(rollout["later"]))
    assert code == 2 and "the months between are missing" in out, out
    other = shutil.copytree(rollout["final"], tmp_path / "other")
    for name in ("accounts.csv", "persons.csv", "services.csv", "meters.csv", "balances.csv", "payments.csv"):
        path = other / name
        head, *rows = path.read_bytes().decode(ENC).split("\r\n")
        path.write_bytes("\r\n".join([head, *("9" + row if row else row for row in rows)]).encode(ENC))
    code, out = cli(workspace, "switchover", "rehearse", CLIENT, str(other))
    assert code == 2 and "another client" in out, out
    assert "of the books' 300 accounts, 0 have their number in this export and only 0 of those" in out
    assert fingerprint(dsn) == before


def test_a_difference_with_the_old_systems_totals_stops_the_run_unless_accepted(
    rollout: dict[str, Any], tmp_path: Path
) -> None:
    workspace, dsn, month = rollout["workspace"], rollout["dsn"], rollout["month"]
    before = fingerprint(dsn)
    wrong = shutil.copytree(rollout["final"], tmp_path / "wrong")
    totals = wrong / "totals.csv"
    head, *rows = totals.read_bytes().decode(ENC).split("\r\n")
    at = next(k for k, row in enumerate(rows) if row.startswith("ХВС;") and f";{month:%m.%Y};" in row)
    cells = rows[at].split(";")
    cells[-1] = cells[-1].replace(",", "") + "1,00"  # the closing, wrong by a large amount
    rows[at] = ";".join(cells)
    totals.write_bytes("\r\n".join([head, *rows]).encode(ENC))
    code, out = cli(workspace, "switchover", "run", CLIENT, str(wrong))
    assert code == 4 and "DIFFERENCE" in out and "nothing was switched over" in out, out
    after = fingerprint(dsn)
    assert after == before  # the books as they were
    accept = tmp_path / "accept.txt"
    accept.write_bytes("# сверено с бухгалтерией\ncold_water\n".encode("cp1251"))  # as Notepad saves it
    code, out = cli(workspace, "switchover", "rehearse", CLIENT, str(wrong), "--accept", str(accept))
    assert code == 0 and "1 accepted" in out, out
    totals.unlink()  # no control totals at all: nothing to reconcile with is a difference too
    code, out = cli(workspace, "switchover", "rehearse", CLIENT, str(wrong))
    assert code == 4 and "NO CONTROL TOTAL" in out, out
    assert fingerprint(dsn) == before


def test_the_run_opens_the_next_month_on_the_closing_balances(rollout: dict[str, Any]) -> None:
    workspace, dsn, month = rollout["workspace"], rollout["dsn"], rollout["month"]
    code, out = cli(workspace, "switchover", "run", CLIENT, str(rollout["final"]))
    assert code == 0, out
    assert "differences: none" in out and f"before-switchover-{month:%Y-%m}" in out
    opened = month_add(month, 1)
    with psycopg.connect(dsn) as conn:
        status: dict[dt.date, str] = dict(conn.execute("SELECT period, status FROM okno.billing_period").fetchall())
        carried = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE n.opening = b.closing) FROM okno.balance b "
            "JOIN okno.balance n ON n.account_id = b.account_id AND n.service_id = b.service_id AND n.period = %s "
            "WHERE b.period = %s",
            (opened, month),
        ).fetchone()
    assert status[month] == "closed" and status[opened] == "open"
    assert carried is not None and carried[0] > 500 and carried[0] == carried[1]
    code, out = cli(workspace, "check", CLIENT)
    assert code == 0, out
    code, out = cli(workspace, "snapshot", "list", CLIENT)
    assert f"before-switchover-{month:%Y-%m}" in out
    code, out = cli(workspace, "reset", CLIENT)  # the baseline is the new books
    assert code == 0 and fingerprint(dsn)[3] == opened
    code, out = cli(workspace, "switchover", "status", CLIENT)
    assert code == 0 and f"{opened:%Y-%m} open" in out and "last run (done)" in out, out
    code, out = cli(workspace, "switchover", "run", CLIENT, str(rollout["final"]))
    assert code == 2 and "older than the books" in out, out
