"""A lesson on a client's seats: started (each seat's own start, with its own drawn values), checked (each
task on each seat, read-only, as the trainer), stopped, reported. What `provision lesson` and the console
call.

Starting is all or nothing: every seat's start is made aside from the baseline (its setup applied, the
trainees' rights given on what the setup made) and every check tried on the first one, read-only, before
any seat changes; a failure anywhere drops them all and names the seat, the task and the cause. Then the
starts are sealed as templates (``{stem}__lessonNN``) and every seat is reset to its own, which is also
where a reset of that seat goes while the lesson runs (:func:`seats.reset_client`). A kill at any moment
is undone by the next command (the journal names the copies being made; :meth:`seats.Trainer.recover`).
"""

from __future__ import annotations

import csv
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from provision.clients.profile import load_profile
from provision.clients.render import ClientEnv, env_for
from provision.clients.workspace import Workspace
from provision.errors import InputError
from provision.training import copies, lessons, lessonstate
from provision.training.lessons import Lesson, LessonError
from provision.training.seats import COPIERS, Trainer, operation, repaired
from seed.outfile import output, output_text

CHECK_TIMEOUT_MS = 5000  # a check that takes longer is stopped and counts as not done
SETUP_TIMEOUT_MS = 60_000
CHECKERS = 8  # seats checked at once
GRANT_TABLES = "GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA okno TO {}"
Say = Callable[[str], None]


# -- which lessons -------------------------------------------------------------------------------------
def lesson_files(env: ClientEnv) -> dict[str, Path]:
    return lessons.lesson_files(env.files.lessons)


def available(workspace: Workspace, client: str) -> list[tuple[str, Lesson | LessonError]]:
    """`lesson list`: every lesson the client can start, each read (a wrong file with its error)."""
    env = env_for(workspace, load_profile(workspace, client))
    found: list[tuple[str, Lesson | LessonError]] = []
    for name, path in lesson_files(env).items():
        try:
            found.append((name, lessons.read_lesson(path)))
        except LessonError as exc:
            found.append((name, exc))
    return found


def find(env: ClientEnv, name: str) -> Lesson:
    files = lesson_files(env)
    if name not in files:
        raise InputError(
            f"client {env.client!r} has no lesson {name!r}",
            fix=f"lessons: {', '.join(files) or 'none'} (a client's own go in {env.files.lessons})",
        )
    return lessons.read_lesson(files[name])


# -- start -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Started:
    lesson: Lesson
    seats: int
    seconds: float
    stopped: str | None  # the lesson that was running before, now stopped


def start(workspace: Workspace, client: str, name: str, *, say: Say | None = None) -> Started:
    """`lesson start`: every seat to its own start of lesson ``name`` (any running lesson stopped)."""
    began = time.monotonic()
    env = env_for(workspace, load_profile(workspace, client))
    lesson = find(env, name)
    count = env.profile.seats
    if count < 1:
        raise InputError(f"client {client!r} has no seats", fix="set [training] seats = N in its profile")
    with operation(env, "lesson start", say) as kept:
        trainer = Trainer.of(env)
        names = trainer.names
        start_id = uuid.uuid4().hex
        works = {k: names.lesson(k) + "__new" for k in range(1, count + 1)}
        starts = {k: names.lesson(k) for k in works}
        kept.step("lesson:copies", lesson_copies=list(works.values()), lesson_id=start_id)
        with trainer.admin() as conn:
            if not copies.exists(conn, names.baseline):
                raise InputError(f"no baseline for {client!r} yet", fix=f"seed it first: `provision up {client}`")
        if say:
            say(f"copying the baseline for {count} seats")
        _each(trainer, list(works.values()), lambda conn, work: copies.open_copy(conn, names.baseline, work))
        try:
            drawn = _prepare(trainer, lesson, works, say)
        except BaseException:
            with trainer.admin() as conn:
                for work in works.values():
                    copies.drop(conn, work)
            raise
        # from here on the running lesson (if any) is replaced: a kill is undone by dropping every start
        previous = lessonstate.read(env)
        lessonstate.remove(env)
        kept.step("lesson:seal", lesson_copies=[*works.values(), *starts.values()])
        with trainer.admin() as conn:
            _drop_lesson_copies(conn, trainer, keep=[*works.values(), *starts.values()])
        _each(trainer, list(works), lambda conn, k: copies.seal(conn, works[k], starts[k]))
        if say:
            say(f"resetting {count} seats to the lesson's start")
        kept.step("lesson:seats")
        seat_dbs: list[tuple[str, str | None]] = [(names.seat(k), names.seat(k)) for k in works]
        trainer.reset(chosen=seat_dbs, sources={names.seat(k): starts[k] for k in works})
        running = lessonstate.Running(
            id=start_id,
            lesson=lesson.name,
            file=lesson.source,
            started=lessonstate.now(),
            seats=count,
            values={str(k): {n: lessonstate.encode(v) for n, v in d.values.items()} for k, d in drawn.items()},
            names=previous.names if previous else {},
        )
        lessonstate.write(env, running)
    return Started(lesson, count, time.monotonic() - began, previous.lesson if previous else None)


def _prepare(trainer: Trainer, lesson: Lesson, works: dict[int, str], say: Say | None) -> dict[int, lessons.Drawn]:
    """Each seat's values drawn, its setup applied in its copy, every check tried on the first."""
    first = works[min(works)]
    with _connect(trainer, first, read_only=True, timeout_ms=SETUP_TIMEOUT_MS, rows=True) as conn:
        candidates: dict[str, list[dict[str, Any]]] = {}
        for param in lesson.params:
            if param.query is not None:
                candidates[param.name] = _fetch(conn, param.query, f"{lesson.source}: params.{param.name}")
    drawn = {k: lessons.draw(lesson, k, candidates) for k in works}
    if say:
        say(f"applying the setup of {lesson.name!r} to {len(works)} seats")
    group = sql.Identifier(trainer.names.trainee_group)

    def set_up(k: int) -> None:
        with _connect(trainer, works[k], read_only=False, timeout_ms=SETUP_TIMEOUT_MS) as conn, conn.transaction():
            for number, task in enumerate(lesson.tasks, start=1):
                if task.setup:
                    where = f"{lesson.source}: task {number} ({task.id}), seat {k}"
                    _run(conn, task.setup, drawn[k], where, "setup")
            conn.execute(sql.SQL(GRANT_TABLES).format(group))
            conn.execute(sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA okno TO {}").format(group))

    with ThreadPoolExecutor(max_workers=min(CHECKERS, len(works))) as pool:
        list(pool.map(set_up, works))
    with _connect(trainer, first, read_only=True, timeout_ms=CHECK_TIMEOUT_MS) as conn:
        for number, task in enumerate(lesson.tasks, start=1):
            result = _run(conn, task.check, drawn[min(works)], f"{lesson.source}: task {number} ({task.id})", "check")
            if result is None or len(result) not in (1, 2):
                raise LessonError(
                    f"{lesson.source}: task {number} ({task.id}): its check gives no row of (done, hint)",
                    fix="make the check one SELECT of a boolean, and a hint in Russian for when it is false",
                )
    return drawn


def _each(trainer: Trainer, items: list[Any], act: Callable[[psycopg.Connection, Any], None]) -> None:
    """``act`` on every item, over as many connections at once as a reset copies on (their flushes overlap)."""
    copiers = COPIERS[trainer.env.storage.method]
    parts = [items[k::copiers] for k in range(copiers) if items[k::copiers]]

    def run(part: list[Any]) -> None:
        with trainer.admin() as conn:
            for item in part:
                act(conn, item)

    with ThreadPoolExecutor(max_workers=len(parts)) as pool:
        list(pool.map(run, parts))


def _drop_lesson_copies(conn: psycopg.Connection, trainer: Trainer, keep: Sequence[str] = ()) -> None:
    found = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (trainer.names.lesson_like,))
    for name in [str(name) for (name,) in found if name not in keep]:
        copies.drop(conn, name)


@contextmanager
def _connect(
    trainer: Trainer, database: str, *, read_only: bool, timeout_ms: int, rows: bool = False
) -> Iterator[psycopg.Connection[Any]]:
    """The trainer's connection to ``database``: read-only (every statement's own transaction) or not, each
    statement stopped after ``timeout_ms``."""
    options = f"-c statement_timeout={timeout_ms} -c default_transaction_read_only={'on' if read_only else 'off'}"
    factory: Any = dict_row if rows else None
    conn = psycopg.connect(
        trainer.dsn(database), autocommit=True, connect_timeout=10, options=options, row_factory=factory
    )
    try:
        yield conn
    finally:
        conn.close()


def _fetch(conn: psycopg.Connection[Any], query: str, where: str) -> list[dict[str, Any]]:
    try:
        return list(conn.execute(query).fetchall())
    except psycopg.Error as exc:
        raise LessonError(
            f"{where}: its query fails: {_reason(exc)}", fix="correct the query in the lesson file"
        ) from None


def _run(conn: psycopg.Connection[Any], statement: str, drawn: lessons.Drawn, where: str, what: str) -> Any:
    """``statement`` with the seat's values; a failure as a :class:`LessonError` naming ``where``."""
    query, values = lessons.bind(statement, drawn, where)
    try:
        with psycopg.ClientCursor(conn) as cur:
            cur.execute(query, values)
            return cur.fetchone() if cur.description else None
    except psycopg.errors.ReadOnlySqlTransaction:
        raise LessonError(f"{where}: its check changes data", fix="a check may only read: make it a SELECT") from None
    except psycopg.errors.QueryCanceled:
        raise LessonError(
            f"{where}: its {what} did not finish in {(CHECK_TIMEOUT_MS if what == 'check' else SETUP_TIMEOUT_MS) // 1000} s",  # noqa: E501
            fix=f"make the {what} faster (an index, a narrower query)",
        ) from None
    except psycopg.Error as exc:
        raise LessonError(
            f"{where}: its {what} fails: {_reason(exc)}", fix=f"correct the {what} in the lesson file"
        ) from None


def _reason(exc: psycopg.Error) -> str:
    return (exc.diag.message_primary or str(exc)).strip()


# -- status ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TaskResult:
    task: str
    done: bool
    when: str | None
    hint: str | None  # why not done, the lesson's words (or the check's failure)


@dataclass(frozen=True)
class SeatProgress:
    seat: int
    name: str
    tasks: list[TaskResult]
    points: int
    reachable: bool = True

    @property
    def done(self) -> int:
        return sum(t.done for t in self.tasks)

    @property
    def last(self) -> TaskResult | None:
        finished = [t for t in self.tasks if t.done and t.when]
        return max(finished, key=lambda t: t.when or "") if finished else None


@dataclass(frozen=True)
class Board:
    lesson: Lesson
    started: str
    seats: list[SeatProgress] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "lesson": self.lesson.name,
            "title": self.lesson.title,
            "started": self.started,
            "points": self.lesson.points,
            "tasks": [{"id": t.id, "title": t.title, "points": t.points} for t in self.lesson.tasks],
            "seats": [
                {
                    "seat": s.seat,
                    "name": s.name,
                    "reachable": s.reachable,
                    "done": s.done,
                    "points": s.points,
                    "tasks": [{"task": t.task, "done": t.done, "when": t.when, "hint": t.hint} for t in s.tasks],
                }
                for s in self.seats
            ],
            "seconds": round(self.seconds, 3),
        }


def running_lesson(env: ClientEnv) -> tuple[lessonstate.Running, Lesson]:
    running = lessonstate.read(env)
    if running is None:
        raise InputError(
            f"no lesson runs on {env.client!r}", fix=f"start one: `provision lesson start {env.client} NAME`"
        )
    return running, lessons.read_lesson(Path(running.file))


def status(workspace: Workspace, client: str, seats: Sequence[int] | None = None) -> Board:
    """`lesson status`: every task checked on every seat (or on ``seats``), the ticks kept with when each
    was first seen."""
    began = time.monotonic()
    env = repaired(env_for(workspace, load_profile(workspace, client)), "lesson status")
    running, lesson = running_lesson(env)
    trainer = Trainer.of(env)
    wanted = sorted(int(k) for k in running.values if seats is None or int(k) in seats)
    with ThreadPoolExecutor(max_workers=max(1, min(CHECKERS, len(wanted)))) as pool:
        checked = dict(zip(wanted, pool.map(lambda k: _check_seat(trainer, lesson, running, k), wanted), strict=True))
    with lessonstate.changing(env) as kept:
        if kept is None or kept.id != running.id:
            raise InputError(f"the lesson on {client!r} was stopped meanwhile", fix="ask again")
        now = lessonstate.now()
        board = []
        for k, results in checked.items():
            ticks = kept.done.setdefault(str(k), {})
            reachable = results is not None
            if results is None:  # the seat is being reset: what was seen last stands until it answers
                results = {t.id: (t.id in ticks, UNREACHABLE) for t in lesson.tasks}
            else:
                for task_id, (ok, _hint) in results.items():
                    if ok:
                        ticks.setdefault(task_id, now)
                    else:  # undone again (the seat was reset): its tick goes
                        ticks.pop(task_id, None)
            tasks = [
                TaskResult(t.id, results[t.id][0], ticks.get(t.id), None if results[t.id][0] else results[t.id][1])
                for t in lesson.tasks
            ]
            points = sum(t.points for t in lesson.tasks if results[t.id][0])
            board.append(SeatProgress(k, kept.names.get(str(k), ""), tasks, points, reachable))
    return Board(lesson, running.started, board, time.monotonic() - began)


UNREACHABLE = "Учебная база недоступна (идёт сброс?): проверьте ещё раз."


def _check_seat(
    trainer: Trainer, lesson: Lesson, running: lessonstate.Running, seat: int
) -> dict[str, tuple[bool, str]] | None:
    """Each task of ``seat``: (done, hint); None when the seat does not answer (a reset in progress)."""
    values = {n: lessonstate.decode(v) for n, v in running.values[str(seat)].items()}
    drawn = lessons.Drawn(values)
    try:
        with _connect(trainer, trainer.names.seat(seat), read_only=True, timeout_ms=CHECK_TIMEOUT_MS) as conn:
            found = {}
            for task in lesson.tasks:
                try:
                    row = _run(conn, task.check, drawn, task.id, "check")
                except LessonError as exc:
                    found[task.id] = (False, f"Проверка не выполнилась: {exc.message}")
                    continue
                done = bool(row and row[0])
                hint = str(row[1]) if row and len(row) > 1 and row[1] is not None else "Задание ещё не выполнено."
                found[task.id] = (done, hint)
            return found
    except psycopg.OperationalError:
        return None


# -- names, stop, report ---------------------------------------------------------------------------------
def set_name(workspace: Workspace, client: str, seat: int, name: str) -> str:
    """A trainee's name for the board and the report (the link page's form)."""
    env = env_for(workspace, load_profile(workspace, client))
    clean = " ".join(name.split())[:80]
    with lessonstate.changing(env) as kept:
        if kept is None:
            raise InputError(f"no lesson runs on {client!r}", fix="wait for the trainer to start the lesson")
        if str(seat) not in kept.values:
            raise InputError(f"seat {seat} is not in the lesson", fix="ask the trainer")
        kept.names[str(seat)] = clean
    return clean


@dataclass(frozen=True)
class Stopped:
    lesson: str
    board: Board | None


def stop(workspace: Workspace, client: str) -> Stopped:
    """`lesson stop`: the last status kept in the report, the lesson's starts dropped; the seats stay as
    the trainees left them."""
    env = env_for(workspace, load_profile(workspace, client))
    running, _lesson = running_lesson(env)
    try:
        board: Board | None = status(workspace, client)
    except (InputError, psycopg.Error):
        board = None
    with operation(env, "lesson stop"):
        trainer = Trainer.of(env)
        lessonstate.remove(env)
        with trainer.admin() as conn:
            _drop_lesson_copies(conn, trainer)
    return Stopped(running.lesson, board)


REPORT_COLUMNS = ["Место", "Слушатель", "Задание", "Название", "Баллы", "Выполнено", "Когда"]


def report_rows(board: Board) -> list[list[Any]]:
    rows: list[list[Any]] = []
    titles = {t.id: t for t in board.lesson.tasks}
    for seat in board.seats:
        for result in seat.tasks:
            task = titles[result.task]
            rows.append(
                [seat.seat, seat.name, task.id, task.title, task.points if result.done else 0,
                 "да" if result.done else "нет", result.when or ""]
            )  # fmt: skip
    return rows


def report(workspace: Workspace, client: str, path: Path) -> Board:
    """`lesson report -o FILE`: per trainee and task, as .csv (UTF-8 with a BOM, ';', as a Russian Excel
    opens it) or .xlsx."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputError(f"{path}: a report is .csv or .xlsx", fix="name the file report.xlsx or report.csv")
    board = status(workspace, client)
    rows = report_rows(board)
    if suffix == ".csv":
        with output_text(path, encoding="utf-8-sig") as handle:
            writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
            writer.writerow(REPORT_COLUMNS)
            writer.writerows(rows)
        return board
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Урок"
    sheet.append([f"{board.lesson.title}: начат {board.started}"])
    sheet.append(REPORT_COLUMNS)
    for row in rows:
        sheet.append(row)
    with output(path) as out:
        book.save(out)
    return board
