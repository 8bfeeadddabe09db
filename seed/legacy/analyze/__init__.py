"""`import check`: the pre-migration analysis of a legacy export. Loads nothing; counts every kind of
problem with the file, line and value of its first examples (or of all of them), and sums control totals
per service and period to compare with the old system's own.

Every row is read as the load reads it (:mod:`seed.legacy.interpret`): a row the load would leave out is
a problem here, of the kind of the load's reason. The short files are checked row by row (``short``),
the long ones as compact columns (``long``, ``series``); the payments and the balances in a forked second
process.

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
    # The payments and the balances (two thirds of the rows) are read by a second process while this one
    # reads the rest: the analysis needs no database, so it has both cores to itself. They need the accounts
    # alone (their services are named in this process's report first, as the merge keeps the first name of
    # a service). The payments' report is merged first: as if this process had read them after the readings.
    money = Forked(lambda: _money_alone(ex, folder))
    try:
        check_persons(ex)
        check_services(ex)
        check_meters(ex)
        check_readings(ex)
    except BaseException:
        money.abandon()
        raise
    payment_report, payments, balance_report, paid = money.result()
    ex.report.merge(payment_report)
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


def _money_alone(ex: Examiner, folder: Path) -> tuple[Report, Parts, Report, Parts]:
    """In the forked child: the payments, then the balances and totals files, each into a report of its own,
    and what the payments and the balances pay per account and month (spilled into ``folder``). The
    payments first: an error of theirs is the one raised, as when the parent read them."""
    spill = ex.report.spill

    def own() -> Report:
        return Report.keeping(ex.examples, spill.fork() if spill is not None else None)

    ex.report = own()
    payments = check_payments(ex, folder)
    payment_report = ex.report
    ex.report = own()
    paid = check_balances(ex, folder)
    for report in (payment_report, ex.report):
        if report.spill is not None:
            report.spill.flush()  # its files come back with the report
    return payment_report, payments, ex.report, paid
