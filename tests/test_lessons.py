"""Lessons: the file's every field checked, the per-seat draw, and the built-in lesson solved in a seat by its
solutions (tests/lesson_solutions.py), left untouched, and half done, on real seeded books."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row

from provision.training import lessons
from provision.training.lessons import LessonError, parse_lesson
from seed.load import seed_database
from tests.lesson_solutions import FIRST_DAY

GOOD = """
title = "Урок"
seed = 3
[params.account]
query = "SELECT id, number FROM account"
[params.amount]
range = [100, 200]

[[task]]
id = "first"
title = "Первая"
text = "Счёт {account.number}, сумма {amount}."
points = 5
setup = "UPDATE account SET residents = residents WHERE id = :account.id"
check = "SELECT true, 'подсказка'"

[[task]]
id = "second"
title = "Вторая"
text = "Без параметров."
check = "SELECT :amount > 0"
"""


def test_a_good_lesson_reads_whole() -> None:
    lesson = parse_lesson("my-lesson", GOOD, "lessons/my-lesson.toml")
    assert [t.id for t in lesson.tasks] == ["first", "second"]
    assert lesson.points == 6  # a task's points default to 1
    assert [p.name for p in lesson.params] == ["account", "amount"]
    assert lesson.params[1].low == 100 and lesson.params[1].high == 200


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (('id = "second"', 'id = "first"'), "task 2: id 'first' is used twice"),
        (("points = 5", "points = 0"), "task 1 (first): field points = 0"),
        (("points = 5", 'points = "5"'), "task 1 (first): field points = '5'"),
        (('check = "SELECT :amount > 0"', 'chek = "SELECT 1"'), "task 2 (second): unknown field chek"),
        (
            ('check = "SELECT :amount > 0"', 'check = "SELECT :amont > 0"'),
            "task 2 (second): field check names a parameter 'amont'",
        ),  # noqa: E501
        (("{account.number}", "{acount.number}"), "task 1 (first): field text names a parameter 'acount'"),
        (("{account.number}", "{account.number!r}"), "task 1 (first): field text: {account.number}"),
        (("range = [100, 200]", "range = [200, 100]"), "params.amount: field range = [200, 100]"),
        (("range = [100, 200]", 'range = [100, 200]\nquery = "SELECT 1"'), "params.amount: give exactly one"),
        (('title = "Урок"', 'titel = "Урок"'), "unknown field titel"),
        (('title = "Вторая"', 'title = ""'), "task 2 (second): field title = ''"),
        (("seed = 3", "seed = -1"), "field seed = -1"),
        (('title = "Урок"', 'title = "Урок'), "invalid TOML"),
    ],
)
def test_every_wrong_field_is_named_with_its_file_and_task(change: tuple[str, str], named: str) -> None:
    text = GOOD.replace(*change, 1)
    assert text != GOOD
    with pytest.raises(LessonError) as caught:
        parse_lesson("my-lesson", text, "lessons/my-lesson.toml")
    assert str(caught.value).startswith("lessons/my-lesson.toml")
    assert named in str(caught.value)


def test_a_lesson_without_tasks_or_with_a_bad_name_is_refused() -> None:
    with pytest.raises(LessonError, match="no tasks"):
        parse_lesson("empty", 'title = "Урок"\n', "empty.toml")
    with pytest.raises(LessonError, match="is not allowed"):
        parse_lesson("Урок 1", GOOD, "Урок 1.toml")


def test_each_seat_draws_its_own_values_and_the_same_every_time() -> None:
    lesson = parse_lesson("my-lesson", GOOD, "x.toml")
    rows = [{"id": k, "number": f"{k:08d}"} for k in range(1, 41)]
    drawn = [lessons.draw(lesson, seat, {"account": rows}) for seat in range(1, 31)]
    accounts = [d.values["account"]["id"] for d in drawn]  # type: ignore[index]
    assert len(set(accounts)) == 30  # 40 candidates: a different account for each of 30 seats
    again = lessons.draw(lesson, 7, {"account": list(reversed(rows))})  # the database's order does not matter
    assert again == drawn[6]
    assert all(100 <= d.values["amount"] <= 200 for d in drawn)  # type: ignore[operator]
    assert drawn[0].text(lesson.tasks[0].text) == f"Счёт {accounts[0]:08d}, сумма {drawn[0].values['amount']}."
    with pytest.raises(LessonError, match="found no rows"):
        lessons.draw(lesson, 1, {"account": []})


def test_values_travel_as_parameters_and_a_percent_stays_a_percent() -> None:
    lesson = parse_lesson("my-lesson", GOOD, "x.toml")
    drawn = lessons.Drawn({"account": {"id": 5, "number": "0'5"}, "amount": 150})
    statement, values = lessons.bind(
        "SELECT '50%' WHERE id = :account.id AND n = :account.number AND x::int = :amount", drawn, "t"
    )
    assert statement == "SELECT '50%%' WHERE id = %s AND n = %s AND x::int = %s"
    assert values == [5, "0'5", 150]
    with pytest.raises(LessonError, match="names no column"):
        lessons.bind("SELECT :account.serial", drawn, "lessons/x.toml: task 1")
    with pytest.raises(LessonError, match="is a number"):
        lessons.bind("SELECT :amount.id", drawn, "t")
    assert lesson.task("second").check == "SELECT :amount > 0"
    with pytest.raises(LessonError, match="no task 'third'"):
        lesson.task("third")


def test_the_builtin_lessons_read() -> None:
    found = lessons.lesson_files(None)
    assert "first-day" in found
    lesson = lessons.read_lesson(found["first-day"])
    assert len(lesson.tasks) >= 8
    assert set(FIRST_DAY) == {task.id for task in lesson.tasks}  # every task has its solution in the tests


# -- on real books ---------------------------------------------------------------------------------------
SEATS = 3
HALF = ("reading", "cash", "owner", "meter")


def _dsn(dsn: str, dbname: str) -> str:
    return make_conninfo(dsn, dbname=dbname, options="-c search_path=okno,public")  # a copy has no settings


@pytest.fixture(scope="module")
def lesson_seats(pg_dsn: str) -> Iterator[dict[str, Any]]:
    """Books of 1,200 accounts, and three seats copied from them."""
    books = "lesson_books"
    names = [f"lesson_seat{k}" for k in range(1, SEATS + 1)]
    with psycopg.connect(pg_dsn, autocommit=True) as admin:
        for name in [books, *names]:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(books)))
    seed_database(_dsn(pg_dsn, books), accounts=1200, months=6, seed=5, end_period=dt.date(2026, 12, 1))
    with psycopg.connect(pg_dsn, autocommit=True) as admin:
        for name in names:
            admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(*map(sql.Identifier, (name, books))))
    yield {"books": _dsn(pg_dsn, books), "seats": [_dsn(pg_dsn, name) for name in names]}
    with psycopg.connect(pg_dsn, autocommit=True) as admin:
        for name in [books, *names]:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _run(conn: psycopg.Connection, statement: str, drawn: lessons.Drawn) -> Any:
    query, values = lessons.bind(statement, drawn, "test")
    with psycopg.ClientCursor(conn) as cur:
        cur.execute(query, values)
        return cur.fetchone() if cur.description else None


@pytest.mark.docker
@pytest.mark.slow
def test_the_first_day_solved_untouched_and_half_done(lesson_seats: dict[str, Any]) -> None:
    lesson = lessons.read_lesson(lessons.lesson_files(None)["first-day"])
    assert conninfo_to_dict(lesson_seats["books"])["dbname"] == "lesson_books"
    with psycopg.connect(lesson_seats["books"], row_factory=dict_row) as books:
        candidates = {p.name: books.execute(p.query).fetchall() for p in lesson.params if p.query}
    done: dict[int, list[str]] = {}
    drawn = {seat: lessons.draw(lesson, seat, candidates) for seat in range(1, SEATS + 1)}
    for seat, dsn in enumerate(lesson_seats["seats"], start=1):
        with psycopg.connect(dsn, autocommit=True) as conn:
            for task in lesson.tasks:
                if task.setup:
                    _run(conn, task.setup, drawn[seat])
            for task in lesson.tasks:
                if seat == 1 or (seat == 3 and task.id in HALF):
                    _run(conn, FIRST_DAY[task.id], drawn[seat])
            results = {task.id: _run(conn, task.check, drawn[seat]) for task in lesson.tasks}
        done[seat] = [task_id for task_id, (ok, _hint) in results.items() if ok]
        assert all(ok or hint for ok, hint in results.values())  # a task not done says why
    assert done == {1: [t.id for t in lesson.tasks], 2: [], 3: list(HALF)}
    # each seat its own account, meter and amount
    assert len({d.values["meter"]["id"] for d in drawn.values()}) == SEATS  # type: ignore[index]
    assert len({d.values["debtor"]["id"] for d in drawn.values()}) == SEATS  # type: ignore[index]
