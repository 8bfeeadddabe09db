"""The rows an import leaves out: counted by reason with their first examples (for the load report), and
every one listed in a CSV the customer's staff read."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, TextIO

from seed.legacy.interpret import Refused, Tally
from seed.legacy.personal import HIDDEN
from seed.legacy.private import open_private
from seed.legacy.report import HEADERS
from seed.words.reasons import REASONS
from seed.words.word import HIDDEN_RU

BOM = "\ufeff"  # so that Excel reads the list of rows left out as UTF-8
REJECTED_HEADER = ["Файл", "Строка", "Причина", "Поле", "Значение"]
HIDDEN_CSV = HIDDEN_RU  # a value the list may not show, in the reports' Russian words


class Rejects(Tally[dict[str, Any]]):
    """Rows that could not be loaded: counts and first examples by reason (in English, keyed as the load
    report's JSON is), all of them in a CSV the customer's staff read: in Russian, each field by the
    customer's own column, UTF-8 with a BOM and ';' so that Excel opens it as it is."""

    def __init__(self, columns: dict[str, dict[str, str]] | None = None) -> None:
        super().__init__()
        self.columns = columns or {}  # file name -> field -> the customer's column (the mapping's)
        self.out: TextIO | None = None
        self.writer: Any = None

    def open(self, path: Path) -> None:
        """List every row to ``path`` (owner only: it names files and lines of the export)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.out = open_private(path)
        self.out.write(BOM)
        self.writer = csv.writer(self.out, delimiter=";")
        self.writer.writerow(REJECTED_HEADER)

    def refuse(self, file: str, line: int, why: Refused) -> None:
        shown = why.shown()
        self.add(why.reason.label, {"file": file, "line": line, "field": why.field, "value": shown})
        if self.writer is not None:
            column = self.columns.get(file, {}).get(why.field) or HEADERS.get(why.field, why.field)
            value = HIDDEN_CSV if shown == HIDDEN else shown
            self.writer.writerow([file, line, REASONS[why.reason.code].ru, column, value])

    def close(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = self.writer = None

    def __getstate__(self) -> dict[str, Any]:  # the open file stays with the process that opened it
        return {**self.__dict__, "out": None, "writer": None}
