"""The import's stages in order, over one :class:`ImportState`, all or nothing.

The export is read through its mapping, every personal value is replaced on this machine before a
byte reaches PostgreSQL, and the rows stream by COPY into a working schema of their own. Keys, a leak
scan and statistics follow; only then does the working schema replace ``okno`` in one transaction (the
loader shared with synthetic seeding), so a failed, refused or killed import leaves the previous books
untouched.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from seed.errors import ImportRefused
from seed.legacy.forked import Forked
from seed.legacy.importer import finish, meters, money, noise, persons, places, readings
from seed.legacy.importer.rejected import Rejects
from seed.legacy.importer.state import ImportResult, ImportState
from seed.legacy.interpret import collector_paused
from seed.legacy.leaks import Leak, scan_leaks
from seed.legacy.personal import find_personal_columns
from seed.load import abandon_load, begin_load, finish_load, streaming
from seed.months import open_balances
from seed.period import month_start
from seed.words.messages import Message

FIRST_TABLES = ("building", "premise", "account", "person", "account_person", "account_service", "meter",
                "meter_reading")  # fmt: skip
MONEY_TABLES = ("balance", "payment")
Judge = Callable[[ImportState, psycopg.Connection, str], None]


def run_import(
    state: ImportState,
    dsn: str,
    *,
    strict: bool = False,
    rejected_csv: Path | None = None,
    phase: Callable[[str], None] | None = None,
    judge: Judge | None = None,
) -> ImportResult:
    """Run the import's stages; ``judge``, when given, sees the new books (``admin``, the working schema)
    beside the old ones (``okno``) before the switch-in, and may still refuse them by raising."""
    started = time.monotonic()
    say = phase or (lambda _message: None)
    result = state.result
    say("looking for personal data without a rule")
    refuse_unruled_personal_data(state, strict)
    if rejected_csv is not None:
        state.rejects.open(rejected_csv)
    try:
        with psycopg.connect(dsn, autocommit=True) as admin:
            work = begin_load(admin)
            scan: _Background | None = None
            try:
                with collector_paused():
                    _load(state, dsn, admin, work, say, rejected_csv)
                if strict and state.rejects.total:
                    raise ImportRefused(
                        f"{state.rejects.total} rows cannot be loaded ("
                        + ", ".join(f"{k}: {v}" for k, v in state.rejects.counts.most_common())
                        + "); strict mode refuses the whole load. Fix them in the export, or load without "
                        "--strict to leave them out"
                    )
                if state.noise:
                    say(f"adding noise (up to ±{state.noise:.0%}) to amounts and readings")
                    noise.add_noise(state, admin, work)
                result.seconds["load"] = time.monotonic() - started
                months = sorted(state.months)
                info = {
                    "origin": "import",
                    "accounts": result.rows.get("account", 0),
                    "months": len(months),
                    "end_period": month_start(months[-1] + 1) if months else None,
                }
                # the leak scan reads the new books while PostgreSQL builds their keys
                say("scanning for original personal data")
                scan = _Background(lambda: _scan(state, dsn, work))

                def before_switch() -> None:
                    _judge(state, scan.result() if scan else [])
                    if judge is not None:
                        judge(state, admin, work)

                finish_load(dsn, admin, work, info, result.seconds, say, before_switch)
            except BaseException:
                if scan is not None:
                    scan.wait()
                abandon_load(admin, work)
                raise
    except BaseException:  # nothing was loaded, so no row was left out of a load: no list stays
        state.rejects.close()
        if rejected_csv is not None:
            rejected_csv.unlink(missing_ok=True)
            _part_of(rejected_csv).unlink(missing_ok=True)
        raise
    finally:
        state.rejects.close()
    result.seconds["total"] = time.monotonic() - started
    return result


def refuse_unruled_personal_data(state: ImportState, strict: bool) -> None:
    """A column that looks personal and feeds an unmasked field always stops the load; one that feeds
    nothing stops a strict load and is otherwise left out (and named in the report)."""
    findings = find_personal_columns(state.mapping)
    mapped = [f for f in findings if f.mapped_to is not None]
    if mapped:
        raise ImportRefused(
            "; ".join(f.describe() for f in mapped)
            + ". Map the column to the personal field it is (so it is masked) or leave it out of the mapping"
        )
    if findings and strict:
        raise ImportRefused(
            "; ".join(f.describe() for f in findings)
            + ". Strict mode refuses a load while such a column has no rule: map it to a personal field "
            "or confirm it is not personal data by loading without --strict (it is then left out)"
        )
    result = state.result
    result.personal_columns = findings
    if state.noise:
        result.rules["noise"] = Message.of("treatment.noise", share=f"{state.noise:.0%}")
    for name in ("address", "account_number", "els", "meter_serial"):
        if state.rules[name] == "keep":
            result.flags.append(Message.of("personal.kept", rule=name))


def _load(
    state: ImportState, dsn: str, admin: psycopg.Connection, work: str, say: Callable[[str], None],
    rejected_csv: Path | None,
) -> None:  # fmt: skip
    say("reading accounts, persons and meters")
    account_lines = places.read_accounts(state)
    person_lines = persons.read_persons(state)
    meter_lines = meters.read_meters(state)
    # The balances and payments (60% of the rows) go through a forked second process with its own
    # COPY, while this one anonymizes and streams the rest: fork now, before any writer thread exists.
    if state.rejects.out is not None:
        state.rejects.out.flush()
    part_csv = _part_of(rejected_csv) if rejected_csv is not None else None
    forked_at = time.monotonic()
    second = Forked(lambda: _money_part(state, dsn, work, part_csv))
    try:
        with streaming(dsn, work, dict.fromkeys(FIRST_TABLES, False)) as writers:
            state.sink = lambda table, data: writers[table].put(data)
            say("anonymizing")  # every original is known now, so no pseudonym can look like one
            persons.write_persons(state, person_lines)
            meters.write_meters(state, meter_lines)
            say("reading services")
            places.write_places(state, account_lines, meters.write_services(state))
            say("reading readings, balances and payments")
            readings.write_readings(state)
        state.result.seconds["stream_first_process"] = time.monotonic() - forked_at
        part = second.result()
    except BaseException:
        second.abandon()
        raise
    _merge(state, part, part_csv)
    _services_found(state, dsn, work, part.services)
    finish.write_reference(state, admin, work, part.registries, part.agents)
    # The month after the export is open: its balances start where the export's last month closed, so
    # payments (a registry) can be taken at once.
    open_balances(admin, work, month_start(max(state.months) + 1))


def _services_found(state: ImportState, dsn: str, work: str, by_balances: bytearray | None) -> None:
    """With no services file, an account's services are those its meters and balances name: the meters'
    were written with the first tables, the balances' others (read by the second process) are written now;
    the report says how many were taken so."""
    if by_balances is None:
        return
    target = sql.Identifier(work, "account_service")  # added to the meters' (a new stream would truncate)
    with psycopg.connect(dsn) as conn, conn.cursor().copy(sql.SQL("COPY {} FROM STDIN").format(target)) as copy:
        state.sink = lambda _table, data: copy.write(data)
        meters.write_found_services(state, by_balances, before=state.found_services)
    state.result.flags.append(Message.of("load.services_found", count=state.found_services_written))


def _part_of(rejected_csv: Path) -> Path:
    """Where the second process lists the rows it leaves out, until they join the first's list."""
    return rejected_csv.with_name(rejected_csv.name + ".part")


def _money_part(state: ImportState, dsn: str, work: str, part_csv: Path | None) -> money.MoneyPart:
    """In the forked child: the balances and payments files into their tables; what it did, as data."""
    started = time.monotonic()
    state.rejects = Rejects(state.rejects.columns)
    if part_csv is not None:
        state.rejects.open(part_csv)
    state.result.rows, state.result.read = {}, {}
    try:
        with streaming(dsn, work, dict.fromkeys(MONEY_TABLES, False)) as writers:
            state.sink = lambda table, data: writers[table].put(data)
            services = money.write_balances(state)
            registries, agents = money.write_payments(state)
    finally:
        state.rejects.close()
    return money.MoneyPart(
        rows={t: state.result.rows.get(t, 0) for t in MONEY_TABLES},
        read=state.result.read,
        months=state.months,
        rejects=state.rejects,
        registries=registries,
        agents=agents,
        seconds=time.monotonic() - started,
        services=services,
    )


def _merge(state: ImportState, part: money.MoneyPart, part_csv: Path | None) -> None:
    result = state.result
    result.rows.update(part.rows)
    result.read.update(part.read)
    result.seconds["stream_second_process"] = part.seconds
    state.months |= part.months
    state.rejects.merge(part.rejects)
    if part_csv is not None and part_csv.exists():
        with part_csv.open(encoding="utf-8") as lines:
            next(lines, None)  # its header
            if state.rejects.out is not None:
                state.rejects.out.writelines(lines)
        part_csv.unlink()


def _scan(state: ImportState, dsn: str, work: str) -> list[Leak]:
    mark = time.monotonic()
    with psycopg.connect(dsn, autocommit=True) as conn:
        leaks = scan_leaks(conn, work, state.originals)
    state.result.seconds["leak_scan"] = time.monotonic() - mark
    return leaks


def _judge(state: ImportState, leaks: list[Leak]) -> None:
    state.result.leaks = leaks
    state.result.leak_values_checked = state.originals.size
    if leaks:
        first = leaks[0]
        raise ImportRefused(
            f"the leak scan found {len(leaks)} original personal values in the loaded data "
            f"(first: a {first.kind} in {first.table}.{first.column}); nothing was switched in"
        )


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
