"""`import check` by example: a printed report's own rows (a header repeated at a page break, a totals row)
passed over, counted per file in the analysis's JSON and said in its HTML report, not as problems."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from seed.legacy.analyze import analyze
from seed.legacy.layout import STANDARD
from seed.legacy.mapping import standard_mapping
from seed.legacy.report import render_html
from tests.small_export import HEADERS, account, person, write_export


def test_a_printed_reports_own_rows_are_counted_per_file(tmp_path: Path) -> None:
    width = len(HEADERS["accounts"])
    folder = write_export(
        tmp_path / "export",
        {
            "accounts": [
                account("1001"),
                HEADERS["accounts"],
                account("1002"),
                ["Итого:", *[""] * (width - 1)],
            ],
            "persons": [person("1001", "Иванов", "Пётр", "Сергеевич", "owner", "1")],
        },
    )
    report = analyze(standard_mapping(folder))
    assert not report.problems and report.rows["accounts"] == 2
    info = json.loads(json.dumps(report.to_dict(), default=str))
    name = STANDARD["accounts"][0]
    assert info["printed_rows"] == {name: {"header": 1, "totals": 1}}
    ru = render_html(info, "t")
    assert f"{name}: пропущены строки печатной формы — повторный заголовок: 1, итоговая строка: 1" in ru
    en = render_html(info, "t", "en")
    assert escape(f"{name}: a printed report's own rows passed over — header repeated: 1, totals row: 1") in en


def test_an_export_with_no_printed_rows_says_nothing_of_them(tmp_path: Path) -> None:
    folder = write_export(tmp_path / "export", {"accounts": [account("1001")]})
    info = analyze(standard_mapping(folder)).to_dict()
    assert info["printed_rows"] == {}
    assert "печатной формы" not in render_html(info, "t")
