"""A lesson on a client's seats: started (each seat's own start, with its own drawn values), checked (each
task on each seat, read-only, as the trainer), stopped, reported. What `provision lesson` and the console
call.

Starting is all or nothing: every seat's start is made aside (the baseline's copy, on clone storage the
ready one a reset left, renamed; the seat's setup applied; the trainees' rights given on what it made) and
every check tried on the first, read-only, before any seat changes; a failure anywhere drops them all and
names the seat, the task and the cause. Then the lesson's record is written and each start swapped in. A
reset of a seat while the lesson runs is the baseline's copy with the seat's setup applied again
(:func:`seats.reset_client`): nothing is kept per seat but its values. A kill before the swap is undone by
the next command, one during it finished (:meth:`seats.Trainer.recover`).
"""

from __future__ import annotations

import csv
import datetime as dt
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from provision.clients.profile import load_profile
from provision.clients.render import ClientEnv, env_for
from provision.clients.workspace import Workspace
from provision.errors import InputError
from provision.training import copies, lessons, lessonsql, lessonstate
from provision.training.lessons import Lesson, LessonError
from provision.training.lessonsql import CHECK_TIMEOUT_MS, SETUP_TIMEOUT_MS
from provision.training.seats import COPIERS, Trainer, operation, repaired
from seed.outfile import output, output_text

CHECKERS = 8  # seats checked at once
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
    """`lesson start`: every seat to its own start of lesson ``name`` (a running lesson replaced)."""
    began = time.monotonic()
    env = env_for(workspace, load_profile(workspace, client))
    lesson = find(env, name)
    count = env.profile.seats
    if count < 1:
        raise InputError(f"client {client!r} has no seats", fix="set [training] seats = N in its profile")
    with operation(env, "lesson start", say) as kept:
        trainer = Trainer.of(env)
        names = trainer.names
        works = {k: names.work(names.seat(k)) for k in range(1, count + 1)}
        kept.step("lesson:copies", lesson_works={str(k): w for k, w in works.items()}, lesson_phase="copies")
        with trainer.admin() as conn:
            if not copies.exists(conn, names.baseline):
                raise InputError(f"no baseline for {client!r} yet", fix=f"seed it first: `provision up {client}`")
            ready = {}
            if env.storage.method == "clone":  # a reset's ready copies: renamed in, nothing copied
                seat_of = {names.seat(k): k for k in works}
                ready = copies.ready_for(conn, names.stem, names.baseline, seat_of)
        if say:
            say(f"copying the baseline for {count} seats")

        def make(conn: psycopg.Connection, k: int) -> None:
            copies.make_work(conn, names.baseline, works[k], ready.get(names.seat(k)))
            copies.open_work(conn, works[k])

        try:
            _each(trainer, list(works), make)
            kept.step("lesson:setup")
            drawn = _prepare(trainer, lesson, works, say)
        except BaseException:
            with trainer.admin() as conn:
                for work in works.values():
                    copies.drop(conn, work)
            kept.step("lesson:undone", lesson_works={})
            raise
        previous = lessonstate.read(env)
        running = lessonstate.Running(
            id=uuid.uuid4().hex,
            lesson=lesson.name,
            file=lesson.source,
            started=lessonstate.now(),
            seats=count,
            values={str(k): {n: lessonstate.encode(v) for n, v in d.values.items()} for k, d in drawn.items()},
            names=previous.names if previous else {},
        )
        # from here a kill is finished by the next command: the record, then every seat
        kept.step("lesson:swap", lesson_phase="swap", lesson_record=asdict(running))
        lessonstate.write(env, running)
        if say:
            say(f"putting {count} seats at the lesson's start")
        _each(trainer, list(works), lambda conn, k: trainer.take_in(conn, works[k], k))
        copies.drop_retired(trainer.dsn("postgres"), names.stem, ready=(names.baseline, list(range(count + 1))))
    return Started(lesson, count, time.monotonic() - began, previous.lesson if previous else None)


def _prepare(trainer: Trainer, lesson: Lesson, works: dict[int, str], say: Say | None) -> dict[int, lessons.Drawn]:
    """Each seat's values drawn, its setup applied in its copy, every check tried on the first."""
    first = works[min(works)]
    with lessonsql.connect(trainer.dsn(first), read_only=True, timeout_ms=SETUP_TIMEOUT_MS, rows=True) as conn:
        candidates: dict[str, list[dict[str, Any]]] = {}
        for param in lesson.params:
            if param.query is not None:
                candidates[param.name] = _fetch(conn, param.query, f"{lesson.source}: params.{param.name}")
    drawn = {k: _kept(lessons.draw(lesson, k, candidates)) for k in works}
    for number, task in enumerate(lesson.tasks, start=1):  # every text renders with every seat's values
        for k in works:
            drawn[k].text(task.text, f"{lesson.source}: task {number} ({task.id}), seat {k}")
    if say:
        say(f"applying the setup of {lesson.name!r} to {len(works)} seats")
    group = trainer.names.trainee_group
    with ThreadPoolExecutor(max_workers=min(CHECKERS, len(works))) as pool:
        list(pool.map(lambda k: lessonsql.apply_setup(trainer.dsn(works[k]), lesson, drawn[k], k, group), works))
    with lessonsql.connect(trainer.dsn(first), read_only=True, timeout_ms=CHECK_TIMEOUT_MS) as conn:
        for number, task in enumerate(lesson.tasks, start=1):
            where = f"{lesson.source}: task {number} ({task.id})"
            result = lessonsql.run(conn, task.check, drawn[min(works)], where, "check")
            if result is None or len(result) not in (1, 2):
                raise LessonError(
                    f"{where}: its check gives no row of (done, hint)",
                    fix="make the check one SELECT of a boolean, and a hint in Russian for when it is false",
                )
            if result[0]:
                raise LessonError(
                    f"{where}: its check says done at the lesson's start, before the trainee did anything",
                    fix="make the setup or the parameters leave the task to do (or the check stricter)",
                )
    return drawn


def _kept(drawn: lessons.Drawn) -> lessons.Drawn:
    """A seat's values as the lesson's record gives them back to every later check and reset."""
    return lessons.Drawn({n: lessonstate.decode(lessonstate.encode(v)) for n, v in drawn.values.items()})


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


def _fetch(conn: psycopg.Connection[Any], query: str, where: str) -> list[dict[str, Any]]:
    try:
        return list(conn.execute(query).fetchall())
    except psycopg.Error as exc:
        raise LessonError(f"{where}: its query fails: {lessonsql.reason(exc)}", fix="correct the query") from None


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


def status(
    workspace: Workspace, client: str, seats: Sequence[int] | None = None, links: lessonsql.Links | None = None
) -> Board:
    """`lesson status`: every task checked on every seat (or on ``seats``), the ticks kept with when each
    was first seen; on the connections ``links`` keeps (the console's), or on new ones."""
    began = time.monotonic()
    env = repaired(env_for(workspace, load_profile(workspace, client)), "lesson status")
    running, lesson = running_lesson(env)
    trainer = Trainer.of(env)
    wanted = sorted(int(k) for k in running.values if seats is None or int(k) in seats)
    asked = lessonstate.now()
    with ThreadPoolExecutor(max_workers=max(1, min(CHECKERS, len(wanted)))) as pool:
        checked = dict(
            zip(wanted, pool.map(lambda k: _check_seat(trainer, lesson, running, k, links), wanted), strict=True)
        )
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
                    elif not _later(ticks.get(task_id), asked):  # undone again (the seat was reset): its tick
                        ticks.pop(task_id, None)  # goes, unless a look begun after this one saw it done
            tasks = [
                TaskResult(t.id, results[t.id][0], ticks.get(t.id), None if results[t.id][0] else results[t.id][1])
                for t in lesson.tasks
            ]
            points = sum(t.points for t in lesson.tasks if results[t.id][0])
            board.append(SeatProgress(k, kept.names.get(str(k), ""), tasks, points, reachable))
    return Board(lesson, running.started, board, time.monotonic() - began)


def _later(when: str | None, than: str) -> bool:
    return when is not None and dt.datetime.fromisoformat(when) >= dt.datetime.fromisoformat(than)


UNREACHABLE = "Учебная база недоступна (идёт сброс?): проверьте ещё раз."


def _check_seat(
    trainer: Trainer, lesson: Lesson, running: lessonstate.Running, seat: int, links: lessonsql.Links | None
) -> dict[str, tuple[bool, str]] | None:
    """Each task of ``seat``: (done, hint); None when the seat does not answer (a reset in progress). On a
    kept connection (``links``) a reset ended, once again on a new one."""
    drawn = lessonstate.drawn_of(running, seat)
    dsn = trainer.dsn(trainer.names.seat(seat))
    for attempt in (1, 2):
        opened = False
        try:
            with (
                links.using(dsn)
                if links is not None
                else lessonsql.connect(dsn, read_only=True, timeout_ms=CHECK_TIMEOUT_MS) as conn
            ):
                opened = True
                return {task.id: _check_task(conn, task, drawn) for task in lesson.tasks}
        except psycopg.Error:  # a kept connection a reset ended: once more, on a new one
            if links is None or attempt == 2 or not opened:
                return None
    return None


def _check_task(conn: psycopg.Connection[Any], task: lessons.Task, drawn: lessons.Drawn) -> tuple[bool, str]:
    try:
        row = lessonsql.run(conn, task.check, drawn, task.id, "check")
    except LessonError as exc:
        return False, f"Проверка не выполнилась: {exc.message}"
    done = bool(row and row[0])
    return done, str(row[1]) if row and len(row) > 1 and row[1] is not None else "Задание ещё не выполнено."


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
    """`lesson stop`: the lesson ends (its last status returned, for the report); the seats stay as the
    trainees left them, and a reset goes back to the baseline again."""
    env = env_for(workspace, load_profile(workspace, client))
    try:
        running, _lesson = running_lesson(env)
        board: Board | None = status(workspace, client)
        name = running.lesson
    except LessonError as exc:  # a lesson whose file went: it still stops
        board, name = None, f"(its lesson file: {exc.message})"
    except InputError:
        if not lessonstate.path_of(env).exists() or _readable(env):  # no lesson; or one started meanwhile
            raise
        board, name = None, "(a damaged record)"  # it still stops
    except psycopg.Error:  # the server went away meanwhile: the record says which lesson
        kept = lessonstate.read(env)
        board, name = None, kept.lesson if kept else "?"
    with operation(env, "lesson stop"):  # not while a reset applies the lesson's setup
        now = lessonstate.read(env) if board is not None else None  # (a damaged record was read above)
        if board is not None and now is not None and now.id != running.id:
            raise InputError(
                f"lesson {now.lesson!r} was started on {client!r} meanwhile; it runs", fix="stop again to stop it"
            )
        lessonstate.remove(env)
    return Stopped(name, board)


def _readable(env: ClientEnv) -> bool:
    try:
        lessonstate.read(env)
    except InputError:
        return False
    return True


REPORT_COLUMNS = ["Место", "Слушатель", "Задание", "Название", "Баллы", "Выполнено", "Когда"]


def report_rows(board: Board) -> list[list[Any]]:
    rows: list[list[Any]] = []
    titles = {t.id: t for t in board.lesson.tasks}
    for seat in board.seats:
        for result in seat.tasks:
            task = titles[result.task]
            rows.append(
                [seat.seat, _cell(seat.name), task.id, task.title, task.points if result.done else 0,
                 "да" if result.done else "нет", result.when or ""]
            )  # fmt: skip
    return rows


def _cell(text: str) -> str:
    """A trainee's own words as a spreadsheet's text, never its formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


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
