"""A lesson: a file of ordered tasks a class does on its seats, each checked on the trainee's own database.

A lesson file is TOML (the built-in ones in ``provision/training/lesson_files/``, a client's own in its
folder's ``lessons/``)::

    title = "Первый день оператора"
    description = "..."
    seed = 7                      # the per-seat draw below; the same seed, the same draw for a seat

    [params.account]              # one row per seat, drawn from the baseline's rows of this query
    query = "SELECT id, number FROM account WHERE closed_on IS NULL"
    [params.amount]               # a whole number per seat, both ends included
    range = [500, 3000]

    [[task]]
    id = "reading"
    title = "Показание счётчика"
    text = "Введите показание счётчика **{meter.serial}** ..."   # light markup, {param} or {param.column}
    points = 10
    setup = "UPDATE ... WHERE id = :account.id"                  # SQL, optional, :param or :param.column
    check = "SELECT count(*) > 0, 'Подсказка ...' FROM ..."       # read-only: done?, and the hint when not

Everything here is pure: the file read and every field checked (the file, the task and the field named in
each error), and the draw of a seat's parameters from candidate rows the caller fetched.
"""

from __future__ import annotations

import random
import re
import string
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from provision.errors import InputError, unknown_field
from seed.errors import UnreadableFile
from seed.infile import read_small

BUILTIN = Path(__file__).with_name("lesson_files")
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")  # a lesson's (its file's stem) and a task's id
PARAM = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
COLUMN = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# :name or :name.column in SQL, never a cast (::type) nor inside a longer word
REFERENCE = re.compile(r"(?<![:\w]):([a-z][a-z0-9_]*)(?:\.([a-z_][a-z0-9_]*))?")
TOP_FIELDS = ["title", "description", "seed", "params", "task"]
TASK_FIELDS = ["id", "title", "text", "points", "setup", "check"]
PARAM_FIELDS = ["query", "range"]
MAX_POINTS = 1000
MAX_RANGE = 10**9


class LessonError(InputError):
    """A lesson file is wrong; names the file, the task and the field."""


@dataclass(frozen=True)
class Param:
    """A value drawn per seat: a row of ``query``'s (its columns by name), or a whole number in ``range``."""

    name: str
    query: str | None = None
    low: int = 0
    high: int = 0


@dataclass(frozen=True)
class Task:
    id: str
    title: str
    text: str
    points: int
    check: str
    setup: str | None = None


@dataclass(frozen=True)
class Lesson:
    name: str  # the file's stem: what `lesson start CLIENT NAME` takes
    title: str
    description: str
    seed: int
    params: tuple[Param, ...]
    tasks: tuple[Task, ...]
    source: str  # the file, for errors

    @property
    def points(self) -> int:
        return sum(task.points for task in self.tasks)

    def task(self, task_id: str) -> Task:
        for task in self.tasks:
            if task.id == task_id:
                return task
        raise LessonError(
            f"{self.source}: no task {task_id!r}", fix=f"tasks: {', '.join(task.id for task in self.tasks)}"
        )


def read_lesson(path: Path) -> Lesson:
    """The lesson in ``path``, every field checked."""
    try:
        raw = read_small(path).decode("utf-8")
    except UnreadableFile as exc:
        raise LessonError(f"{path}: {exc.reason}", fix="make it a lesson file (TOML)") from None
    except UnicodeDecodeError as exc:
        raise LessonError(f"{path}: not UTF-8 (byte {exc.start})", fix="save the lesson as UTF-8") from None
    return parse_lesson(path.stem, raw, str(path))


def parse_lesson(name: str, text: str, source: str) -> Lesson:
    """A lesson from its file's text; ``source`` names the file in errors."""
    if not NAME.match(name):
        raise LessonError(
            f"{source}: the lesson's name {name!r} (its file's name) is not allowed",
            fix="name the file with lower-case Latin letters, digits, '-' and '_', e.g. first-day.toml",
        )
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise LessonError(f"{source}: invalid TOML: {exc}", fix="correct the line named above") from None
    _known(source, data, TOP_FIELDS)
    title = _text(source, "title", data.get("title"))
    description = _text(source, "description", data.get("description", ""), empty=True)
    seed = data.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**31:
        raise LessonError(f"{source}: field seed = {seed!r} is not allowed", fix="a whole number from 0 to 2^31-1")
    params = _params(source, data.get("params", {}))
    raw_tasks = data.get("task")
    if not isinstance(raw_tasks, list) or not raw_tasks:
        raise LessonError(f"{source}: no tasks", fix="add at least one [[task]] table")
    tasks: list[Task] = []
    for number, raw in enumerate(raw_tasks, start=1):
        task = _task(source, number, raw, {p.name: p for p in params})
        if any(t.id == task.id for t in tasks):
            raise LessonError(f"{source}: task {number}: id {task.id!r} is used twice", fix="give each task its own id")
        tasks.append(task)
    return Lesson(name, title, description, seed, params, tuple(tasks), source)


def _known(where: str, data: Mapping[str, Any], allowed: list[str]) -> None:
    for key in data:
        if key not in allowed:
            error = unknown_field(where, key, allowed)
            raise LessonError(error.message, fix=error.fix)


def _text(where: str, key: str, value: Any, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise LessonError(f"{where}: field {key} = {value!r} is not allowed", fix="a text (a TOML string)")
    return value.strip()


def _params(source: str, raw: Any) -> tuple[Param, ...]:
    if not isinstance(raw, dict):
        raise LessonError(f"{source}: field params is not a table", fix="write each as [params.NAME]")
    params = []
    for name, spec in raw.items():
        where = f"{source}: params.{name}"
        if not PARAM.match(name):
            raise LessonError(f"{where}: the name is not allowed", fix="lower-case Latin letters, digits and '_'")
        if not isinstance(spec, dict):
            raise LessonError(f"{where} is not a table", fix="give it a query = ... or a range = [LOW, HIGH]")
        _known(where, spec, PARAM_FIELDS)
        if ("query" in spec) == ("range" in spec):
            raise LessonError(f"{where}: give exactly one of query and range", fix='query = "SELECT ..."')
        if "query" in spec:
            params.append(Param(name, query=_text(where, "query", spec["query"])))
            continue
        bounds = spec["range"]
        if (
            not isinstance(bounds, list)
            or len(bounds) != 2
            or not all(isinstance(b, int) and not isinstance(b, bool) and abs(b) <= MAX_RANGE for b in bounds)
            or bounds[0] > bounds[1]
        ):
            raise LessonError(
                f"{where}: field range = {bounds!r} is not allowed",
                fix="two whole numbers, the lower first: [500, 3000]",
            )
        params.append(Param(name, low=bounds[0], high=bounds[1]))
    return tuple(params)


def _task(source: str, number: int, raw: Any, params: Mapping[str, Param]) -> Task:
    where = f"{source}: task {number}"
    if not isinstance(raw, dict):
        raise LessonError(f"{where} is not a table", fix="write each task as [[task]]")
    task_id = raw.get("id")
    if not isinstance(task_id, str) or not NAME.match(task_id):
        raise LessonError(
            f"{where}: field id = {task_id!r} is not allowed", fix="lower-case Latin letters, digits, '-' and '_'"
        )
    where = f"{source}: task {number} ({task_id})"
    _known(where, raw, TASK_FIELDS)
    points = raw.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, int) or not 0 < points <= MAX_POINTS:
        raise LessonError(
            f"{where}: field points = {points!r} is not allowed", fix=f"a whole number, 1 to {MAX_POINTS}"
        )
    task = Task(
        id=task_id,
        title=_text(where, "title", raw.get("title")),
        text=_text(where, "text", raw.get("text")),
        points=points,
        check=_text(where, "check", raw.get("check")),
        setup=_text(where, "setup", raw["setup"]) if "setup" in raw else None,
    )
    for key in ("check", "setup"):
        statement = getattr(task, key)
        for name, _column in REFERENCE.findall(statement or ""):
            _declared(where, key, name, params)
    for name in _text_fields(where, task.text):
        _declared(where, "text", name, params)
    return task


def _declared(where: str, key: str, name: str, params: Mapping[str, Param]) -> None:
    if name not in params:
        known = ", ".join(sorted(params)) or "none declared"
        raise LessonError(f"{where}: field {key} names a parameter {name!r} the lesson has not", fix=f"params: {known}")


def _text_fields(where: str, text: str) -> list[str]:
    """The parameters a task's text names ({name} or {name.column})."""
    names = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise LessonError(f"{where}: field text: {exc}", fix="write a literal brace as {{ or }}") from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion or not re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?", name):
            raise LessonError(f"{where}: field text: {{{name}}} is not allowed", fix="{name} or {name.column}")
        names.append(name.split(".")[0])
    return names


# -- a seat's parameters -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Drawn:
    """A seat's parameters: a row (columns by name) or a number each."""

    values: dict[str, dict[str, Any] | int] = field(default_factory=dict)

    def sql_value(self, name: str, column: str | None, where: str) -> Any:
        value = self.values[name]
        if isinstance(value, dict):
            if column is None or column not in value:
                raise LessonError(
                    f"{where}: :{name}{'.' + column if column else ''} names no column of params.{name}'s query",
                    fix=f"its columns: {', '.join(':' + name + '.' + c for c in value)}",
                )
            return value[column]
        if column is not None:
            raise LessonError(f"{where}: :{name}.{column}: params.{name} is a number", fix=f"write :{name}")
        return value

    def text(self, text: str, where: str = "the task's text") -> str:
        """A task's text with this seat's values in."""
        spaces = {k: SimpleNamespace(**v) if isinstance(v, dict) else v for k, v in self.values.items()}
        try:
            return text.format(**spaces)
        except (AttributeError, KeyError, IndexError, ValueError) as exc:
            raise LessonError(
                f"{where}: field text: {exc}", fix="name a column its query gives: {name.column}"
            ) from None


def draw(lesson: Lesson, seat: int, candidates: Mapping[str, Sequence[dict[str, Any]]]) -> Drawn:
    """Seat ``seat``'s parameters: for a query, one of its ``candidates`` rows (sorted here, so the order the
    database gave them does not matter), a different one for each seat while there are enough, the same for a
    seat every time; for a range, a number of its own."""
    values: dict[str, dict[str, Any] | int] = {}
    for param in lesson.params:
        chance = random.Random(f"{lesson.seed}/{param.name}")
        if param.query is None:
            values[param.name] = random.Random(f"{lesson.seed}/{param.name}/{seat}").randint(param.low, param.high)
            continue
        rows = sorted(candidates.get(param.name, ()), key=lambda row: [str(v) for v in row.values()])
        if not rows:
            raise LessonError(
                f"{lesson.source}: params.{param.name}: its query found no rows in these books",
                fix="widen the query, or start the lesson on books that have such rows",
            )
        order = list(range(len(rows)))
        chance.shuffle(order)
        values[param.name] = dict(rows[order[(seat - 1) % len(rows)]])
    return Drawn(values)


def bind(statement: str, drawn: Drawn, where: str) -> tuple[str, list[Any]]:
    """``statement`` with its :name and :name.column as positional placeholders, and their values in order:
    the values travel as parameters, never as SQL text."""
    values: list[Any] = []

    def placeholder(match: re.Match[str]) -> str:
        values.append(drawn.sql_value(match.group(1), match.group(2), where))
        return "%s"

    return REFERENCE.sub(placeholder, statement.replace("%", "%%")), values


def lesson_files(own: Path | None) -> dict[str, Path]:
    """Every lesson a client can start, by name: the built-in ones, and the client's own (``own``), which
    win over a built-in of the same name."""
    found = {path.stem: path for path in sorted(BUILTIN.glob("*.toml"))}
    if own is not None and own.is_dir():
        found.update({path.stem: path for path in sorted(own.glob("*.toml"))})
    return found


# -- a task's text as a page shows it -----------------------------------------------------------------
_STRONG = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")


def to_html(text: str) -> str:
    """A task's text (light markup: paragraphs by blank lines, lines that start with "- " a list, **bold**,
    `code`) as HTML; everything else escaped, so a lesson file can put no markup of its own in a page."""
    from html import escape

    def inline(line: str) -> str:
        line = escape(line, quote=False)
        line = _CODE.sub(lambda m: f"<code>{m.group(1)}</code>", line)
        return _STRONG.sub(lambda m: f"<strong>{m.group(1)}</strong>", line)

    blocks = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines and all(line.startswith("- ") for line in lines):
            blocks.append("<ul>" + "".join(f"<li>{inline(line[2:])}</li>" for line in lines) + "</ul>")
        elif lines:
            blocks.append("<p>" + " ".join(inline(line) for line in lines) + "</p>")
    return "\n".join(blocks)
