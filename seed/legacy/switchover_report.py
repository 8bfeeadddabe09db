"""The switch-over's report as a self-contained HTML page, in Russian: for the customer's accountant and
the deployer on the night. It carries no personal value: accounts appear by their demo numbers.

Beside the steps, the changes and the reconciliation, it says why the export was taken for this client's
(the books' accounts found by number, and of those by address, residents and meters) and which changes
were large enough to need accepting by name, with what to write in the accept file."""

from __future__ import annotations

from html import escape
from typing import Any

from seed.legacy.report import _head, _table, number, period
from seed.legacy.switchover_guard import LARGE_SHARE, SAME_CLIENT_SHARE

STEPS_RU = {
    "copy aside": "копия рабочей базы",
    "snapshot": "снимок базы до перехода",
    "read, anonymize, load": "чтение, обезличивание, загрузка",
    "keys and indexes": "ключи и индексы",
    "vacuum and analyze": "статистика",
    "recognize the books' accounts": "узнавание лицевых счетов по адресу, проживающим и приборам учёта",
    "compare with the books": "сравнение с текущей базой",
    "reconcile": "сверка",
    "switch in": "замена данных",
    "baseline and seats": "эталон и места слушателей",
    "checks": "проверка инвариантов",
    "drop the copy": "удаление копии",
}

# The rows of the recognition table: a field of the report's "recognized" and what the accountant reads.
RECOGNITION_RU = {
    "books": "лицевых счетов в текущей базе",
    "by_number": "из них есть в выгрузке (тот же номер)",
    "by_fingerprint": "из них узнаны по адресу, проживающим и приборам учёта",
    "same_address": "из них с тем же адресом",
    "same_residents": "из них с теми же проживающими",
    "same_meters": "из них с теми же приборами учёта",
}
RECOGNITION_RULE = (
    "Лицевой счёт узнан, если у него тот же адрес и те же проживающие или приборы учёта, а при другом адресе "
    "те же и проживающие, и приборы учёта. Если узнано меньше {share} лицевых счетов текущей базы, выгрузка "
    "считается выгрузкой другого клиента и не загружается."
)
LARGE_NOTE = (
    "Крупное изменение: больше {share} своей базы. Переход с ним выполняется, только если оно принято по "
    "имени: если изменение верно, добавьте в файл принятых расхождений (параметр --accept) строку с его "
    "кодом, например «{kind}», и повторите команду."
)


def switchover_title(client: str, info: dict[str, Any]) -> str:
    what = "Репетиция перехода" if info["mode"] == "rehearsal" else "Переход"
    return f"{what} на «Одно Окно»: {client}, закрытие {period(info['closed_month'], 'ru')}"


def render_switchover_html(info: dict[str, Any], client: str) -> str:
    """The report of `switchover rehearse` or `run` (:meth:`provision.books.switchover.SwitchoverReport.to_dict`)."""
    closed, opened = period(info["closed_month"], "ru"), period(info["opened_month"], "ru")
    unaccepted = [d for d in info["differences"] if d not in info["accepted"]]
    out = [*_head(switchover_title(client, info), "ru")]
    if unaccepted:
        out.append(
            f"<p class=bad>Расхождений, не принятых к сведению: {len(unaccepted)}. "
            + ("Переход не выполнен, данные прежние." if info["mode"] == "run" else "Переход так не пройдёт.")
            + "</p>"
        )
    else:
        accepted = f" (принято к сведению: {len(info['accepted'])})" if info["accepted"] else ""
        out.append(f"<p class=ok>Расхождений нет{escape(accepted)}: {closed} закрыт, {opened} открыт.</p>")
    out.append("<h2>Шаги и их время</h2>")
    steps = [[STEPS_RU.get(step, step), seconds] for step, seconds in info["steps"].items()]
    steps.append(["всего", info["total_seconds"]])
    out.append(_table(["Шаг", "Секунды"], steps, "ru", numeric={1: 1}))
    out.extend(_recognition(info.get("recognized")))
    out.append("<h2>Что изменилось со времени первой выгрузки</h2>")
    out.append(_table(["Изменение", "Количество"], [[k, v] for k, v in info["changes_ru"].items()], "ru", {1: 0}))
    out.extend(_large(info))
    out.append(f"<h2>Сверка по услугам: сальдо исходящее {closed} и входящее {opened}</h2>")
    rows = [
        [
            f"{line['name']} ({line['service']})",
            line["reported_closing"] if line["reported_closing"] is not None else "—",
            line["closing"],
            line["opening_next"],
            line["difference"],
        ]
        for line in info["services"]
    ]
    headers = ["Услуга", "Старая система", f"«Одно Окно», {closed}", f"«Одно Окно», {opened}", "Расхождение"]
    out.append(_table(headers, rows, "ru", numeric={1: 2, 2: 2, 3: 2, 4: 2}))
    if info["accounts"]:
        out.append(f"<h2 class=bad>Лицевые счета с расхождением: {number(len(info['accounts']), 'ru')}</h2>")
        listed = [[a["account"], a["service"], a["closing"], a["opening_next"]] for a in info["accounts"]]
        out.append(_table(["ЛС", "Услуга", f"Исходящее {closed}", f"Входящее {opened}"], listed, "ru", {2: 2, 3: 2}))
    if info.get("rows_left_out"):
        out.append(f"<p class=bad>Строк выгрузки не загружено: {number(info['rows_left_out'], 'ru')}.</p>")
    if info["checks"]:
        failing = [c for c in info["checks"] if c["violations"]]
        verdict = "все выполняются" if not failing else ", ".join(f"{c['check']} ({c['violations']})" for c in failing)
        out.append(f"<h2>Инварианты</h2><p class={'bad' if failing else 'ok'}>{escape(verdict)}</p>")
    if info.get("snapshot"):
        out.append(f"<p>Снимок базы до перехода: {escape(info['snapshot'])}</p>")
    out.append("</html>")
    return "\n".join(out)


def _share(part: int, whole: int) -> str:
    """A part of a whole as the accountant weighs it, in per cent (a dash when there is no whole)."""
    return f"{number(100 * part / whole, 'ru', 1)}\u00a0%" if whole else "—"


def _recognition(found: dict[str, Any] | None) -> list[str]:
    """The books' accounts found in the export: by number, then by fingerprint and each of its parts."""
    if not found:
        return []
    books, recognized = found["books"], found["by_fingerprint"]
    same = recognized >= books * SAME_CLIENT_SHARE
    rows = [[words, found[key]] for key, words in RECOGNITION_RU.items() if found.get(key) is not None]
    rows.append(["с тем же номером, но не узнаны", found["by_number"] - recognized])
    verdict = (
        f"Узнано {number(recognized, 'ru')} из {number(books, 'ru')} лицевых счетов текущей базы "
        f"({_share(recognized, books)}): " + ("выгрузка того же клиента." if same else "это выгрузка другого клиента.")
    )
    return [
        "<h2>Лицевые счета текущей базы в выгрузке</h2>",
        f"<p class={'ok' if same else 'bad'}>{escape(verdict)}</p>",
        _table(["Лицевые счета", "Количество"], rows, "ru", {1: 0}),
        f"<p class=hint>{escape(RECOGNITION_RULE.format(share=_fraction(SAME_CLIENT_SHARE)))}</p>",
    ]


def _large(info: dict[str, Any]) -> list[str]:
    """Each change over a tenth of its base: how large, of what, and whether it was accepted by name."""
    if "large_changes" not in info:  # a report made before large changes were counted
        return []
    large: dict[str, dict[str, Any]] = info["large_changes"]
    share = _fraction(LARGE_SHARE)
    if not large:
        return [f"<p class=ok>Крупных изменений (больше {share} своей базы) нет.</p>"]
    rows = [
        [
            change["words"],
            kind,
            change["count"],
            f"{number(change['of'], 'ru')} {change['of_words']}",
            _share(change["count"], change["of"]),
            "принято" if kind in info["accepted"] else "не принято: переход с ним не пройдёт",
        ]
        for kind, change in large.items()
    ]
    waiting = [kind for kind in large if kind not in info["accepted"]]
    return [
        f"<h2{' class=bad' if waiting else ''}>Крупные изменения: {number(len(large), 'ru')}</h2>",
        _table(["Изменение", "Код для --accept", "Количество", "База", "Доля", "Решение"], rows, "ru", {2: 0}),
        f"<p class=hint>{escape(LARGE_NOTE.format(share=share, kind=(waiting or list(large))[0]))}</p>",
    ]


def _fraction(share: float) -> str:
    """A threshold in words: a half, a tenth."""
    return {0.5: "половины", 0.1: "десятой части"}.get(share, f"{number(100 * share, 'ru')}\u00a0%")
