"""What the analysis of an export finds: the kinds of problems, each with its first examples, and the
control totals per service and period."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from seed.legacy.analyze.spill import Cause, Spill
from seed.legacy.interpret import EXAMPLES, Refused, Tally, shown_value, text
from seed.words.messages import NONE, Message
from seed.words.problems import SUMMARY, WHAT

# every kind of problem, with its one-line English summary (the command line's and the JSON's)
KINDS: dict[str, str] = {kind: SUMMARY.get(kind, what).en for kind, what in WHAT.items()}


class Note(NamedTuple):
    """What many problems of a kind have in common (payments dated after their period), in both languages."""

    kind: str
    en: str
    ru: str


class Where(NamedTuple):
    """The file and line of a row (cheap to make for every row of a long file)."""

    file: str
    line: int


@dataclass(frozen=True)
class Problem:
    kind: str
    file: str
    line: int
    field: str
    value: str
    said: Message = NONE  # what is wrong with the value, as a code and its arguments

    @property
    def message(self) -> str:
        """The message in English, as the JSON and the command line show it."""
        return self.said.text("en")

    def to_dict(self) -> dict[str, Any]:
        return {**{k: v for k, v in vars(self).items() if k != "said"}, "message": self.message,
                "said": self.said.to_dict()}  # fmt: skip


Finding = tuple[str, Where, str, Any, Message]  # kind, where, field, value, message: found over many rows at once


@dataclass
class Report:
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    tally: Tally[Problem] = field(default_factory=Tally)
    totals: dict[tuple[str, str], dict[str, Decimal]] = field(default_factory=dict)
    reported_totals: dict[tuple[str, str], dict[str, Decimal]] = field(default_factory=dict)
    reported_at: dict[tuple[str, str], Where] = field(default_factory=dict)  # the totals file's row of each
    rows: dict[str, int] = field(default_factory=dict)
    service_names: dict[str, str] = field(default_factory=dict)  # our code -> as the export first wrote it
    # rows flagged only because of an earlier duplicate account number or meter serial: per cause, per kind
    consequences: dict[Cause, Counter[str]] = field(default_factory=dict)
    spill: Spill | None = None  # every problem, for the complete list
    notes: list[Note] = field(default_factory=list)
    span: tuple[int, int] | None = None  # the first and last month of the rows read (month numbers)
    # a printed report's own rows passed over, by file name and kind ("header", "totals"): not problems
    printed: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def keeping(cls, examples: int | None, spill: Spill | None = None) -> Report:
        """A report that keeps this many examples of each kind (every one when None), and spills every
        problem into ``spill`` when given."""
        return cls(tally=Tally(examples), spill=spill)

    @property
    def counts(self) -> Any:
        return self.tally.counts

    @property
    def examples(self) -> Any:
        return self.tally.examples

    def add(
        self,
        kind: str,
        row: Where | None,
        fld: str,
        value: Any,
        message: Message = NONE,
        personal: bool = False,
        cause: Cause | None = None,
    ) -> None:
        """A problem; its example shows the value and message only as :func:`shown_value` allows. One that
        follows from ``cause`` is counted under it, apart from the kinds' counts."""
        if self.spill is not None:
            self.spill.add(kind, row.file if row else "", row.line if row else 0, fld, value, message, personal, cause)
        if cause is not None:
            found = self.consequences.get(cause)
            if found is None:
                found = self.consequences[cause] = Counter()
            found[kind] += 1
            return
        tally = self.tally
        if not tally.wants(kind):
            tally.counts[kind] += 1
            return
        shown, said = shown_value(fld, value, message, personal)
        tally.add(kind, Problem(kind, row.file if row else "", row.line if row else 0, fld, shown, said))

    def count(self, kind: str, n: int) -> None:
        """``n`` more problems of ``kind`` beyond the examples added (their examples are not kept, nor listed)."""
        self.tally.counts[kind] += n

    def refused(self, row: Where, why: Refused, cause: Cause | None = None) -> None:
        """A row the load would leave out: counted under the kind of its reason (or under ``cause``)."""
        self.add(why.reason.kind, row, why.field, why.value, why.message, why.personal, cause)

    def merge(self, other: Report) -> None:
        self.files.update(other.files)
        self.rows.update(other.rows)
        self.tally.merge(other.tally)
        self.totals.update(other.totals)
        self.reported_totals.update(other.reported_totals)
        self.reported_at.update(other.reported_at)
        for code, written in other.service_names.items():
            self.service_names.setdefault(code, written)
        for cause, kinds in other.consequences.items():
            self.consequences.setdefault(cause, Counter()).update(kinds)
        self.notes += other.notes
        self.printed.update(other.printed)
        if other.span is not None:
            self.spanning(*other.span)
        if self.spill is not None and other.spill is not None:
            self.spill.adopt(other.spill)

    def spanning(self, first: int, last: int) -> None:
        """Months seen from ``first`` to ``last`` (month numbers)."""
        if self.span is not None:
            first, last = min(first, self.span[0]), max(last, self.span[1])
        self.span = (first, last)

    def months_of(self, months: Any) -> None:
        """The months of a column of rows (numpy), once per batch."""
        if len(months):
            self.spanning(int(months.min()), int(months.max()))

    def named(self, code: str, written: Any) -> None:
        """How the export wrote a service of ours, the first time it did (the name the reports show)."""
        if code not in self.service_names:
            self.service_names[code] = text(written)

    @property
    def problems(self) -> int:
        """Problems counted by kind (the rows that follow from another problem are not among them)."""
        return self.tally.total

    @property
    def consequent(self) -> int:
        """Rows flagged only because of an earlier duplicate (counted under their cause)."""
        return sum(sum(kinds.values()) for kinds in self.consequences.values())

    def totals_differences(self) -> list[dict[str, Any]]:
        """Each measure of a service and month where the export's sum is not the old system's, by service and
        month, with the totals file's line that reported it (where the customer looks it up)."""
        out = []
        for key, theirs in sorted(self.reported_totals.items()):
            ours = self.totals.get(key, {})
            at = self.reported_at.get(key, Where("", 0))
            for measure, value in theirs.items():
                mine = ours.get(measure, Decimal(0))
                if abs(mine - value) > Decimal("0.005"):
                    out.append(
                        {
                            "service": shown_value("service", key[0])[0],
                            "period": key[1],
                            "measure": measure,
                            "export": str(mine),
                            "reported": str(value),
                            "difference": str(mine - value),
                            "file": at.file,
                            "line": at.line,
                        }
                    )
        return out

    def to_dict(self) -> dict[str, Any]:
        columns: dict[str, dict[str, str]] = {}  # the customer's, by file and field (of every entity reading it)
        for info in self.files.values():
            columns.setdefault(info["path"], {}).update(info.get("columns", {}))

        def column(p: Problem) -> str:
            return str(columns.get(p.file, {}).get(p.field, ""))

        return {
            "files": self.files,
            "rows": dict(self.rows),
            "printed_rows": dict(self.printed),
            "problems": {
                k: {
                    "what": KINDS[k],
                    "count": self.counts[k],
                    "examples": [{**p.to_dict(), "column": column(p)} for p in self.examples[k]],
                }
                for k in KINDS
                if self.counts[k]
            },
            "consequences": [
                {
                    "cause": cause.kind,
                    "file": cause.file,
                    "line": cause.line,
                    "count": sum(kinds.values()),
                    "kinds": dict(sorted(kinds.items())),
                }
                for cause, kinds in sorted(self.consequences.items())
            ],
            "control_totals": [
                {"service": shown_value("service", s)[0], "period": p, **{k: str(v) for k, v in m.items()}}
                for (s, p), m in sorted(self.totals.items())
            ],
            "totals_differences": self.totals_differences(),
            "service_names": {  # only our codes: an unknown service's name stands as its own code
                code: shown_value("service", written)[0] for code, written in sorted(self.service_names.items())
            },
            "notes": [note._asdict() for note in self.notes],
        }


__all__ = ["EXAMPLES", "KINDS", "Cause", "Finding", "Note", "Problem", "Report", "Where"]
