"""Excel's damage to identifiers in a spreadsheet, told where a digit was lost rather than wherever a number
cell is: a number cell holding an account number or a meter serial whole is not damage (an export of 3,000
accounts held as numbers would otherwise carry tens of thousands of warnings). A digit is lost when the
cell is in exponent notation, holds more than 15 significant digits (all Excel keeps), or is shorter than
the column's usual length (its leading zeros gone: «12345» where the column's values are «00012345»).

The usual length is known only at the end of the file, which is read once, streaming: per column a small
histogram of lengths, and for number cells their count and first examples per length, decided at the end.
Memory does not follow the rows: with a complete list to write (a :class:`~.spill.Spill`), the number
cells go to an owner-only temporary file beside the spill's instead, and are read back at the end.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import IO

from seed.legacy.analyze.findings import Report, Where
from seed.words.messages import Message

KIND = "excel_damage"
EXCEL_DIGITS = 15  # the significant digits Excel keeps of a number
FIXED_SHARE = 0.95  # a column whose values are this much of one length is fixed-width


def lost_digits(written: str) -> bool:
    """A number cell with more significant digits than Excel keeps: the ones past the 15th are lost."""
    digits = "".join(c for c in written.partition(".")[0] if c.isdigit()).lstrip("0")
    return len(digits) > EXCEL_DIGITS


class Column:
    """One column's lengths: of every value, and of its number cells with their first examples."""

    __slots__ = ("kept", "lengths", "numbers", "zeros")

    def __init__(self) -> None:
        self.lengths: Counter[int] = Counter()
        self.numbers: Counter[int] = Counter()
        self.kept: dict[int, list[tuple[int, str]]] = {}
        self.zeros = 0  # values kept as text with a leading zero («00012345»)

    def zeros_matter(self) -> bool:
        """Whether a shorter number cell can be a longer value's leading zeros lost: the column keeps such
        zeros as text somewhere, or nearly all its values are one length (a fixed-width number). Accounts
        numbered 1 to 3,000 in number cells are neither: their lengths differ, and no zero was there."""
        return self.zeros > 0 or self.lengths[self.usual()] >= FIXED_SHARE * sum(self.lengths.values())

    def usual(self) -> int:
        """The most common length of the column's values (of two as common, the longer)."""
        return max(self.lengths.items(), key=lambda item: (item[1], item[0]))[0]


class Lengths:
    """The identifier columns of one spreadsheet as it is read (:meth:`text`, :meth:`number`), and the
    damage found in them once it is read (:meth:`finish`). ``keep``: the examples kept per length (every
    one when None); ``folder``: where the number cells go when every problem is listed."""

    def __init__(self, path: str, keep: int | None, folder: Path | None = None) -> None:
        self.path, self.keep = path, keep
        self.columns: dict[str, Column] = {}
        self.rest: IO[str] | None = None
        if folder is not None:
            # owner-only and unnamed; closed by finish (or with the object, if the file is never read to its end)
            self.rest = tempfile.TemporaryFile("w+", encoding="utf-8", dir=folder)  # noqa: SIM115

    def _column(self, fld: str) -> Column:
        found = self.columns.get(fld)
        if found is None:
            found = self.columns[fld] = Column()
        return found

    def text(self, fld: str, written: str) -> None:
        """A value kept as text: its length only (an empty one has none)."""
        shown = written.strip()
        if shown:
            column = self._column(fld)
            column.lengths[len(shown)] += 1
            if shown[0] == "0" and len(shown) > 1:
                column.zeros += 1

    def number(self, fld: str, line: int, written: str) -> None:
        """A number cell whole (not in exponent notation, no digit past the 15th): damaged only if shorter
        than the column's usual length, known at the end."""
        column, shown = self._column(fld), written.strip()
        n = len(shown)
        column.lengths[n] += 1
        column.numbers[n] += 1
        if self.rest is not None:
            self.rest.write(f"{fld}\t{n}\t{line}\t{shown}\n")
            return
        kept = column.kept.get(n)
        if kept is None:
            kept = column.kept[n] = []
        if self.keep is None or len(kept) < self.keep:
            kept.append((line, shown))

    def finish(self, report: Report) -> None:
        """The file is read: the number cells shorter than their column's usual length into ``report``,
        the first of them in line order."""
        said = Message.of("excel_number")
        short = {
            fld: {n for n in c.numbers if n < c.usual()}
            for fld, c in self.columns.items()
            if c.numbers and c.zeros_matter()
        }
        short = {fld: lengths for fld, lengths in short.items() if lengths}
        if self.rest is not None:
            with self.rest:
                if short:
                    self.rest.seek(0)
                    for record in self.rest:
                        fld, n, at, shown = record.rstrip("\n").split("\t", 3)
                        if int(n) in short.get(fld, ()):
                            report.add(KIND, Where(self.path, int(at)), fld, shown, said)
            return
        for fld, lengths in short.items():
            column = self.columns[fld]
            found = sorted(example for n in lengths for example in column.kept[n])
            for line, shown in found:
                report.add(KIND, Where(self.path, line), fld, shown, said)
            report.count(KIND, sum(column.numbers[n] for n in lengths) - len(found))
