"""Loading an agent's registry into the books, all or nothing, and the suspense list (невыясненные платежи).

A registry read whole (:mod:`seed.registry.codec`) becomes one ``payment_registry`` row and, in the same
transaction, a payment per line that names an open account, or a suspense line with its reason: an unknown
or closed account, a line repeated in the file, an amount not above zero, a date or period that cannot be
read or cannot be true (before 2000, or past the registry's date and its margin). No line is dropped.
Each payment lands in the open billing period and is applied to the account's balances,
its debts first (the largest first), an overpayment to the largest; so every invariant of `provision
check` holds after every load. A registry already loaded (the same agent and number, or the same file) is
refused whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql

from seed import migrate
from seed.errors import NoData, RegistryError
from seed.months import open_month, require_books
from seed.registry.codec import (
    DATE_MARGIN,
    EARLIEST,
    PERIOD_MARGIN,
    Registry,
    RegistryReader,
)
from seed.words.suspense import SUSPENSE  # the reasons a line goes to the suspense list


def suspense_words(reason: str, lang: str = "ru") -> str:
    """Why a line went to the suspense list, as the customer's staff read it (Russian unless "en")."""
    return SUSPENSE[reason].of(lang) if reason in SUSPENSE else reason


LOCK = migrate.UPGRADE_LOCK  # registry loads and assignments of one database run one at a time


@dataclass(frozen=True)
class LoadResult:
    registry_id: int
    agent: str
    number: str
    lines: int
    loaded: int
    loaded_total: Decimal
    suspense: int
    suspense_total: Decimal
    reasons: dict[str, int] = field(default_factory=dict)
    period: dt.date | None = None

    def reason_words(self) -> dict[str, int]:
        """The suspense lines by reason, in the words the customer's staff read."""
        return {suspense_words(reason): count for reason, count in self.reasons.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "registry_id": self.registry_id,
            "agent": self.agent,
            "number": self.number,
            "lines": self.lines,
            "loaded": self.loaded,
            "loaded_total": str(self.loaded_total),
            "suspense": self.suspense,
            "suspense_total": str(self.suspense_total),
            "reasons": self.reasons,
            "period": self.period.isoformat() if self.period else None,
        }


def prepare(conn: psycopg.Connection) -> dt.date:
    """The books' open period, with the registry tables in place (a database seeded before them gets
    them now); under the lock that keeps registry loads of this database apart."""
    require_books(conn)
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK,))
    migrate.apply(conn, migrate.SCHEMA)
    conn.execute("SET LOCAL search_path TO okno, public")
    period = open_month(conn)
    if period is None:
        raise NoData("the books have no open billing period to take payments")
    return period


def agent_id(conn: psycopg.Connection, name: str, commission_pct: float, fmt_name: str) -> int:
    """The payment agent of that name in the books, added when it is not there yet."""
    row = conn.execute("SELECT id FROM payment_agent WHERE name = %s ORDER BY id LIMIT 1", (name,)).fetchone()
    if row:
        return int(row[0])
    row = conn.execute(
        "INSERT INTO payment_agent (id, name, commission_pct, registry_format) "
        "SELECT coalesce(max(id), 0) + 1, %s, %s, %s FROM payment_agent RETURNING id",
        (name, commission_pct, fmt_name),
    ).fetchone()
    assert row is not None
    return int(row[0])


def apply_payments(conn: psycopg.Connection, paid: str, period: dt.date, *, quiet: bool = False) -> list[int]:
    """Apply the payments ``paid`` names (a table or view of account_id, kopecks) to the balances of ``period``,
    in one statement: each account's debts first, the largest first; what is left over (an advance) to its
    largest service; paid up, closing down. Returns the paying accounts that have no balance in the period
    (the load names their lines ``no_balance``): they get nothing.

    The balances are read once, each paying account's by its key (the work follows the payments, not the
    size of the books), and each share is written to the row version that was read (by its ctid, no second
    index lookup). A row another transaction changed in between would be skipped there, so the rows
    written are counted against the shares: a difference rolls the load back. The open month's balances
    lie in key order on pages with room (:func:`seed.load.make_room_for_payments`): each page and index leaf
    is visited once, each row updated in place. With ``quiet`` (where the role may), the balances' summary
    triggers (``sql/005_stats_summary.sql``) do not fire: the open month's paid and closing are none of
    their figures (debt by age is of the last closed month), and a large registry's update is a third
    faster without."""
    with by_keys(conn), _as_replica(conn, quiet):
        row = conn.execute(
            sql.SQL(
                """
            WITH p AS (SELECT account_id, sum(kopecks) AS paid FROM {paid} GROUP BY 1 ORDER BY 1),
            b AS (SELECT p.account_id, p.paid, b.ctid AS tid, b.service_id, (b.closing * 100)::bigint AS closing,
                         greatest((b.closing * 100)::bigint, 0) AS debt
                  FROM p LEFT JOIN balance b ON b.account_id = p.account_id AND b.period = %(period)s),
            s AS (SELECT tid, (amount / 100.0)::numeric(14,2) AS amount FROM (
                    SELECT tid, least(greatest(paid - sum(debt) OVER w + debt, 0), debt)
                           + CASE WHEN row_number() OVER w = 1
                                  THEN greatest(paid - sum(debt) OVER (PARTITION BY account_id), 0)
                                  ELSE 0 END AS amount
                    FROM b WHERE tid IS NOT NULL
                    WINDOW w AS (PARTITION BY account_id ORDER BY closing DESC, service_id ROWS UNBOUNDED PRECEDING)
                  ) a WHERE amount <> 0),
            u AS (UPDATE balance t SET paid = t.paid + s.amount, closing = t.closing - s.amount FROM s
                  WHERE t.ctid = s.tid RETURNING 1)
            SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM u),
                   (SELECT coalesce(array_agg(account_id), '{{}}') FROM b WHERE tid IS NULL)
            """
            ).format(paid=sql.Identifier(paid)),
            {"period": period},
        ).fetchone()
    assert row is not None
    shares, written, without = row
    if shares != written:
        raise RegistryError(
            "the books",
            None,
            f"{shares - written} of the balances a payment goes to changed while it was applied",
            fix="load it again",
        )
    return [int(account) for account in without]


@contextmanager
def by_keys(conn: psycopg.Connection) -> Iterator[None]:
    """Within: a statement joins the payments to the books by their keys (an index lookup each), never by a
    scan of a whole month or table. The planner would often scan: a month of the books is in its view
    cheaper than many lookups, and it is, at books no bigger than the registry; but the scan grows with the
    books, the lookups only with the payments. Nor does it keep the rows it looked up (memoize): each key is
    looked up once (a server before 14 has no memoize: the settings it has are switched)."""
    switch = "SELECT set_config(name, %s, true) FROM pg_settings WHERE name = ANY(%s)"
    names = ["enable_bitmapscan", "enable_hashjoin", "enable_mergejoin", "enable_memoize"]
    conn.execute(switch, ("off", names))
    yield
    conn.execute(switch, ("on", names))


KEYED = ("account", "payment_agent")  # the tables a registry's payments take their keys from


def hold_keys(conn: psycopg.Connection) -> bool:
    """Where the role may (a superuser: the client's own database), lock the tables payments take their
    keys from against change (SHARE) for the rest of the transaction, before any key is read from them;
    whether it did. Then :func:`unchecked_keys` may skip the per-row foreign-key checks."""
    row = conn.execute("SELECT current_setting('is_superuser') = 'on'").fetchone()
    if not row or not row[0]:
        return False
    conn.execute(sql.SQL("LOCK TABLE {} IN SHARE MODE").format(sql.SQL(", ").join(map(sql.Identifier, KEYED))))
    return True


@contextmanager
def _as_replica(conn: psycopg.Connection, on: bool) -> Iterator[None]:
    """Within, when ``on``: statements run as a replica's would, so the foreign-key checks and the triggers
    that are not ENABLE ALWAYS do not fire."""
    if not on:
        yield
        return
    conn.execute("SET LOCAL session_replication_role = replica")
    yield
    conn.execute("SET LOCAL session_replication_role = origin")


def unchecked_keys(conn: psycopg.Connection, held: bool) -> AbstractContextManager[None]:
    """Within: rows inserted whose keys came from the tables :func:`hold_keys` locked (or from rows this
    transaction made). When it locked them, the per-row foreign-key checks (a query each, a third of a
    large registry's load) are skipped: the locks keep every key true until the transaction ends."""
    return _as_replica(conn, held)


def _stream_lines(conn: psycopg.Connection, reader: RegistryReader) -> Registry:
    """COPY the file's lines, as they are read, into the temporary table ``registry_raw``; the registry's
    control values once the whole file has been read and checked. The COPY is binary: no text to write for
    each date and number, none for the server to parse. Each line goes with a 64-bit hash of its key, so
    that repeats are found among the few lines whose hashes are equal (:func:`_match_lines`), not by
    comparing every line's text; the hash is Python's, the same for every line of one load."""
    conn.execute(
        "CREATE TEMP TABLE registry_raw (line_no integer, account text, payer text, kopecks bigint, paid_on date, "
        'period date, problem text, key text COLLATE "C", key_hash bigint) ON COMMIT DROP'
    )
    with conn.cursor().copy("COPY registry_raw FROM STDIN (FORMAT binary)") as copy:
        copy.set_types(RAW_TYPES)
        write = copy.write_row
        for line in reader:
            write((*line, hash(line.key)))  # a Line's fields are the table's first columns, in order
    return reader.registry


RAW_TYPES = ["int4", "text", "text", "int8", "date", "date", "text", "text", "int8"]  # registry_raw's columns


def _match_lines(conn: psycopg.Connection, day: dt.date) -> None:
    """Each line of ``registry_raw`` with its account and its problem, if any, into the temporary table
    ``registry_line``: its own (a date that cannot be read), a repeat of an earlier line, an amount not above
    zero, an unknown or a closed account. The join to the accounts is the planner's: a lookup per line for a
    registry small beside the books, one pass over the accounts for a large one (a hash of the smaller
    side), whichever costs less; either costs no more than the lookups, which follow the registry. A repeat
    is a line whose key an earlier line has: the keys are compared, as text, only where their hashes are
    equal (a few lines, in a table of their own that the planner sees is small), and every other line is
    joined to them by its hash alone."""
    conn.execute(
        "CREATE TEMP TABLE registry_repeat ON COMMIT DROP AS SELECT key_hash, key, min(line_no) AS first "
        "FROM registry_raw WHERE key_hash IN (SELECT key_hash FROM registry_raw GROUP BY 1 HAVING count(*) > 1) "
        "GROUP BY 1, 2"
    )
    conn.execute("ANALYZE registry_repeat")
    conn.execute(
        """
        CREATE TEMP TABLE registry_line ON COMMIT DROP AS
        SELECT r.line_no, r.account, r.payer, r.kopecks, (r.kopecks / 100.0)::numeric(14,2) AS amount,
               CASE WHEN r.problem = 'bad_date' THEN NULL ELSE coalesce(r.paid_on, %(day)s) END AS paid_on,
               a.id AS account_id,
               CASE WHEN r.problem <> '' THEN r.problem
                    WHEN r.paid_on NOT BETWEEN %(earliest)s AND %(latest)s THEN 'implausible_date'
                    WHEN r.period NOT BETWEEN %(earliest)s AND %(last_period)s THEN 'bad_period'
                    WHEN r.line_no > d.first THEN 'duplicate_line'
                    WHEN r.kopecks <= 0 THEN 'nonpositive_amount'
                    WHEN a.id IS NULL THEN 'unknown_account'
                    WHEN a.closed_on IS NOT NULL THEN 'closed_account'
                    ELSE '' END AS problem
        FROM registry_raw r LEFT JOIN account a ON a.number = r.account
        -- "IS TRUE": the text is compared for the rows the hash joins, not hashed for every line
        LEFT JOIN registry_repeat d ON d.key_hash = r.key_hash AND (d.key = r.key) IS TRUE
        """,
        {"day": day, "earliest": EARLIEST, "latest": day + DATE_MARGIN, "last_period": day + PERIOD_MARGIN},
    )


def _refuse_if_loaded(conn: psycopg.Connection, registry: Registry, agent: int) -> None:
    """A registry loaded before (this agent's number, or the very same file under any agent) is refused,
    naming the agent, format and number it was loaded under."""
    before = conn.execute(
        "SELECT r.file_name, r.loaded_at, g.name, r.format, r.number FROM payment_registry r "
        "JOIN payment_agent g ON g.id = r.agent_id WHERE (r.agent_id = %s AND r.number = %s) OR r.checksum = %s "
        "ORDER BY r.id LIMIT 1",
        (agent, registry.number, registry.checksum),
    ).fetchone()
    if before is not None:
        file_name, loaded_at, agent_name, fmt_name, number = before
        when = f" on {loaded_at:%Y-%m-%d %H:%M}" if loaded_at else ""
        raise RegistryError(
            registry.path,
            None,
            f"this registry was loaded already: agent {agent_name!r} (--agent {fmt_name}), number {number!r}, "
            f"as {file_name!r}{when}",
            fix="nothing to do; a corrected registry comes with a new number",
        )


def load_registry(dsn: str, reader: RegistryReader, file_name: str) -> LoadResult:
    """Load the registry ``reader`` reads into the books in one transaction. The lines stream into the
    database as they are read (memory stays flat); a whole-file fault found on the way, or a registry
    loaded before, rolls it all back."""
    fmt = reader.fmt
    with psycopg.connect(dsn) as conn, conn.transaction():
        conn.execute("SET LOCAL temp_buffers = '128MB'")  # the working tables stay in memory (before their first use)
        conn.execute("SET LOCAL jit = off")  # compiling costs more than it saves: the work is lookups and writes
        period = prepare(conn)
        held = hold_keys(conn)
        registry = _stream_lines(conn, reader)
        agent = agent_id(conn, fmt.agent, fmt.commission_pct, fmt.name)
        _refuse_if_loaded(conn, registry, agent)
        day = registry.date or dt.date.today()
        row = conn.execute(
            "INSERT INTO payment_registry (agent_id, registry_date, file_name, line_count, total, number, checksum, "
            "format, file_lines, file_total, loaded_at) VALUES (%s, %s, %s, 0, 0, %s, %s, %s, %s, %s, now()) "
            "RETURNING id",
            (
                agent,
                day,
                file_name,
                registry.number,
                registry.checksum,
                fmt.name,
                registry.count,
                Decimal(registry.total) / 100,
            ),
        ).fetchone()
        assert row is not None
        registry_id = int(row[0])
        _match_lines(conn, day)
        conn.execute("DROP TABLE registry_raw")
        # A temporary table has no statistics; the plans below need some (a small sample does).
        conn.execute("SET LOCAL default_statistics_target = 10")
        conn.execute("ANALYZE registry_line")
        conn.execute(
            "CREATE TEMP VIEW registry_paid AS SELECT account_id, kopecks FROM registry_line WHERE problem = ''"
        )
        without = apply_payments(conn, "registry_paid", period, quiet=held)
        conn.execute("DROP VIEW registry_paid")
        if without:  # every account with a balance in the period took a share of its payment; these cannot
            conn.execute(
                "UPDATE registry_line SET problem = 'no_balance' WHERE problem = '' AND account_id = ANY(%s)",
                (without,),
            )
        with unchecked_keys(conn, held):
            # In the order of the accounts: each leaf of the payments' index by account is visited once, in
            # its order, however large the books (in the file's order, a random leaf for each line).
            conn.execute(
                "INSERT INTO payment (account_id, agent_id, registry_id, paid_on, period, amount) "
                "SELECT account_id, %s, %s, paid_on, %s, amount FROM registry_line WHERE problem = '' "
                "ORDER BY account_id, paid_on, line_no",
                (agent, registry_id, period),
            )
        conn.execute(
            "INSERT INTO payment_suspense (registry_id, line_no, account_text, payer, amount, paid_on, reason) "
            "SELECT %s, line_no, account, payer, amount, paid_on, problem FROM registry_line WHERE problem <> '' "
            "ORDER BY line_no",
            (registry_id,),
        )
        by_problem = conn.execute(
            "SELECT problem, count(*), coalesce(sum(amount), 0) FROM registry_line GROUP BY 1 ORDER BY 1"
        ).fetchall()
        loaded, loaded_total = next(
            ((int(n), Decimal(total)) for kind, n, total in by_problem if kind == ""), (0, Decimal(0))
        )
        reasons: dict[str, int] = {str(kind): int(n) for kind, n, _total in by_problem if kind != ""}
        conn.execute(
            "UPDATE payment_registry SET line_count = %s, total = %s WHERE id = %s", (loaded, loaded_total, registry_id)
        )
    return LoadResult(
        registry_id=registry_id,
        agent=fmt.agent,
        number=registry.number,
        lines=registry.count,
        loaded=loaded,
        loaded_total=loaded_total,
        suspense=sum(reasons.values()),
        suspense_total=sum((Decimal(total) for kind, _n, total in by_problem if kind != ""), Decimal(0)),
        reasons=reasons,
        period=period,
    )


# -- the suspense list -----------------------------------------------------------------------------
@dataclass(frozen=True)
class SuspenseLine:
    id: int
    registry: str
    agent: str
    line_no: int
    account: str
    payer: str
    amount: Decimal
    paid_on: dt.date | None
    reason: str
    assigned_to: str  # the account number it was moved to, or ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "registry": self.registry,
            "agent": self.agent,
            "line": self.line_no,
            "account": self.account,
            "payer": self.payer,
            "amount": str(self.amount),
            "paid_on": self.paid_on.isoformat() if self.paid_on else None,
            "reason": self.reason,
            "reason_ru": suspense_words(self.reason),
            "assigned_to": self.assigned_to,
        }


def suspense(dsn: str, *, all_lines: bool = False) -> list[SuspenseLine]:
    """The suspense list: lines not yet assigned (with ``all_lines``, assigned ones too)."""
    with psycopg.connect(dsn) as conn, conn.transaction():
        prepare(conn)
        rows = conn.execute(
            "SELECT s.id, r.file_name, g.name, s.line_no, s.account_text, s.payer, s.amount, s.paid_on, s.reason, "
            "coalesce(a.number, '') FROM payment_suspense s JOIN payment_registry r ON r.id = s.registry_id "
            "JOIN payment_agent g ON g.id = r.agent_id LEFT JOIN payment p ON p.id = s.payment_id "
            "LEFT JOIN account a ON a.id = p.account_id WHERE %s OR s.payment_id IS NULL ORDER BY s.id",
            (all_lines,),
        ).fetchall()
    return [SuspenseLine(*row) for row in rows]


def assign(dsn: str, suspense_id: int, account_number: str) -> tuple[SuspenseLine, int]:
    """Move a suspense line to an open account as a payment of its registry, in the open period; the
    balances follow. Returns the line and the new payment's id."""
    with psycopg.connect(dsn) as conn, conn.transaction():
        period = prepare(conn)
        row = conn.execute(
            "SELECT s.registry_id, s.amount, s.paid_on, s.payment_id, r.agent_id, r.registry_date, s.reason "
            "FROM payment_suspense s JOIN payment_registry r ON r.id = s.registry_id WHERE s.id = %s FOR UPDATE",
            (suspense_id,),
        ).fetchone()
        if row is None:
            raise RegistryError(
                f"suspense line {suspense_id}",
                None,
                "no such line",
                fix="`provision registry suspense CLIENT` lists them",
            )
        registry_id, amount, paid_on, payment_id, agent, registry_date, reason = row
        if reason == "implausible_date":
            paid_on = None  # the payment is dated as its registry
        if payment_id is not None:
            raise RegistryError(f"suspense line {suspense_id}", None, "was assigned already", fix="nothing to do")
        if amount <= 0:
            raise RegistryError(
                f"suspense line {suspense_id}",
                None,
                f"its amount {amount} is not above zero: it cannot be a payment",
                fix="return it to the agent; it stays in the list",
            )
        account = conn.execute("SELECT id, closed_on FROM account WHERE number = %s", (account_number,)).fetchone()
        if account is None or account[1] is not None:
            what = "no such account" if account is None else "the account is closed"
            raise RegistryError(
                f"account {account_number!r}", None, what, fix="name an open account's number (лицевой счёт)"
            )
        if (
            conn.execute(
                "SELECT 1 FROM balance WHERE account_id = %s AND period = %s LIMIT 1", (account[0], period)
            ).fetchone()
            is None
        ):
            raise RegistryError(
                f"account {account_number!r}", None, suspense_words("no_balance"), fix="name another account"
            )
        made = conn.execute(
            "INSERT INTO payment (account_id, agent_id, registry_id, paid_on, period, amount) "
            "VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
            (account[0], agent, registry_id, paid_on or registry_date, period, amount),
        ).fetchone()
        assert made is not None
        conn.execute("CREATE TEMP TABLE assigned (account_id integer, kopecks bigint) ON COMMIT DROP")
        conn.execute("INSERT INTO assigned VALUES (%s, %s)", (account[0], int(amount * 100)))
        apply_payments(conn, "assigned", period)
        conn.execute(
            "UPDATE payment_registry SET line_count = line_count + 1, total = total + %s WHERE id = %s",
            (amount, registry_id),
        )
        conn.execute(
            "UPDATE payment_suspense SET payment_id = %s, assigned_at = now() WHERE id = %s", (made[0], suspense_id)
        )
    moved = [line for line in suspense(dsn, all_lines=True) if line.id == suspense_id]
    return moved[0], int(made[0])
