"""Whatever `provision check` finds in books loaded from an export, `import check` of that export said
before: small exports with each kind of fault are analysed, loaded into a real PostgreSQL and checked, and
every violated invariant must have been predicted by its kinds of problems (as many rows or more where the
two count the same things). Noise on the load breaks nothing the export kept."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest

from seed import seed_database
from seed.check import CheckResult, run_checks
from seed.legacy.analyze import Report, analyze
from seed.legacy.analyze.predicted import PREDICTED
from seed.legacy.export import export_standard
from seed.legacy.importer import import_export
from seed.legacy.mapping import standard_mapping
from seed.legacy.report import render_html
from tests.small_export import account, balance, meter, payment, person, write_export

pytestmark = [pytest.mark.docker, pytest.mark.slow]
KEY = bytes(range(32))
MONTHS = range(1, 7)  # January to June 2026
WATER, POWER = "Холодная вода", "Электроэнергия"


def period(month: int) -> str:
    return f"{month:02d}.2026"


def money(kopecks: int) -> str:
    return f"{kopecks // 100},{kopecks % 100:02d}"


def books(accounts: int, late: int = 0, closed: int = 0) -> dict[str, list[list[str]]]:
    """Accounts that pay each month's water in full: balances that reconcile and carry over, and payments
    dated in the month they pay for (``late`` months after it); and ``closed`` accounts that ran up
    three months of debt for water and power, paid it off at once in the third and were closed."""
    rows: dict[str, list[list[str]]] = {"accounts": [], "persons": [], "balances": [], "payments": []}
    for i in range(1, closed + 1):
        number = f"78{i:04d}"
        rows["accounts"].append(account(number, flat=f"{i}а", els=f"ЗК{i:08d}", closed_on="20.03.2026"))
        water, power = 3_333 + 7 * i, 1_717 + 11 * i
        for m in (1, 2, 3):
            for service, charged in ((WATER, water), (POWER, power)):
                paid = 3 * charged if m == 3 else 0
                closing = charged * m if m < 3 else 0
                opening = charged * (m - 1)
                rows["balances"].append(
                    balance(number, service, period(m), money(opening), money(charged), money(paid), money(closing))
                )
        rows["payments"].append(payment(number, "19.03.2026", money(3 * (water + power)), agent="АО «Почта России»"))
    for i in range(1, accounts + 1):
        number = f"77{i:04d}"
        rows["accounts"].append(account(number, flat=str(i), els=f"ЕЛ{i:08d}"))
        rows["persons"].append(person(number, "Соколов", "Андрей", f"Иванович{'а' * i}", "собственник", "1"))
        charged = 10_000 + 137 * i
        for m in MONTHS:
            rows["balances"].append(balance(number, WATER, period(m), "0", money(charged), money(charged), "0"))
            day = f"20.{m + late:02d}.2026" if m + late <= 12 else "20.12.2026"
            rows["payments"].append(payment(number, day, money(charged), agent="АО «Почта России»"))
    return rows


def reading(serial: str, service: str, month: int, taken: str, *values: str) -> list[str]:
    return [serial, service, period(month), taken, *values, *[""] * (3 - len(values))]


def faulty(folder: Path) -> Path:
    """Clean books with one fault of each kind that `provision check` would find after the load."""
    rows = books(12)
    acc, pay = rows["accounts"], rows["payments"]
    months = {(int(r[0][2:]), int(r[2][:2])): [r] for r in rows["balances"]}  # (account, month) -> its rows

    def bal(i: int, m: int) -> list[str]:
        return months[(i, m)][0]

    acc[0][11] = "15.03.2026"  # 770001 closed in March, settled: its balances stop there, at zero
    acc[1][11] = "15.03.2026"  # 770002 closed in March with a debt in its last month
    for m in (4, 5, 6):
        del months[(1, m)], months[(2, m)]
    bal(2, 3)[4], bal(2, 3)[7] = money(10_274 + 5_000), "50,00"
    acc[2][7] = "60"  # 770003: living area above the total
    acc[3][1] = "ЕЛ123"  # 770004: ЕЛС of 5 characters
    rows["persons"][4][6] = "0,5"  # 770005: one owner of half
    bal(6, 2)[7] = "1,00"  # 770006: February does not reconcile
    bal(7, 4)[3] = bal(7, 4)[7] = "5,00"  # 770007: April opens with what March did not close
    months[(7, 3)].append([*bal(7, 3)[:7], "5,00"])  # ... and a second March row, left out by the load
    pay.append(payment("770008", "21.05.2026", "33,00", agent="АО «Почта России»"))  # 770008: paid once more
    pay.append(payment("770009", "21.05.2026", "1,005", agent="АО «Почта России»"))  # 770009: a part of a kopeck
    pay.append(payment("770009", "22.05.2026", "0,004", agent="АО «Почта России»"))  # less than half: not loaded
    bal(9, 5)[6], bal(9, 5)[7] = "113,34", "-1,01"  # ... that PostgreSQL rounds up, as the balance does
    bal(9, 6)[3] = bal(9, 6)[7] = "-1,01"
    rows["persons"][9][9] = "123-456-789 00"  # 770010: a СНИЛС with wrong check digits (masked when loaded)
    rows["persons"][10][10] = "770123456789"  # 770011: and an ИНН
    rows["balances"] = [r for key in sorted(months) for r in months[key]]
    rows["meters"] = [
        meter("770011", POWER, "Э-1", zones="2"),  # the second zone goes down in March
        meter("770011", WATER, "В-1", installed_on="01.03.2026"),  # read before its installation
        meter("770012", WATER, "В-2", removed_on="01.04.2026"),  # read after its removal
        meter("770012", POWER, "Э-2"),  # goes down in April
    ]
    rows["readings"] = [
        *(reading("Э-1", POWER, m, "", f"{100 * m}", f"{50 * m if m != 3 else 20}") for m in MONTHS),
        *(reading("В-1", WATER, m, f"25.{m:02d}.2026", f"{10 * m}") for m in MONTHS),
        *(reading("В-2", WATER, m, f"25.{m:02d}.2026", f"{10 * m}") for m in MONTHS),
        *(reading("Э-2", POWER, m, "", f"{100 * m if m != 4 else 150}") for m in MONTHS),
    ]
    return write_export(folder, rows)


def loaded(dsn: str, folder: Path, noise: float = 0.0) -> dict[str, CheckResult]:
    import_export(dsn, standard_mapping(folder), KEY, noise=noise)
    return {c.name: c for c in run_checks(dsn) if not c.skipped}


def unpredicted(report: Report, checks: dict[str, CheckResult]) -> list[str]:
    """The violated checks whose predicting kinds the analysis did not report (or reported for fewer
    rows, where the two count the same rows)."""
    missed = []
    for name, check in checks.items():
        if check.ok:
            continue
        prediction = PREDICTED[name]
        found = sum(report.counts[k] for k in prediction.kinds)
        if not found or (prediction.comparable and found < check.violations):
            missed.append(f"{name}: {check.violations} violations, {found} predicted; e.g. {check.sample[:2]}")
    return missed


@pytest.fixture(scope="module")
def faulty_export(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = faulty(tmp_path_factory.mktemp("faulty"))
    return {"folder": folder, "report": analyze(standard_mapping(folder))}


def test_every_violation_of_a_faulty_export_was_predicted(pg_dsn: str, faulty_export: dict[str, Any]) -> None:
    checks = loaded(pg_dsn, faulty_export["folder"])
    violated = {name for name, c in checks.items() if not c.ok}
    assert violated >= {
        "balance_reconciles", "balance_carries_over", "balance_matches_payments", "readings_never_decrease",
        "readings_within_meter_life", "els_format", "ownership_shares_sum_to_one", "living_area_within_total",
        "closed_account_settled",
    }  # fmt: skip
    assert unpredicted(faulty_export["report"], checks) == []
    assert checks["closed_account_settled"].violations == 1  # the settled account closed in March is not one
    decreases = checks["readings_never_decrease"]
    assert decreases.violations == 2 and {row[-1] for row in decreases.sample} == {1, 2}  # zones 1 and 2


def test_noise_adds_no_violation(pg_dsn: str, faulty_export: dict[str, Any], tmp_path: Path) -> None:
    plain = {name for name, c in loaded(pg_dsn, faulty_export["folder"]).items() if not c.ok}
    noisy = loaded(pg_dsn, faulty_export["folder"], noise=0.05)
    assert {name for name, c in noisy.items() if not c.ok} <= plain
    assert unpredicted(faulty_export["report"], noisy) == []
    clean = write_export(tmp_path / "clean", books(12, closed=8))
    assert set(analyze(standard_mapping(clean)).counts) == set()
    assert [name for name, c in loaded(pg_dsn, clean, noise=0.05).items() if not c.ok] == []


def test_payments_a_month_late_are_predicted_with_their_lag(pg_dsn: str, tmp_path: Path) -> None:
    folder = write_export(tmp_path / "late", books(20, late=1))
    report = analyze(standard_mapping(folder))
    checks = loaded(pg_dsn, folder)
    assert [name for name, c in checks.items() if not c.ok] == ["balance_matches_payments"]
    assert report.counts["paid_not_payments"] == checks["balance_matches_payments"].violations == 40
    assert [note.en.split(":")[0] for note in report.notes] == ["payments arrive 1 month after the period they pay for"]
    assert report.notes[0].ru.startswith("платежи поступают через 1 мес. после периода")
    assert "payments arrive 1 month after" in report.examples["paid_not_payments"][0].message
    assert report.to_dict()["notes"] == [note._asdict() for note in report.notes]
    assert "платежи поступают через 1 мес. после периода" in render_html(report.to_dict(), "late payments")
    assert "payments arrive 1 month after" in render_html(report.to_dict(), "late payments", "en")


ENC = "cp1251"


def lines(path: Path) -> list[list[str]]:
    return [line.split(";") for line in path.read_bytes().decode(ENC).split("\r\n") if line]


def save(path: Path, rows: list[list[str]]) -> None:
    path.write_bytes(("\r\n".join(";".join(r) for r in rows) + "\r\n").encode(ENC))


def nudge(value: str, rng: random.Random, low: float = -50, high: float = 50) -> str:
    """A number of the export moved by a random amount, written as the export writes it."""
    moved = float(value.replace(",", ".") or 0) + round(rng.uniform(low, high), 2)
    return f"{moved:.2f}".replace(".", ",")


def shaken(folder: Path, seed: int) -> None:
    """Synthetic books with faults dropped in at random: amounts, payments' months, readings of every
    zone, areas, ЕЛС, shares, closings and meters' dates."""
    rng = random.Random(seed)
    files = {name: lines(folder / f"{name}.csv") for name in ("accounts", "persons", "meters", "readings")}
    files |= {name: lines(folder / f"{name}.csv") for name in ("balances", "payments")}
    for r in files["accounts"][1:]:
        if rng.random() < 0.05:
            r[11] = "15.05.2026"  # closed, whatever it owes
        if rng.random() < 0.03:
            r[7] = nudge(r[6], rng, 0.01, 5)  # living above total
        if rng.random() < 0.03:
            r[1] = r[1][:7]
    for r in files["persons"][1:]:
        if r[5] == "собственник" and rng.random() < 0.05:
            r[6] = "0,5"
    for r in files["meters"][1:]:
        if rng.random() < 0.05:
            r[5] = "15.04.2026"
        if rng.random() < 0.03 and not r[8]:
            r[8] = "10.03.2026"
    for r in files["readings"][1:]:
        for column in (4, 5, 6):
            if r[column] and rng.random() < 0.02:
                r[column] = f"{float(r[column].replace(',', '.')) / 2:.3f}".replace(".", ",")
    for r in files["balances"][1:]:
        if rng.random() < 0.03:
            column = rng.choice((3, 4, 6, 7))
            r[column] = nudge(r[column], rng)
    payments = files["payments"]
    for r in payments[1:]:
        if rng.random() < 0.05:
            r[5] = ""  # the day's month then: many are paid in the month after
        if rng.random() < 0.02:
            r[2] = nudge(r[2], rng, 0.01, 20)
    payments += [list(r) for r in payments[1:] if rng.random() < 0.01]  # registries loaded twice
    for name, rows in files.items():
        save(folder / f"{name}.csv", rows)


@pytest.fixture(scope="module")
def synthetic(pg_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    seed_database(pg_dsn, accounts=300, months=6, seed=17, end_period=dt.date(2026, 7, 1))
    folder = tmp_path_factory.mktemp("synthetic")
    export_standard(pg_dsn, folder)
    return folder


@pytest.mark.parametrize("seed", [1, 2])
def test_faults_at_random_in_synthetic_books_are_all_predicted(
    pg_dsn: str, synthetic: Path, tmp_path: Path, seed: int
) -> None:
    folder = tmp_path / "shaken"
    folder.mkdir()
    for source in synthetic.iterdir():
        (folder / source.name).write_bytes(source.read_bytes())
    shaken(folder, seed)
    report = analyze(standard_mapping(folder))
    checks = loaded(pg_dsn, folder)
    assert len([c for c in checks.values() if not c.ok]) >= 8
    assert unpredicted(report, checks) == []
    noisy = loaded(pg_dsn, folder, noise=0.05)
    assert {n for n, c in noisy.items() if not c.ok} <= {n for n, c in checks.items() if not c.ok}
    assert unpredicted(report, noisy) == []
