"""`provision up`: a client's database started, its books seeded or imported on first start, the baseline
frozen and the trainees' seats made to match the profile."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import seed
from provision.books.legacy import ImportReport, Load, anonymization_key, load_export
from provision.books.seeding import SeedSize, needs_seed, seed_data
from provision.clients import lifecycle
from provision.clients.lifecycle import UpResult
from provision.clients.profile import Profile, load_profile
from provision.clients.workspace import Workspace
from provision.errors import InputError
from provision.training import seats
from seed.load import Progress


@dataclass(frozen=True)
class UpReport:
    """The running database, and what was loaded into it on this start (nothing when it held books)."""

    up: UpResult
    seeded: seed.SeedResult | None = None
    imported: ImportReport | None = None


def _import_source(profile: Profile) -> Path | None:
    """The export folder of a profile whose [seed] mode is "import" (checked with its mapping file)."""
    folder = profile.seed_path(profile.seed_export)
    if profile.seed_mode != "import":
        return None
    if folder is None:
        raise InputError(
            f"{profile.where}: seed.mode = 'import' but seed.export is not set",
            fix='set export = "PATH/TO/EXPORT" under [seed], or run `provision import load CLIENT PATH`',
        )
    mapping = profile.seed_path(profile.seed_mapping)
    if not folder.is_dir() or (mapping is not None and not mapping.is_file()):
        missing = folder if not folder.is_dir() else mapping
        raise InputError(
            f"{profile.where}: seed.export or seed.mapping names {missing}, which is not there",
            fix="correct the path under [seed] (relative to the profile's folder)",
        )
    return folder


def up_client(
    workspace: Workspace,
    client: str,
    *,
    build: bool = False,
    progress: Callable[[str], None] = lambda _line: None,
    seed_progress: Progress | None = None,
    phase: Callable[[str], None] | None = None,
) -> UpReport:
    """Bring the database up, seed it from the profile (or import the profile's export) if it holds no
    data yet, freeze the baseline and make the trainees' seats match the profile."""
    profile = load_profile(workspace, client)  # once: passed down
    key = workspace.files(client).anonymization_key
    if _import_source(profile) and key.exists():
        anonymization_key(key)  # a wrong [seed] export or key: refused before anything starts
    result = lifecycle.up(workspace, client, build=build, progress=progress, profile=profile)
    env = result.env
    profile = env.profile
    dsn = result.dsn_with_password()
    with seats.serialized(env, "up", progress):  # first of all, what a killed command left is repaired
        empty = needs_seed(dsn)
        if profile.seed_mode == "import" and empty:
            folder = _import_source(profile) or Path()
            progress(f"importing the export {folder} (anonymized)")
            load = Load(folder, profile.seed_path(profile.seed_mapping), phase=lambda m: progress(f"  {m}"))
            imported = load_export(env, dsn, load)
            return UpReport(result, imported=imported)  # load_export froze the baseline and made the seats
        if profile.seed_mode == "synthetic" and profile.seed_accounts > 0 and empty:
            progress(
                f"seeding {profile.seed_accounts} accounts x {profile.seed_months} months "
                f"(seed {profile.seed_random_seed})"
            )
            with seats.replacing_books(env, "up", progress) as switched:
                seeded = seed_data(dsn, SeedSize.of(profile), progress=seed_progress, phase=phase)
                switched()
            return UpReport(result, seeded=seeded)
        if not empty:
            seats.freeze_and_sync(env, keep_existing=True, progress=progress)
    return UpReport(result)
