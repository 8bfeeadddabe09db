"""The long files' fast path (seed/legacy/importer/bulk.py): a plain batch read a column at a time gives the
same COPY lines, refusals, months, registries and agents as every batch read a row at a time, on an export
with rows of every kind the fast path leaves to the slow one; and the pieces it stands on (a batch of keys
seen at once, digests and originals asked of many values at once, the keyed digest) agree with their
one-at-a-time forms."""

from __future__ import annotations

import hashlib
import hmac
import random
from pathlib import Path
from typing import Any

import pytest

from seed.legacy.anonymize import Anonymizer
from seed.legacy.importer import bulk
from seed.legacy.importer.state import ImportState, Lines, Seen
from seed.legacy.leaks import Digests, Originals
from seed.legacy.mapping import standard_mapping
from tests.import_load import KEY, copy_export, lines, save, seeded_export
from tests.small_export import load_stages


@pytest.fixture(scope="module")
def export(pg_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return seeded_export(pg_dsn, tmp_path_factory)


def _stages(folder: Path) -> dict[str, Any]:
    """Every stage but the database's, its COPY text by table and all it tells besides."""
    state = ImportState(standard_mapping(folder), KEY)
    written: dict[str, list[str]] = {}
    registries, agents = load_stages(state, lambda table, data: written.setdefault(table, []).append(data))
    return {
        "copy": {table: "".join(parts) for table, parts in written.items()},
        "rows": state.result.rows,
        "read": state.result.read,
        "rejects": (dict(state.rejects.counts), state.rejects.examples),
        "months": state.months,
        "registries": [vars(r) for r in registries],
        "agents": agents,
    }


def _broken(source: Path, target: Path) -> Path:
    """The export with rows the fast path cannot take, in some batches only: repeated keys, unknown accounts
    and meters, amounts with spaces, second zones, payments with no period or agent, a bad amount."""
    folder = copy_export(source, target)
    balances = lines(folder / "balances.csv")
    balances[10][3] = "1 234,50"  # read by number(), not refused
    balances[20][0] = "99999999"  # an unknown account
    balances.append(list(balances[30]))  # a repeated account, service and month
    save(folder / "balances.csv", balances)
    reads = lines(folder / "readings.csv")
    reads[5][5] = "12,5"  # a second zone, plainly written
    reads[6][5] = "-1"  # a second zone that is not a reading
    reads.append(list(reads[7]))  # a repeated meter and month
    save(folder / "readings.csv", reads)
    pays = lines(folder / "payments.csv")
    header = pays[0]
    period, agent, amount = (header.index(h) for h in ("Период", "Агент", "Сумма"))
    pays[3][period] = ""  # the day's month
    pays[4][agent] = "Новый агент"
    pays[len(pays) // 2][amount] = "-5"
    save(folder / "payments.csv", pays)
    return folder


@pytest.mark.docker
@pytest.mark.slow
def test_the_fast_path_writes_what_the_row_at_a_time_path_writes(
    export: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_block, blocks = Lines.add_block, [0]

    def counted(self: Lines, text: str, rows: int) -> None:
        blocks[0] += 1
        add_block(self, text, rows)

    for name in ("plain", "broken"):
        folder = export["folder"] if name == "plain" else _broken(export["folder"], tmp_path / name)
        blocks[0] = 0
        with monkeypatch.context() as patched:
            patched.setattr(Lines, "add_block", counted)
            fast = _stages(folder)
        with monkeypatch.context() as patched:
            patched.setattr(bulk, "columns", lambda batch: None)  # every batch a row at a time
            slow = _stages(folder)
        assert blocks[0] >= (3 if name == "plain" else 1)  # the long files took the fast path (where they can)
        assert fast == slow
        if name == "broken":
            assert sum(fast["rejects"][0].values()) >= 5


def test_a_batch_of_keys_is_seen_at_once_as_one_at_a_time() -> None:
    rng = random.Random(3)
    one, many = Seen(ids=500), Seen(ids=500)
    for _ in range(200):
        groups = [rng.randrange(4) for _ in range(30)]
        idents = [rng.randrange(1, 501) for _ in range(30)]
        fresh = many.fresh(groups, idents)
        pairs = list(zip(groups, idents, strict=True))
        expected = len(set(pairs)) == len(pairs) and not any(one.groups.get(g, b"\0" * 63)[i >> 3] >> (i & 7) & 1
                                                              for g, i in pairs)  # fmt: skip
        assert fresh == expected
        if fresh:
            assert not any([one.again(g, i) for g, i in pairs])
        assert {g: bytes(b) for g, b in many.groups.items() if any(b)} == {
            g: bytes(b) for g, b in one.groups.items() if any(b)
        }


def test_digests_and_originals_answer_many_values_as_one_at_a_time() -> None:
    rng = random.Random(5)
    digests = Digests(filter_bits=12)  # a small filter: many values pass it and are searched
    values = [f"{rng.randrange(10**8):08d}" for _ in range(6_000)]
    for v in values[:3_000]:
        digests.add(v)
    assert digests.contains_many(values) == [v in digests for v in values]
    originals = Originals()
    for i in range(300):
        originals.add("account number", f"{i:07d}")
        originals.add("meter serial", f"SN{i:06d}")
        originals.add("phone", f"8 (912) {i:03d}-45-67")
        originals.add("e-mail", f"User{i}@Mail.ru")
        originals.add_name(f"Иванов{i}", "Иван", "Иванович")
    asked = [f"{i:07d}", f" SN{i:06d} ", f"+7912{i:03d}4567", f"user{i}@mail.ru", f"Иванов{i} Иван Иванович", "12"]
    asked = [v for i in range(0, 400, 7) for v in asked]
    assert originals.match_many(asked) == [originals.match(v) for v in asked]


def test_the_plain_check_of_a_batch_answers_as_its_pattern_row_by_row() -> None:
    cells = ["1,5", "12", "0.25", "", "-3", "1.2.3", "١٢", "12345678901", "7\n8", "4,"]
    for empty, plain in ((False, bulk.READING_LINES), (True, bulk.OPTIONAL_READING_LINES)):
        for cell in cells:
            alone = plain.pattern(cell.replace(",", ".")) is not None or (empty and not cell)
            assert (plain.lines(["1", cell, "2"], 3) is not None) == alone, cell
    assert bulk.READING_LINES.lines(["1,5", "2"], 2) == ["1.5", "2"]


def test_the_keyed_digest_is_hmac_sha256() -> None:
    for key in (KEY, b"", b"k" * 100):
        anon = Anonymizer(key)
        for data in (b"", b"phone\x009161234567", bytes(range(256))):
            assert anon._digest(data) == hmac.new(key, data, hashlib.sha256).digest()
