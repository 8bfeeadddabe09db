"""A lesson's SQL on a seat's database, as the trainer: its setup (in one transaction, then the trainees'
rights on what it made) and its checks (each statement read-only, stopped after a timeout). Below
:mod:`seats` (a reset during a lesson applies the seat's setup again) and :mod:`classwork`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from provision.clients.render import ClientEnv
from provision.training import lessonstate
from provision.training.lessons import Drawn, Lesson, LessonError, bind
from provision.training.names import Names

CHECK_TIMEOUT_MS = 5000  # a check that takes longer is stopped and counts as not done
SETUP_TIMEOUT_MS = 60_000
GRANTS = (
    "GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA okno TO {}",
    "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA okno TO {}",
)


@contextmanager
def connect(dsn: str, *, read_only: bool, timeout_ms: int, rows: bool = False) -> Iterator[psycopg.Connection[Any]]:
    """The trainer's connection (:func:`open_connection`), closed after."""
    conn = open_connection(dsn, read_only=read_only, timeout_ms=timeout_ms, rows=rows)
    try:
        yield conn
    finally:
        conn.close()


def open_connection(dsn: str, *, read_only: bool, timeout_ms: int, rows: bool = False) -> psycopg.Connection[Any]:
    """The trainer's connection: read-only (every statement its own transaction) or not, each statement
    stopped after ``timeout_ms``; the books' schema first (a work copy has no settings of its own yet)."""
    options = (
        f"-c statement_timeout={timeout_ms} -c default_transaction_read_only={'on' if read_only else 'off'}"
        " -c search_path=okno,public -c lock_timeout=1000"  # a trainee's lock never holds a check up long
    )
    factory: Any = dict_row if rows else None
    return psycopg.connect(dsn, autocommit=True, connect_timeout=10, options=options, row_factory=factory)


class Links:
    """The trainer's read-only connections to a class's seats, kept between looks: the console's board looks
    every two seconds, and a connection made anew each time (its login, its backend's first reads of the
    catalog) costs more than the checks. A connection a reset ended is found broken and made again; one
    unused for :data:`IDLE_SECONDS` is closed by :meth:`close_idle`, and :meth:`close` closes them all. At
    most :data:`KEPT` are kept (the server's connections are the trainees' first: a class of 200 seats
    has half its seats' looked at on new connections)."""

    IDLE_SECONDS = 120.0
    KEPT = 100

    def __init__(self, timeout_ms: int = CHECK_TIMEOUT_MS) -> None:
        self.timeout_ms = timeout_ms
        self._kept: dict[str, tuple[float, psycopg.Connection[Any]]] = {}
        self._lock = threading.Lock()
        self._closed = False

    @contextmanager
    def using(self, dsn: str) -> Iterator[psycopg.Connection[Any]]:
        """A connection to ``dsn`` for this thread alone: a kept one, or a new one; kept again after, if whole."""
        with self._lock:
            found = self._kept.pop(dsn, None)
        if found is not None and found[1].closed:
            found = None
        conn = found[1] if found is not None else open_connection(dsn, read_only=True, timeout_ms=self.timeout_ms)
        try:
            yield conn
        finally:
            self._give_back(dsn, conn)

    def _give_back(self, dsn: str, conn: psycopg.Connection[Any]) -> None:
        whole = not conn.broken and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        with self._lock:
            keep = whole and not self._closed and (dsn in self._kept or len(self._kept) < self.KEPT)
            replaced = self._kept.pop(dsn, None) if keep else None  # two looks at one seat at once: one kept
            if keep:
                self._kept[dsn] = (time.monotonic(), conn)
        if replaced is not None:
            replaced[1].close()
        if not keep:
            conn.close()

    def close_idle(self) -> None:
        cutoff = time.monotonic() - self.IDLE_SECONDS
        with self._lock:
            old = [dsn for dsn, (when, _conn) in self._kept.items() if when < cutoff]
            gone = [self._kept.pop(dsn)[1] for dsn in old]
        for conn in gone:
            conn.close()

    def close(self) -> None:
        """Every kept connection closed, and any given back later (a look that was under way)."""
        with self._lock:
            self._closed = True
            gone = [conn for _when, conn in self._kept.values()]
            self._kept.clear()
        for conn in gone:
            conn.close()


def run(conn: psycopg.Connection[Any], statement: str, drawn: Drawn, where: str, what: str) -> Any:
    """``statement`` with the seat's values (as parameters); its first row, if it gives rows. A failure is
    a :class:`LessonError` naming ``where``."""
    query, values = bind(statement, drawn, where)
    try:
        with psycopg.ClientCursor(conn) as cur:
            cur.execute(query, values)
            return cur.fetchone() if cur.description else None
    except psycopg.errors.ReadOnlySqlTransaction:
        raise LessonError(f"{where}: its check changes data", fix="a check may only read: make it a SELECT") from None
    except psycopg.errors.QueryCanceled:
        seconds = (CHECK_TIMEOUT_MS if what == "check" else SETUP_TIMEOUT_MS) // 1000
        raise LessonError(
            f"{where}: its {what} did not finish in {seconds} s", fix=f"make the {what} faster (an index, fewer rows)"
        ) from None
    except psycopg.Error as exc:
        if conn.broken:  # the connection ended (a reset of the seat), not the statement
            raise
        raise LessonError(f"{where}: its {what} fails: {reason(exc)}", fix=f"correct the {what}") from None


def reason(exc: psycopg.Error) -> str:
    return (exc.diag.message_primary or str(exc)).strip()


def apply_setup(dsn: str, lesson: Lesson, drawn: Drawn, seat: int, trainees: str) -> None:
    """Seat ``seat``'s setup of ``lesson`` in the database ``dsn`` names, all or nothing; then the trainees'
    group (``trainees``) gets its rights on whatever the setup made."""
    with connect(dsn, read_only=False, timeout_ms=SETUP_TIMEOUT_MS) as conn, conn.transaction():
        for number, task in enumerate(lesson.tasks, start=1):
            if task.setup:
                run(conn, task.setup, drawn, f"{lesson.source}: task {number} ({task.id}), seat {seat}", "setup")
        for grant in GRANTS:
            conn.execute(sql.SQL(grant).format(sql.Identifier(trainees)))


def seat_setups(env: ClientEnv, names: Names, dsn_of: Callable[[str], str]) -> dict[str, Callable[[str], None]]:
    """Each seat's setup of the running lesson, by the seat's database: what a reset applies to the seat's
    copy before the swap, so that it goes back to the lesson's start (``dsn_of``: the trainer's DSN of a
    database). None without a lesson."""
    found = lessonstate.seat_setups(env)

    def setup(seat: int) -> Callable[[str], None]:
        lesson, drawn = found[seat]
        return lambda work: apply_setup(dsn_of(work), lesson, drawn, seat, names.trainee_group)

    return {names.seat(k): setup(k) for k in found}
