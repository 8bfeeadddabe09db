"""One reading of a customer's export, for the analysis (`import check`) and the load (`import load`).

How a field is read (a role, a share, a period, an amount, a service name, a meter's default digits),
what identifies a row (an account, a meter, a person, a month) and which rows cannot be loaded, and why,
live here and nowhere else. The analysis and the load differ only in what they do with a row: the
analysis counts a refused row as a problem of its kind, the load leaves it out under the same reason.
"""

from __future__ import annotations

import contextlib
import gc
import operator
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Generic, NamedTuple, TypeVar

from seed import catalog
from seed.errors import LegacyFormatError
from seed.legacy import convert
from seed.legacy.layout import EXTRA_FIELDS, SERVICE_NAMES, STANDARD, split_full_name
from seed.legacy.mapping import FileMapping, Mapping, read_mapped
from seed.legacy.personal import shown, shown_message
from seed.legacy.read import CSV_SUFFIXES
from seed.period import month_number as period_number
from seed.words.messages import NONE, Message
from seed.words.reasons import REASONS as REASON_WORDS

EXAMPLES = 5  # first examples kept per reason
MAX_MONTHS = 50 * 12  # the longest span of billing periods an import loads (the tariffs would outgrow their columns)
NULL = "\\N"  # COPY's empty value

SERVICE_IDS: dict[str, int] = {code: sid for sid, (code, *_rest) in catalog.SERVICES.items()}
ROLES = (("собств", "owner"), ("owner", "owner"), ("нанимат", "tenant"), ("tenant", "tenant"))  # by prefix
SHARE_TOLERANCE = Decimal("0.001")  # thirds written as 0.3333 add up to 0.9999

# Numbers have at most 11 whole digits (LARGEST): the books' columns hold no more (numeric(14,2), (14,3))
LARGEST = Decimal(10**11)
HALF_KOPECK = Decimal("0.005")
# the fast paths take up to 10 whole digits: an 11th goes the slow way, where the value as rounded is compared
PLAIN_NUMBER = re.compile(r"-?\d{1,10}(?:\.\d+)?").fullmatch
READING = re.compile(r"\d{1,10}(?:\.\d+)?").fullmatch
FIVE_AMOUNTS = re.compile(r"-?\d{1,10}(?:\.\d+)?(?:\t-?\d{1,10}(?:\.\d+)?){4}").fullmatch  # a balance row, fast
FIVE_KOPECK_AMOUNTS = re.compile(r"-?\d{1,10}\.\d\d(?:\t-?\d{1,10}\.\d\d){4}").fullmatch
PLAIN_IDENT = re.compile(r"\s*[^\s.,eE]*\s*").fullmatch  # no dot, comma or exponent: Excel cannot have touched it


# -- why a row cannot be loaded -------------------------------------------------------------------------
class Reason(NamedTuple):
    kind: str  # the analysis's kind of problem
    code: str  # its words in seed.words.reasons

    @property
    def label(self) -> str:
        """What the load report calls the rows it leaves out for it (the English of its words)."""
        return REASON_WORDS[self.code].en

    @property
    def said(self) -> Message:
        return Message(f"reason.{self.code}")  # its words exist: tests/test_words.py


EMPTY_ACCOUNT = Reason("missing_value", "empty_account")
LONG_ACCOUNT = Reason("bad_value", "long_account")
NO_NAME = Reason("missing_value", "no_name")
EMPTY_SERIAL = Reason("missing_value", "empty_serial")
DUPLICATE_ACCOUNT = Reason("duplicate_account", "duplicate_account")
RESIDENT_OF_DUPLICATE = Reason("duplicate_account", "resident_of_duplicate")
DUPLICATE_ELS = Reason("duplicate_els", "duplicate_els")
DUPLICATE_PERSON = Reason("duplicate_person", "duplicate_person")
DUPLICATE_SERVICE = Reason("duplicate_service", "duplicate_service")
DUPLICATE_METER = Reason("duplicate_meter", "duplicate_meter")
AMBIGUOUS_SERVICE = Reason("ambiguous_service", "ambiguous_service")
DUPLICATE_READING = Reason("duplicate_period", "duplicate_reading")
DUPLICATE_BALANCE = Reason("duplicate_period", "duplicate_balance")
UNKNOWN_ACCOUNT = Reason("unknown_account", "unknown_account")
UNKNOWN_PAYER = Reason("unknown_account", "unknown_payer")
UNKNOWN_SERVICE = Reason("unknown_service", "unknown_service")
UNKNOWN_METER = Reason("unknown_meter", "unknown_meter")
REMOVED_BEFORE_INSTALLED = Reason("meter_dates", "removed_before_installed")
NOT_A_DATE = Reason("bad_value", "not_a_date")
NOT_A_PERIOD = Reason("bad_value", "not_a_period")
NOT_AN_AMOUNT = Reason("bad_value", "not_an_amount")
NOT_A_READING = Reason("bad_value", "not_a_reading")
PAYMENT_NOT_POSITIVE = Reason("bad_value", "payment_not_positive")
TOTAL_AREA = Reason("bad_value", "total_area")
LIVING_AREA = Reason("bad_value", "living_area")
RESIDENTS = Reason("bad_value", "residents")
ROOMS = Reason("bad_value", "rooms")
SHARE = Reason("bad_value", "share")
ZONES = Reason("bad_value", "zones")
DIGITS = Reason("bad_value", "digits")
ADDRESS = Reason("bad_value", "address")
ADDRESS_TOWN = Reason("missing_value", "address_town")


REASONS: dict[str, Reason] = {v.label: v for v in list(globals().values()) if isinstance(v, Reason)}


class Refused(Exception):
    """A row that cannot be loaded: the reason, the field and the value that made it so (``personal``: a
    value of a personal field, never shown), and what is wrong with it (its reason when nothing more)."""

    def __init__(
        self, reason: Reason, fld: str, value: Any = "", personal: bool = False, message: Message | None = None
    ) -> None:
        super().__init__(reason.label)
        self.reason, self.field, self.value, self.personal = reason, fld, value, personal
        self.message = message or reason.said

    def shown(self) -> str:
        """The value as a list of rows left out may show it (:func:`shown_value`)."""
        return shown_value(self.field, self.value, personal=self.personal)[0]


def shown_value(fld: str, value: Any, message: Message = NONE, personal: bool = False) -> tuple[str, Message]:
    """A value of the export and a message about it, as the analysis's report, the load's rejected list
    and every JSON or HTML made of them may show them: the value only where its field is known to be
    non-personal and it does not look like personal data; the message without it otherwise."""
    written = text(value)
    visible = shown(fld, written, personal)
    hidden = visible != written
    return visible, message.mapped(lambda arg: shown_message(arg, (value, written), hidden))


T = TypeVar("T")


class Tally(Generic[T]):
    """Counts by reason with the first examples of each (all of them when ``limit`` is None). Plain data:
    a forked worker's tally comes back whole and is merged."""

    def __init__(self, limit: int | None = EXAMPLES) -> None:
        self.limit = limit
        self.counts: Counter[str] = Counter()
        self.examples: defaultdict[str, list[T]] = defaultdict(list)

    def wants(self, reason: str) -> bool:
        """Whether the next example of ``reason`` is kept (else :meth:`add` only counts it)."""
        return self.limit is None or len(self.examples[reason]) < self.limit

    def add(self, reason: str, example: T) -> None:
        self.counts[reason] += 1
        shown = self.examples[reason]
        if self.limit is None or len(shown) < self.limit:
            shown.append(example)

    def merge(self, other: Tally[T]) -> None:
        self.counts.update(other.counts)
        for reason, examples in other.examples.items():
            self.examples[reason] = (self.examples[reason] + examples)[: self.limit]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Reading an export makes millions of short-lived objects and no reference cycles: the cyclic garbage
    collector, which would walk the growing heap of accounts, persons and meters again and again, waits."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# -- the files ------------------------------------------------------------------------------------------
@dataclass
class EntityFile:
    """One entity's file as read through its mapping: where each field is, and the rows (line, values)."""

    entity: str
    mapping: FileMapping
    index: dict[str, int]
    rows: Iterator[tuple[int, list[Any]]]
    printed: Counter[str] = field(default_factory=Counter)  # a printed report's own rows passed over, by kind

    @property
    def name(self) -> str:
        return self.mapping.path.name

    def __post_init__(self) -> None:
        self._names = list(self.index)
        self._pick = operator.itemgetter(*self.index.values()) if len(self.index) > 1 else None
        self._absent = {fld: "" for fld in _fields(self.entity) if fld not in self.index}
        # a CSV holds nothing but strings: each row's fields are stripped at C speed
        self._all_text = self.mapping.path.suffix.lower() in CSV_SUFFIXES and not self.mapping.convert

    def texts(self, rec: list[Any]) -> dict[str, str]:
        """Every field of a row as text ('' for each field the mapping leaves out): one call for a row whose
        fields are all wanted."""
        if self._all_text and self._pick is not None:
            out = dict(zip(self._names, map(str.strip, self._pick(rec)), strict=True))
        else:
            out = {fld: text(rec[i]) for fld, i in self.index.items()}
        out.update(self._absent)
        return out

    def get(self, rec: list[Any], fld: str) -> str:
        """A field as text ('' when the mapping leaves it out)."""
        i = self.index.get(fld)
        return "" if i is None else text(rec[i])

    def raw(self, rec: list[Any], fld: str) -> Any:
        """A field as read, unstripped (a spreadsheet's number as a :class:`~seed.legacy.read.NumberCell`;
        '' when the mapping leaves it out)."""
        i = self.index.get(fld)
        return "" if i is None else rec[i]


def no_accounts(f: EntityFile) -> LegacyFormatError:
    """An accounts file with no row below its header: every other file refers to accounts, so nothing of the
    export can be loaded (the analysis and the load refuse it alike)."""
    return LegacyFormatError(
        f.mapping.path,
        None,
        f"no accounts below the header (line {f.mapping.header_line}): every other file refers to accounts, so "
        "nothing can be loaded; re-export the accounts (or set header_line = N if the header is further down)",
    )


def _fields(entity: str) -> list[str]:
    return [f for f, _, _ in STANDARD[entity][1]] + [f for f, _ in EXTRA_FIELDS.get(entity, [])]


def open_entity(mapping: Mapping, entity: str) -> EntityFile | None:
    """An entity's file, or None when the mapping has none (or an optional file is absent)."""
    fm = mapping.files.get(entity)
    if fm is None or (fm.optional and not fm.path.exists()):
        return None
    headers, rows = read_mapped(fm)
    index = {fld: headers.index(col) for fld, col in fm.columns.items()}
    printed: Counter[str] = Counter()
    rows = _unprinted(rows, {i: headers[i] for i in index.values()}, index.get(_key_field(entity)), printed)
    if fm.fixed:  # a fixed value is one more column of every row: each reading of a field finds it alike
        index.update({fld: len(headers) + k for k, fld in enumerate(fm.fixed)})
        rows = _with_fixed(rows, list(fm.fixed.values()))
    return EntityFile(entity, fm, index, rows, printed)


TOTALS = re.compile(r"^(?:итого|всего)(?![а-яё])", re.IGNORECASE)  # «Итого:», «Всего по дому», not «Итогов»
PRINTED = ("header", "totals")  # the kinds of a printed report's own rows: a header repeated, a totals row


def _key_field(entity: str) -> str:
    """The field every row of ``entity`` has: where a printed report's own rows are told from its data."""
    return {"accounts": "number", "readings": "serial", "totals": "service"}.get(entity, "account")


def printed_kind(rec: list[Any], headers_at: dict[int, str], key: int | None) -> str | None:
    """Whether a row is a printed report's own, not data: its header repeated at a page break (every mapped
    column holds its own name), or a totals row («Итого», «Всего» in one of its first cells, where the
    key column is empty or says the same); None for a row of data."""
    if key is None or key >= len(rec):
        return None
    first = text(rec[key])
    if first and first[0] not in "ИиВв" and first != headers_at[key] and first.casefold() != headers_at[key].casefold():
        return None  # a row of data, as nearly every row is: one look at its key
    if first.casefold() == headers_at[key].casefold() and all(
        i < len(rec) and text(rec[i]).casefold() == name.casefold() for i, name in headers_at.items()
    ):
        return "header"
    for cell in rec[:3]:
        said = text(cell)
        if said and TOTALS.match(said) and (not first or first == said):
            return "totals"
    return None


def _unprinted(
    rows: Iterator[tuple[int, list[Any]]], headers_at: dict[int, str], key: int | None, printed: Counter[str]
) -> Iterator[tuple[int, list[Any]]]:
    """The rows of data: a printed report's own rows (:func:`printed_kind`) counted and passed over."""
    for line, rec in rows:
        kind = printed_kind(rec, headers_at, key)
        if kind is None:
            yield line, rec
        else:
            printed[kind] += 1


def _with_fixed(rows: Iterator[tuple[int, list[Any]]], values: list[str]) -> Iterator[tuple[int, list[Any]]]:
    for line, rec in rows:
        rec.extend(values)
        yield line, rec


# -- values ---------------------------------------------------------------------------------------------
def text(value: Any) -> str:
    """A value of the export as text: '' for empty, integers from XLSX/DBF without '.0'."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def number(raw: Any) -> str | None:
    """A number as PostgreSQL reads it ('1 234,56' -> '1234.56'); None if empty, not a number, or larger
    than the books hold (:data:`LARGEST`)."""
    if isinstance(raw, str):
        plain = raw.replace(",", ".").strip()
        if PLAIN_NUMBER(plain):
            return plain
        if not plain:
            return None
    try:
        value = convert.decimal(raw)
    except convert.ValueProblem:
        return None
    return None if value is None or abs(value) >= LARGEST - HALF_KOPECK else str(value)  # as PostgreSQL rounds it


KOPECK = Decimal("0.01")


def kopecks(amount: str) -> int:
    """An amount (as :func:`number` gives it) in kopecks, as PostgreSQL stores it in numeric(14,2):
    rounded half away from zero ('1.005' -> 101)."""
    dot = amount.find(".")
    if dot < 0 or len(amount) - dot <= 3:  # whole kopecks at most: exact through a float
        return round(float(amount) * 100)
    return int(Decimal(amount).quantize(KOPECK, ROUND_HALF_UP) * 100)


_SERVICES: dict[str, str | None] = {}  # a service as written -> its code: a few names over millions of rows


def service_code(raw: Any) -> str | None:
    """Our code of a service as old systems write it ('ХВС', 'Холодная вода', or the code itself)."""
    if type(raw) is str:
        found = _SERVICES.get(raw, False)
        if found is not False:
            return found  # type: ignore[return-value]
    written = text(raw)
    code = SERVICE_NAMES.get(written.lower()) or (written if written in SERVICE_IDS else None)
    if type(raw) is str and len(_SERVICES) < 10_000:
        _SERVICES[raw] = code
    return code


def default_digits(service: str | None) -> int:
    """A meter's digits when the export does not say: six for electricity, five for the rest."""
    return 6 if service == "electricity" else 5


_ROLES: dict[str, str] = {}


def role(written: Any) -> str:
    """owner, tenant or resident, by the beginning of the word in either language and any case."""
    key = text(written)
    found = _ROLES.get(key)
    if found is None:
        lowered = key.lower()
        found = next((ours for prefix, ours in ROLES if lowered.startswith(prefix)), "resident")
        if len(_ROLES) < 10_000:
            _ROLES[key] = found
    return found


def full_name(v: dict[str, str]) -> tuple[str, str, str]:
    """Surname, given name and patronymic of a row's texts, from three columns or from one (``full_name``)."""
    if not v["surname"] and v["full_name"]:
        return split_full_name(v["full_name"])
    return v["surname"], v["given_name"], v["patronymic"]


def person_identity(surname: str, given: str, patronymic: str, birth: str, snils: str) -> str:
    """The same person on every account: by СНИЛС where it has its 11 digits, else by ФИО and birth date."""
    digits = snils if snils.isdigit() else "".join(ch for ch in snils if ch.isdigit())  # usually digits alone
    return digits if len(digits) == 11 else f"{surname}|{given}|{patronymic}|{birth}".lower()


_DATES: dict[str, str] = {}  # dates repeat across millions of rows: each written form is read once
# a date read before, as ISO text (None when not read yet): a row reader's fast path, :func:`iso_date` otherwise
known_date = _DATES.get
# the role of a text read before (stripped), None when not read yet: :func:`role` otherwise
known_role = _ROLES.get


def iso_date(raw: Any, reason: Reason = NOT_A_DATE, fld: str = "", personal: bool = False) -> str:
    """A date as ISO text, NULL when empty; refuses the row when it is not a date."""
    if type(raw) is str:
        found = _DATES.get(raw)
        if found is not None:
            return found
    try:
        parsed = convert.date(raw)
    except convert.ValueProblem as exc:
        raise Refused(reason, fld, raw, personal, exc.said) from None
    iso = parsed.isoformat() if parsed else NULL
    if type(raw) is str:
        if len(_DATES) > 200_000:
            _DATES.clear()
        _DATES[raw] = iso
    return iso


# -- months: the billing periods as whole numbers (year * 12 + month - 1) ---------------------------------
_MONTHS: dict[Any, int | None] = {}


def month_number(raw: Any) -> int | None:
    """A period as written, as a month number; None if it is empty or not a period."""
    try:
        return _MONTHS[raw]
    except (KeyError, TypeError):  # not seen yet, or a spreadsheet's value that cannot be a key
        pass
    month: int | None = None
    if raw is not None and raw != "":
        try:
            p = convert.period(raw)
            month = period_number(p)
        except convert.ValueProblem:
            month = None
    if type(raw) is str and len(_MONTHS) < 100_000:
        _MONTHS[raw] = month
    return month
