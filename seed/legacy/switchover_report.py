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
from seed.words.switchover import RECOGNITION, REPORT, STEPS


def t(key: str, **args: Any) -> str:
    """One of the report's words, in Russian."""
    return REPORT[key].say("ru", **args)


def switchover_title(client: str, info: dict[str, Any]) -> str:
    title = "rehearsal_title" if info["mode"] == "rehearsal" else "run_title"
    return t(title, client=client, closed=period(info["closed_month"], "ru"))


def render_switchover_html(info: dict[str, Any], client: str) -> str:
    """The report of `switchover rehearse` or `run` (:meth:`provision.books.switchover.SwitchoverReport.to_dict`)."""
    closed, opened = period(info["closed_month"], "ru"), period(info["opened_month"], "ru")
    unaccepted = [d for d in info["differences"] if d not in info["accepted"]]
    out = [*_head(switchover_title(client, info), "ru")]
    if unaccepted:
        out.append(
            f"<p class=bad>{t('unaccepted', n=len(unaccepted))} "
            + t("not_run" if info["mode"] == "run" else "would_not_pass")
            + "</p>"
        )
    else:
        accepted = t("accepted_count", n=len(info["accepted"])) if info["accepted"] else ""
        out.append(f"<p class=ok>{escape(t('no_differences', accepted=accepted, closed=closed, opened=opened))}</p>")
    out.append(f"<h2>{t('steps')}</h2>")
    steps = [[STEPS[step].ru if step in STEPS else step, seconds] for step, seconds in info["steps"].items()]
    steps.append([t("total"), info["total_seconds"]])
    out.append(_table([t("step"), t("seconds")], steps, "ru", numeric={1: 1}))
    out.extend(_recognition(info.get("recognized")))
    out.append(f"<h2>{t('changes')}</h2>")
    out.append(_table([t("change"), t("count")], [[k, v] for k, v in info["changes_ru"].items()], "ru", {1: 0}))
    out.extend(_large(info))
    out.append(f"<h2>{t('reconciliation', closed=closed, opened=opened)}</h2>")
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
    headers = [t("service"), t("old_system"), t("ours_at", month=closed), t("ours_at", month=opened), t("difference")]
    out.append(_table(headers, rows, "ru", numeric={1: 2, 2: 2, 3: 2, 4: 2}))
    if info["accounts"]:
        out.append(f"<h2 class=bad>{t('accounts_differing', n=number(len(info['accounts']), 'ru'))}</h2>")
        listed = [[a["account"], a["service"], a["closing"], a["opening_next"]] for a in info["accounts"]]
        headers = [t("account"), t("service"), t("closing_at", month=closed), t("opening_at", month=opened)]
        out.append(_table(headers, listed, "ru", {2: 2, 3: 2}))
    if info.get("rows_left_out"):
        out.append(f"<p class=bad>{t('rows_left_out', n=number(info['rows_left_out'], 'ru'))}</p>")
    if info["checks"]:
        failing = [c for c in info["checks"] if c["violations"]]
        verdict = t("all_hold") if not failing else ", ".join(f"{c['check']} ({c['violations']})" for c in failing)
        out.append(f"<h2>{t('invariants')}</h2><p class={'bad' if failing else 'ok'}>{escape(verdict)}</p>")
    if info.get("snapshot"):
        out.append(f"<p>{escape(t('snapshot', name=info['snapshot']))}</p>")
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
    rows = [[words.ru, found[key]] for key, words in RECOGNITION.items() if found.get(key) is not None]
    rows.append([t("by_number_only"), found["by_number"] - recognized])
    counted = t(
        "recognized", recognized=number(recognized, "ru"), books=number(books, "ru"), share=_share(recognized, books)
    )
    verdict = counted + t("same_client" if same else "other_client")
    return [
        f"<h2>{t('recognition')}</h2>",
        f"<p class={'ok' if same else 'bad'}>{escape(verdict)}</p>",
        _table([t("accounts"), t("count")], rows, "ru", {1: 0}),
        f"<p class=hint>{escape(t('recognition_rule', share=_fraction(SAME_CLIENT_SHARE)))}</p>",
    ]


def _large(info: dict[str, Any]) -> list[str]:
    """Each change over a tenth of its base: how large, of what, and whether it was accepted by name."""
    if "large_changes" not in info:  # a report made before large changes were counted
        return []
    large: dict[str, dict[str, Any]] = info["large_changes"]
    share = _fraction(LARGE_SHARE)
    if not large:
        return [f"<p class=ok>{t('no_large', share=share)}</p>"]
    rows = [
        [
            change["words"],
            kind,
            change["count"],
            f"{number(change['of'], 'ru')} {change['of_words']}",
            _share(change["count"], change["of"]),
            t("accepted" if kind in info["accepted"] else "not_accepted"),
        ]
        for kind, change in large.items()
    ]
    waiting = [kind for kind in large if kind not in info["accepted"]]
    return [
        f"<h2{' class=bad' if waiting else ''}>{t('large', n=number(len(large), 'ru'))}</h2>",
        _table([t(k) for k in ("change", "code_for_accept", "count", "base", "share", "decision")], rows, "ru", {2: 0}),
        f"<p class=hint>{escape(t('large_note', share=share, kind=(waiting or list(large))[0]))}</p>",
    ]


def _fraction(share: float) -> str:
    """A threshold in words: a half, a tenth."""
    named = {0.5: "half", 0.1: "tenth"}.get(share)
    return t(named) if named else f"{number(100 * share, 'ru')}\u00a0%"
