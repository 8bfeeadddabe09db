"""`import check`: the pre-migration analysis of a legacy export. Loads nothing; counts every kind of
problem with the file, line and value of its first examples, and sums control totals per service and
period to compare with the old system's own."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from seed.legacy import convert
from seed.legacy.layout import SERVICE_NAMES
from seed.legacy.mapping import FileMapping, Mapping, check_columns, row_fields
from seed.legacy.read import Row, detect_encoding, read_table
from seed.people import valid_inn, valid_snils

EXAMPLES = 5
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

    def add(self, kind: str, row: Row | None, fld: str, value: Any, message: str = "") -> None:
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


class Analysis:
    def __init__(self, mapping: Mapping) -> None:
        self.mapping, self.report = mapping, Report()
        self.accounts: dict[str, dict[str, Any]] = {}
        self.meters: dict[tuple[str, str], dict[str, Any]] = {}

    # -- plumbing ----------------------------------------------------------------------------------
    def rows(self, entity: str) -> list[tuple[Row, dict[str, Any]]] | None:
        fm: FileMapping | None = self.mapping.files.get(entity)
        if fm is None or (fm.optional and not fm.path.exists()):
            return None
        headers, it = read_table(fm.path, encoding=fm.encoding, delimiter=fm.delimiter, sheet=fm.sheet)
        check_columns(fm, headers)
        info: dict[str, Any] = {"path": str(fm.path), "format": fm.path.suffix.lower().lstrip(".")}
        if info["format"] in ("csv", "txt", "tsv"):
            with fm.path.open("rb") as raw:
                info["encoding"] = fm.encoding or detect_encoding(raw.read(64 * 1024))
        self.report.files[entity] = info
        out = [(row, row_fields(fm, row.values)) for row in it]
        self.report.rows[entity] = len(out)
        return out

    def value(self, kind: str, row: Row, fld: str, raw: Any) -> Any:
        try:
            if kind == "decimal":
                return convert.decimal(raw)
            if kind == "date":
                return convert.date(raw)
            if kind == "period":
                return convert.period(raw) if raw not in (None, "") else None
        except convert.ValueProblem as exc:
            self.report.add("bad_value", row, fld, raw, str(exc))
        return None

    def ident(self, row: Row, fld: str, raw: Any) -> str:
        damage = convert.looks_mangled_by_excel(raw)
        if damage:
            self.report.add("excel_damage", row, fld, raw, damage)
        if isinstance(raw, float) and raw.is_integer():
            return str(int(raw))
        return str(raw).strip()

    def service(self, row: Row, raw: Any) -> str:
        code = SERVICE_NAMES.get(str(raw).strip().lower())
        if code is None:
            self.report.add("unknown_service", row, "service", raw)
            return str(raw)
        return code

    def known_account(self, row: Row, number: str) -> bool:
        if number not in self.accounts:
            self.report.add("unknown_account", row, "account", number)
            return False
        return True

    # -- the checks --------------------------------------------------------------------------------
    def run(self) -> Report:
        self._accounts()
        self._persons()
        for row, f in self.rows("services") or []:
            self.known_account(row, self.ident(row, "account", f["account"]))
            self.service(row, f["service"])
        self._meters()
        self._readings()
        self._balances()
        self._payments()
        encodings = {i.get("encoding") for i in self.report.files.values() if i.get("encoding")}
        if len({e.replace("-sig", "") for e in encodings if e}) > 1:
            self.report.add("mixed_encodings", None, "encoding", ", ".join(sorted(e for e in encodings if e)))
        return self.report

    def _accounts(self) -> None:
        for row, f in self.rows("accounts") or []:
            number = self.ident(row, "number", f["number"])
            if number in self.accounts:
                self.report.add(
                    "duplicate_account", row, "number", number, f"first at line {self.accounts[number]['line']}"
                )
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
            self.accounts[number] = {"line": row.line, "closed": closed, "file": row.file}

    def _persons(self) -> None:
        seen: set[tuple[str, ...]] = set()
        shares: dict[str, Decimal] = defaultdict(Decimal)
        for row, f in self.rows("persons") or []:
            account = self.ident(row, "account", f["account"])
            self.known_account(row, account)
            key = (
                account,
                str(f["surname"]).lower(),
                str(f["given_name"]).lower(),
                str(f.get("patronymic", "")).lower(),
                str(f.get("birth_date", "")),
            )
            if key in seen:
                self.report.add("duplicate_person", row, "surname", " ".join(key[1:4]))
            seen.add(key)
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
            if total != 1:
                self.report.add("shares_not_one", None, "share", total, f"account {account}")

    def _meters(self) -> None:
        for row, f in self.rows("meters") or []:
            account = self.ident(row, "account", f["account"])
            self.known_account(row, account)
            service = self.service(row, f["service"])
            serial = self.ident(row, "serial", f["serial"])
            key = (service, serial)
            if key in self.meters:
                self.report.add("duplicate_meter", row, "serial", serial, f"first at line {self.meters[key]['line']}")
                continue
            digits = self.value("decimal", row, "capacity_digits", f.get("capacity_digits"))
            self.meters[key] = {
                "line": row.line,
                "row": row,
                "installed": self.value("date", row, "installed_on", f.get("installed_on")),
                "removed": self.value("date", row, "removed_on", f.get("removed_on")),
                "next": self.value("date", row, "next_verification", f.get("next_verification")),
                "capacity": int(digits) if digits else (6 if service == "electricity" else 5),
            }

    def _readings(self) -> None:
        series: dict[tuple[str, str], list[tuple[dt.date, Decimal, Row, dt.date | None]]] = defaultdict(list)
        latest = dt.date.min
        for row, f in self.rows("readings") or []:
            service = self.service(row, f["service"])
            serial = self.ident(row, "serial", f["serial"])
            if (service, serial) not in self.meters:
                self.report.add("unknown_meter", row, "serial", serial)
                continue
            period = self.value("period", row, "period", f["period"])
            value = self.value("decimal", row, "value1", f["value1"])
            taken = self.value("date", row, "taken_on", f.get("taken_on"))
            if period is None or value is None:
                continue
            latest = max(latest, period)
            series[(service, serial)].append((period, value, row, taken))
        for key, points in series.items():
            meter = self.meters[key]
            points.sort(key=lambda p: p[0])
            deltas = []
            for (_, prev, _, _), (_, cur, row, _) in zip(points, points[1:], strict=False):
                if cur < prev and prev - cur < Decimal(10) ** meter["capacity"] / 2:
                    self.report.add("reading_decrease", row, "value1", cur, f"previous {prev}")
                elif cur >= prev:
                    deltas.append((cur - prev, row))
            usual = statistics.median([d for d, _ in deltas]) if len(deltas) >= 3 else None
            if usual and usual > 0:
                for delta, row in deltas:
                    if delta >= 5 * usual:
                        self.report.add("reading_jump", row, "value1", delta, f"usual {usual} a month")
            if usual and key[0] in ("cold_water", "hot_water") and usual > 100:
                self.report.add("unit_mixup", points[-1][2], "value1", usual, "median monthly use")
            for _, _, row, taken in points:
                if taken and meter["removed"] and taken > meter["removed"]:
                    self.report.add("reading_after_removal", row, "taken_on", taken, f"removed {meter['removed']}")
                if taken and meter["installed"] and taken < meter["installed"]:
                    self.report.add("reading_before_install", row, "taken_on", taken, f"installed {meter['installed']}")
        for (_, serial), meter in self.meters.items():
            if meter["next"] and not meter["removed"] and latest != dt.date.min and meter["next"] <= latest:
                self.report.add(
                    "meter_past_verification", meter["row"], "next_verification", meter["next"], f"meter {serial}"
                )

    def _balances(self) -> None:
        chains: dict[tuple[str, str], list[tuple[dt.date, Decimal, Decimal, Row]]] = defaultdict(list)
        last: dict[str, tuple[dt.date, Decimal]] = {}
        for row, f in self.rows("balances") or []:
            account = self.ident(row, "account", f["account"])
            known = self.known_account(row, account)
            service = self.service(row, f["service"])
            period = self.value("period", row, "period", f["period"])
            amounts = {
                m: self.value("decimal", row, m, f.get(m))
                for m in ("opening", "charged", "recalculated", "paid", "closing")
            }
            if period is None or any(amounts[m] is None for m in ("opening", "charged", "paid", "closing")):
                continue
            o, c, p, z = amounts["opening"], amounts["charged"], amounts["paid"], amounts["closing"]
            r = amounts["recalculated"] or Decimal(0)
            if o is None or c is None or p is None or z is None:
                continue
            if o + c + r - p != z:
                self.report.add("balance_not_reconciling", row, "closing", z, f"expected {o + c + r - p}")
            chains[(account, service)].append((period, o, z, row))
            total = self.report.totals.setdefault((service, period.strftime("%Y-%m")), defaultdict(Decimal))
            for measure, value in (("opening", o), ("charged", c + r), ("paid", p), ("closing", z)):
                total[measure] += value
            if known:
                previous = last.get(account)
                if previous is None or period > previous[0]:
                    last[account] = (period, z)
                elif period == previous[0]:
                    last[account] = (period, previous[1] + z)
        for points in chains.values():
            points.sort(key=lambda p: p[0])
            for (period, _, closing, _), (nxt, opening, _, row) in zip(points, points[1:], strict=False):
                expected = dt.date(period.year + period.month // 12, period.month % 12 + 1, 1)
                if nxt == expected and opening != closing:
                    self.report.add("balance_carry_over", row, "opening", opening, f"previous closing {closing}")
        for account, (_, closing) in last.items():
            if self.accounts[account]["closed"] and closing != 0:
                self.report.add("closed_account_balance", None, "closing", closing, f"account {account}")
        for row, f in self.rows("totals") or []:
            service = self.service(row, f["service"])
            period = self.value("period", row, "period", f["period"])
            if period is None:
                continue
            self.report.reported_totals[(service, period.strftime("%Y-%m"))] = {
                m: self.value("decimal", row, m, f[m]) or Decimal(0) for m in ("opening", "charged", "paid", "closing")
            }

    def _payments(self) -> None:
        seen: dict[tuple[str, str, str], int] = {}
        for row, f in self.rows("payments") or []:
            account = self.ident(row, "account", f["account"])
            self.known_account(row, account)
            paid_on = self.value("date", row, "paid_on", f["paid_on"])
            amount = self.value("decimal", row, "amount", f["amount"])
            key = (account, str(paid_on), str(amount))
            if key in seen:
                self.report.add("payment_duplicate", row, "amount", amount, f"same as line {seen[key]}")
            else:
                seen[key] = row.line


def analyze(mapping: Mapping) -> Report:
    return Analysis(mapping).run()
