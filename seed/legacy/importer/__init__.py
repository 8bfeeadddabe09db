"""`import load`: a customer's legacy export, anonymized, loaded as the client's books.

The import is a pipeline of small stages over one :class:`~seed.legacy.importer.state.ImportState`
(``pipeline``): accounts and their places (``places``), persons (``persons``), services and meters
(``meters``), readings (``readings``), balances and payments in a second process (``money``), optional
noise (``noise``), and the finish: the reference tables (``finish``). Each stage reads its file through the
one interpretation of an export that the analysis uses too (:mod:`seed.legacy.interpret`), and refuses a row
under the same reason the analysis reports it; a row that repeats the key of one read before, as it is read.

Nothing is kept per row, and per account or meter only ids under 64-bit digests: accounts, persons and meters
are read twice (their originals first, then written), so every original is known before a pseudonym is drawn.

Rows that cannot be loaded are counted by reason with their file and line, and listed in full in a CSV
beside the report; a strict import refuses the whole load if there is even one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg

from seed.legacy.importer.pipeline import run_import
from seed.legacy.importer.state import ImportResult, ImportState, Progress, Pseudonyms
from seed.legacy.interpret import full_name, no_accounts, open_entity
from seed.legacy.leaks import Leak, Originals, scan_leaks
from seed.legacy.mapping import Mapping

__all__ = ["ImportResult", "ImportState", "Pseudonyms", "collect_originals", "import_export", "scan_database"]

ORIGINAL_FIELDS = {
    "accounts": [("number", "account number"), ("els", "ЕЛС")],
    "persons": [("phone", "phone"), ("email", "e-mail"), ("snils", "СНИЛС"), ("inn", "ИНН"), ("passport", "passport")],
    "meters": [("serial", "meter serial")],
}


def import_export(
    dsn: str,
    mapping: Mapping,
    key: bytes,
    *,
    rules: dict[str, str] | None = None,
    strict: bool = False,
    noise: float = 0.0,
    rejected_csv: Path | None = None,
    progress: Progress | None = None,
    phase: Callable[[str], None] | None = None,
) -> ImportResult:
    """Read, anonymize and load an export into ``dsn``'s ``okno`` schema, all or nothing."""
    state = ImportState(mapping, key, rules=rules, noise=noise, progress=progress)
    return run_import(state, dsn, strict=strict, rejected_csv=rejected_csv, phase=phase)


def collect_originals(mapping: Mapping) -> Originals:
    """The personal values of an export, read again (for a leak scan of a database loaded earlier)."""
    originals = Originals()
    for entity, wanted in ORIGINAL_FIELDS.items():
        f = open_entity(mapping, entity)
        if f is None:
            continue
        read = 0
        for _, rec in f.rows:
            read += 1
            v = f.texts(rec)
            for fld, kind in wanted:
                originals.add(kind, v[fld])
            if entity == "persons":
                originals.add_name(*full_name(v))
        if entity == "accounts" and not read:
            raise no_accounts(f)
    return originals


def scan_database(dsn: str, originals: Originals, schema: str = "okno") -> list[Leak]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return scan_leaks(conn, schema, originals)
