"""The scale benchmark's results as a Markdown table and an SVG chart (time and peak memory against accounts,
log-log, one line per command and its floor dashed beside it in the same colour). Pure functions: a result is a
list of rows, one per command and size, as ``bench_scale`` measures them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

COLOURS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
    "#000000",
)
WIDTH, HEIGHT = 520, 400
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 40, 50


@dataclass(frozen=True)
class Panel:
    """One chart: which figure of a row is drawn, and which (if any) is its floor."""

    title: str
    value: str
    floor: str | None
    unit: str


PANELS = (
    Panel("Time, s", "seconds", "floor_seconds", "s"),
    Panel("Peak memory of all its processes (PSS), MB", "peak_pss_mb", None, "MB"),
)


def _figure(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    """A table a README can show: a line per command and size, the floor and the ratio beside it."""
    head = "| command | accounts | seconds | server CPU, s | floor, s | ratio | rows/s | peak PSS, MB | goal | met |"
    lines = [head, "|---|--:|--:|--:|--:|--:|--:|--:|---|:-:|"]
    for row in rows:
        met = row.get("met")
        lines.append(
            "| "
            + " | ".join(
                [
                    f"`{row['command']}`",
                    _figure(row["accounts"]),
                    _figure(row.get("seconds")),
                    _figure(row.get("server_cpu_s")),
                    _figure(row.get("floor_seconds")),
                    _figure(row.get("ratio")),
                    _figure(row.get("rows_per_s") or row.get("compare_rows_per_s")),  # a rehearsal: its comparison's
                    _figure(row.get("peak_pss_mb"), 0),
                    row.get("goal") or "",
                    "" if met is None else ("yes" if met else "**no**"),
                ]
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


def _ticks(low: float, high: float) -> list[float]:
    """Powers of ten from below ``low`` to above ``high``."""
    return [10.0**e for e in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)]


def _tick_label(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1_000:
        return f"{value / 1_000:g}k"
    return f"{value:g}"


def _series(rows: Iterable[dict[str, Any]], key: str) -> dict[str, list[tuple[float, float]]]:
    lines: dict[str, list[tuple[float, float]]] = {}
    for row in rows:
        value = row.get(key)
        if isinstance(value, int | float) and value > 0:
            lines.setdefault(row["command"], []).append((float(row["accounts"]), float(value)))
    return {command: sorted(points) for command, points in lines.items()}


def _panel(rows: Sequence[dict[str, Any]], panel: Panel, commands: list[str], x0: int) -> list[str]:
    mine = _series(rows, panel.value)
    floors = _series(rows, panel.floor) if panel.floor else {}
    points = [p for line in (*mine.values(), *floors.values()) for p in line]
    out = [f'<text x="{x0 + WIDTH / 2}" y="22" text-anchor="middle" font-weight="bold">{escape(panel.title)}</text>']
    if not points:
        return [*out, f'<text x="{x0 + WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">no figures</text>']
    xs = _ticks(min(p[0] for p in points), max(p[0] for p in points))
    ys = _ticks(min(p[1] for p in points), max(p[1] for p in points))
    if len(xs) < 2:
        xs = [xs[0], xs[0] * 10]
    if len(ys) < 2:
        ys = [ys[0], ys[0] * 10]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def at(x: float, y: float) -> tuple[float, float]:
        fx = (math.log10(x) - math.log10(xs[0])) / (math.log10(xs[-1]) - math.log10(xs[0]))
        fy = (math.log10(y) - math.log10(ys[0])) / (math.log10(ys[-1]) - math.log10(ys[0]))
        return round(x0 + LEFT + fx * plot_w, 1), round(TOP + (1 - fy) * plot_h, 1)

    for x in xs:
        px, _ = at(x, ys[0])
        out.append(f'<line x1="{px}" y1="{TOP}" x2="{px}" y2="{TOP + plot_h}" stroke="#ddd"/>')
        out.append(f'<text x="{px}" y="{TOP + plot_h + 16}" text-anchor="middle">{_tick_label(x)}</text>')
    for y in ys:
        _, py = at(xs[0], y)
        out.append(f'<line x1="{x0 + LEFT}" y1="{py}" x2="{x0 + LEFT + plot_w}" y2="{py}" stroke="#ddd"/>')
        out.append(f'<text x="{x0 + LEFT - 6}" y="{py + 4}" text-anchor="end">{_tick_label(y)}</text>')
    out.append(
        f'<text x="{x0 + LEFT + plot_w / 2}" y="{HEIGHT - 12}" text-anchor="middle">accounts (x 12 months)</text>'
    )
    for i, command in enumerate(commands):
        colour = COLOURS[i % len(COLOURS)]
        for line, dash in ((mine.get(command), ""), (floors.get(command), ' stroke-dasharray="5,4"')):
            if not line:
                continue
            path = " ".join(f"{px},{py}" for px, py in (at(x, y) for x, y in line))
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
            for px, py in (at(x, y) for x, y in line):
                out.append(f'<circle cx="{px}" cy="{py}" r="3" fill="{colour}"/>')
    return out


def svg(rows: Sequence[dict[str, Any]]) -> str:
    """Two log-log panels side by side and a legend below: a solid line per command, its floor dashed."""
    commands = list(dict.fromkeys(row["command"] for row in rows))
    legend_h = 20 * (len(commands) + 2)
    width, height = WIDTH * len(PANELS), HEIGHT + legend_h
    body = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    for i, panel in enumerate(PANELS):
        body += _panel(rows, panel, commands, i * WIDTH)
    y = HEIGHT + 10
    for i, command in enumerate(commands):
        colour = COLOURS[i % len(COLOURS)]
        body.append(f'<line x1="{LEFT}" y1="{y}" x2="{LEFT + 30}" y2="{y}" stroke="{colour}" stroke-width="2"/>')
        body.append(f'<text x="{LEFT + 38}" y="{y + 4}">{escape(command)}</text>')
        y += 20
    body.append(f'<line x1="{LEFT}" y1="{y}" x2="{LEFT + 30}" y2="{y}" stroke="#333" stroke-dasharray="5,4"/>')
    body.append(f'<text x="{LEFT + 38}" y="{y + 4}">its floor, measured in the same run</text>')
    body.append("</svg>")
    return "\n".join(body) + "\n"
