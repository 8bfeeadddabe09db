"""`import load`: a customer's legacy export, anonymized, loaded as the client's books.

The export is read through its mapping, every personal value is replaced on this machine before a
byte reaches PostgreSQL (keyed pseudonyms, see ``anonymize``), and the rows stream by COPY into a
working schema of their own. Keys, a leak scan and statistics follow; only then does the working
schema replace ``okno`` in one transaction (the loader shared with synthetic seeding), so a failed,
refused or killed import leaves the previous books untouched.

Rows that cannot be loaded (an unknown account, a value that is not a number, a duplicate key...)
are counted by reason with their file and line, and listed in full in a CSV beside the report; a
strict import refuses the whole load if there is even one.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import threading
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import psycopg
from psycopg import sql

from seed import catalog
from seed.errors import ImportRefused, LegacyFormatError
from seed.legacy import convert
from seed.legacy.anonymize import Anonymizer
from seed.legacy.forked import Forked
from seed.legacy.layout import SERVICE_NAMES, split_full_name
from seed.legacy.leaks import Leak, Originals, scan_leaks
from seed.legacy.mapping import FileMapping, Mapping, read_mapped
from seed.legacy.personal import Finding, find_personal_columns, rules_from
from seed.load import abandon_load, begin_load, copy_rows, finish_load, streaming

NULL = "\\N"
BATCH = 20_000  # rows per COPY write
SERVICE_IDS = {code: sid for sid, (code, *_rest) in catalog.SERVICES.items()}
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
AMOUNTS = re.compile(r"-?\d+(?:\.\d+)?(?:\t-?\d+(?:\.\d+)?){4}")  # a balance row's five amounts, the fast way
READING = re.compile(r"\d+(?:\.\d+)?")
ROLES = (("собств", "owner"), ("owner", "owner"), ("нанимат", "tenant"), ("tenant", "tenant"))  # by prefix
IMPORT_SOURCE = 4  # reading_source 'import'
EXAMPLES = 5
Progress = Callable[[str, int], None]  # file being read, rows read so far


def _escape(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _text(value: Any) -> str:
    """A value of the export as text: '' for empty, integers from XLSX/DBF without '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass
class Rejects:
    """Rows that could not be loaded: counts and first examples by reason, all of them in a CSV."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    out: TextIO | None = None
    writer: Any = None

    def open(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.out = path.open("w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.out, delimiter=";")
        self.writer.writerow(["file", "line", "reason", "field", "value"])

    def add(self, reason: str, file: str, line: int, fld: str = "", value: Any = "", personal: bool = False) -> None:
        shown = "(personal data, not shown)" if personal else _text(value)
        self.counts[reason] += 1
        if len(self.examples[reason]) < EXAMPLES:
            self.examples[reason].append({"file": file, "line": line, "field": fld, "value": shown})
        if self.writer is not None:
            self.writer.writerow([file, line, reason, fld, shown])

    def close(self) -> None:
        if self.out is not None:
            self.out.close()

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class ImportResult:
    rows: dict[str, int] = field(default_factory=dict)
    read: dict[str, int] = field(default_factory=dict)
    rejects: Rejects = field(default_factory=Rejects)
    personal_columns: list[Finding] = field(default_factory=list)
    leaks: list[Leak] = field(default_factory=list)
    leak_values_checked: int = 0
    rules: dict[str, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    periods: list[dt.date] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_loaded": self.rows,
            "rows_read": self.read,
            "rows_loaded_total": self.total_rows,
            "rejected": {
                "total": self.rejects.total,
                "by_reason": dict(self.rejects.counts),
                "examples": dict(self.rejects.examples),
            },
            "anonymization": self.rules,
            "flags": self.flags,
            "personal_columns_not_loaded": [f.describe() for f in self.personal_columns],
            "leak_scan": {
                "original_values_checked": self.leak_values_checked,
                "leaks": [vars(leak) for leak in self.leaks],
                "clean": not self.leaks,
            },
            "periods": [p.isoformat() for p in self.periods],
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
        }


def _getter(ix: dict[str, int], as_text: bool = True) -> Callable[[list[Any], str], Any]:
    """A field of a row by its name, '' when the mapping leaves it out (as text, unless told not to)."""

    def get(rec: list[Any], fld: str) -> Any:
        i = ix.get(fld)
        if i is None:
            return ""
        return _text(rec[i]) if as_text else rec[i]

    return get


NOISE_SQL = [
    # payments first: each scaled, never below a kopeck; registries follow their payments
    "CREATE TABLE payment_noisy (LIKE payment INCLUDING ALL)",
    "INSERT INTO payment_noisy SELECT p.id, p.account_id, p.agent_id, p.registry_id, p.paid_on, p.period, "
    "greatest(round(p.amount * n.f, 2), 0.01) FROM payment p JOIN noise_account n USING (account_id)",
    # balances: charged, recalculated and paid scaled; paid adjusted on one service of a month so that the
    # month's paid still equals its payments where it did; openings and closings rebuilt as running sums of
    # the scaled movements, with any break the export had (opening <> last closing, or a closing that does
    # not reconcile) scaled and kept
    """CREATE TABLE balance_noisy (LIKE balance INCLUDING ALL)""",
    """INSERT INTO balance_noisy
    WITH b AS (
        SELECT b.*, n.f, lag(b.closing) OVER (PARTITION BY b.account_id, b.service_id ORDER BY b.period) AS before
          FROM balance b JOIN noise_account n USING (account_id)
    ), paid AS (
        SELECT account_id, period, sum(paid) AS original, sum(round(paid * f, 2)) AS scaled FROM b GROUP BY 1, 2
    ), pay AS (
        SELECT p.account_id, p.period, sum(p.amount) AS original, sum(q.amount) AS scaled
          FROM payment p JOIN payment_noisy q USING (id) GROUP BY 1, 2
    ), moves AS (
        SELECT b.account_id, b.service_id, b.period,
               round(b.charged * b.f, 2) AS c, round(b.recalculated * b.f, 2) AS r,
               round(b.paid * b.f, 2) + CASE
                   WHEN row_number() OVER (PARTITION BY b.account_id, b.period ORDER BY b.paid DESC, b.service_id) = 1
                        AND paid.original = coalesce(pay.original, 0)
                   THEN coalesce(pay.scaled, 0) - paid.scaled ELSE 0 END AS p,
               round((b.opening - coalesce(b.before, 0)) * b.f, 2) AS d,
               round((b.closing - (b.opening + b.charged + b.recalculated - b.paid)) * b.f, 2) AS e
          FROM b JOIN paid USING (account_id, period) LEFT JOIN pay USING (account_id, period)
    )
    SELECT account_id, service_id, period,
           sum(d + c + r - p + e) OVER w - (c + r - p + e), c, r, p, sum(d + c + r - p + e) OVER w
      FROM moves
    WINDOW w AS (PARTITION BY account_id, service_id ORDER BY period ROWS UNBOUNDED PRECEDING)""",
    "DROP TABLE balance",
    "ALTER TABLE balance_noisy RENAME TO balance",
    "DROP TABLE payment",
    "ALTER TABLE payment_noisy RENAME TO payment",
    "UPDATE payment_registry r SET total = s.total FROM (SELECT registry_id, sum(amount) AS total FROM payment "
    "GROUP BY 1) s WHERE s.registry_id = r.id",
    # readings: a meter's whole series scaled by one factor keeps its order
    "CREATE TABLE reading_noisy (LIKE meter_reading INCLUDING ALL)",
    "INSERT INTO reading_noisy SELECT r.meter_id, r.period, r.taken_on, r.source_id, round(r.value1 * n.f, 3), "
    "round(r.value2 * n.f, 3), round(r.value3 * n.f, 3) FROM meter_reading r JOIN noise_meter n USING (meter_id)",
    "DROP TABLE meter_reading",
    "ALTER TABLE reading_noisy RENAME TO meter_reading",
    "DROP TABLE noise_account",
    "DROP TABLE noise_meter",
]


class _Background:
    """A function run in a thread; its result (or its exception) when asked for."""

    def __init__(self, work: Callable[[], Any]) -> None:
        self._value: Any = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._value = work()
            except BaseException as exc:
                self._error = exc

        self._thread = threading.Thread(target=run, name="leak-scan", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        self._thread.join()

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


class Pseudonyms:
    """Keyed pseudonyms that never look like any original personal value of the export (so the leak
    scan cannot mistake one for a leak), and are unique where the schema wants them unique (account
    numbers, ЕЛС, serials per service). All originals must be collected before the first is drawn."""

    def __init__(self, anonymizer: Anonymizer, originals: Originals) -> None:
        self.anon, self.originals = anonymizer, originals

    def fits(self, candidate: str, used: set[str] | None) -> bool:
        return (used is None or candidate not in used) and self.originals.match(candidate) is None

    def draw(self, make: Callable[[int], str], used: set[str] | None = None) -> str:
        candidate = make(0)
        attempt = 0
        while not self.fits(candidate, used):
            attempt += 1
            if attempt > 10_000:  # a format too short to hold this many distinct values
                raise ImportRefused(f"cannot find a free pseudonym in the format of {make(0)!r}")
            candidate = make(attempt)
        if used is not None:
            used.add(candidate)
        return candidate

    def ident(self, kind: str, value: str, used: set[str]) -> str:
        return self.draw(lambda k: self.anon.keep_format(kind if k == 0 else f"{kind}#{k}", value), used)


class Importer:
    def __init__(
        self,
        mapping: Mapping,
        key: bytes,
        *,
        rules: dict[str, str] | None = None,
        strict: bool = False,
        noise: float = 0.0,
        progress: Progress | None = None,
    ) -> None:
        self.mapping, self.strict, self.progress, self.noise = mapping, strict, progress, noise
        self.rules = rules_from(rules)
        self.anon = Anonymizer(key)
        self.result = ImportResult(rules=dict(self.rules))
        self.rejects = self.result.rejects
        self.originals = Originals()
        self.names = Pseudonyms(self.anon, self.originals)
        self.rejected_part: Path | None = None
        self.account_ids: dict[str, int] = {}
        self.meter_ids: dict[tuple[int, str], int] = {}
        self.periods: set[int] = set()  # month numbers (year * 12 + month - 1)
        self.month_texts: dict[int, str] = {}
        self._dates: dict[Any, str | None] = {}
        self._periods: dict[Any, int | None] = {}
        self._services: dict[Any, int | None] = {}

    # -- reading -----------------------------------------------------------------------------------
    def records(self, entity: str) -> tuple[FileMapping, dict[str, int], Iterator[tuple[int, list[Any]]]] | None:
        fm = self.mapping.files.get(entity)
        if fm is None or (fm.optional and not fm.path.exists()):
            return None
        headers, it = read_mapped(fm)
        return fm, {fld: headers.index(col) for fld, col in fm.columns.items()}, it

    def counted(self, name: str, it: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
        n = 0
        for item in it:
            n += 1
            if self.progress and n % 100_000 == 0:
                self.progress(name, n)
            yield item
        self.result.read[name] = n
        if self.progress:
            self.progress(name, n)

    # -- values (cached where they repeat) -----------------------------------------------------------
    def date(self, raw: Any) -> str | None:
        """ISO date text, NULL for empty; raises ValueProblem."""
        try:
            return self._dates[raw]
        except (KeyError, TypeError):
            pass
        parsed = convert.date(raw)
        text = parsed.isoformat() if parsed else NULL
        if isinstance(raw, str):
            self._dates[raw] = text
        return text

    def period(self, raw: Any) -> int | None:
        try:
            return self._periods[raw]
        except (KeyError, TypeError):
            pass
        month: int | None = None
        if raw not in (None, ""):
            try:
                p = convert.period(raw)
                month = p.year * 12 + p.month - 1
            except convert.ValueProblem:
                month = None
        self._periods[raw] = month
        return month

    def service(self, raw: Any) -> int | None:
        try:
            return self._services[raw]
        except KeyError:
            code = SERVICE_NAMES.get(_text(raw).lower()) or (_text(raw) if _text(raw) in SERVICE_IDS else None)
            self._services[raw] = SERVICE_IDS.get(code) if code else None
            return self._services[raw]

    @staticmethod
    def number(raw: Any) -> str | None:
        """A number as PostgreSQL reads it ('1 234,56' -> '1234.56'); None if not a number."""
        if isinstance(raw, str):
            text = raw.replace(",", ".").strip()
            if NUMBER.match(text):
                return text
            if raw.strip() == "":
                return None
        try:
            value = convert.decimal(raw)
        except convert.ValueProblem:
            return None
        return None if value is None else str(value)

    @staticmethod
    def month_text(month: int) -> str:
        return f"{month // 12:04d}-{month % 12 + 1:02d}-01"

    # -- the pipeline ---------------------------------------------------------------------------------
    def run(
        self, dsn: str, *, rejected_csv: Path | None = None, phase: Callable[[str], None] | None = None
    ) -> ImportResult:
        started = time.monotonic()
        say = phase or (lambda _message: None)
        say("looking for personal data without a rule")
        findings = find_personal_columns(self.mapping)
        mapped = [f for f in findings if f.mapped_to is not None]
        if mapped:
            raise ImportRefused(
                "; ".join(f.describe() for f in mapped)
                + ". Map the column to the personal field it is (so it is masked) or leave it out of the mapping"
            )
        if findings and self.strict:
            raise ImportRefused(
                "; ".join(f.describe() for f in findings)
                + ". Strict mode refuses a load while such a column has no rule: map it to a personal field "
                "or confirm it is not personal data by loading without --strict (it is then left out)"
            )
        self.result.personal_columns = findings
        if self.noise:
            self.result.rules["noise"] = f"amounts per account and readings per meter scaled by up to ±{self.noise:.0%}"
        if self.rules["address"] == "keep":
            self.result.flags.append("real streets and house numbers are kept (anonymize.address = 'keep')")
        for name in ("account_number", "els", "meter_serial"):
            if self.rules[name] == "keep":
                self.result.flags.append(f"real {name.replace('_', ' ')}s are kept (anonymize.{name} = 'keep')")
        if rejected_csv is not None:
            self.rejects.open(rejected_csv)
            self.rejected_part = rejected_csv.with_name(rejected_csv.name + ".part")
        try:
            with psycopg.connect(dsn, autocommit=True) as admin:
                work = begin_load(admin)
                scan: _Background | None = None
                try:
                    self._load(dsn, admin, work, say)
                    if self.strict and self.rejects.total:
                        raise ImportRefused(
                            f"{self.rejects.total} rows cannot be loaded ("
                            + ", ".join(f"{k}: {v}" for k, v in self.rejects.counts.most_common())
                            + "); strict mode refuses the whole load. Fix them in the export, or load without "
                            "--strict to leave them out"
                        )
                    if self.noise:
                        say(f"adding noise (up to ±{self.noise:.0%}) to amounts and readings")
                        self._add_noise(admin, work)
                    self.result.seconds["load"] = time.monotonic() - started
                    months = sorted(self.periods)
                    info = {
                        "origin": "import",
                        "accounts": self.result.rows.get("account", 0),
                        "months": len(months),
                        "end_period": dt.date.fromisoformat(self.month_text(months[-1] + 1)) if months else None,
                    }
                    # the leak scan reads the new books while PostgreSQL builds their keys
                    say("scanning for original personal data")
                    scan = _Background(lambda: self._scan(dsn, work))
                    finish_load(dsn, admin, work, info, self.result.seconds, say, lambda: self._leaks(scan.result()))
                except BaseException:
                    if scan is not None:
                        scan.wait()
                    abandon_load(admin, work)
                    raise
        finally:
            self.rejects.close()
        self.result.seconds["total"] = time.monotonic() - started
        return self.result

    def _scan(self, dsn: str, work: str) -> list[Leak]:
        mark = time.monotonic()
        with psycopg.connect(dsn, autocommit=True) as conn:
            leaks = scan_leaks(conn, work, self.originals)
        self.result.seconds["leak_scan"] = time.monotonic() - mark
        return leaks

    def _leaks(self, leaks: list[Leak]) -> None:
        self.result.leaks = leaks
        self.result.leak_values_checked = self.originals.size
        if leaks:
            first = leaks[0]
            raise ImportRefused(
                f"the leak scan found {len(leaks)} original personal values in the loaded data "
                f"(first: a {first.kind} in {first.table}.{first.column}); nothing was switched in"
            )

    def _load(self, dsn: str, admin: psycopg.Connection, work: str, say: Callable[[str], None]) -> None:
        say("reading accounts, persons and meters")
        accounts = self._accounts()
        persons = self._read_persons()
        meters = self._read_meters()
        # The balances and payments (60% of the rows) go through a forked second process with its own
        # COPY, while this one anonymizes and streams the rest: fork now, before any writer thread exists.
        if self.rejects.out is not None:
            self.rejects.out.flush()
        forked_at = time.monotonic()
        balances = Forked(lambda: self._second_part(dsn, work))
        tables = [
            "building", "premise", "account", "person", "account_person", "account_service", "meter",
            "meter_reading",
        ]  # fmt: skip
        try:
            with streaming(dsn, work, dict.fromkeys(tables, False)) as self.writers:
                say("anonymizing")  # every original is known now, so no pseudonym can look like one
                self._account_pseudonyms(accounts)
                self._write_persons(persons)
                self._write_meters(meters)
                say("reading services")
                self._write_places(accounts, self._services_of_accounts())
                say("reading readings, balances and payments")
                reading_keys = self._readings()
            self.result.seconds["stream_first_process"] = time.monotonic() - forked_at
            part = balances.result()
            self.result.seconds["stream_second_process"] = part["seconds"]
        except BaseException:
            balances.abandon()
            raise
        self._merge_part(part)
        self._drop_duplicates(admin, work, "meter_reading", ("meter_id", "period"), reading_keys, "readings")
        self._reference(admin, work, part["registries"], part["agents"])

    def _add_noise(self, admin: psycopg.Connection, work: str) -> None:
        """Scale each account's amounts and each meter's readings by a keyed factor near 1, keeping every
        relation the books had: balances reconcile and carry over as before (and a break in the export
        stays a break, scaled), the paid amounts of a month still equal its payments, registries their
        totals, readings their order."""

        def factor(kind: str, value: str) -> str:
            u = self.anon._int(kind, value) / 2**64
            return f"{1 + self.noise * (2 * u - 1):.6f}"

        schema = sql.Identifier(work)
        for table in ("noise_account (account_id", "noise_meter (meter_id"):
            admin.execute(sql.SQL("CREATE TABLE {}." + table + " int PRIMARY KEY, f numeric)").format(schema))
        accounts = ((i, factor("noise", n)) for n, i in self.account_ids.items())
        meters = ((i, factor("noise", f"{k[0]}|{k[1]}")) for k, i in self.meter_ids.items())
        copy_rows(admin, work, "noise_account", accounts)
        copy_rows(admin, work, "noise_meter", meters)
        with admin.transaction():
            admin.execute(sql.SQL("SET LOCAL search_path TO {}").format(schema))
            rewritten = ("balance", "payment", "meter_reading")
            comments = {t: admin.execute("SELECT obj_description(%s::regclass)", (t,)).fetchone() for t in rewritten}
            for statement in NOISE_SQL:
                admin.execute(statement.encode())
            for table, comment in comments.items():
                if comment and comment[0]:
                    text = sql.Literal(comment[0])
                    admin.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(sql.Identifier(table), text))

    def _second_part(self, dsn: str, work: str) -> dict[str, Any]:
        """In the forked child: the balances and payments files into their tables, duplicate balances
        out; the findings as data."""
        started = time.monotonic()
        self.rejects = Rejects()
        if self.rejected_part is not None:
            self.rejects.open(self.rejected_part)
        try:
            with streaming(dsn, work, {"balance": False, "payment": False}) as self.writers:
                keys = self._balances()
                registries, agents = self._payments()
            with psycopg.connect(dsn, autocommit=True) as conn:
                self._drop_duplicates(conn, work, "balance", ("account_id", "service_id", "period"), keys, "balances")
        finally:
            self.rejects.close()
        return {
            "rows": {t: self.result.rows.get(t, 0) for t in ("balance", "payment")},
            "seconds": time.monotonic() - started,
            "registries": registries,
            "agents": agents,
            "read": self.result.read,
            "counts": dict(self.rejects.counts),
            "examples": dict(self.rejects.examples),
            "periods": self.periods,
        }

    def _merge_part(self, part: dict[str, Any]) -> None:
        self.result.rows.update(part["rows"])
        self.result.read.update(part["read"])
        self.periods |= part["periods"]
        self.rejects.counts.update(part["counts"])
        for reason, examples in part["examples"].items():
            self.rejects.examples[reason] = (self.rejects.examples[reason] + examples)[:EXAMPLES]
        if self.rejected_part is not None and self.rejected_part.exists():
            with self.rejected_part.open(encoding="utf-8") as lines:
                next(lines, None)  # its header
                if self.rejects.out is not None:
                    self.rejects.out.writelines(lines)
            self.rejected_part.unlink()

    def emit(self, table: str, lines: list[str], force: bool = False) -> None:
        if lines and (force or len(lines) >= BATCH):
            self.writers[table].put("".join(lines))
            self.result.rows[table] = self.result.rows.get(table, 0) + len(lines)
            lines.clear()

    # -- accounts, buildings, premises ----------------------------------------------------------------
    def _accounts(self) -> list[dict[str, Any]]:
        found = self.records("accounts")
        if found is None:
            raise LegacyFormatError("accounts", None, "the mapping has no accounts file; nothing to load")
        fm, ix, it = found
        name = fm.path.name
        rows: list[dict[str, Any]] = []
        first_line: dict[str, int] = {}

        get = _getter(ix)
        for line, rec in self.counted(name, it):
            number = get(rec, "number")
            if not number:
                self.rejects.add("empty account number", name, line, "number")
                continue
            if number in first_line:
                self.rejects.add("duplicate account number", name, line, "number", number, personal=True)
                continue
            total = self.number(get(rec, "total_area"))
            living = self.number(get(rec, "living_area")) if get(rec, "living_area") else NULL
            residents = self.number(get(rec, "residents") or "0")
            rooms = self.number(get(rec, "rooms")) if get(rec, "rooms") else NULL
            checks = (
                ("total_area", total is None or float(total) <= 0, "total area not a positive number"),
                ("living_area", living is None or (living != NULL and float(living) < 0), "living area not a number"),
                ("residents", residents is None or float(residents) < 0, "residents not a number"),
                ("rooms", rooms is None, "rooms not a number"),
            )
            bad = next(((fld, reason) for fld, wrong, reason in checks if wrong), None)
            if bad:
                self.rejects.add(bad[1], name, line, bad[0], get(rec, bad[0]))
                continue
            try:
                opened = self.date(get(rec, "opened_on"))
                closed = self.date(get(rec, "closed_on"))
            except convert.ValueProblem as exc:
                self.rejects.add("not a date", name, line, "opened_on/closed_on", str(exc))
                continue
            first_line[number] = line
            self.originals.add("account number", number)
            els = get(rec, "els")
            if els:
                self.originals.add("ЕЛС", els)
            rows.append(
                {
                    "number": number, "els": els, "city": get(rec, "city"), "street": get(rec, "street"),
                    "house": get(rec, "house"), "flat": get(rec, "flat"), "total": total, "living": living,
                    "rooms": rooms, "residents": str(int(float(residents or 0))), "opened": opened,
                    "closed": closed, "line": line,
                }
            )  # fmt: skip
        kept_els: set[str] = set()
        accounts: list[dict[str, Any]] = []
        for row in rows:
            if row["els"] and self.rules["els"] == "keep":
                if row["els"] in kept_els:
                    self.rejects.add("duplicate ЕЛС", name, row["line"], "els", row["els"], personal=True)
                    continue
                kept_els.add(row["els"])
            row["id"] = len(accounts) + 1
            self.account_ids[row["number"]] = row["id"]
            accounts.append(row)
        return accounts

    def _account_pseudonyms(self, accounts: list[dict[str, Any]]) -> None:
        used_numbers: set[str] = set()
        used_els: set[str] = set()
        for row in accounts:
            number = row["number"]
            keep = self.rules["account_number"] == "keep"
            row["pseudo"] = number if keep else self.names.ident("account", number, used_numbers)
            if row["els"] and self.rules["els"] == "keep":
                row["els_pseudo"] = row["els"]
            elif row["els"]:
                row["els_pseudo"] = self.names.ident("els", row["els"], used_els)
            else:  # no ЕЛС in the export: a made-up one in the ГИС ЖКХ shape, keyed by the account
                row["els_pseudo"] = self.names.ident(f"els:{number}", "00АА000000", used_els)

    def _write_places(self, accounts: list[dict[str, Any]], services: dict[int, set[int]]) -> None:
        buildings: dict[tuple[str, str, str], dict[str, Any]] = {}
        premises: dict[tuple[int, str], dict[str, Any]] = {}
        used_addresses: set[str] = set()
        for row in accounts:
            key = (row["city"].lower(), row["street"].lower(), row["house"].lower())
            building = buildings.get(key)
            if building is None:
                city, street, house = row["city"], row["street"], row["house"]
                if self.rules["address"] == "replace":
                    street, house = self._address(city, street, house, used_addresses)
                building = {"id": len(buildings) + 1, "city": city, "street": street, "house": house, "svc": set()}
                buildings[key] = building
            building["svc"] |= services.get(row["id"], set())
            pkey = (building["id"], row["flat"].lower())
            premise = premises.get(pkey)
            if premise is None:
                premise = {"id": len(premises) + 1, "building": building["id"], "number": row["flat"], "accounts": []}
                premises[pkey] = premise
            premise["accounts"].append(row)
            row["premise"] = premise["id"]
        lines: list[str] = []
        for b in buildings.values():
            hot = "t" if SERVICE_IDS["hot_water"] in b["svc"] else "f"
            gas = "t" if SERVICE_IDS["gas"] in b["svc"] else "f"
            lines.append(
                f"{b['id']}\t{_escape(b['city'])}\t{_escape(b['street'])}\t{_escape(b['house'])}\t\\N\t\\N\t\\N\t"
                f"\\N\t\\N\t{hot}\t{gas}\n"
            )
            self.emit("building", lines)
        self.emit("building", lines, True)
        for p in premises.values():
            accs = p["accounts"]
            kind = "room" if len(accs) > 1 else "flat"
            total = sum(float(a["total"]) for a in accs)
            livings = [a["living"] for a in accs if a["living"] != NULL]
            living = f"{sum(float(v) for v in livings):.2f}" if len(livings) == len(accs) else NULL
            rooms = accs[0]["rooms"] if len(accs) == 1 else NULL
            lines.append(
                f"{p['id']}\t{p['building']}\t{_escape(p['number'])}\t{kind}\t\\N\t\\N\t{rooms}\t{total:.2f}\t{living}\n"
            )
            self.emit("premise", lines)
        self.emit("premise", lines, True)
        for a in accounts:
            lines.append(
                f"{a['id']}\t{_escape(a['pseudo'])}\t{_escape(a['els_pseudo'])}\t{a['premise']}\t{a['opened']}\t"
                f"{a['closed']}\t{a['residents']}\t{a['total']}\t\\N\n"
            )
            self.emit("account", lines)
        self.emit("account", lines, True)

    def _address(self, city: str, street: str, house: str, used: set[str]) -> tuple[str, str]:
        """Another street and house of the same city, never given to two buildings."""
        for attempt in range(64):
            new_street, new_house = self.anon.address(city, street, house, attempt)
            key = f"{city}|{new_street}|{new_house}".lower()
            if key not in used:
                used.add(key)
                return new_street, new_house
        k = 2
        while f"{city}|{new_street}|{new_house}к{k}".lower() in used:
            k += 1
        used.add(f"{city}|{new_street}|{new_house}к{k}".lower())
        return new_street, f"{new_house}к{k}"

    # -- persons ---------------------------------------------------------------------------------------
    def _read_persons(self) -> list[tuple[Any, ...]]:
        found = self.records("persons")
        if found is None:
            return []
        fm, ix, it = found
        name = fm.path.name

        get = _getter(ix)
        rows = []
        for line, rec in self.counted(name, it):
            account = self.account_ids.get(get(rec, "account"))
            if account is None:
                self.rejects.add("unknown account", name, line, "account", get(rec, "account"), personal=True)
                continue
            surname, given, patronymic = get(rec, "surname"), get(rec, "given_name"), get(rec, "patronymic")
            if not surname and "full_name" in ix:
                surname, given, patronymic = split_full_name(get(rec, "full_name"))
            if not surname or not given:
                self.rejects.add("no surname or given name", name, line, "surname", "", personal=True)
                continue
            try:
                birth = self.date(get(rec, "birth_date"))
            except convert.ValueProblem:
                self.rejects.add("not a date", name, line, "birth_date", "", personal=True)
                continue
            written = get(rec, "role").lower()
            role = next((ours for prefix, ours in ROLES if written.startswith(prefix)), "resident")
            share = NULL
            if role == "owner" and get(rec, "share"):
                share_text = self.number(get(rec, "share"))
                if share_text is None or not 0 < float(share_text) <= 1:
                    self.rejects.add("share not in (0, 1]", name, line, "share", get(rec, "share"))
                    continue
                share = share_text
            o = self.originals
            o.add_name(surname, given, patronymic)
            phone, email, snils, inn, passport = (get(rec, f) for f in ("phone", "email", "snils", "inn", "passport"))
            o.add("phone", phone)
            o.add("e-mail", email)
            o.add("СНИЛС", snils)
            o.add("ИНН", inn)
            o.add("passport", passport)
            rows.append((line, account, surname, given, patronymic, birth, role, share, phone, email, snils, inn,
                         passport))  # fmt: skip
        return rows

    def _write_persons(self, rows: list[tuple[Any, ...]]) -> None:
        name = self.mapping.files["persons"].path.name if rows else ""
        persons: dict[str, int] = {}
        links: set[tuple[int, int]] = set()
        people_lines: list[str] = []
        link_lines: list[str] = []
        for line, account, surname, given, patronymic, birth, role, share, phone, email, snils, inn, passport in rows:
            snils_digits = "".join(ch for ch in snils if ch.isdigit())
            who = snils_digits if len(snils_digits) == 11 else f"{surname}|{given}|{patronymic}|{birth}".lower()
            pid = persons.get(who)
            if pid is None:
                pid = len(persons) + 1
                persons[who] = pid
                people_lines.append(self._person_line(pid, who, surname, given, patronymic, birth, phone, email,
                                                      snils, inn, passport))  # fmt: skip
                self.emit("person", people_lines)
            if (account, pid) in links:
                self.rejects.add("the same person twice on one account", name, line, "surname", "", personal=True)
                continue
            links.add((account, pid))
            link_lines.append(f"{account}\t{pid}\t{role}\t{share}\n")
            self.emit("account_person", link_lines)
        self.emit("person", people_lines, True)
        self.emit("account_person", link_lines, True)

    def _person_line(
        self, pid: int, who: str, surname: str, given: str, patronymic: str, birth: str | None, phone: str,
        email: str, snils: str, inn: str, passport: str,
    ) -> str:  # fmt: skip
        o, a, rules = self.originals, self.anon, self.rules
        gender = a.gender(surname, patronymic)

        for attempt in range(64):
            s, g, p, _ = a.full_name(surname, given, patronymic, f"{birth}#{attempt}" if attempt else birth or "")
            if (s.lower(), g.lower(), p.lower()) not in o.names:
                break
        fio = f"{s}\t{g}\t{p}"
        if birth and birth != NULL and rules["birth_date"] == "shift":
            birth_out = a.birth_date(dt.date.fromisoformat(birth), who).isoformat()
        else:
            birth_out = NULL

        def masked(rule: str, value: str, make: Callable[[str], str]) -> str:
            if not value or rules[rule] == "drop":
                return NULL
            return _escape(self.names.draw(lambda k: make(value if k == 0 else f"{value}#{k}")))

        return (
            f"{pid}\t{fio}\t{gender}\t{birth_out}\t{masked('phone', phone, a.phone)}\t"
            f"{masked('snils', snils, a.snils)}\t{masked('inn', inn, a.inn_person)}\t"
            f"{masked('email', email, a.email)}\t{masked('passport', passport, a.passport)}\n"
        )

    # -- services and meters ---------------------------------------------------------------------------
    def _services_of_accounts(self) -> dict[int, set[int]]:
        services: dict[int, set[int]] = defaultdict(set)
        found = self.records("services")
        if found is None:
            return services
        fm, ix, it = found
        name = fm.path.name
        lines: list[str] = []
        for line, rec in self.counted(name, it):
            account = self.account_ids.get(_text(rec[ix["account"]]))
            if account is None:
                self.rejects.add("unknown account", name, line, "account", rec[ix["account"]], personal=True)
                continue
            sid = self.service(rec[ix["service"]])
            if sid is None:
                self.rejects.add("unknown service", name, line, "service", rec[ix["service"]])
                continue
            if sid in services[account]:
                self.rejects.add("service listed twice for the account", name, line, "service", rec[ix["service"]])
                continue
            try:
                since = self.date(rec[ix["since"]]) if "since" in ix else NULL
            except convert.ValueProblem:
                self.rejects.add("not a date", name, line, "since", rec[ix["since"]])
                continue
            services[account].add(sid)
            lines.append(f"{account}\t{sid}\t{since}\n")
            self.emit("account_service", lines)
        self.emit("account_service", lines, True)
        return services

    def _read_meters(self) -> list[tuple[Any, ...]]:
        found = self.records("meters")
        if found is None:
            return []
        fm, ix, it = found
        name = fm.path.name

        get = _getter(ix, as_text=False)
        rows = []
        seen: dict[tuple[int, str], int] = {}
        for line, rec in self.counted(name, it):
            account = self.account_ids.get(_text(get(rec, "account")))
            if account is None:
                self.rejects.add("unknown account", name, line, "account", get(rec, "account"), personal=True)
                continue
            sid = self.service(get(rec, "service"))
            if sid is None:
                self.rejects.add("unknown service", name, line, "service", get(rec, "service"))
                continue
            serial = _text(get(rec, "serial"))
            if not serial:
                self.rejects.add("empty meter serial", name, line, "serial")
                continue
            if (sid, serial) in seen:
                self.rejects.add("duplicate meter serial", name, line, "serial", serial, personal=True)
                continue
            zones = self.number(_text(get(rec, "zones")) or "1")
            default_digits = "6" if sid == SERVICE_IDS["electricity"] else "5"
            digits = self.number(_text(get(rec, "capacity_digits")) or default_digits)
            if zones is None or not 1 <= float(zones) <= 3 or float(zones) != int(float(zones)):
                self.rejects.add("zones not 1, 2 or 3", name, line, "zones", get(rec, "zones"))
                continue
            if digits is None or not 4 <= float(digits) <= 9 or float(digits) != int(float(digits)):
                self.rejects.add("digits not 4 to 9", name, line, "capacity_digits", get(rec, "capacity_digits"))
                continue
            try:
                dates = [self.date(get(rec, f)) for f in ("installed_on", "verified_on", "next_verification",
                                                          "removed_on")]  # fmt: skip
            except convert.ValueProblem as exc:
                self.rejects.add("not a date", name, line, "dates", str(exc))
                continue
            if dates[0] != NULL and dates[3] != NULL and str(dates[3]) < str(dates[0]):
                self.rejects.add("removed before installed", name, line, "removed_on", get(rec, "removed_on"))
                continue
            seen[(sid, serial)] = line
            self.originals.add("meter serial", serial)
            rows.append((account, sid, serial, int(float(zones)), int(float(digits)), dates))
        return rows

    def _write_meters(self, rows: list[tuple[Any, ...]]) -> None:
        used: dict[int, set[str]] = defaultdict(set)
        lines: list[str] = []
        for mid, (account, sid, serial, zones_n, digits_n, dates) in enumerate(rows, start=1):
            if self.rules["meter_serial"] == "keep":
                pseudo = serial
            else:
                pseudo = self.names.ident(f"serial:{sid}", serial, used[sid])
            self.meter_ids[(sid, serial)] = mid
            installed, verified, nxt, removed = dates
            lines.append(
                f"{mid}\t{account}\t{sid}\t{_escape(pseudo)}\t{zones_n}\t{digits_n}\t{installed}\t{verified}\t{nxt}\t"
                f"{removed}\t\\N\n"
            )
            self.emit("meter", lines)
        self.emit("meter", lines, True)

    # -- the long files: readings, balances, payments -----------------------------------------------------
    def _readings(self) -> tuple[array[int], array[int]]:
        keys, lines_of = array("q"), array("q")
        found = self.records("readings")
        if found is None:
            return keys, lines_of
        fm, ix, it = found
        name = fm.path.name
        i_serial, i_service, i_period, i_v1 = ix["serial"], ix["service"], ix["period"], ix["value1"]
        i_taken, i_v2, i_v3 = ix.get("taken_on"), ix.get("value2"), ix.get("value3")
        meters, service, period, date = self.meter_ids.get, self.service, self.period, self.date
        periods, texts, fast = self.periods, self.month_texts, READING.fullmatch
        out: list[str] = []
        reject = self.rejects.add
        for line, rec in self.counted(name, it):
            sid = service(rec[i_service])
            serial = rec[i_serial]
            mid = meters((sid, serial.strip() if type(serial) is str else _text(serial))) if sid is not None else None
            if mid is None:
                reject("reading of an unknown meter", name, line, "serial", rec[i_serial], personal=True)
                continue
            month = period(rec[i_period])
            if month is None:
                reject("not a period", name, line, "period", rec[i_period])
                continue
            v1 = rec[i_v1]
            if (i_v2 is None or rec[i_v2] == "") and (i_v3 is None or rec[i_v3] == "") and fast(v1.replace(",", ".")):
                values: list[str] | None = [v1.replace(",", "."), NULL, NULL]  # the common case: one zone
            else:
                values = self._reading_values(rec, (i_v1, i_v2, i_v3))
            if values is None:
                reject("not a reading value", name, line, "value1", rec[i_v1])
                continue
            try:
                taken = date(rec[i_taken]) if i_taken is not None else NULL
            except convert.ValueProblem:
                reject("not a date", name, line, "taken_on", rec[i_taken])  # type: ignore[index]
                continue
            if month not in periods:
                periods.add(month)
                texts[month] = self.month_text(month)
            keys.append(mid * 4096 + month - 22800)
            lines_of.append(line)
            out.append(f"{mid}\t{texts[month]}\t{taken}\t{IMPORT_SOURCE}\t{values[0]}\t{values[1]}\t{values[2]}\n")
            if len(out) >= BATCH:
                self.emit("meter_reading", out)
        self.emit("meter_reading", out, True)
        return keys, lines_of

    def _reading_values(self, rec: list[Any], columns: tuple[int | None, ...]) -> list[str] | None:
        values = []
        for i in columns:
            raw = rec[i] if i is not None else ""
            if raw == "" or raw is None:
                values.append(NULL)
                continue
            v = self.number(raw)
            if v is None or v.startswith("-"):
                return None
            values.append(v)
        return None if values[0] == NULL else values

    def _balances(self) -> tuple[array[int], array[int]]:
        keys, lines_of = array("q"), array("q")
        found = self.records("balances")
        if found is None:
            return keys, lines_of
        fm, ix, it = found
        name = fm.path.name
        i_acc, i_svc, i_per = ix["account"], ix["service"], ix["period"]
        measures = [ix["opening"], ix["charged"], ix.get("recalculated"), ix["paid"], ix["closing"]]
        i_o, i_c, i_p, i_z = ix["opening"], ix["charged"], ix["paid"], ix["closing"]
        i_r = ix.get("recalculated")
        accounts, service, period, number = self.account_ids.get, self.service, self.period, self.number
        periods, texts, fast = self.periods, self.month_texts, AMOUNTS.fullmatch
        reject = self.rejects.add
        out: list[str] = []
        for line, rec in self.counted(name, it):
            raw_acc = rec[i_acc]
            account = accounts(raw_acc if type(raw_acc) is str and raw_acc == raw_acc.strip() else _text(raw_acc))
            if account is None:
                reject("unknown account", name, line, "account", raw_acc, personal=True)
                continue
            sid = service(rec[i_svc])
            if sid is None:
                reject("unknown service", name, line, "service", rec[i_svc])
                continue
            month = period(rec[i_per])
            if month is None:
                reject("not a period", name, line, "period", rec[i_per])
                continue
            recalculated = (rec[i_r] or "0") if i_r is not None else "0"
            amounts = f"{rec[i_o]}\t{rec[i_c]}\t{recalculated}\t{rec[i_p]}\t{rec[i_z]}".replace(",", ".")
            if not fast(amounts):  # spaces, XLSX floats, or not numbers at all
                values = [number(rec[i] if i is not None and rec[i] != "" else "0") for i in measures]
                if None in values:
                    shown = ";".join(_text(rec[i]) for i in measures if i is not None)
                    reject("not an amount", name, line, "amounts", shown)
                    continue
                amounts = "\t".join(values)  # type: ignore[arg-type]
            if month not in periods:
                periods.add(month)
                texts[month] = self.month_text(month)
            keys.append((account * 8 + sid) * 4096 + month - 22800)
            lines_of.append(line)
            out.append(f"{account}\t{sid}\t{texts[month]}\t{amounts}\n")
            if len(out) >= BATCH:
                self.emit("balance", out)
        self.emit("balance", out, True)
        return keys, lines_of

    def _payments(self) -> tuple[dict[tuple[int, str], list[Any]], dict[str, int]]:
        registries: dict[tuple[int, str], list[Any]] = {}
        agents = {a[1].lower(): a[0] for a in catalog.AGENTS}
        found = self.records("payments")
        if found is None:
            return registries, agents
        fm, ix, it = found
        name = fm.path.name
        i_acc, i_day, i_amount = ix["account"], ix["paid_on"], ix["amount"]
        i_agent, i_reg, i_per = ix.get("agent"), ix.get("registry"), ix.get("period")
        accounts, number, date, period = self.account_ids.get, self.number, self.date, self.period
        reject = self.rejects.add
        out: list[str] = []
        pid = 0
        for line, rec in self.counted(name, it):
            raw_acc = rec[i_acc]
            account = accounts(raw_acc.strip() if type(raw_acc) is str else _text(raw_acc))
            if account is None:
                reject("payment for an unknown account", name, line, "account", rec[i_acc], personal=True)
                continue
            try:
                day = date(rec[i_day])
            except convert.ValueProblem:
                day = None
            if day is None or day == NULL:
                reject("not a date", name, line, "paid_on", rec[i_day])
                continue
            amount = number(rec[i_amount])
            if amount is None or float(amount) <= 0:
                reject("payment amount not positive", name, line, "amount", rec[i_amount])
                continue
            month = period(rec[i_per]) if i_per is not None and rec[i_per] != "" else None
            if month is None:
                month = int(day[:4]) * 12 + int(day[5:7]) - 1
            agent_name = _text(rec[i_agent]) if i_agent is not None else ""
            agent = agents.get(agent_name.lower() or "не указан")
            if agent is None:
                agent = max(agents.values()) + 1
                agents[agent_name.lower() or "не указан"] = agent
            registry_name = (_text(rec[i_reg]) if i_reg is not None else "") or f"реестр {agent} от {day}"
            reg = registries.get((agent, registry_name))
            if reg is None:
                reg = [len(registries) + 1, day, 0, 0, registry_name]
                registries[(agent, registry_name)] = reg
            reg[1] = min(reg[1], day)
            reg[2] += 1
            reg[3] += round(float(amount) * 100)
            pid += 1
            out.append(f"{pid}\t{account}\t{agent}\t{reg[0]}\t{day}\t{self.month_text(month)}\t{amount}\n")
            if len(out) >= BATCH:
                self.emit("payment", out)
        self.emit("payment", out, True)
        return registries, agents

    # -- after the stream ---------------------------------------------------------------------------------
    def _drop_duplicates(
        self, admin: psycopg.Connection, work: str, table: str, columns: tuple[str, ...], found: tuple[array[int],
        array[int]], file_entity: str,
    ) -> None:  # fmt: skip
        keys_arr, lines_arr = found
        if not len(keys_arr):
            return
        keys = np.frombuffer(keys_arr, dtype=np.int64)
        lines = np.frombuffer(lines_arr, dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        repeat = np.flatnonzero(sorted_keys[1:] == sorted_keys[:-1]) + 1
        if not len(repeat):
            return
        fm = self.mapping.files[file_entity]
        for pos in repeat.tolist():
            self.rejects.add(f"duplicate {file_entity[:-1]} for the same period", fm.path.name,
                             int(lines[order[pos]]), "period")  # fmt: skip
        self.result.rows[table] -= len(repeat)
        dup_keys = np.unique(sorted_keys[repeat])
        parts: list[list[Any]] = []
        month = (dup_keys % 4096 + 22800).tolist()
        rest = (dup_keys // 4096).tolist()
        if len(columns) == 3:
            parts = [[r // 8 for r in rest], [r % 8 for r in rest], [self.month_text(m) for m in month]]
            types = ["int[]", "int2[]", "date[]"]
        else:
            parts = [rest, [self.month_text(m) for m in month]]
            types = ["int[]", "date[]"]
        target = sql.Identifier(work, table)
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        unnest = sql.SQL(", ").join(sql.SQL("%s::" + t) for t in types)
        admin.execute(
            sql.SQL(
                "DELETE FROM {t} WHERE ctid IN (SELECT ctid FROM (SELECT ctid, row_number() OVER "
                "(PARTITION BY {c} ORDER BY ctid) AS n FROM {t} WHERE ({c}) IN (SELECT * FROM unnest({u}))) s "
                "WHERE n > 1)"
            ).format(t=target, c=cols, u=unnest),
            parts,
        )

    def _reference(
        self, admin: psycopg.Connection, work: str, registries: dict[tuple[int, str], list[Any]], agents: dict[str, int]
    ) -> None:
        months = sorted(self.periods)
        if not months:
            raise ImportRefused("the export holds no balances or readings: no billing period to load")
        first, last = months[0], months[-1] + 1  # the month after the export is the open one
        end = dt.date(last // 12, last % 12 + 1, 1)
        cat = catalog.build_catalog(1, end, last - first + 1)
        services = [(sid, *s[:7]) for sid, s in catalog.SERVICES.items()]
        agent_rows: list[tuple[Any, ...]] = [(a[0], a[1], a[3], a[4]) for a in catalog.AGENTS]
        agent_rows += [(aid, label, 0, "import") for label, aid in agents.items() if aid > len(catalog.AGENTS)]
        periods = [
            (dt.date(m // 12, m % 12 + 1, 1), "closed" if m < last else "open",
             dt.datetime.now(dt.UTC) if m < last else None)
            for m in range(first, last + 1)
        ]  # fmt: skip
        reference = {
            "supplier": cat.suppliers,
            "service": services,
            "tariff": cat.tariffs,
            "norm": cat.norms,
            "payment_agent": agent_rows,
            "charge_method": catalog.CHARGE_METHODS,
            "reading_source": catalog.READING_SOURCES,
            "billing_period": periods,
            "payment_registry": [
                (reg[0], agent, reg[1], reg[4], reg[2], f"{reg[3] / 100:.2f}") for (agent, _), reg in registries.items()
            ],
        }
        for table, rows in reference.items():
            self.result.rows[table] = copy_rows(admin, work, table, rows)
        self.result.periods = [p[0] for p in periods]


def import_export(
    dsn: str,
    mapping: Mapping,
    key: bytes,
    *,
    rules: dict[str, str] | None = None,
    strict: bool = False,
    noise: float = 0.0,
    rejected_csv: Path | None = None,
    progress: Progress | None = None,
    phase: Callable[[str], None] | None = None,
) -> ImportResult:
    """Read, anonymize and load an export into ``dsn``'s ``okno`` schema, all or nothing."""
    importer = Importer(mapping, key, rules=rules, strict=strict, noise=noise, progress=progress)
    return importer.run(dsn, rejected_csv=rejected_csv, phase=phase)


def collect_originals(mapping: Mapping) -> Originals:
    """The personal values of an export, read again (for a leak scan of a database loaded earlier)."""
    originals = Originals()
    fields = {
        "accounts": [("number", "account number"), ("els", "ЕЛС")],
        "persons": [("phone", "phone"), ("email", "e-mail"), ("snils", "СНИЛС"), ("inn", "ИНН"),
                    ("passport", "passport")],
        "meters": [("serial", "meter serial")],
    }  # fmt: skip
    importer = Importer(mapping, b"\0" * 32)
    for entity, wanted in fields.items():
        found = importer.records(entity)
        if found is None:
            continue
        _, ix, it = found
        for _, rec in it:
            for fld, kind in wanted:
                if fld in ix:
                    originals.add(kind, _text(rec[ix[fld]]))
            if entity == "persons":
                names = tuple(_text(rec[ix[f]]) if f in ix else "" for f in ("surname", "given_name", "patronymic"))
                if not names[0] and "full_name" in ix:
                    names = split_full_name(_text(rec[ix["full_name"]]))
                originals.add_name(*names)
    return originals


def scan_database(dsn: str, originals: Originals, schema: str = "okno") -> list[Leak]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return scan_leaks(conn, schema, originals)
