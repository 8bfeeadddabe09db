"""Stage five: balances and payments (60% of an export's rows), streamed by COPY in a second process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from seed import catalog
from seed.legacy.importer.state import LOOKUP, ImportState, Rejects, Seen
from seed.legacy.interpret import (
    DUPLICATE_BALANCE,
    FIVE_AMOUNTS,
    NOT_A_PERIOD,
    SERVICE_IDS,
    UNKNOWN_ACCOUNT,
    UNKNOWN_PAYER,
    UNKNOWN_SERVICE,
    EntityFile,
    Refused,
    kopecks,
    month_number,
    service_code,
    text,
)
from seed.legacy.rows import ServiceOf, balance_amounts, payment_fields
from seed.period import month_iso

BALANCE_COLUMNS = ("account", "service", "period", "opening", "charged", "paid", "closing")
SERVICE_BITS = max(SERVICE_IDS.values()).bit_length()  # a month and a service as one number


@dataclass
class Registry:
    """A payment registry as the payments name it (or one made up per agent and day)."""

    id: int
    agent: int
    name: str
    first_day: str
    lines: int = 0
    kopecks: int = 0


@dataclass
class MoneyPart:
    """What the second process did, as plain data for the first."""

    rows: dict[str, int]
    read: dict[str, int]
    months: set[int]
    rejects: Rejects
    registries: list[Registry]
    agents: dict[str, int]  # agent name, lower case -> id
    seconds: float = 0.0


def write_balances(state: ImportState) -> None:
    """balance by COPY; a balance of an account, service and month read before is left out (the first
    stays)."""
    if (f := state.open("balances")) is None:
        return
    i_acc, i_svc, i_per, i_o, i_c, i_p, i_z = (f.index.get(k, -1) for k in BALANCE_COLUMNS)
    i_r = f.index.get("recalculated")
    service_of = ServiceOf(state.mapping, "balances").of_account if i_svc < 0 else None
    accounts, month_text = state.account_ids.get_many, state.month
    services: dict[Any, int | None] = {}
    months: dict[Any, int | None] = {}  # a period as written -> its month
    seen = Seen(len(state.account_ids)).again
    written = state.lines("balance")
    add, refuse = written.add, state.rejects.refuse
    rows = state.rows(f)
    while batch := list(islice(rows, LOOKUP)):  # the accounts' ids a batch of rows at a time
        numbers = [_number(rec[i_acc]) for _, rec in batch]
        for (line, rec), number, account in zip(batch, numbers, accounts(list(map(hash, numbers))), strict=True):
            try:
                if not account:
                    raise Refused(UNKNOWN_ACCOUNT, "account", rec[i_acc], personal=True)
                sid: int | None
                if service_of is not None:  # no service column: the account's only one
                    sid = SERVICE_IDS[service_of(number)]
                else:
                    sid = services.get(rec[i_svc], -1)
                    if sid == -1:
                        code = service_code(rec[i_svc])
                        sid = services[rec[i_svc]] = SERVICE_IDS[code] if code else None
                    if sid is None:
                        raise Refused(UNKNOWN_SERVICE, "service", rec[i_svc])
                month = months.get(raw_period := rec[i_per], -1)
                if month == -1:
                    month = months[raw_period] = month_number(raw_period)
                if month is None:
                    raise Refused(NOT_A_PERIOD, "period", raw_period)
                recalculated = (rec[i_r] or "0") if i_r is not None else "0"
                amounts = f"{rec[i_o]}\t{rec[i_c]}\t{recalculated}\t{rec[i_p]}\t{rec[i_z]}".replace(",", ".")
                if not FIVE_AMOUNTS(amounts):  # spaces, XLSX floats, or not numbers at all
                    amounts = "\t".join(balance_amounts(f, rec))
                if seen(month << SERVICE_BITS | sid, account):
                    raise Refused(DUPLICATE_BALANCE, "period")
            except Refused as why:
                refuse(f.name, line, why)
                continue
            add(f"{account}\t{sid}\t{month_text(month)}\t{amounts}\n")
    written.flush()


def _number(raw: Any) -> str:
    """An account number as written (stripped, as text)."""
    return raw if type(raw) is str and raw == raw.strip() else text(raw)


def write_payments(state: ImportState) -> tuple[list[Registry], dict[str, int]]:
    """payment by COPY; the registries the payments name and the agents (catalog's and new ones)."""
    registries: dict[tuple[int, str], Registry] = {}
    agents = {a[1].lower(): a[0] for a in catalog.AGENTS}
    f = state.open("payments")
    if f is None:
        return [], agents
    i_acc = f.index["account"]
    refuse = state.rejects.refuse
    lines = state.lines("payment")
    pid = 0
    for line, rec, account in _with_payers(state, f, i_acc):
        try:
            if not account:
                raise Refused(UNKNOWN_PAYER, "account", rec[i_acc], personal=True)
            day, amount, month = payment_fields(f, rec)
        except Refused as why:
            refuse(f.name, line, why)
            continue
        agent_name = f.get(rec, "agent").lower() or "не указан"
        agent = agents.get(agent_name)
        if agent is None:
            agent = agents[agent_name] = max(agents.values()) + 1
        registry_name = f.get(rec, "registry") or f"реестр {agent} от {day}"
        reg = registries.get((agent, registry_name))
        if reg is None:
            reg = registries[(agent, registry_name)] = Registry(len(registries) + 1, agent, registry_name, day)
        reg.first_day = min(reg.first_day, day)
        reg.lines += 1
        reg.kopecks += kopecks(amount)
        pid += 1
        lines.add(f"{pid}\t{account}\t{agent}\t{reg.id}\t{day}\t{month_iso(month)}\t{amount}\n")
    lines.flush()
    return list(registries.values()), agents


def _with_payers(state: ImportState, f: EntityFile, i_acc: int) -> Iterator[tuple[int, list[Any], int]]:
    """The payments' rows with their accounts' ids (0: none loaded), looked up a batch of rows at a time."""
    accounts, rows = state.account_ids.get_many, state.rows(f)
    while batch := list(islice(rows, LOOKUP)):
        numbers = [hash(_number(rec[i_acc])) for _, rec in batch]
        for (line, rec), account in zip(batch, accounts(numbers), strict=True):
            yield line, rec, account
