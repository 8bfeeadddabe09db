"""A self-contained HTML report of `import check`, for a deployer to send to the customer: no network
needed to open it (inline CSS, charts as inline SVG)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from html import escape
from typing import Any

STYLE = """body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.5em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}.ok{color:#176c2e}.bad{color:#a4161a}
small{color:#666}"""


def _bars(items: list[tuple[str, float]], width: int = 480) -> str:
    """A horizontal bar chart as inline SVG."""
    if not items:
        return ""
    top = max(v for _, v in items) or 1
    row = 22
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 260}" height="{row * len(items) + 4}">']
    for i, (label, value) in enumerate(items):
        w = int(width * value / top)
        y = i * row + 2
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="12">{escape(label)}</text>'
            f'<rect x="200" y="{y + 3}" width="{max(w, 1)}" height="16" fill="#c0392b"/>'
            f'<text x="{205 + w}" y="{y + 15}" font-size="12">{value:,.0f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def render_html(info: dict[str, Any], title: str) -> str:
    problems = info["problems"]
    out = [
        f"<!doctype html><html lang=ru><meta charset=utf-8><title>{escape(title)}</title>",
        f"<style>{STYLE}</style><h1>{escape(title)}</h1>",
        f"<p><small>Made {dt.datetime.now():%d.%m.%Y %H:%M} by provision import check.</small></p>",
        "<h2>Files</h2><table><tr><th>entity</th><th>file</th><th>format</th><th>encoding</th><th>rows</th></tr>",
    ]
    for entity, f in info["files"].items():
        out.append(
            f"<tr><td>{escape(entity)}</td><td>{escape(f['path'])}</td><td>{escape(f['format'])}</td>"
            f"<td>{escape(str(f.get('encoding', '')))}</td><td class=n>{info['rows'].get(entity, 0):,}</td></tr>"
        )
    out.append("</table><h2>Problems</h2>")
    if not problems:
        out.append("<p class=ok>No problems found.</p>")
    else:
        out.append(_bars([(k, float(p["count"])) for k, p in problems.items()]))
        out.append("<table><tr><th>problem</th><th>count</th><th>first examples (file:line field=value)</th></tr>")
        for p in problems.values():
            examples = "<br>".join(
                escape(f"{e['file'].rsplit('/', 1)[-1]}:{e['line']} {e['field']}={e['value']} {e['message']}")
                for e in p["examples"]
            )
            out.append(
                f"<tr><td class=bad>{escape(p['what'])}</td><td class=n>{p['count']:,}</td><td>{examples}</td></tr>"
            )
        out.append("</table>")
        out.extend(f"<p class=bad>{escape(note['en'])}</p>" for note in info.get("notes", []))
    out.append(
        "<h2>Control totals per service and period</h2><table><tr><th>service</th><th>period</th>"
        "<th>opening</th><th>charged</th><th>paid</th><th>closing</th></tr>"
    )
    for t in info["control_totals"]:
        cells = "".join(f"<td class=n>{Decimal(t[m]):,.2f}</td>" for m in ("opening", "charged", "paid", "closing"))
        out.append(f"<tr><td>{escape(t['service'])}</td><td>{escape(t['period'])}</td>{cells}</tr>")
    out.append("</table>")
    diffs = info["totals_differences"]
    if diffs:
        out.append(
            "<h2 class=bad>Differences from the old system's totals</h2><table><tr><th>service</th>"
            "<th>period</th><th>measure</th><th>export</th><th>reported</th><th>difference</th></tr>"
        )
        for d in diffs:
            out.append(
                "<tr>"
                + "".join(
                    f"<td>{escape(str(d[k]))}</td>"
                    for k in ("service", "period", "measure", "export", "reported", "difference")
                )
                + "</tr>"
            )
        out.append("</table>")
    elif "totals" in info["rows"]:
        out.append("<p class=ok>The control totals match the old system's.</p>")
    out.append("</html>")
    return "\n".join(out)


def _table(headers: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class=n>{v:,}</td>" if i in numeric and isinstance(v, int) else f"<td>{escape(str(v))}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def render_load_html(info: dict[str, Any], title: str) -> str:
    """The report of `import load`: what was read and loaded, what was not and why, how personal data was
    treated, the leak scan and the invariants. It carries no personal value."""
    scan = info["leak_scan"]
    rejected = info["rejected"]
    out = [
        f"<!doctype html><html lang=ru><meta charset=utf-8><title>{escape(title)}</title>",
        f"<style>{STYLE}</style><h1>{escape(title)}</h1>",
        f"<p><small>Made {dt.datetime.now():%d.%m.%Y %H:%M} by provision import load from "
        f"{escape(str(info.get('export', '')))} ({escape(str(info.get('mapping', '')))}).</small></p>",
        "<h2>Leak scan</h2>",
        f"<p class={'ok' if scan['clean'] else 'bad'}>"
        + (
            f"Clean: none of {scan['original_values_checked']:,} original personal values is in the database."
            if scan["clean"]
            else f"{len(scan['leaks'])} original personal values found; the load was refused."
        )
        + "</p>",
        "<h2>Rows</h2>",
        _table(["file", "rows read"], [[name, count] for name, count in info["rows_read"].items()], numeric={1}),
        _table(["table", "rows loaded"], [[name, count] for name, count in info["rows_loaded"].items()], numeric={1}),
    ]
    if rejected["total"]:
        out.append(f"<h2 class=bad>Rows not loaded: {rejected['total']:,}</h2>")
        out.append(_bars([(reason, float(count)) for reason, count in rejected["by_reason"].items()]))
        rows = [
            [reason, count, "; ".join(f"{e['file']}:{e['line']} {e['field']}" for e in rejected["examples"][reason])]
            for reason, count in rejected["by_reason"].items()
        ]
        out.append(_table(["reason", "rows", "first (file:line field)"], rows, numeric={1}))
    else:
        out.append("<p class=ok>Every row was loaded.</p>")
    out.append("<h2>Personal data</h2>")
    out.append(_table(["data", "treatment"], [[k, v] for k, v in info["anonymization"].items()]))
    for flag in info["flags"]:
        out.append(f"<p class=bad>Flag: {escape(flag)}</p>")
    for column in info["personal_columns_not_loaded"]:
        out.append(f"<p>Left out: {escape(column)}</p>")
    out.append("<h2>Invariants</h2>")
    checks = [
        [c["check"], "skipped" if c["skipped"] else ("holds" if not c["violations"] else "violated"), c["violations"]]
        for c in info.get("checks", [])
    ]
    out.append(_table(["check", "result", "violations"], checks, numeric={2}))
    out.append("</html>")
    return "\n".join(out)
