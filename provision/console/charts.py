"""The books at a glance as SVG drawn on the server (no script, no library to ship): charged against paid
per month, and the debt by its age."""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any

CHARGED, PAID, DEBT = "#4a78b5", "#5aa05a", "#c0392b"


def _money(value: Any) -> str:
    """Roubles the Russian way, in thousands: 1 234 тыс."""
    thousands = int(Decimal(str(value)) / 1000)
    return f"{thousands:,}".replace(",", "\u00a0")


def months_chart(months: list[dict[str, Any]], words: dict[str, str]) -> str:
    """Two bars a month: charged (with recalculations) and paid, in thousands of roubles."""
    width, height, top, bottom = 760, 260, 20, 40
    if not months:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="40"><text x="0" y="20">—</text></svg>'
    peak = max(max(Decimal(str(m["charged"])), Decimal(str(m["paid"]))) for m in months) or Decimal(1)
    slot = (width - 60) / len(months)
    bar = max(slot * 0.35, 2)
    scale = (height - top - bottom) / float(peak)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(words["chart_months"])}">',
        f'<text x="0" y="12" font-size="12">{escape(words["thousand_rub"])}: {_money(peak)}</text>',
    ]
    for i, m in enumerate(months):
        x = 50 + i * slot
        for k, (key, colour) in enumerate((("charged", CHARGED), ("paid", PAID))):
            h = float(Decimal(str(m[key]))) * scale
            y = height - bottom - h
            title = f"{m['period']:%m.%Y} {words[key]}: {_money(m[key])} {words['thousand_rub']}"
            parts.append(
                f'<rect x="{x + k * bar:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(title)}</title></rect>"
            )
        parts.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" font-size="11">{m["period"]:%m.%y}</text>')
    legend_y = height - 6
    parts.append(f'<rect x="50" y="{legend_y - 10}" width="10" height="10" fill="{CHARGED}"/>')
    parts.append(f'<text x="64" y="{legend_y}" font-size="12">{escape(words["charged"])}</text>')
    parts.append(f'<rect x="200" y="{legend_y - 10}" width="10" height="10" fill="{PAID}"/>')
    parts.append(f'<text x="214" y="{legend_y}" font-size="12">{escape(words["paid"])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def debt_chart(debt: list[dict[str, Any]], words: dict[str, str]) -> str:
    """A bar per age of debt: how many accounts, how much they owe."""
    width, row = 760, 26
    height = row * max(len(debt), 1) + 10
    peak = max((Decimal(str(d["debt"])) for d in debt), default=Decimal(0)) or Decimal(1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(words["chart_debt"])}">'
    ]
    for i, d in enumerate(debt):
        y = i * row + 4
        w = 360 * float(Decimal(str(d["debt"])) / peak)
        age = words.get("age_" + d["age"], d["age"])
        label = f"{age}: {d['accounts']} {words['accounts']}, {_money(d['debt'])} {words['thousand_rub']}"
        parts.append(f'<rect x="0" y="{y}" width="{max(w, 1):.1f}" height="18" fill="{DEBT}"/>')
        parts.append(f'<text x="{w + 8:.1f}" y="{y + 14}" font-size="12">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
