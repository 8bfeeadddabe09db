"""The payments' agents matched to the built-in ones whatever the case and by their usual short names, only an
unknown one added (and named in the load report); accounts given an invented ЕЛС counted in it too."""

from __future__ import annotations

from pathlib import Path

import pytest

from seed import catalog
from seed.legacy.importer import ImportState
from seed.legacy.importer.agents import Agents, agent_key
from seed.legacy.mapping import standard_mapping
from seed.words.messages import Message
from tests.import_load import KEY
from tests.small_export import account, balance, load_stages, payment, write_export

BUILT_IN = {label: aid for aid, label, *_ in catalog.AGENTS}


@pytest.mark.parametrize(
    ("written", "agent"),
    [
        ("ПАО Сбербанк", 1), ("сбербанк", 1), ("СБЕРБАНК", 1), ("Сбер", 1), ("  Сбербанк  России ", 1),
        ("Банк ВТБ (ПАО)", 2), ("ВТБ", 2), ("втб24", 2),
        ("АО «Т-Банк»", 3), ("Т-Банк", 3), ("т банк", 3), ("Тинькофф", 3),
        ("АО «Почта России»", 4), ("Почта России", 4), ("ФГУП Почта России", 4), ("ФГУП «Почта России»", 4),
        ("Почта", 4), ("почта", 4),
        ("Касса расчётного центра", 5), ("касса расчетного центра", 5), ("Касса", 5),
        ("Оплата на сайте (СБП)", 6), ("СБП", 6),
    ],
)  # fmt: skip
def test_an_agent_is_matched_whatever_its_case_and_by_its_short_name(written: str, agent: int) -> None:
    agents = Agents()
    assert agents.id(written) == agent
    assert agents.added == {}


def test_every_built_in_agent_matches_its_own_name() -> None:
    agents = Agents()
    assert {label: agents.id(label) for label in BUILT_IN} == BUILT_IN
    assert len({agent_key(label) for label in BUILT_IN}) == len(BUILT_IN)  # no two alike once compared


def test_an_unknown_agent_is_added_once_as_first_written() -> None:
    agents = Agents()
    first = agents.id("ООО «Расчётный центр Север»")
    assert first == len(catalog.AGENTS) + 1
    assert agents.id("ооо расчётный центр север") == first  # the same agent, typed otherwise
    assert agents.id("Банк Восток") == first + 1
    assert agents.added == {"ООО «Расчётный центр Север»": first, "Банк Восток": first + 1}


def test_the_load_adds_only_the_agents_that_match_none_and_counts_invented_els(tmp_path: Path) -> None:
    spellings = ["Сбербанк", "сбербанк", "ПАО Сбербанк", "Сбер", "Почта", "ФГУП Почта России", "Новый агент",
                 "НОВЫЙ АГЕНТ"]  # fmt: skip
    folder = write_export(
        tmp_path / "export",
        {
            "accounts": [account("1001"), account("1002", flat="2", els="12АБ345678"), account("1003", flat="3")],
            "balances": [balance("1001", "ХВС", "01.2026", "0", "100", "0", "100")],
            "payments": [payment("1001", f"{10 + i}.01.2026", "10", agent) for i, agent in enumerate(spellings)],
        },
    )
    state = ImportState(standard_mapping(folder), KEY)
    written: dict[str, list[str]] = {}
    _, added = load_stages(state, lambda table, text: written.setdefault(table, []).append(text))
    assert added == {"Новый агент": len(catalog.AGENTS) + 1}
    ids = [int(line.split("\t")[2]) for line in "".join(written["payment"]).splitlines()]
    assert ids == [1, 1, 1, 1, 4, 4, 7, 7]
    assert state.result.flags == [Message.of("load.els_invented", count=2)]  # two accounts had no ЕЛС
    said = state.result.flags[0]
    assert said.text("ru") == "в выгрузке нет ЕЛС; новые ЕЛС присвоены лицевым счетам: 2"
    assert said.text("en") == "the export gives no ЕЛС; accounts given a new one: 2"
