"""The long files read in blocks (`seed.legacy.blocks`) and their usual rows taken a run at a time
(`analyze.bulk`): the same records as the csv module reads, and the same report as reading a row at a
time, whatever the runs, batches and problems."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from seed import people
from seed.errors import LegacyFormatError
from seed.legacy import blocks
from seed.legacy.analyze import analyze, bulk, examiner, series, short
from seed.legacy.blocks import Block, csv_blocks, decimal_column, kopeck_column
from seed.legacy.mapping import read_mapped, standard_mapping
from seed.people import snils
from tests import small_export as ex


def _records(items: object) -> Iterator[tuple[int, list[str]]]:
    for item in items:  # type: ignore[attr-defined]
        if isinstance(item, Block):
            yield from ((int(item.lines[i]), item.record(i)) for i in range(len(item)))
        else:
            yield item


def _balances(tmp_path: Path, body: str) -> Path:
    head = "ЛС;Услуга;Период;Сальдо входящее;Начислено;Перерасчёт;Оплачено;Сальдо исходящее\r\n"
    ex.write_export(tmp_path, {"accounts": [ex.account("1")]})
    (tmp_path / "balances.csv").write_bytes((head + body).encode("cp1251"))
    return tmp_path


@pytest.mark.parametrize("block", [1 << 22, 64])
def test_blocks_hold_the_records_the_csv_module_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(blocks, "BLOCK", block)
    body = "".join(f"1;ХВС;{m:02d}.2026;1,00;2,50;;-3,5;0,00\r\n" for m in range(1, 13))
    body += "\r\n   \r\n1;ХВС;01.2027;1;2;3;4;5"  # blank lines passed over, no line end at the end
    fm = standard_mapping(_balances(tmp_path, body)).files["balances"]
    found = csv_blocks(fm)
    assert found is not None
    assert list(_records(found[1])) == list(read_mapped(fm)[1])


def test_a_quote_hands_the_rest_to_the_csv_module_and_a_short_line_fails_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blocks, "BLOCK", 64)
    rows = [f"1;ХВС;{m:02d}.2026;1,00;2,50;0,00;3,50;0,00\r\n" for m in range(1, 13)]
    rows[7] = '1;"ХВС;\r\nгорячая";08.2026;1;2;3;4;5\r\n'
    fm = standard_mapping(_balances(tmp_path, "".join(rows))).files["balances"]
    assert list(_records(csv_blocks(fm)[1])) == list(read_mapped(fm)[1])  # type: ignore[index]
    rows[7] = "1;ХВС;08.2026;1,00\r\n"
    fm = standard_mapping(_balances(tmp_path, "".join(rows))).files["balances"]
    with pytest.raises(LegacyFormatError, match=r"line 9: 4 fields where the header has 8"):
        list(_records(csv_blocks(fm)[1]))  # type: ignore[index]


@pytest.mark.parametrize("block", [4096, 70_000, 1 << 22])
def test_a_file_that_cannot_be_read_fails_at_the_line_and_with_the_message_of_the_csv_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """The csv module decodes (and looks for NUL bytes in) 64 KiB of the file at a time and yields no line of
    a chunk it cannot read: a bad byte in a later block, or just past one, fails at the line it fails at
    when the whole file is read by the csv module, and no line after that is yielded first."""
    monkeypatch.setattr(blocks, "BLOCK", block)
    body = "".join(f"{a};Холодная вода;{m:02d}.2026;1,00;2,50;;-3,5;0,00\r\n" for a in range(300) for m in range(1, 13))
    data = _balances(tmp_path, body).joinpath("balances.csv").read_bytes()
    assert len(data) > 2 * 65536
    for at, bad in ((70_001, b"\x98"), (131_000, b"\x98"), (140_321, b"\0"), (len(data) - 30, b"\x98")):
        (tmp_path / "balances.csv").write_bytes(data[:at] + bad + data[at + 1 :])
        fm = standard_mapping(tmp_path).files["balances"]
        alone: list[tuple[int, list[str]]] = []
        with pytest.raises(LegacyFormatError) as whole:
            alone.extend(read_mapped(fm)[1])
        read: list[tuple[int, list[str]]] = []
        with pytest.raises(LegacyFormatError) as blocked:
            read.extend(_records(csv_blocks(fm)[1]))  # type: ignore[index]
        assert (str(blocked.value), blocked.value.line) == (str(whole.value), whole.value.line)
        assert read == alone


def test_amounts_are_read_at_once_as_a_row_at_a_time_reads_them(tmp_path: Path) -> None:
    texts = ["0,00", "-0,05", "1234567890,99", "12345678901,00", "1,5", "1.50", "-", "", " 1,00", "1,0a", "--1,00"]
    body = "".join(f"1;ХВС;01.2026;{t};0;0;0;0\r\n" for t in texts)
    found = csv_blocks(standard_mapping(_balances(tmp_path, body)).files["balances"])
    block = next(iter(found[1]))  # type: ignore[index]
    assert isinstance(block, Block)
    value, plain = kopeck_column(block, 3)
    assert plain.tolist() == [True, True, True, False, False, True, False, False, False, False, False]
    assert value[plain].tolist() == [0, -5, 123456789099, 150]
    value, plain = kopeck_column(block, 3, empty_zero=True)
    assert plain[7] and value[7] == 0


def _export(folder: Path) -> Path:
    accounts = [str(1000 + a) for a in range(8)]
    balances = [
        ex.balance(acc, "ХВС" if a % 3 else "Электроэнергия", f"{m:02d}.2026", f"{100 * (m - 1)},00", "100,00",
                   "0,00", f"{100 * m},00")
        for a, acc in enumerate(accounts) for m in range(1, 13)
    ]  # fmt: skip
    balances[5][4] = "100,01"  # does not reconcile, and the next month does not carry over
    balances[20][3] = "1 0,00"  # not an amount
    balances[30][0] = "999"  # an unknown account
    balances[40][1] = "Газ-2"  # an unknown service
    balances[50][2] = "13.2026"  # not a period
    balances[61] = list(balances[60])  # a month twice
    balances += [ex.balance("1007", "ХВС", "01.2027", "1200,00", "0,00", "0,00", "5,00")]
    balances += [ex.balance("1001", "ХВС", "02.2027", "0,00", "0,00", "0,00", "0,00")]  # an account again: scattered
    return ex.write_export(folder, {"accounts": [ex.account(a) for a in accounts], "balances": balances})


@pytest.mark.parametrize("scattered", [False, True])
def test_usual_rows_taken_in_runs_report_what_a_row_at_a_time_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scattered: bool
) -> None:
    folder = _export(tmp_path / "export")
    if not scattered:
        lines = (folder / "balances.csv").read_bytes().split(b"\r\n")
        (folder / "balances.csv").write_bytes(b"\r\n".join(lines[:-2] + lines[-1:]))
    mapping = standard_mapping(folder)
    monkeypatch.setattr(examiner, "csv_blocks", lambda fm, detected=None: None)
    row_at_a_time = analyze(mapping, None).to_dict()
    monkeypatch.undo()
    for run_rows, batch in ((1, 200_000), (1, 13), (32, 200_000)):
        monkeypatch.setattr(bulk, "RUN_ROWS", run_rows)
        monkeypatch.setattr(series, "BATCH_ROWS", batch)
        assert analyze(mapping, None).to_dict() == row_at_a_time
        assert analyze(mapping).to_dict() == analyze(mapping).to_dict()
    assert row_at_a_time["problems"]["balance_not_reconciling"]["count"] >= 1


def test_grouped_columns_take_runs_as_they_take_rows() -> None:
    keys = np.array([3, 3, 1, 1, 1, 2, 5, 5, 0, 4], dtype=np.int64)
    for batch in (1, 2, 3, 100):
        one, many = series.GroupedColumns("iq", lambda c: []), series.GroupedColumns("iq", lambda c: [])
        seen_one: list[list[int]] = []
        seen_many: list[list[int]] = []
        one.check = lambda c, s=seen_one: s.append(c[1].tolist()) or []  # type: ignore[misc]
        many.check = lambda c, s=seen_many: s.append(c[1].tolist()) or []  # type: ignore[misc]
        series.BATCH_ROWS, saved = batch, series.BATCH_ROWS
        try:
            for i, k in enumerate(keys.tolist()):
                one.add(k, k, i)
            many.extend(keys[:4], [keys[:4], np.arange(4)])
            many.extend(keys[4:], [keys[4:], np.arange(4, len(keys))])
            one.finish(), many.finish()
        finally:
            series.BATCH_ROWS = saved
        assert seen_many == seen_one


def _long_export(folder: Path) -> Path:
    """Readings, payments and persons with a problem of each kind the blocks' usual rows must leave to the
    row-at-a-time reading, or find as it does."""
    accounts = [str(1000 + a) for a in range(8)]
    meters = [ex.meter(acc, "ХВС", f"7{a}") for a, acc in enumerate(accounts)]
    meters += [ex.meter("1001", "Электроэнергия", "E1", zones="2", removed_on="15.06.2026")]
    meters += [ex.meter("1002", "ХВС", "72")]  # a meter twice: its readings follow from the repeat
    readings = [
        ex.reading(f"7{a}", "ХВС" if a % 2 else "Холодная вода", f"{m:02d}.2026", f"{10 * m + a},5", f"20.{m:02d}.2026")
        for a in range(8) for m in range(1, 13)
    ]  # fmt: skip
    readings += [[*ex.reading("E1", "Электроэнергия", f"{m:02d}.2026", f"{5 * m}", f"20.{m:02d}.2026")[:5], "3,25", ""]
                 for m in range(1, 13)]  # fmt: skip
    readings[3][4] = "1 0,5"  # not a reading
    readings[14][4] = "9,1234567"  # more decimals than the columns read at once
    readings[15][3] = "32.01.2026"  # not a date
    readings[26][0] = "79"  # an unknown meter
    readings[27][1] = "Газ-2"  # an unknown service
    readings[38][4] = "1,0"  # a decrease
    readings[40][3] = "01.01.2019"  # before the meter was installed
    readings[51][2] = "13.2026"  # not a period
    readings[60][0] = " 75"
    payments = [ex.payment(acc, f"{10 + m}.{m:02d}.2026", f"{100 + a},{m:02d}") for a, acc in enumerate(accounts)
                for m in range(1, 13)]  # fmt: skip
    payments[5][2], payments[17][2], payments[29][2] = "0,00", "-5,00", "12,345"
    payments[30][1], payments[41][0], payments[52][0] = "", "999", "1003.0"
    payments.insert(60, list(payments[60]))  # paid twice
    good = [str(s) for s in snils(np.random.default_rng(1), 6)]
    persons = [ex.person(acc, "Иванов", "Иван", "Иванович", snils=good[a % 6]) for a, acc in enumerate(accounts)]
    persons[1][9], persons[2][9], persons[3][9] = "123-456-789 00", good[0][:3] + "-" + good[0][3:], "12345678901"
    rows = {"accounts": [ex.account(a) for a in accounts], "meters": meters, "readings": readings}
    return ex.write_export(folder, {**rows, "payments": payments, "persons": persons})


def test_readings_payments_and_persons_at_once_report_what_a_row_at_a_time_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mapping = standard_mapping(_long_export(tmp_path / "export"))
    monkeypatch.setattr(examiner, "csv_blocks", lambda fm, detected=None: None)
    row_at_a_time = analyze(mapping, None).to_dict()
    monkeypatch.undo()
    for run_rows, block, person_rows in ((1, 1 << 20, 4096), (1, 256, 3), (32, 1 << 20, 1)):
        monkeypatch.setattr(bulk, "RUN_ROWS", run_rows)
        monkeypatch.setattr(blocks, "BLOCK", block)
        monkeypatch.setattr(short, "PERSON_ROWS", person_rows)
        assert analyze(mapping, None).to_dict() == row_at_a_time
    kinds = row_at_a_time["problems"]
    for kind in ("reading_before_install", "reading_decrease", "payment_duplicate", "invalid_snils", "bad_value"):
        assert kinds[kind]["count"] >= 1, kind


def test_readings_are_read_at_once_as_float_reads_them(tmp_path: Path) -> None:
    texts = ["0", "12,5", "1.25", "9999999999,999999", "0,1", "123456789,012345", "1,", ",5", "1,2,3", "-1", "1e5"]
    texts += ["0,3", "2,675", "12345678901"]
    body = "".join(f"1;ХВС;01.2026;1;2;3;4;{t}\r\n" for t in texts)
    block = next(iter(csv_blocks(standard_mapping(_balances(tmp_path, body)).files["balances"])[1]))  # type: ignore[index]
    assert isinstance(block, Block)
    value, plain = decimal_column(block, 7)
    assert plain.tolist() == [True, True, True, False, True, True, False, False, False, False, False, True, True, False]
    for t, v, ok in zip(texts, value.tolist(), plain.tolist(), strict=True):
        assert not ok or v == float(t.replace(",", ".")), t


def test_snils_and_inn_checked_one_at_a_time_as_the_columns_are() -> None:
    rng = np.random.default_rng(7)
    values = [str(s) for s in snils(rng, 300)] + [str(i) for i in people.inn_person(rng, 300, 35)]
    values += [people.inn_company(rng, 77) for _ in range(100)] + [str(v) for v in rng.integers(10**8, 10**12, 3000)]
    for v in values:
        as_column = len(v) == 11 and int(people.snils_check(np.array([int(v[:9])]))[0]) == int(v[9:])
        assert people.valid_snils(v) == as_column, v
        d = np.array([[int(c) for c in v]])
        weights = [[2, 4, 10, 3, 5, 9, 4, 6, 8]] if len(v) == 10 else [[7, 2, 4, 10, 3, 5, 9, 4, 6, 8]]
        weights += [[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]] if len(v) == 12 else []
        as_column = len(v) in (10, 12) and all(int(people._inn_digit(d, w)[0]) == int(d[0, len(w)]) for w in weights)
        assert people.valid_inn(v) == as_column, v
    assert people.valid_inn("٧٧٠٧٠٨٣٨٩٣") and people.valid_snils("١١٢٢٣٣٤٤٥٩٥")  # decimal digits of any script


def test_a_digit_that_is_no_decimal_digit_is_an_invalid_identifier_not_a_failure(tmp_path: Path) -> None:
    persons = [ex.person("1", "Иванов", "Иван", "Иванович", snils="SNILS", inn="INN")]
    folder = ex.write_export(tmp_path / "export", {"accounts": [ex.account("1")], "persons": persons})
    for path in folder.glob("*.csv"):  # '²' is not in cp1251: the export in UTF-8
        written = path.read_bytes().decode("cp1251").replace("SNILS", "1122334459²").replace("INN", "77070838²3")
        path.write_bytes(written.encode("utf-8"))
    kinds = analyze(standard_mapping(folder), None).to_dict()["problems"]
    assert kinds["invalid_inn"]["count"] == 1 and kinds["invalid_snils"]["count"] == 1
