"""The analysis's predictions of `provision check`, without a database: which kinds predict which check,
paid amounts against payments per account and month with the payments' usual lag, decreases of every zone,
and the repeated months the load leaves out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from seed.check import CHECKS, NOT_FOR_IMPORTS
from seed.legacy import convert
from seed.legacy.analyze import analyze
from seed.legacy.analyze.findings import KINDS, Report
from seed.legacy.analyze.money import BalanceMoney, PerMonth, month_keys, paid_against_payments, usual_lag
from seed.legacy.analyze.predicted import PREDICTED
from seed.legacy.analyze.series import carry_over, reading_series
from seed.legacy.interpret import kopecks
from seed.legacy.mapping import standard_mapping
from tests import small_export as ex


def test_every_check_has_its_prediction_and_every_kind_exists() -> None:
    assert set(PREDICTED) == set(CHECKS)
    assert all(kind in KINDS for p in PREDICTED.values() for kind in p.kinds)
    assert all(not PREDICTED[name].kinds for name in NOT_FOR_IMPORTS)
    assert all(p.how for p in PREDICTED.values())


@pytest.mark.parametrize(
    ("written", "kopeck"),
    [("1.005", 101), ("-1.005", -101), ("10", 1000), ("-0.5", -50), ("123.45", 12345), ("2.675", 268), ("1E+2", 10000)],
)
def test_kopecks_round_as_postgresql_stores_them(written: str, kopeck: int) -> None:
    assert kopecks(written) == kopeck


def per_month(rows: list[tuple[int, int, int]]) -> PerMonth:
    """(account, month, kopecks) rows, numbered as file lines from 2."""
    a = np.array([r[0] for r in rows], dtype=np.int32)
    m = np.array([r[1] for r in rows], dtype=np.int32)
    k = np.array([r[2] for r in rows], dtype=np.int64)
    return PerMonth.summed(month_keys(a, m), k, np.arange(2, len(rows) + 2, dtype=np.int32))


def books(lags: dict[int, int], months: range = range(100, 112)) -> tuple[PerMonth, PerMonth]:
    """Each account pays a month's amount (different every month) ``lags[account]`` months late."""
    paid, payments = [], []
    for account, lag in lags.items():
        for month in months:
            amount = 1_000 + 37 * account + 101 * month
            paid.append((account, month, amount))
            payments.append((account, month + lag, amount))
    return per_month(paid), per_month(payments)


def findings(balances: PerMonth, payments: PerMonth, examples: int | None = 5) -> Report:
    report = Report.keeping(examples)
    paid_against_payments(report, "balances.csv", "payments.csv", balances, payments)
    return report


def test_payments_on_time_match_and_late_ones_are_found_with_their_lag() -> None:
    assert findings(*books({a: 0 for a in range(10)})).problems == 0
    report = findings(*books({a: 1 for a in range(10)}))
    assert report.counts["paid_not_payments"] == 130  # every month of every account, and the month after
    assert len(report.notes) == 1 and report.notes[0].en.startswith("payments arrive 1 month after the period")
    assert report.notes[0].ru.startswith("платежи поступают через 1 мес. после периода, за который внесены: у 130 пар")
    assert "на 1 мес. — 0, на 2 мес. — 130" in report.notes[0].ru
    first = report.examples["paid_not_payments"][0]
    assert (first.file, first.line, first.field, first.value) == ("balances.csv", 2, "paid", "111")
    assert first.message.startswith("payments for 0008-05: 0; payments arrive 1 month after")
    mixed = findings(*books({a: 1 + a % 2 for a in range(10)}))
    assert mixed.notes[0].en.startswith("payments arrive 1-2 months after the period")


def test_mismatches_that_no_shift_explains_get_no_note() -> None:
    balances, payments = books({a: 0 for a in range(10)})
    wrong = PerMonth(payments.keys, payments.kopecks + np.arange(len(payments.kopecks)) % 3, payments.lines)
    report = findings(balances, wrong)
    assert report.counts["paid_not_payments"] == 80 and report.notes == []
    assert usual_lag(balances, wrong, np.zeros(1, dtype=np.int64)) is None


def test_every_mismatch_is_counted_and_all_are_kept_when_asked() -> None:
    balances, payments = books({a: 1 for a in range(4)})
    assert findings(balances, payments, None).examples["paid_not_payments"].__len__() == 52
    kept = findings(balances, payments, 3)
    assert kept.counts["paid_not_payments"] == 52 and len(kept.examples["paid_not_payments"]) == 3


def columns(*cols: list[Any], types: str) -> list[Any]:
    return [
        np.array(c, dtype={"i": np.int32, "q": np.int64, "d": np.float64}[t]) for c, t in zip(cols, types, strict=True)
    ]


def test_the_balances_the_load_keeps_pay_per_account_and_month() -> None:
    services = {"cold_water": 0, "electricity": 1, "Вывоз мусора": 2}
    money = BalanceMoney(known_accounts=2, services=services)
    # account, service, month, line, paid, closing: account 2 is unknown, service 2 too, line 5 repeats line 3
    money.add(
        *columns(
            [0, 0, 0, 0, 1, 2], [0, 1, 0, 2, 0, 0], [7, 7, 7, 7, 8, 7], [2, 3, 5, 4, 6, 7],
            [100, 50, 999, 999, 10, 999], [0, 5, 999, 999, 0, 999], types="iiiiqq",
        )
    )  # fmt: skip
    paid, (accounts, months, closing) = money.result()
    assert paid.keys.tolist() == month_keys(np.array([0, 1]), np.array([7, 8])).tolist()
    assert paid.kopecks.tolist() == [150, 10] and paid.lines.tolist() == [2, 6]
    assert (accounts.tolist(), months.tolist(), closing.tolist()) == ([0, 1], [7, 8], [5, 0])


def test_decreases_of_every_zone_and_no_repeated_month() -> None:
    nan = float("nan")
    capacity = np.array([50_000.0])
    meter, month = [0, 0, 0, 0, 0], [1, 2, 2, 3, 4]
    value1 = [10.0, 20.0, 5.0, 30.0, 25.0]  # line 4 repeats month 2 (left out); month 4 goes down
    line = [2, 3, 4, 5, 6]
    value2 = [7.0, 8.0, 1.0, nan, 6.0]  # zone 2 read in months 1, 2 and 4: down in 4 (from 8)
    value3 = [nan] * 5
    found = reading_series("r.csv", capacity, np.array([False]), *columns(
        meter, month, value1, line, value2, value3, types="iididd"))  # fmt: skip
    assert sorted((k, w.line, f) for k, w, f, *_ in found) == [
        ("duplicate_period", 4, "period"), ("reading_decrease", 6, "value1"), ("reading_decrease", 6, "value2"),
    ]  # fmt: skip


def test_carry_over_is_from_the_first_row_of_a_month() -> None:
    # account 0, service 0: March twice (the second closes at 5, the load keeps the first, closing at 0)
    found = carry_over("b.csv", *columns(
        [0, 0, 0], [0, 0, 0], [3, 3, 4], [0, 0, 5], [0, 5, 5], [2, 3, 4], types="iiiqqi"))  # fmt: skip
    assert sorted((k, w.line) for k, w, *_ in found) == [("balance_carry_over", 4), ("duplicate_period", 3)]


def test_a_span_of_periods_the_load_refuses_is_foreseen_by_the_check(tmp_path: Path) -> None:
    """The load refuses an export whose billing periods (balances, readings) span over 50 years: the check
    says so first, as a problem of the whole export; a payment far away is no period of the books."""
    rows = {
        "accounts": [ex.account("1001")],
        "meters": [ex.meter("1001", "ХВС", "X-1")],
        "readings": [ex.reading("X-1", "ХВС", "01.1960", "10"), ex.reading("X-1", "ХВС", "02.1960", "11")],
        "balances": [ex.balance("1001", "ХВС", "01.2026", "0", "100", "100", "0")],
        "payments": [ex.payment("1001", "15.01.2026", "100")],
    }
    report = analyze(standard_mapping(ex.write_export(tmp_path / "far", rows)))
    assert report.counts["period_span"] == 1
    assert report.examples["period_span"][0].message == "periods from 1960-01 to 2026-01"
    rows["readings"] = [ex.reading("X-1", "ХВС", "01.2026", "10")]
    rows["payments"] = [[*ex.payment("1001", "15.01.1950", "100")[:5], "01.2026"]]  # paid long ago for 01.2026
    assert not analyze(standard_mapping(ex.write_export(tmp_path / "near", rows))).counts["period_span"]


@pytest.mark.parametrize(("written", "month"), [("12026", "2026-01"), ("122026", "2026-12"), ("46023", "2026-01")])
def test_a_period_whose_leading_zero_a_number_cell_lost_is_its_month(written: str, month: str) -> None:
    """ММГГГГ in a number cell loses its leading zero (012026 -> 12026): that is January 2026, not the Excel
    serial day 12026 (1932); a five-digit number that cannot be a month is a serial date."""
    assert convert.period(written).strftime("%Y-%m") == month
