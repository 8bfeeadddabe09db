"""The rows of an export as the analysis and the load read them: each reader returns the row as it
will be loaded or raises :class:`~seed.legacy.interpret.Refused` with the reason the load leaves it out
for, which is the kind of problem the analysis reports it as."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from seed.errors import MappingError
from seed.legacy.address import parse_address
from seed.legacy.interpret import (
    ADDRESS,
    ADDRESS_TOWN,
    AMBIGUOUS_SERVICE,
    DIGITS,
    DUPLICATE_ACCOUNT,
    EMPTY_ACCOUNT,
    EMPTY_SERIAL,
    LIVING_AREA,
    LONG_ACCOUNT,
    NO_NAME,
    NOT_A_DATE,
    NOT_A_PERIOD,
    NOT_A_READING,
    NOT_AN_AMOUNT,
    NULL,
    PAYMENT_NOT_POSITIVE,
    READING,
    REMOVED_BEFORE_INSTALLED,
    RESIDENT_OF_DUPLICATE,
    RESIDENTS,
    ROOMS,
    SHARE,
    TOTAL_AREA,
    UNKNOWN_SERVICE,
    ZONES,
    EntityFile,
    Refused,
    default_digits,
    full_name,
    iso_date,
    known_date,
    known_role,
    kopecks,
    month_number,
    number,
    open_entity,
    person_identity,
    role,
    service_code,
    text,
)
from seed.legacy.mapping import INFERRED_SERVICE, Mapping, sharing
from seed.period import iso_month_number
from seed.words.messages import Message

NO_SERVICES = Message.of("account_no_services")
THIS_YEAR = str(dt.date.today().year)  # a birth date before it is not in the future, whenever the load runs
SMALLEST_SHARE = 0.00005  # shares are stored to four places: anything smaller would be stored as zero


# -- the rows of the short files ------------------------------------------------------------------------
class AccountRow(NamedTuple):
    line: int
    number: str
    els: str
    city: str
    street: str
    house: str
    flat: str
    total: str
    living: str  # NULL when not given
    rooms: str  # NULL when not given
    residents: str
    opened: str  # ISO date or NULL
    closed: str


AREA_LIMIT = 1_000_000  # m², as the books hold an area (numeric(8,2))


def read_account(f: EntityFile, line: int, rec: list[Any]) -> AccountRow:
    """An account row as loaded; refuses it with the reason (duplicates are the caller's to find)."""
    v = f.texts(rec)
    if not v["number"]:
        raise Refused(EMPTY_ACCOUNT, "number")
    if len(v["number"]) > 30:
        raise Refused(LONG_ACCOUNT, "number", v["number"], personal=True)
    total = number(v["total_area"])
    if total is None or not 0 < kopecks(total) < AREA_LIMIT * 100:  # as stored: to the hundredth
        raise Refused(TOTAL_AREA, "total_area", v["total_area"])
    living = number(v["living_area"]) if v["living_area"] else NULL
    if living is None or (living != NULL and not 0 <= kopecks(living) < AREA_LIMIT * 100):
        raise Refused(LIVING_AREA, "living_area", v["living_area"])
    residents = v["residents"] or "0"
    if residents not in WHOLE:  # a digit: itself
        read = number(residents)
        if read is None or not 0 <= float(read) < 32768:
            raise Refused(RESIDENTS, "residents", v["residents"])
        residents = str(int(float(read)))
    rooms_count = _whole(v["rooms"], 0, 20) if v["rooms"] else None
    if v["rooms"] and rooms_count is None:
        raise Refused(ROOMS, "rooms", v["rooms"])
    rooms = NULL if rooms_count is None else str(rooms_count)
    opened = known_date(v["opened_on"]) or iso_date(v["opened_on"], NOT_A_DATE, "opened_on")
    closed = known_date(v["closed_on"]) or iso_date(v["closed_on"], NOT_A_DATE, "closed_on")
    city, street, house, flat = v["city"], v["street"], v["house"], v["flat"]
    if not street and "address" in f.index:  # an address in one column, where no street is given apart
        parts = parse_address(v["address"])
        if parts is None:
            raise Refused(ADDRESS, "address", v["address"], personal=True)
        city, street, house, flat = city or parts.city, parts.street, parts.house, parts.flat or flat
        if not city:
            raise Refused(ADDRESS_TOWN, "address", v["address"], personal=True)
    return AccountRow(
        line, v["number"], v["els"], city, street, house, flat, total, living, rooms, residents, opened, closed
    )


class AccountsRead:
    """The account numbers read so far, to judge a row that repeats one: in an accounts file shared with
    another entity (one row per resident, the account's columns repeated), a repeat with the account's
    values is the same account again; any other repeat is refused as a duplicate account."""

    def __init__(self, mapping: Mapping, known: Callable[[str], int | None] | None = None) -> None:
        self.shared = bool(sharing(mapping, "accounts"))
        # ``known``: the line of a number read before, when the caller keeps the numbers itself (in less
        # memory than a dict); a shared file's first rows are kept here all the same, to compare
        self.known = None if self.shared else known
        self.first: dict[str, AccountRow | int] = {}  # number -> its first row (shared file) or line
        self.duplicates: set[int] = set()  # lines refused as another account under a number in use

    def again(self, row: AccountRow) -> bool:
        """True for the same account again; a new account is noted (unless the caller keeps them); a
        duplicate refuses the row."""
        if self.known is not None:
            line = self.known(row.number)
            if line is None:
                return False
            raise Refused(
                DUPLICATE_ACCOUNT, "number", row.number, personal=True, message=Message.of("first_at_line", line=line)
            )
        first = self.first.get(row.number)
        if first is None:
            self.first[row.number] = row if self.shared else row.line
            return False
        if isinstance(first, int):
            raise Refused(
                DUPLICATE_ACCOUNT, "number", row.number, personal=True, message=Message.of("first_at_line", line=first)
            )
        differ = [k for k in AccountRow._fields[1:] if getattr(first, k) != getattr(row, k)]
        if not differ:
            return True
        said = Message.of(
            "first_at_line_differing", line=first.line, fields=", ".join(differ)
        )  # its resident is left out too
        self.duplicates.add(row.line)
        raise Refused(DUPLICATE_ACCOUNT, "number", row.number, personal=True, message=said)


class Residents:
    """Which rows of the persons' file are persons. With a file of their own, every row. In a file shared with
    the accounts (one row per resident): not a row whose persons' own columns (those no account field
    reads) are all empty, an account with no one registered; and the resident on a row refused as another
    account under a number in use is left out with it (which account is theirs cannot be told)."""

    def __init__(self, mapping: Mapping, duplicates: set[int]) -> None:
        fm = mapping.files.get("persons")
        others = sharing(mapping, "persons")
        self.shared = fm is not None and any(o.entity == "accounts" for o in others)
        theirs = {col for o in others for col in o.columns.values()}
        self.own = [fld for fld, col in fm.columns.items() if col not in theirs] if fm is not None else []
        self.duplicates = duplicates  # AccountsRead.duplicates of the accounts read before

    def person(self, f: EntityFile, line: int, rec: list[Any]) -> bool:
        """False for a row that holds no person; refuses a resident of a duplicate account."""
        if not self.shared:
            return True
        if not any(f.get(rec, fld) for fld in self.own):
            return False
        if line in self.duplicates:
            said = Message.of("number_used_by_other")
            raise Refused(RESIDENT_OF_DUPLICATE, "account", f.raw(rec, "account"), personal=True, message=said)
        return True


class PersonRow(NamedTuple):
    line: int
    account: str  # the account number as written
    surname: str
    given: str
    patronymic: str
    birth: str  # ISO date or NULL
    role: str
    share: str  # NULL unless an owner's share is given
    phone: str
    email: str
    snils: str
    inn: str
    passport: str
    future_birth: bool = False  # a birth date after today, loaded as unknown (NULL): said, never moved to today
    initials: bool = False  # a given name or patronymic of initials only: loaded with invented full names, said

    @property
    def identity(self) -> str:
        return person_identity(self.surname, self.given, self.patronymic, self.birth, self.snils)


def read_person(f: EntityFile, line: int, rec: list[Any]) -> PersonRow:
    """A person row as loaded (the account is the caller's to look up)."""
    return person_of(f.texts(rec), line)


def person_of(v: dict[str, str], line: int) -> PersonRow:
    """:func:`read_person` of a row's texts (:meth:`EntityFile.texts`), for a caller that reads them too."""
    surname, given, patronymic = full_name(v)
    if not surname or not given:
        raise Refused(NO_NAME, "surname", personal=True)
    written = v["birth_date"]
    birth = known_date(written) or iso_date(written, NOT_A_DATE, "birth_date", personal=True)
    future = birth != NULL and birth >= THIS_YEAR and birth > dt.date.today().isoformat()  # today: when it may be
    ours = known_role(v["role"]) or role(v["role"])
    share = NULL
    if ours == "owner" and v["share"]:
        share_text = _SHARES.get(v["share"], "")  # "": not read yet (no share reads as "")
        if share_text == "":
            share_text = _share(v["share"])
        if share_text is None:
            raise Refused(SHARE, "share", v["share"])
        share = share_text
    return PersonRow(
        line, v["account"], surname, given, patronymic, NULL if future else birth, ours, share, v["phone"],
        v["email"], v["snils"], v["inn"], v["passport"], future, initials_only(given, patronymic),
    )  # fmt: skip


INITIALS = re.compile(r"(?:[^\W\d_]\.\s*)+")  # «К.», «К.Г.», «А. В.»: a letter and a dot, once or more


def initials_only(given: str, patronymic: str) -> bool:
    """Whether a given name or patronymic is initials alone (from its own column, or the second and third words
    of a full name): the anonymizer invents full names for them, which the check and the load say."""
    return bool(INITIALS.fullmatch(given) or (patronymic and INITIALS.fullmatch(patronymic)))


_SHARES: dict[str, str | None] = {}  # an owner's share as written -> as loaded (None: refused); a few are usual


def _share(written: str) -> str | None:
    """An owner's share as loaded; None when it is not one."""
    share = number(written)
    if share is not None and not SMALLEST_SHARE <= float(share) <= 1:
        share = None
    if len(_SHARES) < 10_000:
        _SHARES[written] = share
    return share


def read_service(f: EntityFile, rec: list[Any]) -> tuple[str, str]:
    """An account's service: (its code, since as ISO date or NULL)."""
    raw = f.raw(rec, "service")
    code = service_code(raw)
    if code is None:
        raise Refused(UNKNOWN_SERVICE, "service", raw)
    since = f.raw(rec, "since")
    return code, (type(since) is str and known_date(since)) or iso_date(since, NOT_A_DATE, "since")


class MeterRow(NamedTuple):
    line: int
    account: str
    service: str
    serial: str
    zones: int
    digits: int
    installed: str  # ISO dates or NULL
    verified: str
    next_verification: str
    removed: str


WHOLE = {str(n): n for n in range(10)}


def _whole(raw: str, low: int, high: int) -> int | None:
    """A whole number from low to high; None if it is not one."""
    plain = WHOLE.get(raw)
    if plain is not None:
        return plain if low <= plain <= high else None
    value = number(raw)
    if value is None or not low <= float(value) <= high or float(value) != int(float(value)):
        return None
    return int(float(value))


def read_meter(f: EntityFile, line: int, rec: list[Any]) -> MeterRow:
    """A meter row as loaded (the account is the caller's to look up, duplicates the caller's to find)."""
    return meter_of(f.texts(rec), line)


_METER_KINDS: dict[tuple[str, str, str], tuple[str, int, int]] = {}  # a few (service, zones, digits)
REFUSED_KIND = ("", 0, 0)


def _meter_kind(key: tuple[str, str, str]) -> tuple[str, int, int]:
    """A meter's service code, zones and digits as written (service, zones, capacity_digits) when all three
    can be loaded; REFUSED_KIND when one is refused (:func:`meter_of` then finds which)."""
    code = service_code(key[0])
    zones = _whole(key[1] or "1", 1, 3)
    digits = _whole(key[2] or str(default_digits(code)), 4, 9)
    kind = REFUSED_KIND if code is None or zones is None or digits is None else (code, zones, digits)
    if len(_METER_KINDS) < 10_000:
        _METER_KINDS[key] = kind
    return kind


def meter_of(v: dict[str, str], line: int) -> MeterRow:
    """:func:`read_meter` of a row's texts (:meth:`EntityFile.texts`), for a caller that reads them too: the
    usual row (its service, zones and digits read before, a serial, dates read before) at once."""
    key = (v["service"], v["zones"], v["capacity_digits"])
    kind = _METER_KINDS.get(key)
    if kind is None:
        kind = _meter_kind(key)
    if kind is REFUSED_KIND or not v["serial"]:
        return _meter_of(v, line)  # refused: by the first reason in the order read
    installed = known_date(v["installed_on"]) or iso_date(v["installed_on"], NOT_A_DATE, "installed_on")
    verified = known_date(v["verified_on"]) or iso_date(v["verified_on"], NOT_A_DATE, "verified_on")
    written = v["next_verification"]
    next_verification = known_date(written) or iso_date(written, NOT_A_DATE, "next_verification")
    removed = known_date(v["removed_on"]) or iso_date(v["removed_on"], NOT_A_DATE, "removed_on")
    if installed != NULL and removed != NULL and removed < installed:
        raise Refused(REMOVED_BEFORE_INSTALLED, "removed_on", v["removed_on"])
    code, zones, digits = kind
    return MeterRow(
        line, v["account"], code, v["serial"], zones, digits, installed, verified, next_verification, removed
    )


def _meter_of(v: dict[str, str], line: int) -> MeterRow:
    code = service_code(v["service"])
    if code is None:
        raise Refused(UNKNOWN_SERVICE, "service", v["service"])
    if not v["serial"]:
        raise Refused(EMPTY_SERIAL, "serial")
    zones = _whole(v["zones"] or "1", 1, 3)
    if zones is None:
        raise Refused(ZONES, "zones", v["zones"])
    digits = _whole(v["capacity_digits"] or str(default_digits(code)), 4, 9)
    if digits is None:
        raise Refused(DIGITS, "capacity_digits", v["capacity_digits"])
    installed = iso_date(v["installed_on"], NOT_A_DATE, "installed_on")
    verified = iso_date(v["verified_on"], NOT_A_DATE, "verified_on")
    next_verification = iso_date(v["next_verification"], NOT_A_DATE, "next_verification")
    removed = iso_date(v["removed_on"], NOT_A_DATE, "removed_on")
    if installed != NULL and removed != NULL and removed < installed:
        raise Refused(REMOVED_BEFORE_INSTALLED, "removed_on", v["removed_on"])
    return MeterRow(
        line, v["account"], code, v["serial"], zones, digits, installed, verified, next_verification, removed
    )


# -- the long files: the slow path of each row (the callers keep their fast paths for the usual rows) -------
def reading_values(f: EntityFile, rec: list[Any]) -> list[str]:
    """A reading's one to three zone values as COPY text (NULL for an absent zone)."""
    values = []
    for fld in ("value1", "value2", "value3"):
        raw = f.raw(rec, fld)
        if raw == "" or raw is None:
            values.append(NULL)
            continue
        v = number(raw)
        if v is None or v.startswith("-"):
            raise Refused(NOT_A_READING, "value1", f.raw(rec, "value1"))
        values.append(v)
    if values[0] == NULL:
        raise Refused(NOT_A_READING, "value1", f.raw(rec, "value1"))
    return values


def reading_reader(f: EntityFile) -> Callable[[list[Any]], tuple[int, list[str], str]]:
    """A reading's month, zone values (COPY text) and date taken (ISO, or NULL), or the refusal: periods and
    dates repeat, so each written form is read once; one zone written plainly (nearly every row) is read
    at once, anything else through :func:`reading_values`."""
    i_period, i_taken = f.index["period"], f.index.get("taken_on")
    i_v1, i_v2, i_v3 = f.index["value1"], f.index.get("value2"), f.index.get("value3")
    months: dict[Any, int | None] = {}
    dates: dict[Any, str] = {}

    def read(rec: list[Any]) -> tuple[int, list[str], str]:
        raw = rec[i_period]
        month = months.get(raw, -1)
        if month == -1:
            month = months[raw] = month_number(raw)
        if month is None:
            raise Refused(NOT_A_PERIOD, "period", raw)
        v1 = rec[i_v1]
        values = None
        if (i_v2 is None or rec[i_v2] == "") and (i_v3 is None or rec[i_v3] == "") and type(v1) is str:
            plain = v1.replace(",", ".")
            if READING(plain):
                values = [plain, NULL, NULL]
        if values is None:
            values = reading_values(f, rec)
        if i_taken is None:
            return month, values, NULL
        raw = rec[i_taken]
        taken = dates.get(raw)
        if taken is None:
            taken = dates[raw] = iso_date(raw, fld="taken_on")
        return month, values, taken

    return read


BALANCE_MEASURES = ("opening", "charged", "recalculated", "paid", "closing")


def balance_amounts(f: EntityFile, rec: list[Any]) -> list[str]:
    """A balance row's five amounts as COPY text (an empty one is a zero)."""
    raws = [f.raw(rec, m) for m in BALANCE_MEASURES]
    amounts = ["0" if raw is None or raw == "" else number(raw) for raw in raws]
    if None in amounts:
        shown = ";".join(text(raw) for m, raw in zip(BALANCE_MEASURES, raws, strict=True) if m in f.index)
        raise Refused(NOT_AN_AMOUNT, "amounts", shown)
    return amounts  # type: ignore[return-value]


def payment_fields(f: EntityFile, rec: list[Any]) -> tuple[str, str, int]:
    """A payment's day (ISO), amount (COPY text) and month number (its period, else the day's month)."""
    raw_day = f.raw(rec, "paid_on")
    day = iso_date(raw_day, NOT_A_DATE, "paid_on")
    if day == NULL:
        raise Refused(NOT_A_DATE, "paid_on", raw_day)
    amount = number(f.raw(rec, "amount"))
    if amount is None or (float(amount) < 0.01 and kopecks(amount) <= 0):  # as stored: to the kopeck
        raise Refused(PAYMENT_NOT_POSITIVE, "amount", f.raw(rec, "amount"))
    period = f.raw(rec, "period")
    month = month_number(period) if period != "" else None
    if month is None:
        month = iso_month_number(day)
    return day, amount, month


# -- a service the row does not say -------------------------------------------------------------------------
class ServiceOf:
    """The service of a reading or a balance whose file says none (no column, no fixed value): a reading's
    is its meter's, found by serial in the meters file; a balance's is its account's only service, from the
    services file, else from the account's meters. The analysis and the load ask here alike. Every row of
    those files with a service and a serial (or account) that can be read counts, loaded or not: a serial
    on meters of two services stays ambiguous even if one of them is left out."""

    def __init__(self, mapping: Mapping, entity: str) -> None:
        if not any(s in mapping.files for s in INFERRED_SERVICE.get(entity, ())):
            raise MappingError(f"[files.{entity}] has no service column, and no file tells its rows' service")
        self.mapping = mapping
        self._serials: dict[str, set[str]] | None = None
        self._accounts: dict[str, set[str]] | None = None

    def _read(self, entity: str, key: str) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        f = open_entity(self.mapping, entity)
        if f is None:
            return found
        for _, rec in f.rows:
            code = service_code(f.raw(rec, "service"))
            value = text(f.raw(rec, key))
            if code is not None and value:
                found.setdefault(value, set()).add(code)
        return found

    def of_serial(self, serial: str) -> str | None:
        """The service of the meter with this serial (None when no meter has it); a serial on meters of
        several services refuses the row."""
        if self._serials is None:
            self._serials = self._read("meters", "serial")
        codes = self._serials.get(serial)
        if codes is None:
            return None
        if len(codes) > 1:
            said = Message.of("meters_of_services", services=", ".join(sorted(codes)))
            raise Refused(AMBIGUOUS_SERVICE, "serial", serial, personal=True, message=said)
        return next(iter(codes))

    def of_account(self, account: str) -> str:
        """The account's one service (by the services file, else its meters); none or several refuse the row."""
        if self._accounts is None:
            self._accounts = self._read("services", "account")
            for acc, codes in self._read("meters", "account").items():
                self._accounts.setdefault(acc, codes)
        codes = self._accounts.get(account, set())
        if len(codes) != 1:
            services = ", ".join(sorted(codes))
            said = Message.of("account_services", count=len(codes), services=services) if codes else NO_SERVICES
            raise Refused(AMBIGUOUS_SERVICE, "service", "", message=said)
        return next(iter(codes))
