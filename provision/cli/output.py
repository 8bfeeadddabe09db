"""How the commands print: stderr lines, JSON, tables, sizes, a seed's progress bar."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from provision.errors import EnvironmentProblem
from seed.errors import OutputError

if TYPE_CHECKING:
    from provision.clients.lifecycle import ClientStatus


def err(line: str) -> None:
    typer.echo(line, err=True)


def stdin_is_a_terminal() -> bool:
    """Whether a person can answer a question (tests stand in for one by replacing this)."""
    return sys.stdin.isatty()


def print_json(value: Any, *, ascii_only: bool = False) -> None:
    typer.echo(json.dumps(value, ensure_ascii=ascii_only, indent=2, default=str))


def size(value: int | None) -> str:
    if value is None:
        return "-"
    amount = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if amount < 1024 or unit == "GB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} GB"


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> None:
    cells = [[h for _, h in columns]] + [
        [str(r.get(k) if r.get(k) not in (None, "") else "-") for k, _ in columns] for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    for row in cells:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def reported(info: Any, html: Path | None, page: Callable[[], str], as_json: bool) -> bool:
    """Write the HTML page if asked; print the JSON if asked (and say so: nothing more to print)."""
    if html is not None:
        from seed.legacy.private import write_private  # only a report's command pays for seed.legacy

        try:
            write_private(html, page())  # it quotes the export: owner only
        except OutputError as exc:  # a full disk, a device that refuses
            raise EnvironmentProblem(str(exc), fix="free some space there, or write to another file") from None
        err(f"wrote {html}")
    if as_json:
        print_json(info)
    return as_json


def print_clients(clients: list[ClientStatus], as_json: bool) -> None:
    """The table of `status` and `list`: state, address, image, storage, data size, title."""
    rows = [c.to_dict() for c in clients]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        row["size"] = size(row["data_bytes"])
        if row["data_apparent_bytes"] and row["data_apparent_bytes"] != row["data_bytes"]:
            row["size"] += f" ({size(row['data_apparent_bytes'])} apparent)"  # clones share what they did not change
        row["method"] = row["storage"].split(":", 1)[0]
        row["where"] = f"{row['host']}:{row['port']}" if row["port"] else ""
        row["state_health"] = row["state"] + (f" ({row['health']})" if row["health"] else "")
    table(
        rows,
        [
            ("client", "CLIENT"),
            ("state_health", "STATE"),
            ("where", "ADDRESS"),
            ("image", "IMAGE"),
            ("method", "STORAGE"),
            ("size", "DATA"),
            ("title", "TITLE"),
        ],
    )
    if len(rows) == 1 and rows[0]["storage"]:
        typer.echo(f"storage: {rows[0]['storage']}")
    if any(row["state"] == "unreachable" for row in rows):
        err("note: some clients' Docker hosts cannot be reached now; `provision hosts` says why and how to fix it")


class SeedBar:
    """A progress bar on stderr for a seed: accounts done, rows written, time left."""

    def __enter__(self) -> tuple[Callable[[int, int, int], None], Callable[[str], None]]:
        # rich's progress is imported only when a bar is shown: a quick command (a reset) does not pay for it
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("accounts, {task.fields[rows]:,} rows"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self.task: Any = None

        def progress(done: int, total: int, rows: int) -> None:
            if self.task is None:
                self.bar.start()
                self.task = self.bar.add_task("loading", total=total, rows=0)
            self.bar.update(self.task, completed=done, rows=rows)

        def phase(name: str) -> None:
            if self.task is not None:
                self.bar.update(self.task, description=name)

        return progress, phase

    def __exit__(self, *exc: object) -> None:
        if self.task is not None:
            self.bar.stop()
