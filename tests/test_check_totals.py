"""`import check` against the old system's control totals: a totals file whose «Начислено» leaves the
recalculations out and gives them in a «Перерасчёт» of its own (mapped as `recalculated`) is compared as
both together, so it matches; and one planted difference is exactly one, at its file and line, with its
service and month, in the JSON and in the HTML report."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from seed.legacy.analyze import analyze
from seed.legacy.layout import STANDARD
from seed.legacy.mapping import load_mapping
from seed.legacy.report import render_html
from tests.small_export import account, write_export

TOTALS = "ИТОГИ.csv"
TOTALS_FIELDS = ["service", "period", "opening", "charged", "recalculated", "paid", "closing"]
TOTALS_HEADER = ["Услуга", "Период", "Сальдо входящее", "Начислено", "ПЕРЕРАСЧЕТ", "Оплачено", "Сальдо исходящее"]
# (account, service, period): opening, charged, recalculated, paid; closing = opening + charged + recalculated - paid
BALANCES = {
    ("1001", "ХВС", "01.2026"): (0, 300, -25, 200),
    ("1002", "ХВС", "01.2026"): (0, 150, 10, 160),
    ("1001", "Отопление", "01.2026"): (0, 2000, -300, 1500),
    ("1001", "ХВС", "02.2026"): (75, 300, -40, 300),
    ("1002", "ХВС", "02.2026"): (0, 150, 0, 100),
    ("1001", "Отопление", "02.2026"): (200, 2000, 120, 2000),
}


def _money(roubles: int) -> str:
    return f"{roubles},00"


def export(folder: Path, recalculated: bool = True) -> tuple[Path, Path]:
    """The export (standard files, totals in a file of the old system's own) and its mapping; the totals
    by service and month in the balances' order, their «Начислено» without the recalculations."""
    balances: list[list[str]] = []
    sums: dict[tuple[str, str], list[int]] = {}
    for (acc, service, month), (o, c, r, p) in BALANCES.items():
        balances.append([acc, service, month, *map(_money, (o, c, r, p, o + c + r - p))])
        total = sums.setdefault((service, month), [0, 0, 0, 0, 0])
        for i, v in enumerate((o, c, r, p, o + c + r - p)):
            total[i] += v
    write_export(folder, {"accounts": [account("1001"), account("1002")], "balances": balances})
    rows = [TOTALS_HEADER] + [[service, month, *map(_money, t)] for (service, month), t in sums.items()]
    (folder / TOTALS).write_bytes(("\r\n".join(";".join(r) for r in rows) + "\r\n").encode("cp1251"))
    tables = []
    for entity, (file_name, fields) in STANDARD.items():
        if entity == "totals":
            continue
        columns = "\n".join(f'{f} = "{h}"' for f, h, _ in fields)
        tables.append(f'[files.{entity}]\npath = "{file_name}"\n[files.{entity}.columns]\n{columns}\n')
    totals = dict(zip(TOTALS_FIELDS, TOTALS_HEADER, strict=True))
    if not recalculated:
        del totals["recalculated"]
    columns = "\n".join(f'{f} = "{h}"' for f, h in totals.items())
    tables.append(f'[files.totals]\npath = "{TOTALS}"\n[files.totals.columns]\n{columns}\n')
    mapping = folder / "mapping.toml"
    mapping.write_text("\n".join(tables), encoding="utf-8")
    return folder, mapping


def test_totals_with_their_own_recalculation_match(tmp_path: Path) -> None:
    folder, mapping = export(tmp_path / "export")
    report = analyze(load_mapping(mapping, folder))
    assert report.rows["totals"] == 4
    assert report.totals_differences() == []
    assert "<p class=ok>Контрольные суммы совпадают с итогами старой системы.</p>" in render_html(
        report.to_dict(), "демо"
    )


def test_without_the_recalculation_every_month_of_a_recalculated_service_differs(tmp_path: Path) -> None:
    """The same file mapped without its «ПЕРЕРАСЧЕТ»: the charged of each month with recalculations differs
    (why the column is mapped), each at its own line."""
    folder, mapping = export(tmp_path / "export", recalculated=False)
    diffs = analyze(load_mapping(mapping, folder)).totals_differences()
    assert {(d["period"], d["measure"], d["line"]) for d in diffs} == {
        ("2026-01", "charged", 2), ("2026-01", "charged", 3), ("2026-02", "charged", 4), ("2026-02", "charged", 5)
    }  # fmt: skip


def test_one_planted_difference_is_exactly_one_at_its_file_and_line(tmp_path: Path) -> None:
    folder, mapping = export(tmp_path / "export")
    path = folder / TOTALS
    lines = path.read_bytes().decode("cp1251").split("\r\n")
    planted = 5  # the heating's February
    cells = lines[planted - 1].split(";")
    assert cells[:2] == ["Отопление", "02.2026"]
    cells[3] = _money(int(cells[3].split(",")[0]) + 1000)  # the old system charged 1,000 roubles more
    lines[planted - 1] = ";".join(cells)
    path.write_bytes("\r\n".join(lines).encode("cp1251"))

    info = analyze(load_mapping(mapping, folder)).to_dict()
    info = json.loads(json.dumps(info))  # as the JSON report holds it
    [diff] = info["totals_differences"]
    assert Path(diff["file"]).name == TOTALS and diff["line"] == planted
    assert (diff["service"], diff["period"], diff["measure"]) == ("heating", "2026-02", "charged")
    assert Decimal(diff["difference"]) == Decimal(-1000)
    assert Decimal(diff["reported"]) == Decimal(2000 + 120 + 1000)  # «Начислено» with its «Перерасчёт»

    page = render_html(info, "демо")
    row = (
        "<td>Отопление</td><td>02.2026</td><td>начислено</td><td class=n>2\u00a0120,00</td>"
        f"<td class=n>3\u00a0120,00</td><td class=n>-1\u00a0000,00</td><td>{TOTALS}:{planted}</td></tr>"
    )
    differences = page[page.index("Расхождения с итогами") :]
    assert row in differences and differences.count("<tr>") == 2  # its header and the one difference
    assert "<th>где</th>" in page
    assert f"<td>{TOTALS}:{planted}</td>" in render_html(info, "demo", "en")
