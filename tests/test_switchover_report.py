"""The switch-over's HTML report as the customer's accountant reads it after a real rehearsal: how many of
the books' accounts the export has by number and by address, residents and meters, the guard's own time
among the steps, and a large change with its base, whether it was accepted and how to accept it."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from provision.clients import lifecycle
from seed.period import month_add
from tests.clients import cli, one_row, seeded_client

pytestmark = [pytest.mark.docker, pytest.mark.slow]
CLIENT = "swr"
ENC = "cp1251"
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory, pg_image: str) -> Iterator[dict[str, Any]]:
    """A 600-account client imported from its export through M-1; its final export through M, with the
    tenants and other residents moved out (the owners stay): a large change."""
    root = tmp_path_factory.mktemp("swreport").resolve()
    workspace, dsn = seeded_client(root, CLIENT, "[seed]\naccounts = 600\nmonths = 3\nrandom_seed = 4243\n")
    try:
        month = month_add(one_row(dsn, "SELECT max(period) FROM okno.billing_period")[0], -1)
        first, final = root / "first", root / "final"
        for folder, through in ((first, month_add(month, -1)), (final, month)):
            code, out = cli(workspace, "import", "sample", CLIENT, str(folder), "--through", f"{through:%Y-%m}")
            assert code == 0, out
        code, out = cli(workspace, "import", "load", CLIENT, str(first))
        assert code == 0, out
        moved = shutil.copytree(final, root / "moved")
        persons = moved / "persons.csv"
        head, *rows = persons.read_bytes().decode(ENC).split("\r\n")
        role = head.split(";").index("Роль")
        kept = [row for row in rows if not row or row.split(";")[role].lower().startswith("собств")]
        assert len(rows) - len(kept) > len(rows) // 10
        persons.write_bytes("\r\n".join([head, *kept]).encode(ENC))
        yield {"workspace": workspace, "moved": moved, "root": root}
    finally:
        lifecycle.destroy(workspace, CLIENT)


def test_the_report_shows_the_recognition_and_a_large_change_not_accepted(books: dict[str, Any]) -> None:
    page = books["root"] / "refused.html"
    code, out = cli(books["workspace"], "switchover", "rehearse", CLIENT, str(books["moved"]), "--html", str(page))
    assert code == 4, out
    html = page.read_text(encoding="utf-8")
    assert "<h2>Лицевые счета текущей базы в выгрузке</h2>" in html
    assert "<tr><td>лицевых счетов в текущей базе</td><td class=n>600</td></tr>" in html
    assert "<tr><td>из них есть в выгрузке (тот же номер)</td><td class=n>600</td></tr>" in html
    recognized = re.search(r"из них узнаны по адресу, проживающим и приборам учёта</td><td class=n>(\d+)</td>", html)
    assert recognized is not None and int(recognized.group(1)) >= 550, html  # the flats and meters stay
    assert f"<tr><td>с тем же номером, но не узнаны</td><td class=n>{600 - int(recognized.group(1))}</td>" in html
    residents = re.search(r"из них с теми же проживающими</td><td class=n>(\d+)</td>", html)
    assert residents is not None and int(residents.group(1)) < 400, html  # the tenants moved out
    assert "<tr><td>из них с тем же адресом</td><td class=n>600</td></tr>" in html  # the residents moved, not the flats
    assert re.search(r"выгрузка того же клиента\.</p>", html)
    found = re.search(
        rf"<tr><td>выбывшие</td><td>persons_moved_out</td><td class=n>([\d{NBSP}]+)</td>"
        rf"<td>([\d{NBSP}]+) связей лица и лицевого счёта</td><td>([\d,]+){NBSP}%</td>"
        r"<td>не принято: переход с ним не пройдёт</td>",
        html,
    )
    assert found is not None, html
    count, base = (int(g.replace(NBSP, "")) for g in found.groups()[:2])
    assert count > base // 10 and float(found.group(3).replace(",", ".")) > 10
    assert "<h2 class=bad>Крупные изменения: 1</h2>" in html
    assert "(параметр --accept) строку с его кодом, например «persons_moved_out»" in html
    assert re.search(
        r"<td>узнавание лицевых счетов по адресу, проживающим и приборам учёта</td><td class=n>[\d,]+", html
    )


def test_the_report_shows_the_large_change_accepted(books: dict[str, Any], tmp_path: Path) -> None:
    accept, page = tmp_path / "accept.txt", books["root"] / "accepted.html"
    accept.write_text("persons_moved_out  # общежитие расселено, сверено\n", encoding="utf-8")
    code, out = cli(
        books["workspace"], "switchover", "rehearse", CLIENT, str(books["moved"]), "--accept", str(accept),
        "--html", str(page),
    )  # fmt: skip
    assert code == 0, out
    html = page.read_text(encoding="utf-8")
    assert "<h2>Крупные изменения: 1</h2>" in html and "<td>принято</td>" in html
    assert "Расхождений нет (принято к сведению: 1)" in html
