"""`import check`: the pre-migration analysis of a legacy export. Loads nothing; counts every kind of
problem with the file, line and value of its first examples, and sums control totals per service and
period to compare with the old system's own."""

from __future__ import annotations

import datetime as dt
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np

from seed.legacy import convert
from seed.legacy.forked import Forked
from seed.legacy.layout import SERVICE_NAMES, split_full_name
from seed.legacy.mapping import FileMapping, Mapping, read_mapped
from seed.legacy.read import detect_encoding
from seed.people import valid_inn, valid_snils

EXAMPLES = 5
BATCH_ROWS = 200_000  # rows of complete groups checked at once
PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?").fullmatch
SHARE_TOLERANCE = Decimal("0.001")  # thirds written as 0.3333 add up to 0.9999
KNOWN_SERVICES = set(SERVICE_NAMES.values())
MEASURES = ("opening", "charged", "recalculated", "paid", "closing")
FIVE_KOPECK_AMOUNTS = re.compile(r"-?\d+\.\d\d(?:\t-?\d+\.\d\d){4}").fullmatch
FIVE_AMOUNTS = re.compile(r"-?\d+(?:\.\d+)?(?:\t-?\d+(?:\.\d+)?){4}").fullmatch
PLAIN_IDENT = re.compile(r"\s*[^\s.,eE]*\s*").fullmatch  # no dot, comma or exponent: Excel cannot have touched it
KINDS: dict[str, str] = {
    "mixed_encodings": "the files are in different encodings",
    "excel_damage": "identifiers turned into numbers or scientific notation by Excel",
    "bad_value": "values that cannot be read as numbers, dates or periods",
    "unknown_service": "service names that are not recognised",
    "duplicate_account": "account numbers that appear more than once",
    "duplicate_person": "the same person twice on one account",
    "duplicate_meter": "meter serials that appear more than once for a service",
    "els_format": "ЕЛС that is not 10 characters",
    "unknown_account": "rows that refer to an account missing from the accounts file",
    "unknown_meter": "readings of a meter missing from the meters file",
    "reading_decrease": "readings lower than the previous one (not a rollover)",
    "reading_jump": "readings 5x or more above the meter's usual monthly use",
    "reading_after_removal": "readings dated after the meter's removal",
    "reading_before_install": "readings dated before the meter's installation",
    "meter_past_verification": "meters in use past their verification date",
    "unit_mixup": "monthly use that looks like litres instead of m³ (over 100 m³ a month on one flat)",
    "balance_not_reconciling": "opening + charged + recalculated - paid differs from closing",
    "balance_carry_over": "a month's opening differs from the previous month's closing",
    "closed_account_balance": "closed accounts with a balance left",
    "living_over_total": "living area above total area",
    "shares_not_one": "owners' shares of an account not adding up to 1",
    "payment_duplicate": "the same payment twice (overlapping registries)",
    "invalid_snils": "СНИЛС with wrong check digits",
    "invalid_inn": "ИНН with wrong check digits",
}


class Where(NamedTuple):
    """The file and line of a row (cheap to make for every row of a long file)."""

    file: str
    line: int


class Meter(NamedTuple):
    service: str
    line: int
    installed: dt.date | None
    removed: dt.date | None
    next: dt.date | None
    capacity: int


@dataclass(frozen=True)
class Problem:
    kind: str
    file: str
    line: int
    field: str
    value: str
    message: str = ""


@dataclass
class Report:
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[Problem]] = field(default_factory=lambda: defaultdict(list))
    totals: dict[tuple[str, str], dict[str, Decimal]] = field(default_factory=dict)
    reported_totals: dict[tuple[str, str], dict[str, Decimal]] = field(default_factory=dict)
    rows: Counter[str] = field(default_factory=Counter)

    def add(self, kind: str, row: Where | None, fld: str, value: Any, message: str = "") -> None:
        self.counts[kind] += 1
        if len(self.examples[kind]) < EXAMPLES:
            self.examples[kind].append(
                Problem(kind, row.file if row else "", row.line if row else 0, fld, str(value), message)
            )

    @property
    def problems(self) -> int:
        return sum(self.counts.values())

    def totals_differences(self) -> list[dict[str, Any]]:
        out = []
        for key, theirs in sorted(self.reported_totals.items()):
            ours = self.totals.get(key, {})
            for measure, value in theirs.items():
                mine = ours.get(measure, Decimal(0))
                if abs(mine - value) > Decimal("0.005"):
                    out.append(
                        {
                            "service": key[0],
                            "period": key[1],
                            "measure": measure,
                            "export": str(mine),
                            "reported": str(value),
                            "difference": str(mine - value),
                        }
                    )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "rows": dict(self.rows),
            "problems": {
                k: {"what": KINDS[k], "count": self.counts[k], "examples": [vars(p) for p in self.examples[k]]}
                for k in KINDS
                if self.counts[k]
            },
            "control_totals": [
                {"service": s, "period": p, **{k: str(v) for k, v in m.items()}}
                for (s, p), m in sorted(self.totals.items())
            ],
            "totals_differences": self.totals_differences(),
        }


Finding = tuple[str, Where, str, Any, str]  # kind, where, field, value, message


class GroupedColumns:
    """The rows of a long file as compact columns, grouped by a key (a meter, an account).

    While the file keeps each key's rows together, as exports do, every group is complete once the next
    one starts: complete groups are checked in batches and dropped, so memory does not grow with the
    file. A key that comes back after another breaks that; the caller then reads the file again into
    one set of columns (``whole``) checked at the end."""

    def __init__(self, typecodes: str, check: Callable[[list[Any]], list[Finding]], whole: bool = False) -> None:
        self.typecodes, self.check, self.whole = typecodes, check, whole
        self.columns = [array(t) for t in typecodes]
        self.done: set[int] = set()
        self.current: int | None = None
        self.scattered = False
        self.findings: list[Finding] = []

    def add(self, key: int, *values: Any) -> None:
        if key != self.current:
            if not self.whole:
                if self.current is not None:
                    self.done.add(self.current)
                if key in self.done:
                    self.scattered = True
                if self.scattered:
                    return
                if len(self.columns[0]) >= BATCH_ROWS:
                    self.flush()
            self.current = key
        elif self.scattered:
            return
        for column, value in zip(self.columns, values, strict=True):
            column.append(value)

    def flush(self) -> None:
        if len(self.columns[0]):
            self.findings += self.check([np.array(c) for c in self.columns])
        self.columns = [array(t) for t in self.typecodes]

    def finish(self) -> list[Finding] | None:
        """The findings, or None if the file's groups were scattered (read it again, ``whole``)."""
        if self.scattered:
            return None
        self.flush()
        return self.findings


class Analysis:
    def __init__(self, mapping: Mapping) -> None:
        self.mapping, self.report = mapping, Report()
        self.accounts: dict[str, tuple[int, dt.date | None]] = {}  # number -> (line, closed on)
        self.meters: dict[tuple[str, str], Meter] = {}
        self.meters_file = ""
        # dates, periods and service names repeat across millions of rows: each is read once
        self._cache: dict[tuple[str, Any], Any] = {}
        self._services: dict[Any, str | None] = {}

    # -- plumbing ----------------------------------------------------------------------------------
    def rows(self, entity: str) -> Iterator[tuple[Where, dict[str, Any]]]:
        """The rows of an entity's file, one at a time (nothing is held): (file and line, field values)."""
        fields, records = self.records(entity)
        for row, rec in records:
            yield row, {fld: rec[i] for fld, i in fields.items()}

    def records(self, entity: str) -> tuple[dict[str, int], Iterator[tuple[Where, list[Any]]]]:
        """The rows of an entity's file as they are read, (file and line, values): the position of each
        field in the values, and the rows; none when the mapping has no such file."""
        fm: FileMapping | None = self.mapping.files.get(entity)
        if fm is None or (fm.optional and not fm.path.exists()):
            return {}, iter(())
        headers, it = read_mapped(fm)
        info: dict[str, Any] = {"path": str(fm.path), "format": fm.path.suffix.lower().lstrip(".")}
        if info["format"] in ("csv", "txt", "tsv"):
            with fm.path.open("rb") as raw:
                info["encoding"] = fm.encoding or detect_encoding(raw.read(64 * 1024))
        self.report.files[entity] = info
        fields = {fld: headers.index(col) for fld, col in fm.columns.items()}
        path = str(fm.path)

        def counted() -> Iterator[tuple[Where, list[Any]]]:
            n = 0
            for line, rec in it:
                n += 1
                yield Where(path, line), rec
            self.report.rows[entity] = n

        return fields, counted()

    def value(self, kind: str, row: Where, fld: str, raw: Any) -> Any:
        if kind == "decimal" and type(raw) is str:
            text = raw.replace(",", ".").strip()
            if PLAIN_NUMBER(text):
                return Decimal(text)
        key = (kind, raw)
        try:
            found = self._cache[key]
        except KeyError:
            found = self._convert(kind, raw)
            if kind != "decimal":
                self._cache[key] = found
        except TypeError:  # an unhashable value from a spreadsheet
            found = self._convert(kind, raw)
        if isinstance(found, convert.ValueProblem):
            self.report.add("bad_value", row, fld, raw, str(found))
            return None
        return found

    @staticmethod
    def _convert(kind: str, raw: Any) -> Any:
        try:
            if kind == "decimal":
                return convert.decimal(raw)
            if kind == "date":
                return convert.date(raw)
            return convert.period(raw) if raw not in (None, "") else None
        except convert.ValueProblem as exc:
            return exc

    def ident(self, row: Where, fld: str, raw: Any) -> str:
        if type(raw) is str and PLAIN_IDENT(raw):
            return raw.strip()
        damage = convert.looks_mangled_by_excel(raw)
        if damage:
            self.report.add("excel_damage", row, fld, raw, damage)
        if isinstance(raw, float) and raw.is_integer():
            return str(int(raw))
        return str(raw).strip()

    def service(self, row: Where, raw: Any) -> str:
        try:
            code = self._services[raw]
        except KeyError:
            code = self._services[raw] = SERVICE_NAMES.get(str(raw).strip().lower())
        if code is None:
            self.report.add("unknown_service", row, "service", raw)
            return str(raw)
        return code

    def known_account(self, row: Where, number: str) -> bool:
        if number not in self.accounts:
            self.report.add("unknown_account", row, "account", number)
            return False
        return True

    # -- the checks --------------------------------------------------------------------------------
    def run(self) -> Report:
        self._accounts()
        self._persons()
        for row, f in self.rows("services"):
            self.known_account(row, self.ident(row, "account", f["account"]))
            self.service(row, f["service"])
        self._meters()
        # The balances (half the rows) are read by a second process while this one reads the readings and
        # payments: the analysis needs no database, so it has both cores to itself.
        balances = Forked(self._balances_part)
        try:
            self._readings()
            self._payments()
        except BaseException:
            balances.abandon()
            raise
        part = balances.result()
        report = self.report
        report.files.update(part["files"])
        report.rows.update(part["rows"])
        report.counts.update(part["counts"])
        for kind, examples in part["examples"].items():
            report.examples[kind] = (report.examples[kind] + examples)[:EXAMPLES]
        report.totals.update(part["totals"])
        report.reported_totals.update(part["reported_totals"])
        encodings = {i.get("encoding") for i in self.report.files.values() if i.get("encoding")}
        if len({e.replace("-sig", "") for e in encodings if e}) > 1:
            self.report.add("mixed_encodings", None, "encoding", ", ".join(sorted(e for e in encodings if e)))
        return self.report

    def _accounts(self) -> None:
        for row, f in self.rows("accounts"):
            number = self.ident(row, "number", f["number"])
            if number in self.accounts:
                self.report.add("duplicate_account", row, "number", number, f"first at line {self.accounts[number][0]}")
                continue
            els = str(f.get("els", "") or "").strip()
            if els and len(els) != 10:
                self.report.add("els_format", row, "els", els)
            total = self.value("decimal", row, "total_area", f["total_area"])
            living = self.value("decimal", row, "living_area", f.get("living_area"))
            if total is not None and living is not None and living > total:
                self.report.add("living_over_total", row, "living_area", living, f"total {total}")
            self.value("decimal", row, "residents", f["residents"])
            closed = self.value("date", row, "closed_on", f.get("closed_on"))
            self.accounts[number] = (row.line, closed)

    def _persons(self) -> None:
        seen: set[int] = set()  # hashes of (account, ФИО, birth date)
        shares: dict[str, Decimal] = defaultdict(Decimal)
        for row, f in self.rows("persons"):
            account = self.ident(row, "account", f["account"])
            self.known_account(row, account)
            names = (f.get("surname", ""), f.get("given_name", ""), f.get("patronymic", ""))
            if not names[0] and "full_name" in f:
                names = split_full_name(str(f["full_name"]))
            key = (account, *(str(n).strip().lower() for n in names), str(f.get("birth_date", "")))
            if hash(key) in seen:
                self.report.add("duplicate_person", row, "surname", " ".join(key[1:4]))
            seen.add(hash(key))
            self.value("date", row, "birth_date", f.get("birth_date"))
            role = str(f.get("role", "")).strip().lower()
            share = self.value("decimal", row, "share", f.get("share"))
            if role.startswith("собств") and share is not None:
                shares[account] += share
            snils = "".join(ch for ch in str(f.get("snils", "") or "") if ch.isdigit())
            if snils and not valid_snils(snils):
                self.report.add("invalid_snils", row, "snils", f.get("snils"))
            inn = self.ident(row, "inn", f.get("inn", "")) if f.get("inn") else ""
            if inn and not valid_inn(inn):
                self.report.add("invalid_inn", row, "inn", inn)
        for account, total in shares.items():
            if abs(total - 1) > SHARE_TOLERANCE:
                self.report.add("shares_not_one", None, "share", total, f"account {account}")

    def _meters(self) -> None:
        for row, f in self.rows("meters"):
            account = self.ident(row, "account", f["account"])
            self.known_account(row, account)
            service = self.service(row, f["service"])
            serial = self.ident(row, "serial", f["serial"])
            key = (service, serial)
            if key in self.meters:
                self.report.add("duplicate_meter", row, "serial", serial, f"first at line {self.meters[key].line}")
                continue
            digits = self.value("decimal", row, "capacity_digits", f.get("capacity_digits"))
            self.meters_file = row.file
            self.meters[key] = Meter(
                service,
                row.line,
                self.value("date", row, "installed_on", f.get("installed_on")),
                self.value("date", row, "removed_on", f.get("removed_on")),
                self.value("date", row, "next_verification", f.get("next_verification")),
                int(digits) if digits else (6 if service == "electricity" else 5),
            )

    def _readings(self) -> None:
        """Readings are checked per meter as compact columns, a batch of complete meters at a time."""
        meter_ids = {key: i for i, key in enumerate(self.meters)}
        meters = list(self.meters.values())
        capacity = np.array([10.0**m.capacity / 2 for m in meters] or [0.0])
        water = np.array([m.service in ("cold_water", "hot_water") for m in meters] or [False])
        path = str(self.mapping.files["readings"].path) if "readings" in self.mapping.files else ""

        def check(columns: list[Any]) -> list[Finding]:
            return _reading_series(path, capacity, water, *columns)

        latest = -1

        def read(columns: GroupedColumns) -> None:
            nonlocal latest
            for row, f in self.rows("readings"):
                service = self.service(row, f["service"])
                serial = self.ident(row, "serial", f["serial"])
                mid = meter_ids.get((service, serial))
                if mid is None:
                    self.report.add("unknown_meter", row, "serial", serial)
                    continue
                period = self.value("period", row, "period", f["period"])
                value = self.value("decimal", row, "value1", f["value1"])
                taken = self.value("date", row, "taken_on", f.get("taken_on"))
                if period is None or value is None:
                    continue
                meter = meters[mid]
                if taken and meter.removed and taken > meter.removed:
                    self.report.add("reading_after_removal", row, "taken_on", taken, f"removed {meter.removed}")
                if taken and meter.installed and taken < meter.installed:
                    self.report.add("reading_before_install", row, "taken_on", taken, f"installed {meter.installed}")
                month = period.year * 12 + period.month - 1
                latest = max(latest, month)
                columns.add(mid, mid, month, float(value), row.line)

        self.grouped("iidi", check, read)
        end = dt.date(latest // 12, latest % 12 + 1, 1) if latest >= 0 else None
        for (_, serial), meter in self.meters.items():
            if meter.next and not meter.removed and end is not None and meter.next <= end:
                self.report.add(
                    "meter_past_verification",
                    Where(self.meters_file, meter.line),
                    "next_verification",
                    meter.next,
                    f"meter {serial}",
                )

    def grouped(
        self, typecodes: str, check: Callable[[list[Any]], list[Finding]], read: Callable[[GroupedColumns], None]
    ) -> None:
        """Read a long file into grouped columns, checked as it streams; if the file scatters its groups,
        read it again, whole, counting nothing twice. Then add what the checks found."""
        columns = GroupedColumns(typecodes, check)
        read(columns)
        findings = columns.finish()
        if findings is None:
            own, self.report = self.report, Report()  # the per-row problems were counted the first time
            try:
                columns = GroupedColumns(typecodes, check, whole=True)
                read(columns)
                columns.flush()
                findings = columns.findings
            finally:
                self.report = own
        for finding in findings:
            self.report.add(*finding)

    def _balances_part(self) -> dict[str, Any]:
        """The balances and totals files on their own: a fresh report for them alone, as plain data."""
        own, self.report = self.report, Report()
        try:
            self._balances()
            return _portable(self.report)
        finally:
            self.report = own

    def cents(self, row: Where, fld: str, raw: Any) -> int | None:
        """An amount in kopecks (integers add up exactly and fast); None if it cannot be read."""
        if type(raw) is str:
            text = raw.replace(",", ".").strip()
            if PLAIN_NUMBER(text):
                return round(float(text) * 100)
            if not text:  # an empty amount is a zero, as the import reads it
                return 0
        value = self.value("decimal", row, fld, raw)
        return None if value is None else int((value * 100).to_integral_value())

    def _balances(self) -> None:
        """Balances are checked per account as compact columns, a batch of complete accounts at a time;
        the control totals and each account's last closing are summed on the way."""
        path = str(self.mapping.files["balances"].path) if "balances" in self.mapping.files else ""
        account_index: dict[str, int] = {}
        last: dict[str, tuple[int, int]] = {}  # account -> (last month, its closing over all services)
        sums: dict[tuple[str, int], list[int]] = {}  # (service, month) -> opening, charged, paid, closing
        cents = self.cents

        def check(columns: list[Any]) -> list[Finding]:
            return _carry_over(path, *columns)

        def read(columns: GroupedColumns) -> None:
            ix, rows = self.records("balances")
            if not ix:
                return
            i_acc, i_svc, i_per = ix["account"], ix["service"], ix["period"]
            i_o, i_c, i_r, i_p, i_z = (ix.get(m, -1) for m in MEASURES)
            months: dict[Any, int | None] = {}  # the period as written -> month number
            services: dict[Any, tuple[str, int, bool]] = {}  # the service as written -> (code, index, known)
            current, store = None, columns.columns
            for row, rec in rows:
                raw = rec[i_acc]
                account = raw.strip() if type(raw) is str and PLAIN_IDENT(raw) else self.ident(row, "account", raw)
                known = account in self.accounts or self.known_account(row, account)
                found = services.get(rec[i_svc])
                if found is None:
                    code = self.service(row, rec[i_svc])
                    found = services[rec[i_svc]] = (code, len(services), code in KNOWN_SERVICES)
                elif not found[2]:
                    self.service(row, rec[i_svc])  # an unknown service is reported on every row
                service, sv, _ = found
                month = months.get(rec[i_per], -1)
                if month == -1:
                    period = self.value("period", row, "period", rec[i_per])
                    month = None if period is None else period.year * 12 + period.month - 1
                    if month is not None:
                        months[rec[i_per]] = month
                recalc = rec[i_r] if i_r >= 0 and rec[i_r] else "0,00"
                joined = f"{rec[i_o]}\t{rec[i_c]}\t{recalc}\t{rec[i_p]}\t{rec[i_z]}".replace(",", ".")
                if FIVE_KOPECK_AMOUNTS(joined):  # the usual row: five amounts with kopecks, read at once
                    o, c, r, p, z = map(int, joined.replace(".", "").split("\t"))
                elif FIVE_AMOUNTS(joined):
                    o, c, r, p, z = (round(float(x) * 100) for x in joined.split("\t"))
                else:
                    where = zip(MEASURES, (i_o, i_c, i_r, i_p, i_z), strict=True)
                    amounts = [cents(row, m, rec[i] if i >= 0 else "") for m, i in where]
                    if None in amounts:
                        continue
                    o, c, r, p, z = amounts  # type: ignore[assignment]
                if month is None:
                    continue
                a = account_index.get(account)
                if a is None:
                    a = account_index[account] = len(account_index)
                if a == current:  # the same account as the row before: straight into the columns
                    store[0].append(a * 64 + sv)
                    store[1].append(month)
                    store[2].append(o)
                    store[3].append(z)
                    store[4].append(row.line)
                else:
                    columns.add(a, a * 64 + sv, month, o, z, row.line)
                    current, store = a, columns.columns
                if columns.whole:
                    continue
                if o + c + r - p != z:
                    expected = Decimal(o + c + r - p) / 100
                    self.report.add("balance_not_reconciling", row, "closing", Decimal(z) / 100, f"expected {expected}")
                total = sums.get((service, month))
                if total is None:
                    total = sums[(service, month)] = [0, 0, 0, 0]
                total[0] += o
                total[1] += c + r
                total[2] += p
                total[3] += z
                if known:
                    previous = last.get(account)
                    if previous is None or month > previous[0]:
                        last[account] = (month, z)
                    elif month == previous[0]:
                        last[account] = (month, previous[1] + z)

        self.grouped("qiqqi", check, read)
        for (service, month), (o, c, p, z) in sums.items():
            self.report.totals[(service, f"{month // 12:04d}-{month % 12 + 1:02d}")] = {
                "opening": Decimal(o) / 100, "charged": Decimal(c) / 100, "paid": Decimal(p) / 100,
                "closing": Decimal(z) / 100,
            }  # fmt: skip
        for account, (_, closing) in last.items():
            if self.accounts[account][1] and closing != 0:
                self.report.add("closed_account_balance", None, "closing", Decimal(closing) / 100, f"account {account}")
        for row, f in self.rows("totals"):
            service = self.service(row, f["service"])
            period = self.value("period", row, "period", f["period"])
            if period is None:
                continue
            self.report.reported_totals[(service, period.strftime("%Y-%m"))] = {
                m: self.value("decimal", row, m, f[m]) or Decimal(0) for m in ("opening", "charged", "paid", "closing")
            }

    def _payments(self) -> None:
        # 20 bytes a payment: a hash of (account, day, amount), its line and its amount in kopecks
        keys, lines, kopecks = array("q"), array("i"), array("q")
        path = str(self.mapping.files["payments"].path) if "payments" in self.mapping.files else ""
        for row, f in self.rows("payments"):
            account = self.ident(row, "account", f["account"])
            self.known_account(row, account)
            paid_on = self.value("date", row, "paid_on", f["paid_on"])
            amount = self.value("decimal", row, "amount", f["amount"])
            keys.append(hash((account, paid_on, amount)))
            lines.append(row.line)
            kopecks.append(int(amount * 100) if amount is not None else 0)
        if not len(keys):
            return
        k, ln = np.frombuffer(keys, dtype=np.int64), np.frombuffer(lines, dtype=np.int32)
        order = np.argsort(k, kind="stable")  # equal keys stay in file order: the first is the original
        sk, sl, sa = k[order], ln[order], np.frombuffer(kopecks, dtype=np.int64)[order]
        again = np.flatnonzero(sk[1:] == sk[:-1]) + 1
        first = np.maximum.accumulate(np.where(np.r_[True, sk[1:] != sk[:-1]], np.arange(len(sk)), 0))
        for i in sorted(again.tolist(), key=lambda i: int(sl[i])):
            self.report.add(
                "payment_duplicate", Where(path, int(sl[i])), "amount", Decimal(int(sa[i])) / 100,
                f"same as line {int(sl[first[i]])}",
            )  # fmt: skip


def _reading_series(path: str, capacity: Any, water: Any, m: Any, p: Any, v: Any, ln: Any) -> list[Finding]:
    """Readings of complete meters, checked at once: sorted by meter and month, each against the one
    before (decreases that are not a rollover), each month's use against the meter's median (jumps), the
    median itself against what a flat uses (litres for m³)."""
    found: list[Finding] = []
    order = np.lexsort((p, m))
    m, p, v, ln = m[order], p[order], v[order], ln[order]
    same = m[1:] == m[:-1]
    prev, cur = v[:-1], v[1:]
    decrease = same & (cur < prev) & (prev - cur < capacity[m[1:]])
    for i in np.flatnonzero(decrease).tolist():
        found.append(("reading_decrease", Where(path, int(ln[i + 1])), "value1", cur[i], f"previous {prev[i]}"))
    usable = same & (cur >= prev)
    dm, dv, dl = m[1:][usable], (cur - prev)[usable], ln[1:][usable]
    if not len(dm):
        return found
    by = np.lexsort((dv, dm))  # deltas sorted within each meter, for the medians
    sm, sv = dm[by], dv[by]
    starts = np.flatnonzero(np.r_[True, sm[1:] != sm[:-1]])
    counts = np.diff(np.r_[starts, len(sm)])
    median = (sv[starts + (counts - 1) // 2] + sv[starts + counts // 2]) / 2
    meters = sm[starts]
    usual = np.where(counts >= 3, median, np.nan)
    per_meter = np.full(len(capacity), np.nan)
    per_meter[meters] = usual
    jumps = np.flatnonzero((per_meter[dm] > 0) & (dv >= 5 * per_meter[dm]))
    for i in jumps.tolist():
        found.append(
            ("reading_jump", Where(path, int(dl[i])), "value1", round(float(dv[i]), 3),
             f"usual {round(float(per_meter[dm[i]]), 3)} a month")
        )  # fmt: skip
    last_line = dict(zip(m.tolist(), ln.tolist(), strict=True))  # sorted by month: the latest reading wins
    for k, u in zip(meters.tolist(), usual.tolist(), strict=True):
        if water[k] and u > 100:
            found.append(("unit_mixup", Where(path, last_line[k]), "value1", round(u, 3), "median monthly use"))
    return found


def _carry_over(path: str, ch: Any, mo: Any, op: Any, cl: Any, ln: Any) -> list[Finding]:
    """Balances of complete accounts, sorted by account x service and month: each opening against the
    closing of the month before."""
    order = np.lexsort((mo, ch))
    ch, mo, op, cl, ln = ch[order], mo[order], op[order], cl[order], ln[order]
    broken = (ch[1:] == ch[:-1]) & (mo[1:] == mo[:-1] + 1) & (op[1:] != cl[:-1])
    return [
        ("balance_carry_over", Where(path, int(ln[i + 1])), "opening", Decimal(int(op[i + 1])) / 100,
         f"previous closing {Decimal(int(cl[i])) / 100}")
        for i in np.flatnonzero(broken).tolist()
    ]  # fmt: skip


def _portable(report: Report) -> dict[str, Any]:
    return {
        "files": report.files,
        "rows": dict(report.rows),
        "counts": dict(report.counts),
        "examples": {k: list(v) for k, v in report.examples.items()},
        "totals": {k: dict(v) for k, v in report.totals.items()},
        "reported_totals": report.reported_totals,
    }


def analyze(mapping: Mapping) -> Report:
    return Analysis(mapping).run()
