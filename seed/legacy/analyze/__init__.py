"""`import check`: the pre-migration analysis of a legacy export. Loads nothing; counts every kind of
problem with the file, line and value of its first examples (or of all of them), and sums control totals
per service and period to compare with the old system's own.

Every row is read as the load reads it (:mod:`seed.legacy.interpret`): a row the load would leave out is
a problem here, of the kind of the load's reason. The short files are checked row by row (``short``),
the long ones as compact columns (``long``, ``series``); the balances in a forked second process.

A row flagged only because an account number or a meter serial was given twice (its balances and the
repeat's read as one account's, say) is counted under that repeat (``Report.consequences``), not as a
problem of its own. With a ``Spill`` every problem also goes, as found, to owner-only temporary files,
for the complete list sorted by file and line (``listing``).
"""

from __future__ import annotations

from pathlib import Path

from seed.legacy.analyze.examiner import Examiner
from seed.legacy.analyze.findings import EXAMPLES, KINDS, Problem, Report, Where
from seed.legacy.analyze.long import check_balances, check_payments, check_readings
from seed.legacy.analyze.money import compare_money, spilled_pairs
from seed.legacy.analyze.scratch import Parts, scratch_folder
from seed.legacy.analyze.short import check_accounts, check_meters, check_persons, check_services
from seed.legacy.analyze.spill import Cause, Spill
from seed.legacy.forked import Forked
from seed.legacy.interpret import MAX_MONTHS, collector_paused
from seed.legacy.mapping import Mapping
from seed.period import month_label
from seed.words.messages import Message

__all__ = ["KINDS", "Cause", "Problem", "Report", "Spill", "Where", "analyze"]


def analyze(mapping: Mapping, examples: int | None = EXAMPLES, spill: Spill | None = None) -> Report:
    """Every problem of the export, with ``examples`` of each kind (every one when None); every one of
    them also into ``spill`` when given (for the complete list)."""
    with collector_paused(), scratch_folder() as folder:
        return _analyze(Examiner(mapping, examples, spill), folder)


def _analyze(ex: Examiner, folder: Path) -> Report:
    check_accounts(ex)
    # The balances (half the rows) are read by a second process while this one reads the rest: the analysis
    # needs no database, so it has both cores to itself. They need the accounts alone (their services are
    # named in this process's report first, as the merge keeps the first name of a service).
    balances = Forked(lambda: _balances_alone(ex, folder))
    try:
        check_persons(ex)
        check_services(ex)
        check_meters(ex)
        check_readings(ex)
        payments = check_payments(ex, folder)
    except BaseException:
        balances.abandon()
        raise
    balance_report, paid = balances.result()
    ex.report.merge(balance_report)
    report = ex.report
    causes = ex.caused_by()
    pairs = spilled_pairs(paid, payments)
    compare_money(report, ex.path("balances"), ex.path("payments"), pairs, causes)
    if report.span is not None and report.span[1] + 1 - report.span[0] > MAX_MONTHS:  # the load refuses it whole
        first, last = (month_label(m) for m in report.span)
        report.add("period_span", None, "period", "", Message.of("periods_from", first=first, last=last))
    encodings = {i.get("encoding") for i in report.files.values() if i.get("encoding")}
    if len({e.replace("-sig", "") for e in encodings if e}) > 1:
        report.add(
            "mixed_encodings",
            None,
            "encoding",
            "",
            Message.of("as_written", text=", ".join(sorted(e for e in encodings if e))),
        )
    return report


def _balances_alone(ex: Examiner, folder: Path) -> tuple[Report, Parts]:
    """In the forked child: the balances and totals files, into a report of their own, and what the
    balances pay per account and month (spilled into ``folder``)."""
    spill = ex.report.spill
    ex.report = Report.keeping(ex.examples, spill.fork() if spill is not None else None)
    paid = check_balances(ex, folder)
    if ex.report.spill is not None:
        ex.report.spill.flush()  # its files come back with the report
    return ex.report, paid
