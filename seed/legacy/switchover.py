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
old books stay as they were. Whether the export is this client's at all, and which changes are too large
to pass unnamed, is :mod:`seed.legacy.switchover_guard`'s.
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

from seed.check import over_connections
from seed.errors import NoData, OtherClientsExport, ReconciliationFailed, SwitchoverRefused
from seed.legacy.importer.pipeline import run_import
from seed.legacy.importer.state import ImportResult, ImportState, Progress
from seed.legacy.interpret import month_number, number, open_entity, service_code
from seed.legacy.mapping import Mapping
from seed.legacy.switchover_guard import LARGE, Recognition, bases, large_changes, recognize
from seed.months import open_month, require_books
from seed.period import month_add, month_start
from seed.period import month_number as period_number
from seed.registry.load import LOCK as REGISTRY_LOCK
from seed.words.switchover import BASES, CHANGES  # what changed, by kind, in the words the customer's staff read

# The counts, a query per entity over schemas {old} and {new} ({closed}: the old books' last closed month),
# each one pass over both sides. Accounts, persons and meters are matched by their demo numbers and
# serials, which the key keeps; rows of other tables by the ids those give in each schema.
ACCOUNT_IDS = "SELECT o.id AS old_id, n.id AS new_id FROM {old}.account o JOIN {new}.account n USING (number)"
# a meter is the same when its serial is, on accounts of the same number (the pair of ids ACCOUNT_IDS gives)
METER_IDS = (
    "SELECT o.id AS old_id, n.id AS new_id FROM {old}.meter o JOIN {new}.meter n ON n.serial = o.serial "
    "JOIN (" + ACCOUNT_IDS + ") ids ON ids.old_id = o.account_id AND ids.new_id = n.account_id"
)
METERS = (
    "SELECT a.number, m.serial, m.removed_on, m.service_id FROM {s}.meter m JOIN {s}.account a ON a.id = m.account_id"
)
PERSON = "x.surname, x.given_name, coalesce(x.patronymic, '') AS patronymic, coalesce(x.birth_date::text, '') AS born"
LINKS = (
    "SELECT %s AS side, a.number, {person} FROM {s}.account_person ap JOIN {s}.account a ON a.id = ap.account_id "
    "JOIN {s}.person x ON x.id = ap.person_id"
)
# A row as one number, so that an account's closed months (a meter's readings) compare as a sum, and one whose
# sums differ is then compared row by row: each column's own 64-bit hash under a seed of its own (so a value
# moved to another column changes it), XORed; no text made of its numbers, and no record built per row, which
# hash_record needs (it cost a third more). A hash is equal where "=" is (1.50 and 1.5 alike); a NULL is
# hashed as its column's seed.
DAY = "DATE '2000-01-01'"


def row_hash(*columns: str) -> str:
    """The 64-bit hash of a row of ``columns`` (``name:type``: int4, date or numeric; ``?``: nullable)."""
    parts = []
    for seed, spec in enumerate(columns):
        name, kind = spec.split(":")
        value = f"{name} - {DAY}" if kind.rstrip("?") == "date" else name
        function = "hash_numeric_extended" if kind.startswith("numeric") else "hashint4extended"
        part = f"{function}({value}, {seed})"
        parts.append(f"coalesce({part}, {seed})" if kind.endswith("?") else part)
    return " # ".join(parts)


ROW_HASH = row_hash(
    "service_id:int4", "period:date", "opening:numeric", "charged:numeric", "recalculated:numeric",
    "paid:numeric", "closing:numeric",
)  # fmt: skip
READING_HASH = row_hash("period:date", "value1:numeric", "value2:numeric?", "value3:numeric?")
# The accounts whose closed months' balances differ as sums (a row's hash, a count), made first on the
# connection that counts the rows that differ: then the planner knows how few they are.
SUSPECTS = (
    "CREATE TEMP TABLE switchover_suspect ON COMMIT DROP AS WITH ids AS (" + ACCOUNT_IDS + "), "
    "o AS (SELECT account_id, sum(" + ROW_HASH + ") AS h, count(*) AS c FROM {old}.balance "
    "WHERE period <= {closed} GROUP BY 1), "
    "n AS (SELECT account_id, sum(" + ROW_HASH + ") AS h, count(*) AS c FROM {new}.balance "
    "WHERE period <= {closed} GROUP BY 1) "
    "SELECT ids.* FROM ids JOIN o ON o.account_id = ids.old_id JOIN n ON n.account_id = ids.new_id "
    "WHERE (o.h, o.c) IS DISTINCT FROM (n.h, n.c)"
)
# Each new meter's readings of the closed months against its old one's as a sum (a row's hash, a count), made
# first on the connection that counts the readings: a meter whose sums are equal, and whose old one has no
# reading after them, has its later readings added and nothing else; only the others' are joined row by row.
# (A meter with no old one: every reading added.)
READINGS = (
    "SELECT meter_id, sum(" + READING_HASH + ") FILTER (WHERE period <= {closed}) AS h, "
    "count(*) FILTER (WHERE period <= {closed}) AS c, count(*) FILTER (WHERE period > {closed}) AS later "
    "FROM {s}.meter_reading GROUP BY 1"
)
METER_SUMS = (
    "CREATE TEMP TABLE switchover_meter ON COMMIT DROP AS SELECT n.meter_id AS new_id, m.old_id, "
    "m.old_id IS NOT NULL AND (coalesce(o.later, 0) > 0 OR (o.h, o.c) IS DISTINCT FROM (n.h, n.c)) AS suspect, "
    "CASE WHEN m.old_id IS NULL THEN n.c + n.later ELSE n.later END AS added FROM ("
    + READINGS.replace("{s}", "{new}")
    + ") n LEFT JOIN ("
    + METER_IDS
    + ") m ON m.new_id = n.meter_id "
    "LEFT JOIN (" + READINGS.replace("{s}", "{old}") + ") o ON o.meter_id = m.old_id"
)
# the longest first, so that the last to finish on the two connections is a short one (and what runs
# before a count, in the same transaction)
BEFORE = {
    "balances_corrected": (SUSPECTS, "ANALYZE switchover_suspect"),
    # the few suspects' readings looked up by their keys, never a hash of all the old readings
    "readings_added": (METER_SUMS, "SET LOCAL enable_hashjoin = off", "SET LOCAL enable_mergejoin = off"),
}
COUNTS: list[tuple[tuple[str, ...], str]] = [
    (
        ("balances_corrected",),
        "SELECT count(*) FROM switchover_suspect s JOIN {old}.balance ob ON ob.account_id = s.old_id "
        "AND ob.period <= {closed} JOIN {new}.balance nb ON nb.account_id = s.new_id "
        "AND nb.service_id = ob.service_id AND nb.period = ob.period "
        "WHERE (ob.opening, ob.charged, ob.recalculated, ob.paid, ob.closing) "
        "IS DISTINCT FROM (nb.opening, nb.charged, nb.recalculated, nb.paid, nb.closing)",
    ),
    (
        ("readings_added", "readings_corrected"),
        # the meters whose sums are equal counted from them, the others' readings joined row by row
        "SELECT (SELECT coalesce(sum(added), 0) FROM switchover_meter WHERE NOT suspect) "
        "+ count(*) FILTER (WHERE o.meter_id IS NULL), count(*) FILTER (WHERE o.meter_id IS NOT NULL AND "
        "(o.value1, o.value2, o.value3) IS DISTINCT FROM (n.value1, n.value2, n.value3)) "
        "FROM switchover_meter m JOIN {new}.meter_reading n ON n.meter_id = m.new_id "
        "LEFT JOIN {old}.meter_reading o ON o.meter_id = m.old_id AND o.period = n.period WHERE m.suspect",
    ),
    (
        ("payments_added", "payments_withdrawn"),
        # the old payments under the new ids of their accounts, so both sides group by numbers, not text
        "SELECT coalesce(sum(greatest(n - o, 0)), 0), coalesce(sum(greatest(o - n, 0)), 0) FROM ("
        "SELECT count(*) FILTER (WHERE old) AS o, count(*) FILTER (WHERE NOT old) AS n FROM ("
        "SELECT coalesce(ids.new_id, -p.account_id) AS account_id, p.paid_on, p.amount, true AS old "
        "FROM {old}.payment p LEFT JOIN (" + ACCOUNT_IDS + ") ids ON ids.old_id = p.account_id UNION ALL "
        "SELECT account_id, paid_on, amount, false FROM {new}.payment) p GROUP BY account_id, paid_on, amount) g",
    ),
    (
        ("accounts_added", "accounts_missing", "accounts_closed", "accounts_changed"),
        "SELECT count(*) FILTER (WHERE o.id IS NULL), count(*) FILTER (WHERE n.id IS NULL), "
        "count(*) FILTER (WHERE o.closed_on IS NULL AND n.closed_on IS NOT NULL), "
        "count(*) FILTER (WHERE o.id IS NOT NULL AND n.id IS NOT NULL AND (o.residents, o.area, o.els, o.opened_on) "
        "IS DISTINCT FROM (n.residents, n.area, n.els, n.opened_on)) "
        "FROM {old}.account o FULL JOIN {new}.account n USING (number)",
    ),
    (
        ("persons_moved_in", "persons_moved_out"),
        "SELECT count(*) FILTER (WHERE max_side = 'n' AND min_side = 'n'), "
        "count(*) FILTER (WHERE max_side = 'o' AND min_side = 'o') FROM (SELECT min(side) AS min_side, "
        "max(side) AS max_side FROM ("
        + LINKS.replace("%s", "'o'").format(s="{old}", person=PERSON)
        + " UNION ALL "
        + LINKS.replace("%s", "'n'").format(s="{new}", person=PERSON)
        + ") l GROUP BY number, surname, given_name, patronymic, born) g",
    ),
    (
        ("meters_installed", "meters_removed", "meters_replaced"),
        # one join: per account and service, the meters installed and those removed (both: replaced)
        "SELECT coalesce(sum(installed), 0), coalesce(sum(removed), 0), "
        "count(*) FILTER (WHERE installed > 0 AND removed > 0) FROM (SELECT n.number, n.service_id, "
        "count(*) FILTER (WHERE o.serial IS NULL) AS installed, count(*) FILTER (WHERE o.removed_on IS NULL "
        "AND o.serial IS NOT NULL AND n.removed_on IS NOT NULL) AS removed FROM ("
        + METERS.format(s="{new}")
        + ") n LEFT JOIN ("
        + METERS.format(s="{old}")
        + ") o USING (number, serial) GROUP BY 1, 2) g",
    ),
    (
        ("registries_replaced", "suspense_unassigned"),
        "SELECT (SELECT count(*) FROM {old}.payment_registry WHERE loaded_at IS NOT NULL), "
        "(SELECT count(*) FROM {old}.payment_suspense WHERE payment_id IS NULL)",
    ),
    (
        ("balances_added",),
        "SELECT count(*) FROM {new}.balance WHERE period > {closed} "
        "AND period IN (SELECT period FROM {new}.billing_period WHERE status = 'closed')",
    ),
]
QUERY = dict(COUNTS)


@dataclass(frozen=True)
class Books:
    """The books before the switch-over: their open month and their accounts."""

    open_month: dt.date
    accounts: int

    @property
    def last_closed(self) -> dt.date:
        return month_add(self.open_month, -1)


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
    recognition: Recognition | None = None
    large: dict[str, dict[str, int]] = field(default_factory=dict)  # kind: its count and what it is a share of
    import_result: ImportResult | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def opened(self) -> dt.date:
        return month_add(self.month, 1)

    def differences(self) -> list[str]:
        """Each difference as the key an accept file names it by: a large change's kind (over a tenth of
        its base), a service code (its totals differ, or the old system gave none to compare with),
        'ACCOUNT;service', or 'suspense' (unassigned lines)."""
        found = list(self.large)
        found += [line.service for line in self.services if line.difference or line.reported_closing is None]
        found += [f"{a['account']};{a['service']}" for a in self.accounts]
        if self.changes.get("suspense_unassigned"):
            found.append("suspense")
        return found

    def unaccepted(self) -> list[str]:
        return [key for key in self.differences() if key not in self.accepted]

    def to_dict(self) -> dict[str, Any]:
        return {
            "books_open_month": self.books.open_month.strftime("%Y-%m"),
            "closed_month": self.month.strftime("%Y-%m"),
            "opened_month": self.opened.strftime("%Y-%m"),
            "changes": self.changes,
            "changes_ru": {CHANGES[k].ru: v for k, v in self.changes.items()},
            "recognized": None if self.recognition is None else self.recognition.to_dict(),
            "large_changes": {
                kind: {**value, "words": CHANGES[kind].ru, "of_words": BASES[LARGE[kind]].ru}
                for kind, value in self.large.items()
            },
            "services": [line.to_dict() for line in self.services],
            "accounts": self.accounts,
            "differences": self.differences(),
            "accepted": [key for key in self.differences() if key in self.accepted],
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
        }


def books_before(dsn: str) -> Books:
    with psycopg.connect(dsn) as conn:
        require_books(conn, "import the first export first")
        month = open_month(conn)
        row = conn.execute("SELECT count(*) FROM okno.account").fetchone()
    if month is None or row is None:
        raise NoData("the books have no open month to switch over from")
    return Books(month, int(row[0]))


def compare(dsn: str, old: str, new: str, closed: dt.date) -> dict[str, int]:
    """The changes from the books in schema ``old`` to those in ``new``, counted by kind (those
    :data:`COUNTS` counts), its queries over two connections at once; ``closed`` is the last month the
    old books had closed."""
    names = {"old": sql.Identifier(old), "new": sql.Identifier(new), "closed": sql.Literal(closed)}
    with psycopg.connect(dsn, autocommit=True) as conn:
        registries = conn.execute(sql.SQL("SELECT to_regclass({})").format(sql.Literal(f"{old}.payment_suspense")))
        has_registries = registries.fetchone() not in (None, (None,))
    counts: dict[str, int] = {}
    jobs = []
    for kinds, _query in COUNTS:
        if "registries_replaced" in kinds and not has_registries:  # books older than migration 004
            counts.update(dict.fromkeys(kinds, 0))
        else:
            jobs.append(kinds)

    def count(conn: psycopg.Connection, kinds: tuple[str, ...]) -> tuple[int, ...]:
        with conn.transaction():
            for statement in BEFORE.get(kinds[0], ()):
                conn.execute(sql.SQL(statement).format(**names))
            row = conn.execute(sql.SQL(QUERY[kinds]).format(**names)).fetchone()
        return tuple(int(value) for value in row or (0,) * len(kinds))

    for kinds, row in over_connections(dsn, jobs, count).items():
        counts.update(zip(kinds, row, strict=True))
    return counts


def reported_totals(mapping: Mapping, month: dt.date) -> dict[str, Decimal]:
    """The old system's closing of ``month`` per service code, from the export's totals file (if any)."""
    f = open_entity(mapping, "totals")
    if f is None:
        return {}
    wanted = period_number(month)
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
            sql.SQL(query).format(s=sql.Identifier(work)), {"m": month, "n": month_add(month, 1)}
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
    before_switch_in: Callable[[Outcome], None] | None = None,
) -> Outcome:
    """Load the final export as the new books of ``dsn``, counted and reconciled against the old ones;
    switched in only if it is the books' open month, of the same client, and reconciles (or its
    differences are ``accepted``). ``before_switch_in`` sees the outcome once all that is known, just
    before the switch-in, so a caller can note the run that is about to replace the books."""
    say = phase or (lambda _message: None)
    books = books_before(dsn)
    state = ImportState(mapping, key, rules=rules, noise=0.0, progress=progress)
    outcome = Outcome(books, books.open_month, accepted=list(accepted or []))

    def judge(state: ImportState, admin: psycopg.Connection, work: str) -> None:
        outcome.seconds.update(state.result.seconds)  # the load's steps so far, for a refusal's report too
        # From here to the switch-in no registry is loaded into the books about to be replaced: a load
        # waits, then goes into the new ones (the lock is the session's: it ends with the import's).
        admin.execute("SELECT pg_advisory_lock(%s)", (REGISTRY_LOCK,))
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
        say("recognizing the books' accounts in the export (address, residents, meters)")
        outcome.recognition = recognition = recognize(admin, "okno", work, key, books.accounts)
        base = bases(admin, "okno", books.last_closed, books.accounts)
        outcome.seconds["guard"] = time.monotonic() - mark
        if not recognition.same_client():
            raise OtherClientsExport(recognition.refusal())
        mark = time.monotonic()
        say("counting what changed since the first import")
        counts = compare(dsn, "okno", work, books.last_closed)
        counts["accounts_unrecognized"] = recognition.unrecognized
        outcome.changes = {kind: counts[kind] for kind in CHANGES}
        outcome.large = large_changes(outcome.changes, base)
        outcome.seconds["compare"] = time.monotonic() - mark
        mark = time.monotonic()
        say(f"reconciling {last:%Y-%m} with the old system's control totals")
        outcome.services, outcome.accounts = reconcile(admin, work, mapping, last)
        outcome.seconds["reconcile"] = time.monotonic() - mark
        if outcome.unaccepted():
            raise ReconciliationFailed(
                f"{len(outcome.unaccepted())} differences not accepted (first: {outcome.unaccepted()[0]})", outcome
            )
        if before_switch_in is not None:
            before_switch_in(outcome)

    outcome.import_result = run_import(state, dsn, rejected_csv=rejected_csv, phase=phase, judge=judge)
    outcome.seconds.update(outcome.import_result.seconds)
    return outcome
