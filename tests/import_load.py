"""What the import-load tests share (tests/test_import_load.py: the standard layout, privacy and refusals;
tests/test_import_load_shapes.py: exports in other shapes): synthetic books exported in the legacy layout,
their balances and control totals, and reading and writing the export's cp1251 files."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
import pytest

from seed import seed_database
from seed.legacy.export import export_standard

ENC = "cp1251"
KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


def query(dsn: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchall()


# The months of the export (through 2026-11); the import opens 2026-12 on their closing balances.
EXPORTED = "b.period <= '2026-11-01'"
BALANCES = (
    "SELECT s.code, b.period, b.opening, b.charged, b.recalculated, b.paid, b.closing FROM okno.balance b "
    f"JOIN okno.service s ON s.id = b.service_id WHERE {EXPORTED}"
)
TOTALS = (
    "SELECT s.code, b.period, sum(b.opening), sum(b.charged + b.recalculated), sum(b.paid), sum(b.closing) "
    f"FROM okno.balance b JOIN okno.service s ON s.id = b.service_id WHERE {EXPORTED} GROUP BY 1, 2 ORDER BY 1, 2"
)
OPENED = (  # the open month's balances against the last exported month's: (rows, rows carried over as they were)
    "SELECT count(*), count(*) FILTER (WHERE b.opening = p.closing AND b.closing = p.closing AND b.charged = 0 "
    "AND b.paid = 0) FROM okno.balance b JOIN okno.balance p ON p.account_id = b.account_id "
    "AND p.service_id = b.service_id AND p.period = '2026-11-01' WHERE b.period = '2026-12-01'"
)


def seeded_export(pg_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Synthetic books seeded and exported in the standard layout, with the figures a load must give back."""
    seed_database(pg_dsn, accounts=400, months=6, seed=41, end_period=dt.date(2026, 11, 1))
    folder = tmp_path_factory.mktemp("export")
    export_standard(pg_dsn, folder)
    return {
        "folder": folder,
        "balances": Counter(query(pg_dsn, BALANCES)),
        "totals": query(pg_dsn, TOTALS),
        "payments": query(pg_dsn, "SELECT count(*), sum(amount) FROM okno.payment")[0],
        "readings": query(pg_dsn, "SELECT count(*), sum(value1) FROM okno.meter_reading")[0],
        "persons": query(pg_dsn, "SELECT count(*) FROM okno.account_person")[0][0],
        "meters": query(pg_dsn, "SELECT count(*) FROM okno.meter")[0][0],
    }


def copy_export(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def lines(path: Path) -> list[list[str]]:
    return [line.split(";") for line in path.read_bytes().decode(ENC).split("\r\n") if line]


def save(path: Path, rows: list[list[str]]) -> None:
    path.write_bytes(("\r\n".join(";".join(r) for r in rows) + "\r\n").encode(ENC))
