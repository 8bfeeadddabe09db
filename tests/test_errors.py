"""seed's errors: one family, and each one comes back whole from a forked worker."""

from __future__ import annotations

import pickle

import pytest

from seed.errors import ImportRefused, LegacyFormatError, MappingError, NoData, SeedBusy, SeedError, WorkerFailed
from seed.legacy.forked import Forked


def test_every_seed_error_is_a_seed_error_and_pickles_by_itself() -> None:
    errors = [
        LegacyFormatError("readings.csv", 12, "not cp1251"), MappingError("m.toml: unknown 'x'"),
        ImportRefused("strict mode refuses"), NoData("no books"), SeedBusy("busy"), WorkerFailed("died"),
    ]  # fmt: skip
    for error in errors:
        again = pickle.loads(pickle.dumps(error))
        assert isinstance(again, SeedError) and type(again) is type(error) and str(again) == str(error)
    moved = pickle.loads(pickle.dumps(errors[0]))
    assert (moved.path, moved.line, moved.reason) == ("readings.csv", 12, "not cp1251")


def _raise(error: BaseException) -> None:
    raise error


def test_a_forked_worker_raises_the_same_seed_error_in_its_parent() -> None:
    with pytest.raises(LegacyFormatError, match=r"balances\.csv, line 7: broken CSV") as info:
        Forked(lambda: _raise(LegacyFormatError("balances.csv", 7, "broken CSV"))).result()
    assert info.value.line == 7
    with pytest.raises(WorkerFailed, match="KeyError: 'period'"):  # a bug stays a bug, named
        Forked(lambda: _raise(KeyError("period"))).result()
    assert Forked(lambda: 41 + 1).result() == 42
