"""`import check` in memory that does not follow the size of the export: the money of the books and the
payments' hashes spilled to disk in parts and compared a part at a time, as the whole would be compared
in memory; the scratch folder removed after, and one a kill -9 left removed by the next check."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from seed.legacy.analyze import analyze, long, money
from seed.legacy.analyze.findings import Report
from seed.legacy.analyze.money import PerMonth, compare_money, month_keys, paid_against_payments, spilled_pairs
from seed.legacy.analyze.scratch import PREFIX, Parts, scratch_folder, sweep
from seed.legacy.analyze.series import repeated_payments
from seed.legacy.mapping import standard_mapping
from tests import small_export as ex

ROOT = Path(__file__).resolve().parents[1]


def _rows(lags: dict[int, int]) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    """(account, month, kopecks): each account pays ``lags[account]`` months late; account 4 overpays in 103."""
    paid, payments = [], []
    for account, lag in lags.items():
        for month in range(100, 112):
            amount = 1_000 + 37 * account + 101 * month
            paid.append((account, month, amount))
            payments.append((account, month + lag, amount + (5 if (account, month) == (4, 103) else 0)))
    return paid, payments


def _columns(rows: list[tuple[int, int, int]], first_line: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    keys = month_keys(np.array([r[0] for r in rows]), np.array([r[1] for r in rows]))
    return keys, np.array([r[2] for r in rows], dtype=np.int64), np.arange(first_line, first_line + len(rows))


def _shown(report: Report) -> tuple[object, ...]:
    return (dict(report.counts), {k: [p.to_dict() for p in v] for k, v in report.examples.items()}, report.notes)


def test_the_books_compared_in_parts_find_what_the_whole_finds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(money, "ACCOUNTS_PER_PART", 3)
    paid, payments = _rows({a: 1 + (a % 5 == 0) for a in range(10)})
    whole = Report.keeping(None)
    paid_against_payments(
        whole, "b.csv", "p.csv", PerMonth.summed(*_columns(paid, 2)), PerMonth.summed(*_columns(payments, 2))
    )
    balances, paying = (
        Parts(tmp_path, "balances", money.part_count(10)),
        Parts(tmp_path, "payments", money.part_count(10)),
    )
    assert balances.count == 4
    for parts, rows in ((balances, paid), (paying, payments)):
        for half in (rows[: len(rows) // 2], rows[len(rows) // 2 :]):  # written in two batches
            keys, kopecks, lines = _columns(half, 2 + rows.index(half[0]))
            parts.add(money.part_of(keys), keys, kopecks, lines)
    parted = Report.keeping(None)
    compare_money(parted, "b.csv", "p.csv", spilled_pairs(balances, paying))
    assert whole.counts["paid_not_payments"] > 100 and len(whole.notes) == 1
    assert _shown(parted) == _shown(whole)
    limited = Report.keeping(5)  # the first five, in account order, whatever part they are in
    compare_money(limited, "b.csv", "p.csv", spilled_pairs(balances, paying))
    assert limited.examples["paid_not_payments"] == whole.examples["paid_not_payments"][:5]
    assert limited.counts == whole.counts


def test_repeated_payments_are_found_across_parts_in_file_order(tmp_path: Path) -> None:
    hashed = Parts(tmp_path, "payment-keys", 3)
    keys = np.array([7, 8, 9, 7, 10, 8, 7, 11], dtype=np.int64)
    lines = np.arange(2, 10, dtype=np.int32)
    hashed.add(keys[:4] % 3, keys[:4], keys[:4] * 100, lines[:4])
    hashed.add(keys[4:] % 3, keys[4:], keys[4:] * 100, lines[4:])
    found = [(w.line, int(dict(m.args)["line"])) for _k, w, _f, _v, m in repeated_payments("p.csv", hashed)]
    assert found == [(5, 2), (7, 3), (8, 2)]


def test_an_export_checked_in_the_smallest_parts_is_checked_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = ex.write_export(
        tmp_path / "export",
        {
            "accounts": [ex.account(str(1000 + a)) for a in range(5)],
            "balances": [
                ex.balance(str(1000 + a), "Электроэнергия", f"{m:02d}.2026", "0", "100", str(50 + a * (m == 2)), "0")
                for a in range(6)
                for m in (1, 2, 3)
            ],
            "payments": [ex.payment(str(1000 + a), f"15.{m:02d}.2026", "50") for a in range(6) for m in (1, 2, 3)]
            + [ex.payment("1001", "15.01.2026", "50")],
        },
    )
    mapping = standard_mapping(folder)
    at_once = analyze(mapping, None).to_dict()
    monkeypatch.setattr(money, "ACCOUNTS_PER_PART", 1)
    monkeypatch.setattr(long, "PAYMENTS_AT_ONCE", 2)
    assert analyze(mapping, None).to_dict() == at_once
    assert at_once["problems"]["paid_not_payments"]["count"] >= 4
    assert at_once["problems"]["payment_duplicate"]["count"] == 1


def test_the_scratch_folder_is_gone_after_and_kept_while_in_use(tmp_path: Path) -> None:
    with scratch_folder(tmp_path) as folder:
        (folder / "part-0.bin").write_bytes(b"x")
        assert folder.stat().st_mode & 0o077 == 0
        assert sweep(tmp_path) == []  # its check still runs
    assert list(tmp_path.iterdir()) == []


KILLED = """
import sys, time
from pathlib import Path
import seed.legacy.analyze as analysis
from seed.legacy.mapping import standard_mapping
real = analysis.check_payments
def stopped(ex, folder):
    parts = real(ex, folder)
    Path(sys.argv[2]).write_text(str(folder))
    time.sleep(60)
    return parts
analysis.check_payments = stopped
analysis.analyze(standard_mapping(Path(sys.argv[1])))
"""


def test_a_check_killed_in_the_middle_leaves_a_folder_the_next_check_removes(tmp_path: Path) -> None:
    folder = ex.tiny_export(tmp_path / "export")
    scratch, ready = tmp_path / "tmp", tmp_path / "ready"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", KILLED, str(folder), str(ready)], env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), "the check never got to its payments"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    left = Path(ready.read_text())
    assert left.parent == scratch and left.name.startswith(PREFIX) and any(left.glob("*.bin"))
    deadline = time.monotonic() + 10  # its balances' worker dies with it
    while left.exists() and time.monotonic() < deadline:
        with scratch_folder(scratch):  # the next check
            pass
        time.sleep(0.05)
    assert not left.exists() and list(scratch.iterdir()) == []
