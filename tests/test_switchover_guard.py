"""The switch-over's guards, as a hostile tester met them: another client's export whose account numbers
overlap the books' (two demo clients from one generator seed) is refused; the client's own final export
still passes; a large change is a difference until accepted by name; a binary or wrong accept file is
refused naming it; and a run killed before or after its switch-in leaves a status that tells the truth."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from provision.cli import app
from provision.clients import lifecycle
from provision.clients.workspace import Workspace
from provision.training.journal import CRASH_AT
from seed.period import month_add
from tests.clients import cli, one_row, seeded_client

pytestmark = [pytest.mark.docker, pytest.mark.slow]
CLIENT, OTHER = "swg", "swg-other"
ENC = "cp1251"
SEED = "[seed]\naccounts = {}\nmonths = 3\nrandom_seed = 4242\n"


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory, pg_image: str) -> Iterator[dict[str, Any]]:
    """Two clients seeded from one generator seed (1,000 and 1,200 accounts); the first imported from
    its own export through M-1, with its final export through M and the other client's through M."""
    root = tmp_path_factory.mktemp("guard").resolve()
    workspace, dsn = seeded_client(root, CLIENT, SEED.format(1000))
    up = [CLIENT]
    try:
        up.append(OTHER)
        seeded_client(root, OTHER, SEED.format(1200))
        month = month_add(one_row(dsn, "SELECT max(period) FROM okno.billing_period")[0], -1)
        exports = {name: root / name for name in ("first", "final", "other")}
        for client, name, through in ((CLIENT, "first", month_add(month, -1)), (CLIENT, "final", month),
                                      (OTHER, "other", month)):  # fmt: skip
            code, out = cli(workspace, "import", "sample", client, str(exports[name]), "--through", f"{through:%Y-%m}")
            assert code == 0, out
        lifecycle.destroy(workspace, up.pop())
        code, out = cli(workspace, "import", "load", CLIENT, str(exports["first"]))
        assert code == 0, out
        yield {"workspace": workspace, "dsn": dsn, "month": month, "root": root, **exports}
    finally:
        for client in up:
            lifecycle.destroy(workspace, client)


def state(dsn: str) -> tuple[Any, ...]:
    return one_row(
        dsn,
        "SELECT (SELECT count(*) FROM okno.account), (SELECT sum(closing) FROM okno.balance), "
        "(SELECT max(period) FROM okno.billing_period WHERE status = 'open')",
    )


def numbers(path: Path) -> set[str]:
    rows = (path / "accounts.csv").read_bytes().decode(ENC).split("\r\n")[1:]
    return {row.split(";", 1)[0] for row in rows if row}


def test_another_clients_export_with_the_same_numbers_is_refused(books: dict[str, Any]) -> None:
    workspace, dsn = books["workspace"], books["dsn"]
    shared = numbers(books["other"]) & numbers(books["first"])
    assert len(shared) > 500  # the tester's case: most numbers in common
    before = state(dsn)
    code, out = cli(workspace, "switchover", "rehearse", CLIENT, str(books["other"]))
    assert code == 2, out
    found = re.search(r"of the books' 1,000 accounts, ([\d,]+) have their number in this export and only ([\d,]+)", out)
    assert found is not None, out
    by_number, by_fingerprint = (int(g.replace(",", "")) for g in found.groups())
    assert by_number > 500 and by_fingerprint < 100, out
    assert "another client's export" in out and f"give the final export of {CLIENT!r} itself" in out
    assert state(dsn) == before


def test_the_clients_own_final_export_passes(books: dict[str, Any]) -> None:
    code, out = cli(books["workspace"], "switchover", "rehearse", CLIENT, str(books["final"]))
    assert code == 0, out
    assert "differences: none" in out and "LARGE CHANGE" not in out
    found = re.search(r"([\d,]+) of 1,000 by number, ([\d,]+) of those recognised", out)
    assert found is not None, out
    by_number, by_fingerprint = (int(g.replace(",", "")) for g in found.groups())
    assert by_number == 1000 and by_fingerprint >= 990, out


def rewrite(path: Path, change: Callable[[str, list[str]], list[str] | None]) -> None:
    """Rewrite an export file (cp1251, CRLF, ';') row by row: ``change`` gets the header and a row's cells
    and returns the new cells, or None to drop the row."""
    head, *rows = path.read_bytes().decode(ENC).split("\r\n")
    kept = [";".join(new) for row in rows if row and (new := change(head, row.split(";"))) is not None]
    path.write_bytes("\r\n".join([head, *kept, ""]).encode(ENC))


def recognized(workspace: Workspace, export: Path) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(
        app, ["--workspace", str(workspace.root), "switchover", "rehearse", CLIENT, str(export), "--json"]
    )
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)["recognized"]


def test_another_clients_export_without_residents_and_meters_is_refused(books: dict[str, Any], tmp_path: Path) -> None:
    """Empty residents and meters on both sides would be "the same": the books' are not empty, so only the
    addresses are left to match, and an address alone recognizes no account."""
    stripped = shutil.copytree(books["other"], tmp_path / "stripped")
    for name in ("persons.csv", "meters.csv", "readings.csv"):
        rewrite(stripped / name, lambda _head, _cells: None)
    before = state(books["dsn"])
    code, out = cli(books["workspace"], "switchover", "rehearse", CLIENT, str(stripped))
    assert code == 2 and "another client's export" in out, out
    assert "the same address and the same residents or meters, or, where the address changed" in out
    assert state(books["dsn"]) == before


def test_an_account_is_recognized_by_its_address_and_its_residents_or_its_meters(
    books: dict[str, Any], tmp_path: Path
) -> None:
    """At the same address: 30 flats whose tenants all moved (new residents, the same meters) are still the
    client's accounts; 30 flats whose residents and meters all changed in one month are not recognized (an
    address alone is what two clients from one generator share), and are counted as such."""
    moved = shutil.copytree(books["final"], tmp_path / "moved")
    accounts = sorted(numbers(moved))
    residents, both = set(accounts[:60]), set(accounts[30:60])
    lived: set[str] = set()  # of those, the accounts that had residents, and meters
    metered: set[str] = set()

    def new_residents(head: str, cells: list[str]) -> list[str]:
        fields = head.split(";")
        if cells[0] in residents:
            lived.add(cells[0])
            cells[fields.index("Фамилия")] = "Новосёлов"
            cells[fields.index("СНИЛС")] = ""
        return cells

    serials: set[str] = set()

    def new_meters(head: str, cells: list[str]) -> list[str]:
        fields = head.split(";")
        at = fields.index("Заводской номер")
        if fields[0] == "ЛС" and cells[0] in both:
            serials.add(cells[at])
            metered.add(cells[0])
        if cells[at] in serials:
            cells[at] += "0N"
        return cells

    rewrite(moved / "persons.csv", new_residents)
    rewrite(moved / "meters.csv", new_meters)
    rewrite(moved / "readings.csv", new_meters)
    changed = len(lived & metered)  # an empty part is the same on both sides
    assert changed >= 20 and len(lived) >= 50
    code, same = recognized(books["workspace"], books["final"])
    assert code == 0, same
    code, found = recognized(books["workspace"], moved)
    assert code == 0, found
    # give or take the few of them that this month's own moves had already changed
    assert same["by_fingerprint"] >= 990 and abs(same["by_fingerprint"] - changed - found["by_fingerprint"]) <= 5
    assert found["same_residents"] <= same["same_residents"] - len(lived) + 5
    assert found["same_meters"] <= same["same_meters"] - len(metered) + 5
    assert found["same_address"] == same["same_address"]


def test_a_large_change_is_a_difference_until_accepted_by_name(books: dict[str, Any], tmp_path: Path) -> None:
    workspace, dsn = books["workspace"], books["dsn"]
    before = state(dsn)
    moved = shutil.copytree(books["final"], tmp_path / "moved")
    persons = moved / "persons.csv"
    head, *rows = persons.read_bytes().decode(ENC).split("\r\n")
    role = head.split(";").index("Роль")
    kept = [row for row in rows if not row or row.split(";")[role].lower().startswith("собств")]
    assert len(rows) - len(kept) > len(rows) // 10  # the tenants and residents moved out, the owners stay
    persons.write_bytes("\r\n".join([head, *kept]).encode(ENC))
    code, out = cli(workspace, "switchover", "run", CLIENT, str(moved))
    assert code == 4, out
    assert "LARGE CHANGE persons_moved_out" in out and "add a line `persons_moved_out` to the --accept file" in out
    assert "nothing was switched over" in out
    assert state(dsn) == before
    accept = tmp_path / "accept.txt"
    accept.write_text("persons_moved_out  # переезд общежития, сверено\n", encoding="utf-8")
    code, out = cli(workspace, "switchover", "rehearse", CLIENT, str(moved), "--accept", str(accept))
    assert code == 0 and "1 accepted" in out and "(accepted)" in out, out
    assert state(dsn) == before


def test_a_binary_accept_file_is_refused_naming_it(books: dict[str, Any], tmp_path: Path) -> None:
    accept = tmp_path / "accept.xlsx"
    accept.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\x98\xff")
    code, out = cli(books["workspace"], "switchover", "rehearse", CLIENT, str(books["final"]), "--accept", str(accept))
    assert code == 2, out
    assert f"--accept {accept}: is not a text file" in out and "save the list of accepted differences" in out


def test_an_accept_file_naming_unknown_services_is_refused(books: dict[str, Any], tmp_path: Path) -> None:
    accept = tmp_path / "accept.txt"
    accept.write_text("cold_water\nхолодная_вода\n00012345;gaz\n", encoding="utf-8")
    code, out = cli(books["workspace"], "switchover", "run", CLIENT, str(books["final"]), "--accept", str(accept))
    assert code == 2, out
    assert "line 2: unknown service or kind 'холодная_вода'" in out
    assert "line 3: unknown service 'gaz' in '00012345;gaz'" in out
    assert "cold_water, hot_water" in out and "persons_moved_out" in out  # what is allowed
    assert state(books["dsn"])[2] == books["month"]


def run_killed_at(books: dict[str, Any], step: str) -> None:
    env = {**os.environ, CRASH_AT: step}
    argv = [sys.executable, "-m", "provision.cli", "--workspace", str(books["root"])]
    argv += ["switchover", "run", CLIENT, str(books["final"])]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr


def test_the_status_after_a_killed_run_tells_the_truth(books: dict[str, Any]) -> None:
    workspace, dsn, month = books["workspace"], books["dsn"], books["month"]
    opened: dt.date = month_add(month, 1)
    run_killed_at(books, "load")  # before the switch-in: the old books, and no run
    code, out = cli(workspace, "switchover", "status", CLIENT)
    assert code == 0 and f"{month:%Y-%m} open" in out and "last run" not in out, out
    assert state(dsn)[2] == month
    run_killed_at(books, "baseline:swap")  # after it: the new books, and the run that brought them
    code, out = cli(workspace, "switchover", "status", CLIENT)
    assert code == 0 and f"{opened:%Y-%m} open" in out, out
    assert "last run (done, its command killed after the switch-in" in out and f"{month:%Y-%m} closed" in out, out
    code, out = cli(workspace, "reset", CLIENT)  # the baseline went with the new books
    assert code == 0 and state(dsn)[2] == opened
