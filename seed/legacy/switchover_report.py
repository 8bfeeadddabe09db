"""The switch-over's report as a self-contained HTML page, in Russian: for the customer's accountant and
the deployer on the night. It carries no personal value: accounts appear by their demo numbers."""

from __future__ import annotations

from html import escape
from typing import Any

from seed.legacy.report import _head, _table, number, period

STEPS_RU = {
    "copy aside": "копия рабочей базы",
    "snapshot": "снимок базы до перехода",
    "read, anonymize, load": "чтение, обезличивание, загрузка",
    "keys and indexes": "ключи и индексы",
    "vacuum and analyze": "статистика",
    "compare with the books": "сравнение с текущей базой",
    "reconcile": "сверка",
    "switch in": "замена данных",
    "baseline and seats": "эталон и места слушателей",
    "checks": "проверка инвариантов",
    "drop the copy": "удаление копии",
}


def switchover_title(client: str, info: dict[str, Any]) -> str:
    what = "Репетиция перехода" if info["mode"] == "rehearsal" else "Переход"
    return f"{what} на «Одно Окно»: {client}, закрытие {period(info['closed_month'], 'ru')}"


def render_switchover_html(info: dict[str, Any], client: str) -> str:
    """The report of `switchover rehearse` or `run` (:meth:`provision.switchover.SwitchoverReport.to_dict`)."""
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
    out.append("<h2>Что изменилось со времени первой выгрузки</h2>")
    out.append(_table(["Изменение", "Количество"], [[k, v] for k, v in info["changes_ru"].items()], "ru", {1: 0}))
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
