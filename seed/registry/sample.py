"""Registries made from a client's books: a day's payments as an agent would send them (for exercises,
with faults planted on request), and the registry of debts a supplier sends its agents.

Both are written by :mod:`seed.registry.codec` in the agent's format, so what `registry sample` writes is
what `registry load` reads.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

from seed.errors import NoData, RegistryError
from seed.months import open_month, require_books
from seed.registry.codec import format_amount, write_registry
from seed.registry.formats import Format

# The faults `registry sample --faults K` plants, in this order; the first five go to the suspense list
# when the registry is loaded, the last two make the load refuse the whole file.
FAULTS = (
    "unknown_account",
    "closed_account",
    "duplicate_line",
    "nonpositive_amount",
    "bad_date",
    "wrong_total",
    "wrong_count",
)
LINE_FAULTS = FAULTS[:5]

_BOOKS = """
SELECT a.number, coalesce(n.name, ''), coalesce(n.address, ''), sum(b.closing) AS debt
FROM account a JOIN balance b ON b.account_id = a.id AND b.period = %(period)s
LEFT JOIN LATERAL (
    SELECT p.surname || ' ' || p.given_name || coalesce(' ' || p.patronymic, '') AS name,
           concat_ws(', ', bl.city, bl.street, 'д. ' || bl.house, 'кв. ' || pr.number) AS address
    FROM account_person ap JOIN person p ON p.id = ap.person_id
    JOIN premise pr ON pr.id = a.premise_id JOIN building bl ON bl.id = pr.building_id
    WHERE ap.account_id = a.id ORDER BY ap.role <> 'owner', p.id LIMIT 1
) n ON true
WHERE a.closed_on IS NULL
GROUP BY a.id, a.number, n.name, n.address
HAVING sum(b.closing) > 0
ORDER BY a.id
"""


@dataclass(frozen=True)
class Debtor:
    account: str
    name: str
    address: str
    debt: int  # kopecks


@dataclass(frozen=True)
class Written:
    path: Path
    lines: int
    total: int  # kopecks, as the control line says
    number: str
    faults: list[tuple[str, int]] = field(default_factory=list)  # (fault, line number in the file)
    period: dt.date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "lines": self.lines,
            "total": f"{self.total // 100}.{self.total % 100:02d}",
            "number": self.number,
            "faults": [{"fault": f, "line": n} for f, n in self.faults],
            "period": self.period.isoformat() if self.period else None,
        }


def _debtors(conn: psycopg.Connection, period: dt.date) -> list[Debtor]:
    rows = conn.execute(_BOOKS, {"period": period}).fetchall()
    return [Debtor(r[0], r[1], r[2], int(Decimal(r[3]) * 100)) for r in rows]


def _open_period(conn: psycopg.Connection) -> dt.date:
    require_books(conn)
    period = open_month(conn)
    if period is None:
        raise NoData("the books have no open billing period")
    return period


def paid_amount(rng: random.Random, debt: int) -> int:
    """What a resident pays against a debt, as people pay: in full, part of it, rounded up, or in advance."""
    kind = rng.random()
    if kind < 0.45:
        return debt
    if kind < 0.70:
        return max(100, debt * rng.randint(30, 90) // 100 // 100 * 100)  # part, in whole roubles
    if kind < 0.88:
        return (debt // 10_000 + 1) * 10_000  # rounded up to 100 roubles
    return debt + rng.choice((50_000, 100_000, 200_000))  # in advance


def _line_values(
    fmt: Format, debtor: Debtor, amount: int, when: dt.datetime, period: dt.date, seq: int, rng: random.Random
) -> dict[str, str]:
    commission = round(amount * fmt.commission_pct / 100)
    return {
        "account": debtor.account,
        "name": debtor.name,
        "address": debtor.address,
        "period": period.strftime(fmt.period_format),
        "amount": format_amount(fmt, amount),
        "commission": format_amount(fmt, commission),
        "transfer": format_amount(fmt, amount - commission),
        "date": when.strftime(fmt.date_format),
        "time": when.strftime(fmt.time_format),
        "terminal": f"{rng.randint(10_000, 99_999)}",
        "branch": f"{rng.randint(1, 9_999):04d}",
        "cashier": f"{rng.randint(1, 99):02d}",
        "transaction": f"{when:%Y%m%d}{seq:06d}",
        "service": "",
    }


def _control(fmt: Format, count: int, total: int, commission: int, number: str, day: dt.date) -> dict[str, str]:
    return {
        "count": str(count),
        "total": format_amount(fmt, total),
        "commission_total": format_amount(fmt, commission),
        "transfer_total": format_amount(fmt, total - commission),
        "number": number,
        "date": day.strftime(fmt.date_format),
        "agent": fmt.agent,
    }


def sample_registry(
    dsn: str,
    fmt: Format,
    day: dt.date,
    out: Path,
    *,
    lines: int = 200,
    faults: int = 0,
    seed: int = 1,
    number: str = "",
    progress: Callable[[str], None] = lambda _m: None,
) -> Written:
    """A day's registry of ``fmt``'s agent from the books: ``lines`` payments by residents who owe, and
    ``faults`` planted faults (cycling through :data:`FAULTS`)."""
    rng = random.Random(f"{seed}:{fmt.name}:{day}")
    with psycopg.connect(dsn) as conn:
        period = _open_period(conn)
        debtors = _debtors(conn, period)
        closed = [r[0] for r in conn.execute("SELECT number FROM okno.account WHERE closed_on IS NOT NULL LIMIT 50")]
        known = {r[0] for r in conn.execute("SELECT number FROM okno.account")}
    if not debtors:
        raise RegistryError(out, None, "no open account owes anything in the open period: nothing to pay")
    chosen = rng.sample(debtors, min(lines, len(debtors))) if lines <= len(debtors) else rng.choices(debtors, k=lines)
    start = dt.datetime.combine(day, dt.time(8, 0))
    moments = sorted(start + dt.timedelta(seconds=rng.randint(0, 12 * 3600)) for _ in chosen)
    rows: list[dict[str, str]] = []
    amounts: list[int] = []
    for seq, (debtor, when) in enumerate(zip(chosen, moments, strict=True), 1):
        amount = paid_amount(rng, debtor.debt)
        amounts.append(amount)
        rows.append(_line_values(fmt, debtor, amount, when, period, seq, rng))
    kinds = [FAULTS[k % len(FAULTS)] for k in range(faults)]
    if not closed:
        kinds = [kind for kind in kinds if kind != "closed_account"]  # books with no closed account
    if "date" not in fmt.fields:
        kinds = [kind for kind in kinds if kind != "bad_date"]
    line_kinds = [kind for kind in kinds if kind in LINE_FAULTS][: len(rows)]
    # each fault on a line of its own; from the last line up, so that a duplicate inserted below its
    # original moves no line still to be chosen
    for kind, at in zip(line_kinds, sorted(rng.sample(range(len(rows)), len(line_kinds)), reverse=True), strict=True):
        if kind == "unknown_account":
            fake = "".join(rng.choice("0123456789") for _ in range(len(rows[at]["account"]) or 10))
            while fake in known:
                fake = "".join(rng.choice("0123456789") for _ in range(len(fake)))
            rows[at]["account"] = fake
        elif kind == "closed_account":
            rows[at]["account"] = rng.choice(closed)
        elif kind == "duplicate_line":
            rows.insert(at + 1, dict(rows[at]))
            amounts.insert(at + 1, amounts[at])
            at += 1
        elif kind == "nonpositive_amount":
            amounts[at] = rng.choice((0, -amounts[at]))
            rows[at]["amount"] = format_amount(fmt, amounts[at])
        else:  # bad_date: a day no month has
            rows[at]["date"] = dt.date(2026, 1, 31).strftime(fmt.date_format).replace("31", "32").replace("01", "13")
        rows[at]["_fault"] = kind
    first = 2 if fmt.header else 1  # the file's line number of the first payment line
    planted = [(row["_fault"], first + k) for k, row in enumerate(rows) if "_fault" in row]
    commission = sum(round(a * fmt.commission_pct / 100) for a in amounts)
    total = sum(amounts) + (rng.choice((100, -100, 1_000)) if "wrong_total" in kinds else 0)
    count = len(rows) + (1 if "wrong_count" in kinds else 0)
    number = number or f"{day:%Y%m%d}01"
    write_registry(out, fmt, rows, _control(fmt, count, total, commission, number, day))
    footer_line = first + len(rows)
    planted += [(kind, footer_line) for kind in kinds if kind in ("wrong_total", "wrong_count")]
    progress(f"wrote {len(rows)} payments of {fmt.agent} to {out}")
    return Written(out, len(rows), total, number, planted, period)


def debts_registry(dsn: str, fmt: Format, period: dt.date | None, out: Path, number: str = "") -> Written:
    """What each open account owes in ``period`` (the open one when not given), in ``fmt``: the registry
    a supplier sends an agent so that a cashier finds the account and the amount."""
    with psycopg.connect(dsn) as conn:
        open_period = _open_period(conn)
        period = period or open_period
        if conn.execute("SELECT 1 FROM okno.billing_period WHERE period = %s", (period,)).fetchone() is None:
            raise RegistryError(
                f"period {period:%Y-%m}", None, "is not a billing period of these books", fix="name one the books have"
            )
        debtors = _debtors(conn, period)
    day = dt.date.today()
    rows = [
        {
            "account": d.account,
            "name": d.name,
            "address": d.address,
            "period": period.strftime(fmt.period_format),
            "amount": format_amount(fmt, d.debt),
            "commission": format_amount(fmt, 0),
            "transfer": format_amount(fmt, d.debt),
            "date": day.strftime(fmt.date_format),
            "time": "",
            "transaction": "",
        }
        for d in debtors
    ]
    total = sum(d.debt for d in debtors)
    number = number or f"D{period:%Y%m}"
    write_registry(out, fmt, rows, _control(fmt, len(rows), total, 0, number, day))
    return Written(out, len(rows), total, number, [], period)
