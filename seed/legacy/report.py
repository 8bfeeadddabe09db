"""Self-contained HTML reports of `import check` and `import load`, for a deployer to send to the customer:
no network needed to open them (inline CSS, charts as inline SVG), in Russian unless asked otherwise.

They name things as the customer does: services as the export wrote them, files by their own names,
fields by the customer's columns; every word comes from :mod:`seed.words` (kinds of problems, reasons,
messages, checks, treatments, and the report's own).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from html import escape
from typing import Any

from seed.legacy.layout import STANDARD
from seed.legacy.words import cause_words, place, said_value, words
from seed.words import checks, personal
from seed.words.messages import Message
from seed.words.reasons import REASONS
from seed.words.report import ENTITIES, FIELDS, TABLES, TEXT
from seed.words.word import NBSP

STYLE = """body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.5em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}.ok{color:#176c2e}.bad{color:#a4161a}
small,.hint{color:#666}"""

# a field with no column of the customer's in its file, by the standard layout's header
HEADERS: dict[str, str] = {
    **{fld: header for _, fields in reversed(STANDARD.values()) for fld, header, _ in reversed(fields)},
    **{fld: said.ru for fld, said in FIELDS.items()},
}


def say(key: str, lang: str, **values: Any) -> str:
    """One of the report's own phrases in ``lang``, with ``values`` put in."""
    return TEXT[key].say(lang, **values)


def number(value: Any, lang: str, places: int = 0) -> str:
    """A number the customer's way: 1 234 567,89 in Russian, 1,234,567.89 in English."""
    try:
        shown = f"{Decimal(str(value)):,.{places}f}"
    except (InvalidOperation, ValueError):
        return str(value)
    return shown if lang == "en" else shown.replace(",", NBSP).replace(".", ",")


def period(label: str, lang: str) -> str:
    """A billing month ('2026-01') as the customer writes it: 01.2026 in Russian."""
    year, dash, month = label.partition("-")
    return label if lang == "en" or not dash else f"{month}.{year}"


def check_title(client: str, export: str, lang: str = "ru") -> str:
    return say("check_title", lang, client=client, export=_base(export))


def load_title(client: str, export: str, lang: str = "ru") -> str:
    return say("load_title", lang, client=client, export=_base(export))


def _base(path: str) -> str:
    """A file or folder by its own name, not a path on the deployer's machine."""
    return str(path).rstrip("/").rsplit("/", 1)[-1]


def _made(kind: str, lang: str, **values: Any) -> str:
    return f"<p><small>{escape(say(kind, lang, when=f'{dt.datetime.now():%d.%m.%Y %H:%M}', **values))}</small></p>"


def _bars(items: list[tuple[str, float]], lang: str, width: int = 360) -> str:
    """A horizontal bar chart as inline SVG: each bar, then its count and label."""
    if not items:
        return ""
    top = max(v for _, v in items) or 1
    row = 22
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 760}" height="{row * len(items) + 4}">']
    for i, (label, value) in enumerate(items):
        w = int(width * value / top)
        y = i * row + 2
        parts.append(
            f'<rect x="0" y="{y + 3}" width="{max(w, 1)}" height="16" fill="#c0392b"/>'
            f'<text x="{w + 6}" y="{y + 15}" font-size="12">{escape(number(value, lang))}  {escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _head(title: str, lang: str) -> list[str]:
    code = "en" if lang == "en" else "ru"
    return [
        f"<!doctype html><html lang={code}><meta charset=utf-8><title>{escape(title)}</title>",
        f"<style>{STYLE}</style><h1>{escape(title)}</h1>",
    ]


def _table(headers: list[str], rows: list[list[Any]], lang: str, numeric: dict[int, int] | None = None) -> str:
    """A table; the columns in ``numeric`` (index -> decimal places) are numbers, the customer's way."""
    numeric = numeric or {}
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class=n>{escape(number(v, lang, numeric[i]))}</td>" if i in numeric else f"<td>{escape(str(v))}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _service(info: dict[str, Any], code: str) -> str:
    """A service as the export wrote it (our code where the analysis never saw it written)."""
    return str(info.get("service_names", {}).get(code, code))


def _field(e: dict[str, Any], lang: str, columns: dict[str, dict[str, str]] | None = None) -> str:
    """The column of an example's field: the customer's from the mapping, else the standard layout's header."""
    column = e.get("column") or (columns or {}).get(e["file"], {}).get(e["field"])
    return str(column or (e["field"] if lang == "en" else HEADERS.get(e["field"], e["field"])))


def _example(e: dict[str, Any], lang: str) -> str:
    column = _field(e, lang)
    value = f" {column} = {said_value(e['value'], lang)}" if e["value"] != "" else f" {column}"
    said = Message.from_dict(e["said"]).text(lang) if "said" in e else str(e.get("message", ""))
    return f"{place(e['file'], e['line'], lang)}{value}" + (f" ({said})" if said else "")


def render_html(info: dict[str, Any], title: str, lang: str = "ru") -> str:
    """The report of `import check`: the files, the problems by kind with how to fix them and their first
    examples, the control totals per service and period and how they differ from the old system's."""
    problems = info["problems"]
    out = [*_head(title, lang), _made("made_check", lang), f"<h2>{say('files', lang)}</h2>"]
    out.append(
        _table(
            [say(k, lang) for k in ("entity", "file", "format", "encoding", "rows")],
            [
                [
                    ENTITIES[entity].of(lang) if entity in ENTITIES else entity,
                    f.get("name") or _base(f["path"]),
                    f["format"],
                    f.get("encoding", ""),
                    info["rows"].get(entity, 0),
                ]
                for entity, f in info["files"].items()
            ],
            lang,
            numeric={4: 0},
        )
    )
    out += _printed(info.get("printed_rows", {}), lang)
    out.append(f"<h2>{say('problems', lang)}</h2>")
    if not problems:
        out.append(f"<p class=ok>{say('no problems', lang)}</p>")
    else:
        out.append(_bars([(words(k, lang).what, float(p["count"])) for k, p in problems.items()], lang))
        heads = "".join(f"<th>{say(k, lang)}</th>" for k in ("problem", "count", "fix", "examples"))
        out.append(f"<table><tr>{heads}</tr>")
        for kind, p in problems.items():
            said = words(kind, lang)
            examples = "<br>".join(escape(_example(e, lang)) for e in p["examples"])
            out.append(
                f"<tr><td class=bad>{escape(said.what)}</td><td class=n>{number(p['count'], lang)}</td>"
                f"<td class=hint>{escape(said.hint)}</td><td>{examples}</td></tr>"
            )
        out.append("</table>")
    out.extend(f"<p class=bad>{escape(note['en' if lang == 'en' else 'ru'])}</p>" for note in info.get("notes", []))
    out += _consequences(info.get("consequences", []), lang)
    measures = ("opening", "charged", "paid", "closing")
    out.append(f"<h2>{say('totals', lang)}</h2>")
    out.append(
        _table(
            [say(k, lang) for k in ("service", "period", *measures)],
            [[_service(info, t["service"]), period(t["period"], lang), *(t[m] for m in measures)]
             for t in info["control_totals"]],
            lang,
            numeric={2: 2, 3: 2, 4: 2, 5: 2},
        )
    )  # fmt: skip
    diffs = info["totals_differences"]
    if diffs:
        out.append(f"<h2 class=bad>{say('differences', lang)}</h2>")
        rows = [
            [_service(info, d["service"]), period(d["period"], lang), say(d["measure"], lang), d["export"],
             d["reported"], d["difference"], place(d["file"], d["line"], lang) if d.get("file") else ""]
            for d in diffs
        ]  # fmt: skip
        shown = ("service", "period", "measure", "export", "reported", "difference", "where")
        titles = [say(k, lang) for k in shown]
        out.append(_table(titles, rows, lang, numeric={3: 2, 4: 2, 5: 2}))
    elif "totals" in info["rows"]:
        out.append(f"<p class=ok>{say('totals match', lang)}</p>")
    out.append("</html>")
    return "\n".join(out)


def _printed(printed: dict[str, dict[str, int]], lang: str) -> list[str]:
    """A printed report's own rows the reading passed over (a header repeated, a totals row), per file:
    said, not problems."""
    return [
        "<p class=hint>"
        + escape(
            say(
                "printed rows",
                lang,
                file=name,
                kinds=", ".join(f"{say(f'printed {kind}', lang)}: {number(n, lang)}" for kind, n in kinds.items()),
            )
        )
        + "</p>"
        for name, kinds in printed.items()
    ]


def _consequences(causes: list[dict[str, Any]], lang: str) -> list[str]:
    """The rows flagged only because of a duplicate account number or meter serial, under that duplicate."""
    if not causes:
        return []
    rows = [
        [cause_words(c["cause"], c["file"], c["line"], lang), c["count"],
         "; ".join(f"{words(kind, lang).what}: {number(n, lang)}" for kind, n in c["kinds"].items())]
        for c in causes
    ]  # fmt: skip
    titles = [say(k, lang) for k in ("cause", "count", "what follows")]
    return [
        f"<h2>{say('consequences', lang)}</h2>",
        f"<p class=hint>{escape(say('consequences note', lang))}</p>",
        _table(titles, rows, lang, numeric={1: 0}),
    ]


def _left_out(info: dict[str, Any], lang: str) -> list[str]:
    """The columns that look personal and were left out: in the customer's words where the report says
    which file, column and why (else as the load described them)."""
    found = info.get("personal_columns_left_out")
    if found is None:
        return [str(x) for x in info["personal_columns_not_loaded"]]
    return [say("left out column", lang, file=c["file"], column=c["column"], why=_why(c, lang)) for c in found]


def _why(column: dict[str, Any], lang: str) -> str:
    """Why a column looks personal (personal.Finding.why), in ``lang``."""
    return message_text(column.get("why_said"), column["why"], lang)


def render_load_html(info: dict[str, Any], title: str, lang: str = "ru") -> str:
    """The report of `import load`: what was read and loaded, what was not and why, how personal data was
    treated, the leak scan and the invariants. It carries no personal value."""
    scan = info["leak_scan"]
    rejected = info["rejected"]
    mapping = str(info.get("mapping", ""))
    mapping = say("standard layout", lang) if mapping in ("", "standard layout") else _base(mapping)
    out = [
        *_head(title, lang),
        _made("made_load", lang, export=_base(str(info.get("export", ""))), mapping=mapping),
        f"<h2>{say('leak scan', lang)}</h2>",
        f"<p class={'ok' if scan['clean'] else 'bad'}>"
        + escape(
            say("clean", lang, n=number(scan["original_values_checked"], lang))
            if scan["clean"]
            else say("leaked", lang, n=number(len(scan["leaks"]), lang))
        )
        + "</p>",
        f"<h2>{say('rows heading', lang)}</h2>",
        _table([say("file", lang), say("rows read", lang)], [[n, c] for n, c in info["rows_read"].items()], lang,
               numeric={1: 0}),
        _table([say("table", lang), say("rows loaded", lang)],
               [[TABLES[n].of(lang) if n in TABLES else n, c] for n, c in info["rows_loaded"].items()], lang,
               numeric={1: 0}),
    ]  # fmt: skip
    if rejected["total"]:
        out.append(f"<h2 class=bad>{escape(say('not loaded', lang, n=number(rejected['total'], lang)))}</h2>")
        by_reason = rejected["by_reason"]
        out.append(_bars([(reason(r, lang), float(c)) for r, c in by_reason.items()], lang))
        columns = info.get("columns")
        first = {r: [f"{place(e['file'], e['line'], lang)} {_field(e, lang, columns)}" for e in es]
                 for r, es in rejected["examples"].items()}  # fmt: skip
        rows = [[reason(r, lang), c, "; ".join(first.get(r, []))] for r, c in by_reason.items()]
        out.append(_table([say(k, lang) for k in ("reason", "rows", "first")], rows, lang, numeric={1: 0}))
    else:
        out.append(f"<p class=ok>{say('all loaded', lang)}</p>")
    out.append(f"<h2>{say('personal data', lang)}</h2>")
    messages = info.get("anonymization_said", {})
    treated = [[rule_name(k, lang), treatment(v, lang, messages.get(k))] for k, v in info["anonymization"].items()]
    out.append(_table([say("data", lang), say("treatment", lang)], treated, lang))
    flags = info.get("flags_said") or [None] * len(info["flags"])
    for flag, message in zip(info["flags"], flags, strict=True):
        out.append(f"<p class=bad>{escape(say('flag', lang, flag=message_text(message, flag, lang)))}</p>")
    for what in _left_out(info, lang):
        out.append(f"<p>{escape(say('left out', lang, what=what))}</p>")
    out.append(f"<h2>{say('invariants', lang)}</h2>")
    checks = [
        [
            check_rule(c["check"], c.get("rule") or c["check"], lang),
            say("skipped", lang, why=skipped_why(c["check"], c["skipped"], lang))
            if c["skipped"]
            else say("violated" if c["violations"] else "holds", lang),
            c["violations"],
        ]
        for c in info.get("checks", [])
    ]
    out.append(_table([say(k, lang) for k in ("check", "result", "violations")], checks, lang, numeric={2: 0}))
    out.append("</html>")
    return "\n".join(out)


# -- the load report's words: the reasons, checks and personal data of a report kept as JSON -------------
REASON_CODES = {word.en: code for code, word in REASONS.items()}  # the JSON keys its reasons by their label


def reason(label: str, lang: str = "ru") -> str:
    """Why the load left rows out, by the label the load report's JSON keys it by."""
    code = REASON_CODES.get(label)
    return REASONS[code].of(lang) if code else label


def check_rule(name: str, rule: str, lang: str = "ru") -> str:
    """What an invariant demands (``rule``: seed.check's, for a check with no words)."""
    return checks.RULES[name].of(lang) if name in checks.RULES else rule


def skipped_why(name: str, why: str, lang: str = "ru") -> str:
    return checks.SKIPPED[name].of(lang) if name in checks.SKIPPED else why


def rule_name(rule: str, lang: str = "ru") -> str:
    return personal.RULES[rule].of(lang) if rule in personal.RULES else rule


# The load's JSON keeps a treatment, a flag and a column's why in English, each beside its message (code and
# arguments, "*_said"), which says it in the report's language. A report made before the messages were kept
# shows the English as it was written.
def message_text(message: dict[str, Any] | None, written: Any, lang: str = "ru") -> str:
    """A message of the load's JSON in ``lang``; without one, the text as ``written``."""
    return Message.from_dict(message).text(lang) if message else str(written)


def treatment(value: str, lang: str = "ru", message: dict[str, Any] | None = None) -> str:
    """What was done to a rule's data: its message, else the treatment's code (an earlier report's)."""
    if message:
        return message_text(message, value, lang)
    return personal.TREATMENTS[value].of(lang) if value in personal.TREATMENTS else value
