"""The scale benchmark's table and chart (pure: no Docker)."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import scale_report  # noqa: E402

ROWS = [
    {"command": "seed", "accounts": a, "seconds": s, "floor_seconds": f, "ratio": round(s / f, 2),
     "rows_per_s": 180 * a / s, "peak_pss_mb": m, "goal": "<= 1.2x floor", "met": s / f <= 1.2}
    for a, s, f, m in ((10_000, 2.0, 1.8, 150.0), (100_000, 19.0, 17.0, 160.0), (1_000_000, 230.0, 170.0, 170.0))
] + [
    {"command": "stats", "accounts": a, "seconds": s, "floor_seconds": None, "ratio": None, "rows_per_s": None,
     "peak_pss_mb": 60.0, "goal": "<= 2 s", "met": True}
    for a, s in ((10_000, 0.3), (100_000, 0.31), (1_000_000, 0.33))
]  # fmt: skip


def test_the_table_has_a_line_per_command_and_size_with_its_ratio_and_whether_the_goal_is_met() -> None:
    table = scale_report.markdown(ROWS).splitlines()
    assert len(table) == 2 + len(ROWS)
    assert table[4].startswith("| `seed` | 1,000,000 | 230 | — | 170 | 1.35 |")  # no server CPU read here
    assert table[4].endswith("| **no** |")
    assert table[2].endswith("| yes |")
    assert "| — |" in table[5]  # stats has no floor


def test_the_chart_is_svg_with_a_line_per_command_and_its_floor_dashed() -> None:
    drawn = ET.fromstring(scale_report.svg(ROWS))
    lines = drawn.findall("{http://www.w3.org/2000/svg}polyline")
    dashed = [line for line in lines if line.get("stroke-dasharray")]
    # time: seed, its floor, stats; memory: seed, stats
    assert len(lines) == 5 and len(dashed) == 1
    texts = [t.text for t in drawn.iter("{http://www.w3.org/2000/svg}text")]
    assert {"10k", "100k", "1M", "seed", "stats"} <= set(texts)


def test_a_chart_of_one_size_or_no_figures_still_draws() -> None:
    one = [dict(ROWS[0])]
    assert ET.fromstring(scale_report.svg(one)) is not None
    assert "no figures" in scale_report.svg([{**ROWS[3], "peak_pss_mb": None}])
