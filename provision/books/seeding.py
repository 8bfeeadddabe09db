"""A client's synthetic books: seed, check and summarise them, by client name or by any PostgreSQL DSN."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import seed
from provision.clients.database import hide_password, running_dsn, target, user_errors
from provision.clients.profile import SEED_ACCOUNTS, SEED_MONTHS, SEED_RANDOM_SEED, SEED_RANGES, Profile
from provision.clients.render import client_env
from provision.clients.workspace import Workspace
from provision.errors import InputError
from provision.inputs import parse_period
from provision.training import seats
from seed.load import Progress

Phase = Callable[[str], None]


@dataclass(frozen=True)
class SeedSize:
    """How many accounts and months a seed makes, from which random seed, up to which open period."""

    accounts: int = SEED_ACCOUNTS
    months: int = SEED_MONTHS
    seed_value: int = SEED_RANDOM_SEED
    end_period: dt.date | None = None  # None: this month

    @classmethod
    def of(
        cls,
        profile: Profile | None,
        accounts: int | None = None,
        months: int | None = None,
        seed_value: int | None = None,
        end_period: str | None = None,
    ) -> SeedSize:
        """What is given, else the profile's, else the defaults; a given value out of range is refused."""
        base = cls(profile.seed_accounts, profile.seed_months, profile.seed_random_seed) if profile else cls()
        given = {"--accounts": accounts, "--months": months, "--seed": seed_value}
        for (option, value), (low, high) in zip(given.items(), SEED_RANGES.values(), strict=True):
            if value is not None and (isinstance(value, bool) or not low <= value <= high):
                raise InputError(f"{option} {value} is out of range", fix=f"give a whole number from {low} to {high}")
        if profile is not None and accounts is None and base.accounts < 1:
            raise InputError(
                f"{profile.where}: seed.accounts = {base.accounts}, so there is nothing to generate",
                fix="pass --accounts N, or set accounts under [seed]",
            )
        return cls(
            base.accounts if accounts is None else accounts,
            base.months if months is None else months,
            base.seed_value if seed_value is None else seed_value,
            parse_period(end_period),
        )


def seed_data(
    dsn: str, size: SeedSize, *, progress: Progress | None = None, phase: Phase | None = None
) -> seed.SeedResult:
    """Generate and load synthetic books into any database; the old data stays until the new is complete."""
    if size.accounts < 1 or size.months < 1:
        raise InputError("--accounts and --months must be at least 1")
    with user_errors(dsn):
        return seed.seed_database(
            dsn,
            accounts=size.accounts,
            months=size.months,
            seed=size.seed_value,
            end_period=size.end_period,
            progress=progress,
            phase=phase,
        )


def needs_seed(dsn: str) -> bool:
    with user_errors(dsn):
        return not seed.has_data(dsn)


def check_data(dsn: str) -> list[seed.CheckResult]:
    with user_errors(dsn):
        return seed.run_checks(dsn)


@dataclass(frozen=True)
class Seeded:
    """What `provision seed` did: where (the password hidden) and what it loaded."""

    target: str
    result: seed.SeedResult


@dataclass(frozen=True)
class CheckReport:
    """Every invariant of the books, held or violated (or not applying to these data)."""

    results: list[seed.CheckResult]

    @property
    def failed(self) -> list[seed.CheckResult]:
        return [r for r in self.results if not r.ok]

    @property
    def skipped(self) -> int:
        return sum(1 for r in self.results if r.skipped)

    def to_list(self) -> list[dict[str, Any]]:
        return [
            {
                "check": r.name,
                "rule": r.rule,
                "violations": r.violations,
                "skipped": r.skipped or None,
                "sample": [dict(zip(r.columns, row, strict=True)) for row in r.sample],
            }
            for r in self.results
        ]


# -- what the commands call ---------------------------------------------------------------------------
def seed_target(
    workspace: Workspace,
    client: str | None,
    dsn: str | None,
    accounts: int | None = None,
    months: int | None = None,
    seed_value: int | None = None,
    end_period: str | None = None,
    *,
    progress: Progress | None = None,
    phase: Phase | None = None,
) -> Seeded:
    """`provision seed`: re-seed a client (the profile's size unless told; its baseline is replaced once the
    new data is complete, the seats keep theirs) or any database (3000 accounts, 12 months, seed 1)."""
    SeedSize.of(None, accounts, months, seed_value, end_period)  # a wrong option is refused before any lookup
    env = client_env(workspace, client) if client is not None and dsn is None else None
    size = SeedSize.of(env.profile if env else None, accounts, months, seed_value, end_period)  # then the profile's
    url = running_dsn(env) if env is not None else target(workspace, client, dsn)[1]  # then the server is asked
    if env is None:
        return Seeded(hide_password(url), seed_data(url, size, progress=progress, phase=phase))
    with seats.replacing_books(env, "seed") as switched:
        result = seed_data(url, size, progress=progress, phase=phase)
        switched()
    return Seeded(hide_password(url), result)


def check_target(workspace: Workspace, client: str | None, dsn: str | None) -> CheckReport:
    """`provision check`: every invariant of a client's (or any database's) books."""
    env, url = target(workspace, client, dsn)
    if env is not None:
        seats.repaired(env, "check")
    return CheckReport(check_data(url))


def stats_target(workspace: Workspace, client: str | None, dsn: str | None) -> dict[str, Any]:
    """`provision stats`: seed's one-screen summary (a JSON-ready dict)."""
    env, url = target(workspace, client, dsn)
    if env is not None:
        seats.repaired(env, "stats")
    with user_errors(url):
        return seed.collect_stats(url)
