"""Payment registries against a real client: sample -> load -> the payments in the books and `provision
check` holding, every planted fault giving its suspense line or its refusal, a second load refused,
assigning a suspense line, and the registry of debts."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from provision.books import registries
from provision.clients import lifecycle
from provision.clients.workspace import Workspace
from seed.registry import formats
from seed.registry.codec import read_registry
from tests.clients import cli, one_row, seeded_client

pytestmark = [pytest.mark.docker, pytest.mark.slow]
CLIENT = "agents"
BUILTINS = ("bank", "post", "csv")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, pg_image: str) -> Iterator[tuple[Workspace, str]]:
    root = tmp_path_factory.mktemp("registries").resolve()
    workspace, dsn = seeded_client(root, CLIENT, "[seed]\naccounts = 400\nmonths = 3\n")
    # synthetic books close no account: pay one account's debt in full with a registry, then close it
    row = one_row(
        dsn,
        "SELECT a.number, sum(b.closing) FROM okno.account a JOIN okno.balance b ON b.account_id = a.id "
        "WHERE b.period = (SELECT max(period) FROM okno.balance) GROUP BY a.id "
        "HAVING min(b.closing) >= 0 AND sum(b.closing) > 0 ORDER BY a.id LIMIT 1",
    )
    settle = root / "settle.csv"
    settle.write_text(
        f"#REGISTRY,SETTLE,2026-11-01\nT1,2026-11-01,10:00:00,{row[0]},2026-11,{row[1]},0.00,x\n#TOTAL,1,{row[1]}\n",
        encoding="utf-8",
    )
    registries.load_registry(workspace, CLIENT, settle, "csv")
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE okno.account SET closed_on = current_date WHERE number = %s", (row[0],))
    yield workspace, dsn
    lifecycle.destroy(workspace, CLIENT)


def sample(workspace: Workspace, path: Path, agent: str, day: str, lines: int) -> None:
    """`provision registry sample` of ``lines`` lines of ``agent`` on ``day`` into ``path``."""
    args = ["--agent", agent, "--date", day, "--lines", str(lines), "-o", str(path)]
    code, out = cli(workspace, "registry", "sample", CLIENT, *args)
    assert code == 0, out


def books(dsn: str) -> dict[str, Decimal]:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM okno.payment), (SELECT coalesce(sum(amount), 0) FROM okno.payment), "
            "(SELECT coalesce(sum(paid), 0) FROM okno.balance), (SELECT count(*) FROM okno.payment_registry)"
        ).fetchone()
    assert row is not None
    return dict(zip(("payments", "amount", "paid", "registries"), map(Decimal, row), strict=True))


def checks_hold(workspace: Workspace) -> None:
    code, out = cli(workspace, "check", CLIENT)
    assert code == 0, out


@pytest.mark.parametrize("name", BUILTINS)
def test_a_sample_registry_loads_whole_and_the_books_still_check(
    client: tuple[Workspace, str], tmp_path: Path, name: str
) -> None:
    workspace, dsn = client
    path = tmp_path / f"{name}.txt"
    sample(workspace, path, name, "2026-11-27", 60)
    registry = read_registry(path, formats.find_format(name))
    assert len(registry.lines) == 60
    before = books(dsn)
    code, out = cli(workspace, "registry", "load", CLIENT, str(path), "--agent", name, "--json")
    assert code == 0, out
    result = json.loads(out)
    assert (result["lines"], result["loaded"], result["suspense"]) == (60, 60, 0)
    after = books(dsn)
    total = Decimal(registry.total) / 100
    assert Decimal(result["loaded_total"]) == total
    assert after["payments"] - before["payments"] == 60
    assert after["amount"] - before["amount"] == total
    assert after["paid"] - before["paid"] == total  # every kopeck applied to balances
    checks_hold(workspace)

    again_code, again = cli(workspace, "registry", "load", CLIENT, str(path), "--agent", name)
    assert again_code == 2 and "was loaded already" in again
    assert books(dsn) == after


def balance_updates(dsn: str) -> tuple[int, int]:
    """The balance table's updates so far, and of them those made in place (HOT: no index entry written)."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE schemaname = 'okno' AND relname = 'balance'"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_a_registry_updates_the_open_months_balances_in_place(client: tuple[Workspace, str], tmp_path: Path) -> None:
    """The open month's pages have room, and a load changes no indexed column: its updates are in place."""
    workspace, dsn = client
    path = tmp_path / "in-place.txt"
    sample(workspace, path, "bank", "2026-11-25", 200)
    updated, hot = balance_updates(dsn)
    registries.load_registry(workspace, CLIENT, path, "bank")
    for _ in range(50):  # a closed connection's figures reach the statistics a moment later
        now_updated, now_hot = balance_updates(dsn)
        if now_updated > updated:
            break
        time.sleep(0.1)
    assert now_updated > updated
    assert now_hot - hot >= 0.9 * (now_updated - updated), (now_updated - updated, now_hot - hot)


def test_each_planted_fault_gives_its_suspense_line_or_its_refusal(
    client: tuple[Workspace, str], tmp_path: Path
) -> None:
    workspace, dsn = client
    path = tmp_path / "faults.txt"
    args = ["registry", "sample", CLIENT, "--agent", "bank", "--date", "2026-11-26", "--lines", "40", "--json"]
    code, out = cli(workspace, *args, "--faults", "5", "--number", "F1", "-o", str(path))
    assert code == 0, out
    planted = {f["fault"] for f in json.loads(out)["faults"]}
    assert planted == {"unknown_account", "closed_account", "duplicate_line", "nonpositive_amount", "bad_date"}
    before = books(dsn)
    code, out = cli(workspace, "registry", "load", CLIENT, str(path), "--agent", "bank", "--json")
    assert code == 0, out
    result = json.loads(out)
    assert result["lines"] == 41 and result["suspense"] == 5 and result["loaded"] == 36
    assert result["reasons"] == dict.fromkeys(sorted(planted), 1)
    assert books(dsn)["payments"] - before["payments"] == 36
    checks_hold(workspace)

    code, out = cli(workspace, "registry", "suspense", CLIENT)
    assert code == 0 and "лицевой счёт не найден" in out and "повтор строки реестра" in out
    code, out = cli(workspace, "registry", "suspense", CLIENT, "--json")
    unknown = next(line for line in json.loads(out) if line["reason"] == "unknown_account")
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT number FROM okno.account WHERE closed_on IS NULL ORDER BY id LIMIT 1").fetchone()
    assert row is not None
    code, out = cli(workspace, "registry", "assign", CLIENT, str(unknown["id"]), row[0])
    assert code == 0, out
    assert books(dsn)["payments"] - before["payments"] == 37
    checks_hold(workspace)
    code, out = cli(workspace, "registry", "assign", CLIENT, str(unknown["id"]), row[0])
    assert code == 2 and "was assigned already" in out
    nonpositive = next(
        line
        for line in json.loads(cli(workspace, "registry", "suspense", CLIENT, "--json")[1])
        if line["reason"] == "nonpositive_amount"
    )
    code, out = cli(workspace, "registry", "assign", CLIENT, str(nonpositive["id"]), row[0])
    assert code == 2 and "not above zero" in out

    code, out = cli(workspace, "stats", CLIENT, "--json")
    open_period = max(m["period"] for m in json.loads(out)["months"])
    by_agent = {a["agent"]: a for a in json.loads(out)["agents"] if a["period"] == open_period}
    assert by_agent["ПАО Сбербанк"]["payments"] >= 37  # per agent per month, this registry's among them

    for fault_count, fault in ((6, "wrong_total"), (7, "wrong_count")):
        bad = tmp_path / f"{fault}.txt"
        code, out = cli(workspace, *args, "--faults", str(fault_count), "--number", fault, "-o", str(bad))
        assert code == 0 and fault in out
        kept = books(dsn)
        code, out = cli(workspace, "registry", "load", CLIENT, str(bad), "--agent", "bank")
        assert code == 2, out
        assert str(bad) in out and "nothing was loaded" in out
        assert books(dsn) == kept


def test_a_registry_in_the_wrong_format_is_refused_and_nothing_loaded(
    client: tuple[Workspace, str], tmp_path: Path
) -> None:
    workspace, dsn = client
    path = tmp_path / "post.txt"
    sample(workspace, path, "post", "2026-11-25", 200)
    kept = books(dsn)
    code, out = cli(workspace, "registry", "load", CLIENT, str(path), "--agent", "bank")
    assert code == 2 and str(path) in out and "fix:" in out
    code, out = cli(workspace, "registry", "load", CLIENT, str(path), "--agent", "nosuch")
    assert code == 2 and "no registry format 'nosuch'" in out
    assert books(dsn) == kept


def test_a_fault_deep_in_a_file_rolls_the_streamed_load_back(client: tuple[Workspace, str], tmp_path: Path) -> None:
    """Lines stream into the database as they are read: a fault past the first hundred lines, found once
    the load has begun, still leaves nothing loaded."""
    workspace, dsn = client
    path = tmp_path / "deep.txt"
    sample(workspace, path, "bank", "2026-11-26", 300)
    lines = path.read_bytes().decode("cp1251").split("\r\n")
    cells = lines[250].split(";")
    cells[-3] = cells[-3].replace(",", ".")  # the amount, with the wrong decimal mark
    lines[250] = ";".join(cells)
    path.write_bytes("\r\n".join(lines).encode("cp1251"))
    kept = books(dsn)
    code, out = cli(workspace, "registry", "load", CLIENT, str(path), "--agent", "bank")
    assert code == 2 and "line 251: field amount" in out and "nothing was loaded" in out, out
    assert books(dsn) == kept
    checks_hold(workspace)


def test_the_registry_of_debts_reads_back_and_adds_up(client: tuple[Workspace, str], tmp_path: Path) -> None:
    workspace, dsn = client
    for name in BUILTINS:
        path = tmp_path / f"debts-{name}.txt"
        code, out = cli(workspace, "registry", "debts", CLIENT, "--agent", name, "-o", str(path))
        assert code == 0, out
        registry = read_registry(path, formats.find_format(name))
        with psycopg.connect(dsn) as conn:
            row = conn.execute(
                "SELECT count(*), sum(debt) FROM (SELECT a.id, sum(b.closing) AS debt FROM okno.account a "
                "JOIN okno.balance b ON b.account_id = a.id AND b.period = (SELECT max(period) FROM "
                "okno.billing_period WHERE status = 'open') WHERE a.closed_on IS NULL GROUP BY a.id "
                "HAVING sum(b.closing) > 0) s"
            ).fetchone()
        assert row is not None
        assert registry.count == row[0] and Decimal(registry.total) / 100 == row[1]


KASSA = (
    'agent = "Касса ТСЖ «Рассвет»"\nencoding = "utf-16"\ndelimiter = "|"\ndecimal = "."\ndate_format = "%Y%m%d"\n'
    'fields = ["account", "name", "amount", "date"]\n[footer]\nprefix = "ИТОГО|"\nfields = ["count", "total", "date"]\n'
)


def own_format(workspace: Workspace, name: str, text: str) -> None:
    agents = workspace.files(CLIENT).agents
    agents.mkdir(exist_ok=True)
    (agents / f"{name}.toml").write_text(text, encoding="utf-8")


def test_a_utf16_agent_s_registry_is_written_through_a_symlink_and_loads(
    client: tuple[Workspace, str], tmp_path: Path
) -> None:
    workspace, dsn = client
    own_format(workspace, "kassa16", KASSA)
    (tmp_path / "out").mkdir()
    link = tmp_path / "today.txt"
    link.symlink_to(tmp_path / "out" / "kassa.txt")
    sample(workspace, link, "kassa16", "2026-11-22", 30)
    assert link.is_symlink() and (tmp_path / "out" / "kassa.txt").read_bytes().startswith(b"\xff\xfe")
    before = books(dsn)
    code, out = cli(workspace, "registry", "load", CLIENT, str(link), "--agent", "kassa16", "--json")
    assert code == 0, out
    assert (json.loads(out)["loaded"], json.loads(out)["agent"]) == (30, "Касса ТСЖ «Рассвет»")
    assert books(dsn)["payments"] - before["payments"] == 30

    code, out = cli(workspace, "registry", "debts", CLIENT, "--agent", "kassa16", "-o", "/dev/full")
    assert code == 3 and "/dev/full: cannot be written (No space left on device)" in out, out
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    code, out = cli(workspace, "registry", "debts", CLIENT, "--agent", "kassa16", "-o", "/dev/null")
    assert code == 0 and "wrote /dev/null" in out, out


def test_dates_and_periods_that_cannot_be_true_go_to_suspense_with_their_reason(
    client: tuple[Workspace, str], tmp_path: Path
) -> None:
    workspace, dsn = client
    path = tmp_path / "odd-dates.txt"
    args = ["registry", "sample", CLIENT, "--agent", "bank", "--date", "2026-11-24", "--lines", "20"]
    code, out = cli(workspace, *args, "--number", "ODD", "-o", str(path))
    assert code == 0, out
    lines = path.read_bytes().decode("cp1251").split("\r\n")
    lines[1] = lines[1].replace("24-11-2026", "01-01-1900", 1)
    lines[2] = lines[2].replace("24-11-2026", "31-12-9999", 1)
    cells = lines[3].split(";")
    cells[8] = "1326"  # the period: month 13
    lines[3] = ";".join(cells)
    path.write_bytes("\r\n".join(lines).encode("cp1251"))
    before = books(dsn)
    code, out = cli(workspace, "registry", "load", CLIENT, str(path), "--agent", "bank", "--json")
    assert code == 0, out
    result = json.loads(out)
    assert result["reasons"] == {"bad_period": 1, "implausible_date": 2} and result["loaded"] == 17
    assert books(dsn)["payments"] - before["payments"] == 17
    code, out = cli(workspace, "registry", "suspense", CLIENT)
    assert code == 0 and "дата платежа невозможна" in out and "период оплаты не читается или невозможен" in out
    checks_hold(workspace)


def test_a_registry_loaded_before_under_another_agent_names_the_first(
    client: tuple[Workspace, str], tmp_path: Path
) -> None:
    workspace, _dsn = client
    csv_layout = (formats.BUILTIN_DIR / "csv.toml").read_text(encoding="utf-8")
    own_format(workspace, "kiosk", csv_layout.replace('agent = "Оплата на сайте (СБП)"', 'agent = "Киоск"'))
    path = tmp_path / "first.txt"
    args = ["--agent", "csv", "--date", "2026-11-23", "--lines", "5", "--number", "FIRST", "-o", str(path)]
    code, out = cli(workspace, "registry", "sample", CLIENT, *args)
    assert code == 0, out
    code, out = cli(workspace, "registry", "load", CLIENT, str(path), "--agent", "csv")
    assert code == 0, out
    code, out = cli(workspace, "registry", "load", CLIENT, str(path), "--agent", "kiosk")
    assert code == 2, out
    assert "was loaded already: agent 'Оплата на сайте (СБП)' (--agent csv), number 'FIRST'" in out
    assert "Киоск" not in out


def test_a_sample_to_dev_stdout_is_the_registry_alone_on_the_standard_output(client: tuple[Workspace, str]) -> None:
    workspace, _dsn = client
    argv = [sys.executable, "-m", "provision.cli", "--workspace", str(workspace.root), "registry", "sample", CLIENT]
    args = ["--agent", "csv", "--date", "2026-11-21", "--lines", "5", "-o", "/dev/stdout"]
    done = subprocess.run([*argv, *args], capture_output=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode("utf-8").splitlines()
    assert lines[0] == "#REGISTRY,2026112101,2026-11-21" and lines[-1].startswith("#TOTAL,5,") and len(lines) == 7
    assert "wrote /dev/stdout: 5 lines" in done.stderr.decode("utf-8")
