"""The month-end switch-over: the old system's final export (through the month the books have open)
loaded as the new books, what changed since the first import counted by kind, and the new books
reconciled with the old system's control totals, before they replace the old ones.

The final export goes through the import's own pipeline (the same reading, refusals and keyed pseudonyms,
so an account keeps its demo number); its months all close, and the month after opens on their last
closing balances (:func:`seed.months.open_balances`). Before the switch-in, with the old books (``okno``)
and the new (the working schema) side by side in one database, :func:`compare` counts the changes and
:func:`reconcile` compares, per service, the old system's control totals of the last month with the new
books' closing of it and opening of the next, and lists every account whose opening differs from its
closing. A wrong export is refused (:class:`~seed.errors.SwitchoverRefused`), a reconciliation with
differences not accepted stops the switch (:class:`~seed.errors.ReconciliationFailed`); either way the
old books stay as they were.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from seed.errors import NoData, ReconciliationFailed, SwitchoverRefused
from seed.legacy.importer.pipeline import run_import
from seed.legacy.importer.state import ImportResult, ImportState, Progress
from seed.legacy.interpret import month_number, month_start, number, open_entity, service_code
from seed.legacy.mapping import Mapping
from seed.months import month_after

# What changed between the books and the final export, by kind: (the Russian words, the count's SQL over
# {old} and {new}). Accounts, persons and meters are matched by their demo numbers, which the key keeps.
PERSON = "(x.surname, x.given_name, coalesce(x.patronymic, ''), coalesce(x.birth_date::text, ''))"
LINKS = (
    "SELECT a.number, {person} FROM {s}.account_person ap JOIN {s}.account a ON a.id = ap.account_id "
    "JOIN {s}.person x ON x.id = ap.person_id"
)
METERS = (
    "SELECT a.number, m.serial, m.removed_on, m.service_id FROM {s}.meter m JOIN {s}.account a ON a.id = m.account_id"
)
# Meters newly installed (in the new books, not the old) and newly removed (open in the old, removed in
# the new), each with its account and service.
INSTALLED = (
    "SELECT n.number, n.service_id FROM (" + METERS.format(s="{new}") + ") n WHERE NOT EXISTS "
    "(SELECT 1 FROM (" + METERS.format(s="{old}") + ") o WHERE o.number = n.number AND o.serial = n.serial)"
)
REMOVED = (
    "SELECT number, n.service_id FROM ("
    + METERS.format(s="{old}")
    + ") o JOIN ("
    + METERS.format(s="{new}")
    + ") n USING (number, serial) WHERE o.removed_on IS NULL AND n.removed_on IS NOT NULL"
)
PAYMENTS = "SELECT a.number, p.paid_on, p.amount FROM {s}.payment p JOIN {s}.account a ON a.id = p.account_id"
BALANCES = (
    "SELECT a.number, b.service_id, b.period, b.opening, b.charged, b.recalculated, b.paid, b.closing "
    "FROM {s}.balance b JOIN {s}.account a ON a.id = b.account_id WHERE b.period <= {closed}"
)


def _not_in(rows: str, first: str, second: str, every: bool = False) -> str:
    """How many of the ``rows`` (a query over schema {s}) of schema ``first`` are not in ``second``'s
    (``every``: as many times as they repeat)."""
    return (
        f"SELECT count(*) FROM ({rows.format(s=first, person=PERSON)} EXCEPT{' ALL' if every else ''} "
        f"{rows.format(s=second, person=PERSON)}) d"
    )


CHANGES: dict[str, tuple[str, str]] = {
    "accounts_added": (
        "новые лицевые счета",
        "SELECT count(*) FROM {new}.account n "
        "WHERE NOT EXISTS (SELECT 1 FROM {old}.account o WHERE o.number = n.number)",
    ),
    "accounts_missing": (
        "лицевые счета, которых нет в выгрузке",
        "SELECT count(*) FROM {old}.account o "
        "WHERE NOT EXISTS (SELECT 1 FROM {new}.account n WHERE n.number = o.number)",
    ),
    "accounts_closed": (
        "закрытые лицевые счета",
        "SELECT count(*) FROM {old}.account o JOIN {new}.account n USING (number) "
        "WHERE o.closed_on IS NULL AND n.closed_on IS NOT NULL",
    ),
    "accounts_changed": (
        "лицевые счета с изменёнными данными (проживающие, площадь, ЕЛС)",
        "SELECT count(*) FROM {old}.account o JOIN {new}.account n USING (number) "
        "WHERE (o.residents, o.area, o.els, o.opened_on) IS DISTINCT FROM (n.residents, n.area, n.els, n.opened_on)",
    ),
    "persons_moved_in": ("вселившиеся (новые связи лица и лицевого счёта)", _not_in(LINKS, "{new}", "{old}")),
    "persons_moved_out": ("выбывшие", _not_in(LINKS, "{old}", "{new}")),
    "meters_installed": ("установленные приборы учёта", "SELECT count(*) FROM (" + INSTALLED + ") d"),
    "meters_removed": ("снятые приборы учёта (в том числе при замене)", "SELECT count(*) FROM (" + REMOVED + ") d"),
    "meters_replaced": (
        "заменённые приборы учёта (снят один, установлен другой на той же услуге)",
        "SELECT count(*) FROM (SELECT number, service_id FROM (" + REMOVED + ") r INTERSECT "
        "SELECT number, service_id FROM (" + INSTALLED + ") i) d",
    ),
    "readings_added": (
        "новые показания",
        "SELECT count(*) FROM {new}.meter_reading n JOIN {new}.meter m ON m.id = n.meter_id WHERE NOT EXISTS "
        "(SELECT 1 FROM {old}.meter_reading o JOIN {old}.meter p ON p.id = o.meter_id "
        "WHERE p.serial = m.serial AND o.period = n.period)",
    ),
    "readings_corrected": (
        "исправленные показания",
        "SELECT count(*) FROM {new}.meter_reading n JOIN {new}.meter m ON m.id = n.meter_id "
        "JOIN {old}.meter p ON p.serial = m.serial JOIN {old}.meter_reading o ON o.meter_id = p.id "
        "AND o.period = n.period WHERE (o.value1, o.value2, o.value3) IS DISTINCT FROM (n.value1, n.value2, n.value3)",
    ),
    "payments_added": (
        "платежи после первой выгрузки",
        _not_in(PAYMENTS, "{new}", "{old}", every=True),
    ),
    "payments_withdrawn": (
        "платежи, которых в выгрузке больше нет",
        _not_in(PAYMENTS, "{old}", "{new}", every=True),
    ),
    "balances_added": (
        "сальдо месяцев после первой выгрузки",
        "SELECT count(*) FROM {new}.balance WHERE period > {closed} "
        "AND period IN (SELECT period FROM {new}.billing_period WHERE status = 'closed')",
    ),
    "balances_corrected": (
        "исправленные старой системой сальдо закрытых месяцев",
        "SELECT count(*) FROM ("
        + BALANCES.format(s="{new}", closed="{closed}")
        + " EXCEPT "
        + BALANCES.format(s="{old}", closed="{closed}")
        + ") d WHERE (number, service_id, period) IN ("
        + "SELECT number, service_id, period FROM ("
        + BALANCES.format(s="{old}", closed="{closed}")
        + ") o)",
    ),
}
# An export whose accounts are mostly not the books' is another client's (or made with another key).
SAME_CLIENT_SHARE = 0.5


@dataclass(frozen=True)
class Books:
    """The books before the switch-over: their open month and their accounts."""

    open_month: dt.date
    accounts: int

    @property
    def last_closed(self) -> dt.date:
        return dt.date(self.open_month.year - (self.open_month.month == 1), (self.open_month.month - 2) % 12 + 1, 1)


@dataclass
class ServiceLine:
    """One service's control totals of the closed month: the old system's against the new books'."""

    service: str  # its code, as an accept file names it
    name: str  # as the customer's staff call it
    reported_closing: Decimal | None  # the export's totals file; None when it has none for the service
    closing: Decimal  # the new books' closing of the month
    opening_next: Decimal  # the new books' opening of the month after

    @property
    def difference(self) -> Decimal:
        """What the new books' opening of the next month lacks against the old system's closing."""
        reported = self.closing if self.reported_closing is None else self.reported_closing
        return max(abs(reported - self.closing), abs(reported - self.opening_next))

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "name": self.name,
            "reported_closing": None if self.reported_closing is None else str(self.reported_closing),
            "closing": str(self.closing),
            "opening_next": str(self.opening_next),
            "difference": str(self.difference),
        }


@dataclass
class Outcome:
    """What a switch-over found: the months, the changes by kind, the reconciliation, the time of each step."""

    books: Books
    month: dt.date  # the month the final export closes
    changes: dict[str, int] = field(default_factory=dict)
    services: list[ServiceLine] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)  # accounts whose opening differs from closing
    accepted: list[str] = field(default_factory=list)
    import_result: ImportResult | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def opened(self) -> dt.date:
        return month_after(self.month)

    def differences(self) -> list[str]:
        """Each difference as the key an accept file names it by: a service code, or 'ACCOUNT;service'."""
        found = [line.service for line in self.services if line.difference]
        found += [f"{a['account']};{a['service']}" for a in self.accounts]
        return found

    def unaccepted(self) -> list[str]:
        return [key for key in self.differences() if key not in self.accepted]

    def to_dict(self) -> dict[str, Any]:
        return {
            "books_open_month": self.books.open_month.strftime("%Y-%m"),
            "closed_month": self.month.strftime("%Y-%m"),
            "opened_month": self.opened.strftime("%Y-%m"),
            "changes": self.changes,
            "changes_ru": {CHANGES[k][0]: v for k, v in self.changes.items()},
            "services": [line.to_dict() for line in self.services],
            "accounts": self.accounts,
            "differences": self.differences(),
            "accepted": [key for key in self.differences() if key in self.accepted],
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
        }


def books_before(dsn: str) -> Books:
    with psycopg.connect(dsn) as conn:
        if conn.execute("SELECT to_regclass('okno.billing_period')").fetchone() in (None, (None,)):
            raise NoData("no «Одно Окно» data here (schema okno is missing); import the first export first")
        row = conn.execute(
            "SELECT (SELECT max(period) FROM okno.billing_period WHERE status = 'open'), "
            "(SELECT count(*) FROM okno.account)"
        ).fetchone()
    if row is None or row[0] is None:
        raise NoData("the books have no open month to switch over from")
    return Books(row[0], int(row[1]))


def compare(conn: psycopg.Connection, old: str, new: str, closed: dt.date) -> dict[str, int]:
    """The changes from the books in schema ``old`` to those in ``new``, counted by kind; ``closed`` is the
    last month the old books had closed."""
    names = {"old": sql.Identifier(old), "new": sql.Identifier(new), "closed": sql.Literal(closed)}
    counts = {}
    for kind, (_words, query) in CHANGES.items():
        row = conn.execute(sql.SQL(query).format(**names)).fetchone()
        counts[kind] = int(row[0]) if row else 0
    return counts


def reported_totals(mapping: Mapping, month: dt.date) -> dict[str, Decimal]:
    """The old system's closing of ``month`` per service code, from the export's totals file (if any)."""
    f = open_entity(mapping, "totals")
    if f is None:
        return {}
    wanted = month.year * 12 + month.month - 1
    found: dict[str, Decimal] = {}
    for _line, rec in f.rows:
        code = service_code(f.raw(rec, "service"))
        closing = number(f.raw(rec, "closing"))
        if code is None or closing is None or month_number(f.raw(rec, "period")) != wanted:
            continue
        found[code] = found.get(code, Decimal(0)) + Decimal(closing)
    return found


def reconcile(
    conn: psycopg.Connection, work: str, mapping: Mapping, month: dt.date
) -> tuple[list[ServiceLine], list[dict[str, Any]]]:
    """Per service, the old system's closing of ``month`` against the new books' closing of it and opening
    of the next; and each account and service whose opening of the next month is not its closing."""
    reported = reported_totals(mapping, month)

    def rows(query: str) -> list[tuple[Any, ...]]:  # {s}: the new books; %(m)s the month, %(n)s the next
        return conn.execute(
            sql.SQL(query).format(s=sql.Identifier(work)), {"m": month, "n": month_after(month)}
        ).fetchall()

    services = [
        ServiceLine(code, name, reported.pop(code, None), closing, opening)
        for code, name, closing, opening in rows(
            "SELECT s.code, s.name, coalesce(sum(b.closing) FILTER (WHERE b.period = %(m)s), 0), "
            "coalesce(sum(b.opening) FILTER (WHERE b.period = %(n)s), 0) FROM {s}.balance b "
            "JOIN {s}.service s ON s.id = b.service_id WHERE b.period IN (%(m)s, %(n)s) "
            "GROUP BY s.id, s.code, s.name ORDER BY s.id"
        )
    ]
    services += [ServiceLine(code, code, value, Decimal(0), Decimal(0)) for code, value in reported.items()]
    accounts = [
        {"account": number_, "service": code, "closing": str(closing), "opening_next": str(opening)}
        for number_, code, closing, opening in rows(
            "SELECT a.number, s.code, b.closing, coalesce(n.opening, 0) FROM {s}.balance b "
            "JOIN {s}.account a ON a.id = b.account_id JOIN {s}.service s ON s.id = b.service_id "
            "LEFT JOIN {s}.balance n ON n.account_id = b.account_id AND n.service_id = b.service_id "
            "AND n.period = %(n)s WHERE b.period = %(m)s AND b.closing <> coalesce(n.opening, 0) "
            "ORDER BY a.number, s.id"
        )
    ]
    return services, accounts


def read_accepted(path: Path | None) -> list[str]:
    """An accept file: a difference per line, as the report names it (a service code, or ACCOUNT;service);
    '#' starts a comment."""
    if path is None:
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


def switch_over(
    dsn: str,
    mapping: Mapping,
    key: bytes,
    *,
    rules: dict[str, str] | None = None,
    accepted: list[str] | None = None,
    rejected_csv: Path | None = None,
    progress: Progress | None = None,
    phase: Callable[[str], None] | None = None,
) -> Outcome:
    """Load the final export as the new books of ``dsn``, counted and reconciled against the old ones;
    switched in only if it is the books' open month, of the same client, and reconciles (or its
    differences are ``accepted``)."""
    say = phase or (lambda _message: None)
    books = books_before(dsn)
    state = ImportState(mapping, key, rules=rules, noise=0.0, progress=progress)
    outcome = Outcome(books, books.open_month, accepted=list(accepted or []))

    def judge(state: ImportState, admin: psycopg.Connection, work: str) -> None:
        outcome.seconds.update(state.result.seconds)  # the load's steps so far, for a refusal's report too
        last = month_start(max(state.months))
        outcome.month = last
        if last < books.open_month:
            raise SwitchoverRefused(
                f"the export ends in {last:%Y-%m}, but the books already hold every month through "
                f"{books.last_closed:%Y-%m}: it is older than the books; the final export closes "
                f"{books.open_month:%Y-%m}"
            )
        if last > books.open_month:
            raise SwitchoverRefused(
                f"the export ends in {last:%Y-%m}, but the books have {books.open_month:%Y-%m} open: the months "
                f"between are missing; the final export must close {books.open_month:%Y-%m}"
            )
        mark = time.monotonic()
        say("counting what changed since the first import")
        outcome.changes = compare(admin, "okno", work, books.last_closed)
        outcome.seconds["compare"] = time.monotonic() - mark
        kept = books.accounts - outcome.changes["accounts_missing"]
        if books.accounts and kept < books.accounts * SAME_CLIENT_SHARE:
            raise SwitchoverRefused(
                f"only {kept} of the books' {books.accounts} accounts are in this export: it is another client's, "
                "or it was loaded with another anonymization key"
            )
        mark = time.monotonic()
        say(f"reconciling {last:%Y-%m} with the old system's control totals")
        outcome.services, outcome.accounts = reconcile(admin, work, mapping, last)
        outcome.seconds["reconcile"] = time.monotonic() - mark
        if outcome.unaccepted():
            raise ReconciliationFailed(
                f"{len(outcome.unaccepted())} differences not accepted (first: {outcome.unaccepted()[0]})", outcome
            )

    outcome.import_result = run_import(state, dsn, rejected_csv=rejected_csv, phase=phase, judge=judge)
    outcome.seconds.update(outcome.import_result.seconds)
    return outcome
