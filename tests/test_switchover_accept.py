"""The switch-over's accept file and its large changes, as pure logic: what a line may name, how a bad
file is refused (naming the file and line), and which changes are too large to pass unnamed."""

from __future__ import annotations

from pathlib import Path

import pytest

from seed.errors import AcceptFileError
from seed.legacy.switchover_guard import Recognition, large_changes, read_accepted


def test_an_accept_file_names_services_accounts_suspense_and_large_kinds(tmp_path: Path) -> None:
    path = tmp_path / "accept.txt"
    path.write_bytes("# сверено\ncold_water\n12345678;gas  # долг\nsuspense\n\npersons_moved_out\n".encode("cp1251"))
    assert read_accepted(path) == ["cold_water", "12345678;gas", "suspense", "persons_moved_out"]
    assert read_accepted(None) == []


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "--accept {}: is not a text file (it holds binary data)"),
        (b"cold_water\n\x98\x98\n", "--accept {}: is neither UTF-8 nor Windows-1251 text"),
        (b"cold_water\nhot\x07water\n", "--accept {}, line 2: holds control characters"),
        (b"cold_water\nwater\n", "--accept {}: names what no switch-over reports: line 2: unknown service or kind"),
        (b"12 34;gas\n", "line 1: '12 34;gas' is not ACCOUNT;service"),
        (b"1;gas;x\n", "line 1: '1;gas;x' is not ACCOUNT;service"),
        (b";gas\n", "line 1: ';gas' is not ACCOUNT;service"),
    ],
)
def test_a_bad_accept_file_is_refused_naming_it(tmp_path: Path, data: bytes, said: str) -> None:
    path = tmp_path / "accept.txt"
    path.write_bytes(data)
    with pytest.raises(AcceptFileError) as caught:
        read_accepted(path)
    assert said.format(path) in str(caught.value)
    assert caught.value.fix


def test_unknown_names_are_listed_with_what_is_allowed(tmp_path: Path) -> None:
    path = tmp_path / "accept.txt"
    path.write_text("cold_wter\n1;heating\n2;steam\n", encoding="utf-8")
    with pytest.raises(AcceptFileError) as caught:
        read_accepted(path)
    message = str(caught.value)
    assert "line 1: unknown service or kind 'cold_wter'" in message and "line 3: unknown service 'steam'" in message
    assert "line 2" not in message
    assert "cold_water, hot_water, sewage, electricity, heating, gas" in caught.value.fix
    assert "balances_corrected" in caught.value.fix


def test_a_change_over_a_tenth_of_its_base_is_large() -> None:
    changes = {"accounts_added": 100, "accounts_missing": 101, "persons_moved_out": 0, "balances_corrected": 5}
    base = {"accounts": 1000, "residents": 2000, "balances": 10}
    assert large_changes(changes, base) == {
        "accounts_missing": {"count": 101, "of": 1000},
        "balances_corrected": {"count": 5, "of": 10},
    }
    assert large_changes({"persons_moved_in": 3}, {"residents": 0}) == {"persons_moved_in": {"count": 3, "of": 0}}


def test_an_export_is_the_same_clients_when_half_the_books_accounts_are_recognized() -> None:
    assert Recognition(1000, 1000, 500).same_client()
    assert not Recognition(1000, 792, 3).same_client()
    assert not Recognition(1000, 400, 400).same_client()
    assert Recognition(0, 0, 0).same_client()
    said = Recognition(1000, 792, 3).refusal()
    assert "1,000 accounts, 792 have their number in this export and only 3 of those recognized by" in said
    # the rule RECOGNIZED counts: the address and one of the other two, or both when the address changed
    assert "the same address and the same residents or meters, or, where the address changed, the same" in said
    assert "the same address, residents and meters" not in said
