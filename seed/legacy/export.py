"""Write a database's books in the standard export layout, as an old system would: cp1251, ';',
CRLF, decimal commas, dd.mm.yyyy dates, ММ.ГГГГ periods; all of them, or as of a month's end (a first
export and a final one from the same books, for a switch-over rehearsal). Used for round trips and
fixtures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg

from seed.legacy.layout import STANDARD
from seed.period import month_add

SERVICE_LABEL = (
    "CASE s.code WHEN 'cold_water' THEN 'ХВС' WHEN 'hot_water' THEN 'ГВС' WHEN 'sewage' THEN "
    "'Водоотведение' WHEN 'electricity' THEN 'Электроэнергия' WHEN 'heating' THEN 'Отопление' "
    "ELSE 'Газ' END"
)


def _num(expr: str) -> str:
    return f"replace(({expr})::text, '.', ',')"


def _date(expr: str) -> str:
    return f"to_char({expr}, 'DD.MM.YYYY')"


def _period(expr: str) -> str:
    return f"to_char({expr}, 'MM.YYYY')"


# What an export as of a month holds: accounts opened by its end (closed only if closed by then), their
# meters installed by then (removed only if removed by then), and the months up to it. {end} is the first
# day after that month, a date literal; with no month, the far future, so everything is exported.
ACCOUNT_IN = "(a.opened_on IS NULL OR a.opened_on < {end})"


def _as_of(column: str) -> str:
    """A date shown only if it came before the export's end."""
    return _date(f"CASE WHEN {column} < {{end}} THEN {column} END")


QUERIES = {
    "accounts": f"""SELECT a.number, a.els, b.city, b.street, b.house, p.number, {_num("p.total_area")},
        {_num("p.living_area")}, p.rooms, a.residents, {_date("a.opened_on")}, {_as_of("a.closed_on")}
        FROM account a JOIN premise p ON p.id = a.premise_id JOIN building b ON b.id = p.building_id
        WHERE {ACCOUNT_IN} ORDER BY a.id""",
    "persons": f"""SELECT a.number, x.surname, x.given_name, x.patronymic, {_date("x.birth_date")},
        CASE ap.role WHEN 'owner' THEN 'собственник' WHEN 'tenant' THEN 'наниматель' ELSE 'проживающий' END,
        {_num("ap.share")}, x.phone, NULL, x.snils, x.inn, NULL
        FROM account_person ap JOIN account a ON a.id = ap.account_id JOIN person x ON x.id = ap.person_id
        WHERE {ACCOUNT_IN} ORDER BY a.id, x.id""",
    "services": f"""SELECT a.number, {SERVICE_LABEL}, {_date("x.since")} FROM account_service x
        JOIN account a ON a.id = x.account_id JOIN service s ON s.id = x.service_id
        WHERE {ACCOUNT_IN} AND (x.since IS NULL OR x.since < {{end}}) ORDER BY a.id, s.id""",
    "meters": f"""SELECT a.number, {SERVICE_LABEL}, m.serial, m.zones, m.capacity_digits, {_date("m.installed_on")},
        {_date("m.verified_on")}, {_date("m.next_verification")}, {_as_of("m.removed_on")}
        FROM meter m JOIN account a ON a.id = m.account_id JOIN service s ON s.id = m.service_id
        WHERE {ACCOUNT_IN} AND (m.installed_on IS NULL OR m.installed_on < {{end}}) ORDER BY m.id""",
    "readings": f"""SELECT m.serial, {SERVICE_LABEL}, {_period("r.period")}, {_date("r.taken_on")},
        {_num("r.value1")}, {_num("r.value2")}, {_num("r.value3")}
        FROM meter_reading r JOIN meter m ON m.id = r.meter_id JOIN service s ON s.id = m.service_id
        WHERE r.period < {{end}} ORDER BY r.meter_id, r.period""",
    "balances": f"""SELECT a.number, {SERVICE_LABEL}, {_period("x.period")}, {_num("x.opening")}, {_num("x.charged")},
        {_num("x.recalculated")}, {_num("x.paid")}, {_num("x.closing")}
        FROM balance x JOIN account a ON a.id = x.account_id JOIN service s ON s.id = x.service_id
        WHERE x.period < {{end}} ORDER BY a.id, s.id, x.period""",
    "payments": f"""SELECT a.number, {_date("x.paid_on")}, {_num("x.amount")}, g.name, r.file_name,
        {_period("x.period")}
        FROM payment x JOIN account a ON a.id = x.account_id JOIN payment_agent g ON g.id = x.agent_id
        JOIN payment_registry r ON r.id = x.registry_id WHERE x.period < {{end}} ORDER BY x.id""",
    "totals": f"""SELECT {SERVICE_LABEL}, {_period("x.period")}, {_num("sum(x.opening)")},
        {_num("sum(x.charged + x.recalculated)")},
        {_num("sum(x.paid)")}, {_num("sum(x.closing)")} FROM balance x JOIN service s ON s.id = x.service_id
        WHERE x.period < {{end}} GROUP BY s.id, s.code, x.period ORDER BY s.id, x.period""",
}


def export_end(through: dt.date | None) -> str:
    """The ``{end}`` of :data:`QUERIES`: the first day after the month ``through``, as a date literal."""
    if through is None:
        return "'infinity'::date"
    return f"'{month_add(through, 1).isoformat()}'::date"


def export_standard(
    dsn: str, directory: Path, encoding: str = "cp1251", through: dt.date | None = None
) -> dict[str, int]:
    """Export the ``okno`` schema of ``dsn`` into ``directory``, as of the end of the month ``through``
    (everything when None); returns rows written per file."""
    end = export_end(through)
    directory.mkdir(parents=True, exist_ok=True)
    counts = {}
    with psycopg.connect(dsn) as conn:
        conn.execute("SET search_path TO okno, public")
        for entity, (file_name, fields) in STANDARD.items():
            path = directory / file_name
            rows = 0
            with path.open("wb") as out:
                out.write((";".join(h for _, h, _ in fields) + "\r\n").encode(encoding))
                selected = QUERIES[entity].replace("{end}", end)
                query = f"COPY ({selected}) TO STDOUT WITH (FORMAT csv, DELIMITER ';', NULL '')"
                pending = b""
                with conn.cursor().copy(query) as copy:
                    for block in copy:
                        data = pending + bytes(block)
                        cut = data.rfind(b"\n") + 1
                        lines, pending = data[:cut], data[cut:]
                        rows += lines.count(b"\n")
                        out.write(lines.decode("utf-8").replace("\n", "\r\n").encode(encoding, errors="replace"))
                if pending:
                    rows += 1
                    out.write(pending.decode("utf-8").encode(encoding, errors="replace") + b"\r\n")
            counts[entity] = rows
    return counts
