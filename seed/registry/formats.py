"""Registry formats: how one payment agent writes its registries, as a TOML file a user can add without code.

A format says the encoding, the line ends, how the fields of a payment line are separated (a delimiter)
or placed (fixed widths), which field is where, how amounts, dates and periods are written, and what the
header and footer lines carry (the line count, the total, the date, the registry's number). Built-in
formats live in ``seed/registry/formats/``; a client's own in ``compose/<client>/agents/`` override them by
name. The layouts are documented in ``docs/registries.md``.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seed.errors import RegistryError, UnreadableFile
from seed.infile import read_small

BUILTIN_DIR = Path(__file__).resolve().parent / "formats"

# What a payment line may carry; "skip" is a column the load ignores (written empty by the sample).
LINE_FIELDS = (
    "account",
    "name",
    "address",
    "period",
    "amount",
    "commission",
    "transfer",
    "date",
    "time",
    "terminal",
    "branch",
    "cashier",
    "transaction",
    "service",
    "skip",
)
# What a header or footer line may carry.
CONTROL_FIELDS = ("count", "total", "commission_total", "transfer_total", "number", "date", "agent", "skip")
TOP_KEYS = (
    "title",
    "agent",
    "encoding",
    "line_end",
    "delimiter",
    "widths",
    "fields",
    "amounts",
    "decimal",
    "date_format",
    "time_format",
    "period_format",
    "commission_pct",
    "header",
    "footer",
)
CONTROL_KEYS = ("prefix", "fields", "delimiter")
LINE_ENDS = {"crlf": "\r\n", "lf": "\n"}


@dataclass(frozen=True)
class Control:
    """A header or footer line: it starts with ``prefix`` and carries ``fields`` split by ``delimiter``."""

    prefix: str
    fields: tuple[str, ...]
    delimiter: str


@dataclass(frozen=True)
class Format:
    name: str
    source: str  # the file it was read from
    title: str
    agent: str  # the payment agent in the books these registries come from
    encoding: str
    line_end: str
    fields: tuple[str, ...]
    delimiter: str = ";"
    widths: tuple[int, ...] = ()  # fixed widths instead of a delimiter
    amounts: str = "roubles"  # "roubles" (with ``decimal``) or "kopecks" (whole numbers)
    decimal: str = ","
    date_format: str = "%d.%m.%Y"
    time_format: str = "%H:%M:%S"
    period_format: str = "%m%y"
    commission_pct: float = 0.0
    header: Control | None = None
    footer: Control | None = None

    @property
    def fixed(self) -> bool:
        return bool(self.widths)

    def index(self, field: str) -> int | None:
        return self.fields.index(field) if field in self.fields else None


def _fail(path: Path, key: str, value: Any, allowed: str) -> RegistryError:
    return RegistryError(path, None, f"field {key} = {value!r} is not allowed", fix=f"allowed: {allowed}")


def _unknown(path: Path, key: str, allowed: tuple[str, ...]) -> RegistryError:
    close = difflib.get_close_matches(key.rsplit(".", 1)[-1], allowed, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return RegistryError(path, None, f"unknown field {key}", fix=f"{hint}allowed here: {', '.join(allowed)}")


def _text(path: Path, key: str, value: Any, *, empty: bool = False, longest: int = 200) -> str:
    if not isinstance(value, str) or (not value and not empty) or len(value) > longest or "\n" in value:
        raise _fail(path, key, value, f"a text of {0 if empty else 1}-{longest} characters on one line")
    return value


def _fields(path: Path, key: str, value: Any, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise _fail(path, key, value, f"a list of field names: {', '.join(allowed)}")
    for name in value:
        if name not in allowed:
            raise _unknown(path, f"{key}: {name}", allowed)
    named = [v for v in value if v != "skip"]
    if len(named) != len(set(named)):
        raise _fail(path, key, value, "each field at most once")
    return tuple(value)


def _strftime(path: Path, key: str, value: Any) -> str:
    text = _text(path, key, value, longest=40)
    sample = dt.datetime(2026, 11, 28, 13, 45, 7)
    try:
        if dt.datetime.strptime(sample.strftime(text), text).strftime(text) != sample.strftime(text):
            raise ValueError(text)
    except ValueError:
        raise _fail(path, key, value, "a strftime pattern that reads back what it writes, e.g. %d.%m.%Y") from None
    return text


ENCODINGS = "a text encoding Python knows, e.g. cp1251, cp866, utf-8, utf-16 (not base64, rot13, hex or zip)"


def _encoding(path: Path, name: str) -> str:
    """The codec's own name: a text encoding, one a file of lines can be read in (incrementally) and written
    in. A codec that turns bytes into bytes or text into text (base64, rot13) is not one."""
    try:
        found = codecs.lookup(name)
        "0".encode(found.name)  # a LookupError for a codec that is not a text encoding
        codecs.getincrementaldecoder(found.name)
        codecs.getincrementalencoder(found.name)
    except LookupError:
        raise _fail(path, "encoding", name, ENCODINGS) from None
    return found.name


def _carries(path: Path, fmt: Format, written: str) -> None:
    """The format's own text (its delimiters, prefixes, the decimal mark, digits, dates and line ends) must
    survive the encoding: written in it and read back, the same."""
    sample = dt.datetime(2026, 11, 28, 13, 45, 7)
    pieces = [fmt.delimiter, fmt.decimal, fmt.line_end, "-0123456789 ", sample.strftime(fmt.date_format)]
    pieces += [sample.strftime(fmt.time_format), sample.strftime(fmt.period_format)]
    for control in (fmt.header, fmt.footer):
        if control is not None:
            pieces += [control.prefix, control.delimiter]
    for piece in filter(None, pieces):
        try:
            same = codecs.decode(codecs.encode(piece, fmt.encoding), fmt.encoding) == piece
        except (UnicodeError, ValueError):
            same = False
        if not same:
            raise RegistryError(
                path,
                None,
                f"field encoding = {written!r} cannot carry the format's own text {piece!r}",
                fix="an encoding that has these characters (utf-8 has every one), or other delimiters or prefixes",
            )


def _control(path: Path, key: str, value: Any, delimiter: str) -> Control:
    if not isinstance(value, dict):
        raise _fail(path, key, value, f'a table such as [{key}] prefix = "=" fields = ["count", "total"]')
    for sub in value:
        if sub not in CONTROL_KEYS:
            raise _unknown(path, f"{key}.{sub}", CONTROL_KEYS)
    prefix = _text(path, f"{key}.prefix", value.get("prefix", ""), empty=True, longest=10)
    fields = _fields(path, f"{key}.fields", value.get("fields"), CONTROL_FIELDS)
    own = _text(path, f"{key}.delimiter", value.get("delimiter", delimiter or ";"), longest=3)
    return Control(prefix, fields, own)


def parse_format(name: str, data: dict[str, Any], path: Path) -> Format:
    """A format from its TOML data; a mistake is a :class:`RegistryError` naming the file and the field."""
    for key in data:
        if key not in TOP_KEYS:
            raise _unknown(path, key, TOP_KEYS)
    values: dict[str, Any] = {"name": name, "source": str(path)}
    values["title"] = _text(path, "title", data.get("title", name))
    values["agent"] = _text(path, "agent", data.get("agent"))
    values["encoding"] = _encoding(path, _text(path, "encoding", data.get("encoding", "utf-8"), longest=20))
    line_end = data.get("line_end", "crlf")
    if line_end not in LINE_ENDS:
        raise _fail(path, "line_end", line_end, "'crlf' or 'lf'")
    values["line_end"] = LINE_ENDS[line_end]
    fields = _fields(path, "fields", data.get("fields"), LINE_FIELDS)
    values["fields"] = fields
    for needed in ("account", "amount"):
        if needed not in fields:
            raise RegistryError(
                path, None, f"fields has no {needed!r}", fix="a payment line needs its account and amount"
            )
    widths = data.get("widths")
    if widths is not None:
        if (
            not isinstance(widths, list)
            or len(widths) != len(fields)
            or not all(isinstance(w, int) and not isinstance(w, bool) and 1 <= w <= 200 for w in widths)
        ):
            raise _fail(path, "widths", widths, f"{len(fields)} whole numbers from 1 to 200, one per field")
        if "delimiter" in data:
            raise RegistryError(path, None, "both delimiter and widths are given", fix="a format has one or the other")
        values["widths"] = tuple(widths)
        values["delimiter"] = ""
    else:
        values["delimiter"] = _text(path, "delimiter", data.get("delimiter", ";"), longest=3)
    amounts = data.get("amounts", "roubles")
    if amounts not in ("roubles", "kopecks"):
        raise _fail(path, "amounts", amounts, "'roubles' or 'kopecks'")
    values["amounts"] = amounts
    decimal = data.get("decimal", ",")
    if decimal not in (",", "."):
        raise _fail(path, "decimal", decimal, "',' or '.'")
    if decimal == values["delimiter"]:
        raise _fail(path, "decimal", decimal, "a decimal mark other than the delimiter")
    values["decimal"] = decimal
    for key in ("date_format", "time_format", "period_format"):
        if key in data:
            values[key] = _strftime(path, key, data[key])
    pct = data.get("commission_pct", 0.0)
    if isinstance(pct, bool) or not isinstance(pct, int | float) or not 0 <= pct <= 10:
        raise _fail(path, "commission_pct", pct, "a percentage from 0 to 10")
    values["commission_pct"] = float(pct)
    for key in ("header", "footer"):
        if key in data:
            values[key] = _control(path, key, data[key], values["delimiter"])
    found = Format(**values)
    if not any(c is not None and {"count", "total"} <= set(c.fields) for c in (found.header, found.footer)):
        raise RegistryError(
            path,
            None,
            "neither the header nor the footer carries both count and total",
            fix="control sums are always checked: name them in [footer] fields (or [header])",
        )
    if found.header and found.footer and found.header.prefix == found.footer.prefix:
        raise _fail(path, "footer.prefix", found.footer.prefix, "a prefix other than the header's")
    _carries(path, found, data.get("encoding", "utf-8"))
    return found


FORMAT_LIMIT = 256 * 1024  # a format file is a page of TOML; a larger one is something else


def read_format(path: Path, name: str | None = None) -> Format:
    try:
        raw = read_small(path, FORMAT_LIMIT).decode("utf-8")
    except UnreadableFile as exc:
        raise RegistryError(path, None, exc.reason, fix="a format is a TOML file (see docs/registries.md)") from None
    except UnicodeDecodeError:
        raise RegistryError(path, None, "is not UTF-8 text", fix="save the format file as UTF-8") from None
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(path, None, f"is not valid TOML ({exc})") from None
    return parse_format(name or path.stem, data, path)


def format_files(agents_dir: Path | None) -> dict[str, Path]:
    """Every format by name: the built-ins, then the client's own (which override them)."""
    found = {p.stem: p for p in sorted(BUILTIN_DIR.glob("*.toml"))}
    if agents_dir is not None and agents_dir.is_dir():
        found.update({p.stem: p for p in sorted(agents_dir.glob("*.toml"))})
    return found


def find_format(name: str, agents_dir: Path | None = None) -> Format:
    """The format called ``name``: the client's own file, else a built-in."""
    files = format_files(agents_dir)
    if name not in files:
        where = f" or in {agents_dir}" if agents_dir is not None else ""
        raise RegistryError(
            name,
            None,
            f"no registry format {name!r} among the built-ins{where}",
            fix=f"one of: {', '.join(sorted(files))}; or add {name}.toml (see docs/registries.md)",
        )
    return read_format(files[name], name)
