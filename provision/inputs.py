"""Checks of what a person types on the command line, made before any work starts.

Each refusal is an :class:`~provision.errors.InputError` naming the option, what is allowed and the fix;
nothing is created on the way (no file, lock, container or database)."""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
from pathlib import Path

from provision.errors import InputError
from seed import outfile

DSN_SCHEMES = ("postgresql://", "postgres://")
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
DSN_EXAMPLE = "postgresql://user@host:5432/db or 'host=... dbname=... user=...'"
FIRST_YEAR, LAST_YEAR = 2000, 2099  # the open periods the generator's tariffs and calendars cover
IMAGE_REF_RE = re.compile(
    r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*"  # [registry[:port]/]name
    r"(:[\w][\w.-]{0,127})?(@sha256:[0-9a-f]{64})?$"  # [:tag][@digest]
)
MIRROR_RE = re.compile(r"^(https?|file)://[^\s'\"]+$")
ASCII_DIGITS = re.compile(r"[0-9]{1,18}")  # `\d` and str.isdigit() take ０, ٣ and ² too


def ascii_number(text: str | None) -> int | None:
    """A whole number written in ASCII digits and nothing else, or None. Python's ``int()`` reads "０" as 0
    and " +1" as 1, so a form value checked by ``isdigit()`` could reset the working database for a seat;
    every number a person types into a form, a URL or a file we read back goes through here."""
    if text is None or not ASCII_DIGITS.fullmatch(text):
        return None
    return int(text)


def check_dsn(dsn: str) -> str:
    """A PostgreSQL URL (postgresql:// or postgres://) or a libpq keyword string (key=value ...)."""
    text = dsn.strip()
    looks_like_url = "://" in text.split("=", 1)[0]
    if looks_like_url and not text.startswith(DSN_SCHEMES):
        scheme = text.split("://", 1)[0]
        raise InputError(
            f"--dsn: {scheme}:// is not a PostgreSQL address",
            fix=f"give a PostgreSQL DSN: {DSN_EXAMPLE}",
        )
    if not looks_like_url and "=" not in text:
        raise InputError("--dsn: not a PostgreSQL DSN", fix=f"give one of: {DSN_EXAMPLE}")
    from psycopg import conninfo  # PostgreSQL's driver: loaded by a command that takes a DSN, not by every one

    try:
        params = conninfo.conninfo_to_dict(text)
    except Exception as exc:  # psycopg raises ProgrammingError, libpq's own words in it
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"--dsn: not a valid PostgreSQL DSN ({reason})", fix=f"give one of: {DSN_EXAMPLE}") from None
    ports = str(params.get("port") or "5432").split(",")
    if not all(1 <= (ascii_number(p.strip()) or 0) <= 65535 for p in ports):
        raise InputError(f"--dsn: port {params.get('port')!r} is not a port", fix="give a port from 1 to 65535")
    if params.get("sslmode", "prefer") not in SSLMODES:
        raise InputError(f"--dsn: sslmode {params.get('sslmode')!r} is not known", fix=f"one of: {', '.join(SSLMODES)}")
    timeout = str(params.get("connect_timeout", "0"))
    if ascii_number(timeout) is None:
        raise InputError(f"--dsn: connect_timeout {timeout!r} is not a number", fix="give whole seconds, e.g. 10")
    return text


def parse_period(text: str | None, option: str = "--end-period") -> dt.date | None:
    """A month written YYYY-MM, from 2000-01 to 2099-12."""
    if text is None:
        return None
    match = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if not match or not 1 <= int(match.group(2)) <= 12 or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        raise InputError(
            f"{option} {text!r} is not a month from {FIRST_YEAR}-01 to {LAST_YEAR}-12",
            fix="write it as YYYY-MM, e.g. 2026-11",
        )
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def check_output_file(path: Path | None, option: str) -> Path | None:
    """A file a command will write (:mod:`seed.outfile`): a file, or a new one, in a folder that exists
    and can be written (a symlink is followed), or a device or FIFO that can be written (/dev/null,
    /dev/stdout); never a folder, a disk or a socket."""
    if path is None:
        return None
    why = outfile.refusal(path)
    if why is None:
        return path
    if why == "is a folder":
        fix = "give the path of a file to write, e.g. report.html"
    elif why.startswith("no folder"):
        fix = "create the folder first, or write elsewhere"
    else:
        fix = "choose a file in a folder you can write to"
    raise InputError(f"{option} {path}: {why}", fix=fix)


def check_new_folder(path: Path, what: str) -> Path:
    """A folder a command fills: absent (it is made), or an empty folder; never in /proc, /sys or another of
    the kernel's file systems (root may write there, and a write fails half-way or changes a setting)."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError, ValueError):  # nothing there yet; a NUL is named below
        pass
    except OSError as exc:  # a name longer than the system allows, a loop of links
        shown = f"{str(path)[:80]}..." if len(str(path)) > 80 else str(path)
        fix = "give a shorter path" if exc.errno == errno.ENAMETOOLONG else f"give a new or empty folder for {what}"
        raise InputError(f"{shown}: cannot be made ({exc.strerror})", fix=fix) from None
    pseudo = outfile.pseudo_place(path)
    if pseudo is not None:
        raise InputError(
            f"{path}: cannot write {what} there (it {pseudo})", fix=f"give a new or empty folder for {what}"
        )
    if path.exists() and not path.is_dir():
        raise InputError(f"{path}: not a folder", fix=f"give a new or empty folder for {what}")
    if not path.exists() and not path.parent.is_dir():
        raise InputError(f"{path}: no folder {path.parent}", fix="create the folder above it first")
    return path


def check_text(value: str, name: str, *, lines: bool = False) -> str:
    """A text value typed on the command line with no NUL or other control character (a NUL cannot be
    handed to a program nor kept in PostgreSQL text; the others garble a file or a terminal). ``lines``:
    tabs and line ends are allowed (a psql command may span lines). ``name`` is the option or argument."""
    allowed = "\t\n\r" if lines else ""
    bad = next((c for c in value if (c < " " or c == "\x7f") and c not in allowed), None)
    if bad is not None:
        what = "a NUL character" if bad == "\x00" else f"a control character ({bad!r})"
        raise InputError(f"{name} {value[:80]!r}: holds {what}", fix=f"remove it from {name}")
    return value


def check_workspace(path: Path) -> Path:
    if path.exists() and not path.is_dir():
        raise InputError(f"--workspace {path}: not a folder", fix="give a folder (it holds compose/<client>/)")
    return path


def check_image_ref(ref: str, option: str) -> str:
    if len(ref) > 255 or not IMAGE_REF_RE.match(ref):
        raise InputError(
            f"{option} {ref!r} is not an image reference",
            fix="lowercase name[:tag], e.g. provision/postgres:15 or registry.example.ru:5000/postgres:15",
        )
    return ref


def check_mirror(url: str | None) -> str | None:
    if url is not None and not MIRROR_RE.match(url):
        raise InputError(
            f"--mirror {url!r} is not a Debian mirror URL",
            fix="give http://, https:// or file:// with the mirror's path, e.g. http://deb.debian.org/debian",
        )
    return url
