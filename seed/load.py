"""The all-or-nothing loader: generate in chunks, COPY into a fresh schema, build keys, switch it in.

The new data is written into a schema of its own (``okno_seed_<pid>``) while the current ``okno``
schema stays untouched and usable; only when the load, the keys and the statistics are complete does
one short transaction drop the old schema and rename the new one. A failed or killed seed leaves the
previous data as it was; its half-made schema is removed by the next run.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

import psycopg
from psycopg import sql

from seed import migrate
from seed.errors import SeedBusy
from seed.generate import Chunk, Generator
from seed.months import has_books
from seed.pgbinary import HEADER, TRAILER

SEED_LOCK = 0x0DD0_0C40  # advisory lock: one seed at a time per database
BINARY_TABLES = ["account_service", "charge", "recalculation", "meter_reading", "balance", "payment"]
TEXT_TABLES = ["building", "premise", "account", "person", "account_person", "meter"]
Progress = Callable[[int, int, int], None]  # accounts done, accounts total, rows written
APART_BLOCK = 1 << 20  # bytes read back at a time from the rows a writer put apart
# The free space left on each page of the open month's balances: room for one new version of every row,
# so that a day's payments update them in place (a HOT update: no new index entries, a fraction of the WAL).
OPEN_FILLFACTOR = 45


@dataclass
class SeedResult:
    accounts: int
    months: int
    seed: int
    end_period: dt.date
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def has_data(dsn: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return has_books(conn)


class _Writer(threading.Thread):
    """One COPY of one table on its own connection, fed by a bounded queue.

    Rows put ``apart`` wait in an unlinked file (nothing left behind by a kill) and are COPYed last, in the
    same transaction, after the table's fillfactor is set to :data:`OPEN_FILLFACTOR`: they fill pages of
    their own with room for one new version of each row."""

    def __init__(self, dsn: str, schema: str, table: str, binary: bool, depth: int = 3) -> None:
        super().__init__(name=f"copy-{table}", daemon=True)
        self.dsn, self.schema, self.table, self.binary = dsn, schema, table, binary
        self.queue: queue.Queue[tuple[bytes | str, bool] | None] = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.ended = False  # the producer's end of stream was taken from the queue

    def run(self) -> None:
        try:
            with psycopg.connect(self.dsn) as conn, tempfile.TemporaryFile(prefix="okno-apart-") as apart:
                target = sql.Identifier(self.schema, self.table)
                # TRUNCATE in the same transaction lets COPY FREEZE skip WAL (wal_level=minimal) and
                # later vacuum work.
                conn.execute(sql.SQL("TRUNCATE {}").format(target))
                self.copy(conn, self.taken(apart))
                if apart.tell():
                    conn.execute(
                        sql.SQL("ALTER TABLE {} SET (fillfactor = {})").format(target, sql.Literal(OPEN_FILLFACTOR))
                    )
                    apart.seek(0)
                    self.copy(conn, iter(lambda: apart.read(APART_BLOCK), b""))
        except BaseException as exc:  # reported by the main thread
            self.error = exc
            while not self.ended and self.queue.get() is not None:  # drain so the producer never blocks
                pass

    def taken(self, apart: IO[bytes]) -> Iterator[bytes | str]:
        """The queue's items until its end; those put apart go to ``apart`` instead."""
        while (item := self.queue.get()) is not None:
            data, aside = item
            if aside:
                apart.write(data if isinstance(data, bytes) else data.encode())
            else:
                yield data
        self.ended = True

    def copy(self, conn: psycopg.Connection, items: Iterable[bytes | str]) -> None:
        target = sql.Identifier(self.schema, self.table)
        fmt = sql.SQL("binary") if self.binary else sql.SQL("text")
        with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN (FORMAT {}, FREEZE)").format(target, fmt)) as copy:
            if self.binary:
                copy.write(HEADER)
            for item in items:
                copy.write(item)
            if self.binary:
                copy.write(TRAILER)

    def put(self, item: bytes | str, apart: bool = False) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put((item, apart))


def copy_rows(conn: psycopg.Connection, schema: str, table: str, rows: Iterable[tuple[Any, ...]]) -> int:
    count = 0
    with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN").format(sql.Identifier(schema, table))) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def set_autovacuum(conn: psycopg.Connection, schema: str, enabled: bool) -> None:
    """Keep autovacuum off the tables while they load; the loader runs VACUUM ANALYZE itself."""
    tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))]
    for table in tables:
        target = sql.Identifier(schema, table)
        if enabled:
            conn.execute(sql.SQL("ALTER TABLE {} RESET (autovacuum_enabled)").format(target))
        else:
            conn.execute(sql.SQL("ALTER TABLE {} SET (autovacuum_enabled = false)").format(target))


def drop_stale_schemas(conn: psycopg.Connection) -> list[str]:
    stale = [
        r[0]
        for r in conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'okno\\_seed\\_%' OR nspname = 'okno_old'"
        )
    ]
    for name in stale:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))
    return stale


@contextmanager
def streaming(dsn: str, schema: str, tables: dict[str, bool], depth: int = 3) -> Iterator[dict[str, _Writer]]:
    """One COPY writer per table (binary or text, as ``tables`` says), each on its own connection, up to
    ``depth`` items waiting for each; the streams end when the block does, and the first writer's error is
    raised then."""
    writers = {t: _Writer(dsn, schema, t, binary, depth) for t, binary in tables.items()}
    for writer in writers.values():
        writer.start()
    try:
        yield writers
    finally:
        for writer in writers.values():
            writer.queue.put(None)
        for writer in writers.values():
            writer.join()
    errors = [w.error for w in writers.values() if w.error is not None]
    if errors:
        raise errors[0]


def copy_chunks(dsn: str, schema: str, chunks: Iterable[Chunk], after: Callable[[Chunk], None] | None = None) -> None:
    """Stream every chunk's tables into ``schema``: one COPY per table, each on its own connection."""
    tables = {**{t: True for t in BINARY_TABLES}, **{t: False for t in TEXT_TABLES}}
    # A chunk's payloads are large (some 30 MB for 2,000 accounts): one waiting per table besides the one
    # being written keeps the writers busy, and the memory at three chunks whatever the size of the books.
    with streaming(dsn, schema, tables, depth=1) as writers:
        for chunk in chunks:
            parts: list[tuple[str, bytes | str]] = [*chunk.binary.items(), *chunk.text.items()]
            for table, data in parts:
                if data:
                    writers[table].put(data)
            for table, rows in chunk.apart.items():
                if rows:
                    writers[table].put(rows, apart=True)
            if after:
                after(chunk)


def begin_load(admin: psycopg.Connection) -> str:
    """Take the one-load-at-a-time lock, clear what a killed load left, and create the empty tables of a
    new working schema (no keys yet); returns its name."""
    if not admin.execute("SELECT pg_try_advisory_lock(%s)", (SEED_LOCK,)).fetchone()[0]:  # type: ignore[index]
        raise SeedBusy("another load of this database is running; wait for it to finish")
    drop_stale_schemas(admin)
    work = f"okno_seed_{os.getpid()}"
    admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(work)))
    migrate.apply(admin, work, upto=1)
    set_autovacuum(admin, work, False)
    return work


def abandon_load(admin: psycopg.Connection, work: str) -> None:
    """Drop a working schema that will not be switched in; the current data stays as it was."""
    admin.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(work)))
    admin.execute("SELECT pg_advisory_unlock(%s)", (SEED_LOCK,))


ID_TABLES = (
    "supplier",
    "tariff",
    "norm",
    "building",
    "premise",
    "account",
    "person",
    "meter",
    "payment_registry",
    "payment",
)


def make_room_for_payments(admin: psycopg.Connection, work: str) -> None:
    """Move the open month's balance rows to pages of their own, filled to :data:`OPEN_FILLFACTOR` percent.

    Payments (a registry, an assignment) change the open month's balances and nothing else of them. Loaded
    among twelve months of history, those rows share every page with closed months, pages packed full: each
    update then writes its row to a new page with new entries in every index, and a registry of 100,000
    lines rewrites a third of the table. Apart and with room, each update stays on its page. The table keeps
    the setting, so the months opened later get the same room."""
    admin.execute(
        sql.SQL("ALTER TABLE {} SET (fillfactor = {})").format(
            sql.Identifier(work, "balance"), sql.Literal(OPEN_FILLFACTOR)
        )
    )
    admin.execute(
        sql.SQL(
            "WITH moved AS (DELETE FROM {balance} WHERE period = (SELECT max(period) FROM {periods} "
            "WHERE status = 'open') RETURNING *) INSERT INTO {balance} SELECT * FROM moved"
        ).format(balance=sql.Identifier(work, "balance"), periods=sql.Identifier(work, "billing_period"))
    )


def finish_load(
    dsn: str,
    admin: psycopg.Connection,
    work: str,
    info: dict[str, Any],
    seconds: dict[str, float],
    phase: Callable[[str], None] | None = None,
    before_switch: Callable[[], None] | None = None,
    room_made: bool = False,
    summary: dict[str, list[tuple[Any, ...]]] | None = None,
) -> None:
    """Keys and indexes, statistics, identity sequences, a ``seed_info`` row; then ``before_switch`` (which
    may still refuse by raising) and the switch-in. ``room_made``: the open month's balances were loaded
    apart already (see :class:`_Writer`), so they need not be moved. ``summary``: the statistics' summary
    rows by ``stat_*`` table, known already (the generator sums them): COPYed, never computed from the books.
    Without it (an import), the summary is computed beside the tables' ANALYZE, on the other connection,
    rather than alone in the migration that makes its tables."""
    mark = time.monotonic()
    if not room_made:
        make_room_for_payments(admin, work)
    if phase:
        phase("building keys and indexes")
    migrate.apply(admin, work, parallel_dsn=dsn, settings={"okno.summary": "given"})
    for table, rows in (summary or {}).items():
        copy_rows(admin, work, table, rows)
    seconds["keys"] = time.monotonic() - mark
    mark = time.monotonic()
    if phase:
        phase("vacuum and analyze")
    admin.execute(
        sql.SQL(
            "CREATE TABLE {}.seed_info (origin text NOT NULL, accounts int, months int, seed int, end_period date, "
            "generated_at timestamptz NOT NULL DEFAULT now())"
        ).format(sql.Identifier(work))
    )
    admin.execute(
        sql.SQL(
            "INSERT INTO {}.seed_info (origin, accounts, months, seed, end_period) VALUES (%s, %s, %s, %s, %s)"
        ).format(sql.Identifier(work)),
        (
            info.get("origin", "synthetic"),
            info.get("accounts"),
            info.get("months"),
            info.get("seed"),
            info.get("end_period"),
        ),
    )
    tables = [r[0] for r in admin.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (work,))]
    # Over the key builder's connections, biggest tables first: on two cores, two tables are sampled at once.
    statements = [sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(t)).as_string(admin) for t in tables]
    if summary is None:  # last of them (it names no table), when the books it reads are sampled already
        statements.append(sql.SQL("SELECT stat_refresh({})").format(sql.Literal(work)).as_string(admin))
    migrate.apply_parallel(dsn, work, statements)
    set_autovacuum(admin, work, True)
    for table in ID_TABLES:
        admin.execute(
            sql.SQL("SELECT setval(pg_get_serial_sequence(%s, 'id'), coalesce(max(id), 0) + 1, false) FROM {}").format(
                sql.Identifier(work, table)
            ),
            (f"{work}.{table}",),
        )
    seconds["analyze"] = time.monotonic() - mark
    if before_switch:
        before_switch()
    mark = time.monotonic()
    switch_in(admin, work)
    seconds["switch"] = time.monotonic() - mark
    admin.execute("SELECT pg_advisory_unlock(%s)", (SEED_LOCK,))


def seed_database(
    dsn: str,
    *,
    accounts: int,
    months: int = 12,
    seed: int = 1,
    end_period: dt.date | None = None,
    chunk_accounts: int = 2000,
    progress: Progress | None = None,
    phase: Callable[[str], None] | None = None,
) -> SeedResult:
    """Generate and load a client's books into ``dsn``; replace the ``okno`` schema only when complete."""
    end_period = end_period or dt.date.today().replace(day=1)
    result = SeedResult(accounts, months, seed, end_period)
    started = time.monotonic()
    with psycopg.connect(dsn, autocommit=True) as admin:
        work = begin_load(admin)
        gen = Generator(seed, accounts, months, end_period, chunk_accounts)
        for table, rows in gen.reference_rows().items():
            result.rows[table] = copy_rows(admin, work, table, rows)

        done = 0

        def counted(chunk: Chunk) -> None:
            nonlocal done
            for table, count in chunk.rows.items():
                result.rows[table] = result.rows.get(table, 0) + count
            done += chunk.rows["account"]
            if progress:
                progress(done, accounts, result.total_rows)

        copy_chunks(dsn, work, gen.chunks(), counted)
        result.rows["payment_registry"] = copy_rows(admin, work, "payment_registry", gen.registry_rows())
        result.seconds["load"] = time.monotonic() - started
        info = {"origin": "synthetic", "accounts": accounts, "months": months, "seed": seed, "end_period": end_period}
        finish_load(dsn, admin, work, info, result.seconds, phase, room_made=True, summary=gen.summary_rows())
    result.seconds["total"] = time.monotonic() - started
    return result


def switch_in(conn: psycopg.Connection, work: str) -> None:
    """In one transaction: the finished schema becomes ``okno``; the old one is dropped."""
    with conn.transaction():
        conn.execute("DROP SCHEMA IF EXISTS okno CASCADE")
        conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO okno").format(sql.Identifier(work)))
    database = conn.info.dbname
    owner = conn.execute(
        "SELECT pg_get_userbyid(datdba) = current_user OR (SELECT rolsuper FROM pg_roles "
        "WHERE rolname = current_user) FROM pg_database WHERE datname = current_database()"
    ).fetchone()
    if owner and owner[0]:
        conn.execute(sql.SQL("ALTER DATABASE {} SET search_path TO okno, public").format(sql.Identifier(database)))
