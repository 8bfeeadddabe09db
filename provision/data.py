"""A client's data: seed, check and summarise it, by client name or by any PostgreSQL DSN."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import psycopg

if TYPE_CHECKING:
    import seed
    import seed.load
from provision.errors import EnvironmentProblem, InputError
from provision.secrets import read_password
from provision.workspace import Workspace


def hide_password(dsn: str) -> str:
    return re.sub(r"(://[^:/@]+:)[^@]+@", r"\1***@", re.sub(r"password=\S+", "password=***", dsn))


def resolve_dsn(workspace: Workspace, client: str | None, dsn: str | None) -> str:
    """The DSN of a running client's database, or the one given; exactly one of them."""
    if bool(client) == bool(dsn):
        raise InputError(
            "name a client or give --dsn, not both and not neither",
            fix="e.g. `provision seed demo` or `provision seed --dsn postgresql://user@host/db`",
        )
    if dsn:
        return dsn
    assert client is not None
    from provision.lifecycle import db_container
    from provision.render import client_env

    env = client_env(workspace, client)
    container = db_container(env)
    if container is None or container.status != "running":
        raise EnvironmentProblem(f"the database of {client!r} is not running", fix=f"`provision up {client}`")
    return env.dsn(read_password(env.password_file))


def guarded(dsn: str, action: Callable[[], Any]) -> Any:
    import seed

    try:
        return action()
    except psycopg.OperationalError as exc:
        reason = hide_password(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        raise EnvironmentProblem(
            f"cannot use the database {hide_password(dsn)}: {reason}",
            fix="check that it runs and the DSN is right",
        ) from None
    except seed.SeedBusy as exc:
        raise EnvironmentProblem(str(exc)) from None
    except seed.NoData as exc:
        raise InputError(str(exc), fix="`provision seed CLIENT` or `provision seed --dsn DSN`") from None


def parse_period(text: str | None) -> dt.date | None:
    if text is None:
        return None
    match = re.match(r"^(\d{4})-(\d{2})$", text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InputError(f"--end-period {text!r} is not a month", fix="write it as YYYY-MM, e.g. 2026-11")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def seed_data(
    dsn: str,
    *,
    accounts: int,
    months: int,
    seed_value: int,
    end_period: dt.date | None,
    progress: seed.load.Progress | None = None,
    phase: Callable[[str], None] | None = None,
) -> seed.SeedResult:
    import seed

    if accounts < 1 or months < 1:
        raise InputError("--accounts and --months must be at least 1")
    return guarded(  # type: ignore[no-any-return]
        dsn,
        lambda: seed.seed_database(
            dsn,
            accounts=accounts,
            months=months,
            seed=seed_value,
            end_period=end_period,
            progress=progress,
            phase=phase,
        ),
    )


def check_data(dsn: str, only: list[str] | None = None) -> list[seed.CheckResult]:
    import seed

    return guarded(dsn, lambda: seed.run_checks(dsn, only))  # type: ignore[no-any-return]


def stats_data(dsn: str) -> dict[str, Any]:
    import seed

    return guarded(dsn, lambda: seed.collect_stats(dsn))  # type: ignore[no-any-return]


def needs_seed(dsn: str) -> bool:
    import seed

    return not guarded(dsn, lambda: seed.has_data(dsn))


def up_and_seed(
    workspace: Workspace,
    client: str,
    *,
    build: bool,
    progress: Callable[[str], None],
    seed_progress: seed.load.Progress | None = None,
    phase: Callable[[str], None] | None = None,
) -> tuple[Any, seed.SeedResult | dict[str, Any] | None]:
    """`provision up`: bring the database up, seed it from the profile if it holds no data yet, freeze
    the baseline and make the trainees' seats match the profile."""
    from provision.lifecycle import up
    from provision.training import serialized, trainer_for

    result = up(workspace, client, build=build, progress=progress)
    profile = result.env.profile
    dsn = result.dsn_with_password()
    seeded = None
    empty = needs_seed(dsn)
    if profile.seed_mode == "synthetic" and profile.seed_accounts > 0 and empty:
        progress(
            f"seeding {profile.seed_accounts} accounts x {profile.seed_months} months (seed {profile.seed_random_seed})"
        )
        seeded = seed_data(
            dsn,
            accounts=profile.seed_accounts,
            months=profile.seed_months,
            seed_value=profile.seed_random_seed,
            end_period=None,
            progress=seed_progress,
            phase=phase,
        )
    if profile.seed_mode == "import" and empty:
        from provision.legacy import load_export

        folder = profile.seed_path(profile.seed_export)
        if folder is None:
            raise InputError(
                f"{profile.where}: seed.mode = 'import' but seed.export is not set",
                fix='set export = "PATH/TO/EXPORT" under [seed], or run `provision import load CLIENT PATH`',
            )
        progress(f"importing the export {folder} (anonymized)")
        return result, load_export(
            workspace, client, folder, profile.seed_path(profile.seed_mapping), phase=lambda m: progress(f"  {m}")
        )  # load_export froze the baseline and made the seats
    if seeded is not None or not empty:
        with serialized(workspace, client):
            trainer = trainer_for(workspace, client)
            if seeded is not None or not trainer.has_baseline():
                progress("freezing the baseline")
                trainer.freeze_baseline()
            trainer.sync_seats()
    return result, seeded


def seed_client(workspace: Workspace, client: str, **kwargs: Any) -> seed.SeedResult:
    """Re-seed a client; its baseline is replaced once the new data is complete (seats keep theirs)."""
    from provision.training import serialized, trainer_for

    result = seed_data(resolve_dsn(workspace, client, None), **kwargs)
    with serialized(workspace, client):
        trainer = trainer_for(workspace, client)
        trainer.freeze_baseline()
        trainer.sync_seats()
    return result
