"""A lesson file read and checked (every field named when wrong), its values drawn per seat and bound
as parameters, its text as HTML, a trainee's name in a spreadsheet: pure logic, no database."""

from __future__ import annotations

import pytest

from provision.training import classwork, lessons
from provision.training.lessons import LessonError, parse_lesson
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


def test_a_tasks_text_becomes_html_with_nothing_of_its_own() -> None:
    html = lessons.to_html("Счёт **00012**, таблица `payment`.\nДалее.\n\n- первое\n- <script>второе</script>\n")
    assert html == (
        "<p>Счёт <strong>00012</strong>, таблица <code>payment</code>. Далее.</p>\n"
        "<ul><li>первое</li><li>&lt;script&gt;второе&lt;/script&gt;</li></ul>"
    )


def test_a_trainees_name_never_becomes_a_spreadsheet_formula() -> None:
    assert classwork._cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and classwork._cell("@x") == "'@x"
    assert classwork._cell("Анна") == "Анна"
