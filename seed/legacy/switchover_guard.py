"""What keeps a switch-over from taking in books that are not this client's, or changes nobody looked at.

Account numbers alone prove nothing: two demo clients made from one generator seed share most of them,
and an old system may renumber. So each account of the books (``okno``) and of the final export (the
working schema) is fingerprinted in SQL, on both sides at the switch-over, by three keyed digests: its
address (city, street, house, premise), its residents (names and birth dates) and its meters' serials.
The digests are HMAC-SHA256 under a key derived from the client's anonymization key (the secret itself
never reaches the server), computed and compared inside one query: nothing is stored, nothing personal
leaves the database in the clear, and the memory used does not grow with the number of accounts.

An account is *recognized* when its address is the same and its residents or its meters are, or, if its
address changed, when both its residents and its meters are the same (at least one of them not empty).
A month's usual moves (a resident, a meter replaced) keep an account recognized; another client's account
under the same number shares none of the three.

Thresholds (documented in the README's switch-over section):

- fewer than half the books' accounts recognized (by number and fingerprint together): the export is
  another client's, or loaded with another key or other anonymization rules; it is refused (exit 2);
- more than a tenth of the books' accounts, residents or closed-month balances changed in one kind
  (:data:`LARGE`): a difference, switched over only when the accept file names the kind.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from seed.catalog import SERVICES
from seed.errors import AcceptFileError, UnreadableFile
from seed.infile import read_small

SAME_CLIENT_SHARE = 0.5  # below this share of the books' accounts recognized: another client's export
LARGE_SHARE = 0.1  # above this share of its base, a kind of change must be accepted by name
# The kinds of change that are a difference when large, and what each is a share of (its words:
# seed.words.switchover.BASES).
LARGE = {
    "accounts_added": "accounts",
    "accounts_missing": "accounts",
    "accounts_unrecognized": "accounts",
    "persons_moved_in": "residents",
    "persons_moved_out": "residents",
    "balances_corrected": "balances",
}
SERVICE_CODES = tuple(spec[0] for spec in SERVICES.values())
SUSPENSE = "suspense"

# One account's three parts, per schema {s}; the digest of a text is HMAC-SHA256 as RFC 2104 defines it,
# with the key's inner and outer pads as parameters.
DIGEST = "sha256(%(outer)s || sha256(%(inner)s || convert_to({text}, 'UTF8')))"
PARTS = (
    "SELECT a.number, "
    + DIGEST.format(text="concat_ws('|', b.city, b.street, b.house, p.number)")
    + " AS address, r.digest AS residents, m.digest AS meters FROM {s}.account a "
    "JOIN {s}.premise p ON p.id = a.premise_id JOIN {s}.building b ON b.id = p.building_id "
    "LEFT JOIN (SELECT account_id, "
    + DIGEST.format(text="string_agg(who, '/' ORDER BY who)")
    + " AS digest FROM (SELECT ap.account_id, concat_ws('|', x.surname, x.given_name, x.patronymic, x.birth_date) "
    "AS who FROM {s}.account_person ap JOIN {s}.person x ON x.id = ap.person_id) w GROUP BY account_id) r "
    "ON r.account_id = a.id "
    "LEFT JOIN (SELECT account_id, "
    + DIGEST.format(text="string_agg(serial, '/' ORDER BY serial)")
    + " AS digest FROM {s}.meter GROUP BY account_id) m ON m.account_id = a.id"
)
RECOGNIZED = (
    "SELECT count(*), count(*) FILTER (WHERE (same_address AND (same_residents OR same_meters)) "
    "OR (same_residents AND same_meters AND (has_residents OR has_meters))), count(*) FILTER (WHERE same_address), "
    "count(*) FILTER (WHERE same_residents), count(*) FILTER (WHERE same_meters) FROM ("
    "SELECT o.address = n.address AS same_address, o.residents IS NOT DISTINCT FROM n.residents AS same_residents, "
    "o.meters IS NOT DISTINCT FROM n.meters AS same_meters, o.residents IS NOT NULL AS has_residents, "
    "o.meters IS NOT NULL AS has_meters FROM (" + PARTS.replace("{s}", "{old}") + ") o "
    "JOIN (" + PARTS.replace("{s}", "{new}") + ") n USING (number)) j"
)
BASES = (
    "SELECT (SELECT count(*) FROM {old}.account_person), (SELECT count(*) FROM {old}.balance WHERE period <= {closed})"
)
RULE = (  # what RECOGNIZED counts, said for a message
    "the same address and the same residents or meters, or, where the address changed, the same residents and "
    "meters (not both empty)"
)


@dataclass(frozen=True)
class Recognition:
    """How many of the books' accounts the export has: by number, and of those by fingerprint too."""

    books: int
    by_number: int
    by_fingerprint: int
    # of those by number, how many have each part the same (None in a report made before they were counted)
    same_address: int | None = None
    same_residents: int | None = None
    same_meters: int | None = None

    @property
    def unrecognized(self) -> int:
        return self.by_number - self.by_fingerprint

    def same_client(self) -> bool:
        return not self.books or self.by_fingerprint >= self.books * SAME_CLIENT_SHARE

    def to_dict(self) -> dict[str, int | None]:
        return {
            "books": self.books,
            "by_number": self.by_number,
            "by_fingerprint": self.by_fingerprint,
            "same_address": self.same_address,
            "same_residents": self.same_residents,
            "same_meters": self.same_meters,
        }

    def refusal(self) -> str:
        return (
            f"of the books' {self.books:,} accounts, {self.by_number:,} have their number in this export and only "
            f"{self.by_fingerprint:,} of those recognized by {RULE} (at least {SAME_CLIENT_SHARE:.0%} of the "
            "books' accounts must be): it is another client's export, "
            "or one loaded with another anonymization key or other [anonymize] rules"
        )


def fingerprint_key(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer pads of the fingerprints' own key (derived, so the anonymization key stays here)."""
    derived = hmac.new(key, b"odno-okno switch-over fingerprint", hashlib.sha256).digest()
    block = derived.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def recognize(conn: psycopg.Connection, old: str, new: str, key: bytes, books: int) -> Recognition:
    """The books' accounts (schema ``old``, ``books`` of them: counted once, before the load) found in
    ``new`` by number, and by fingerprint too."""
    inner, outer = fingerprint_key(key)
    names = {"old": sql.Identifier(old), "new": sql.Identifier(new)}
    row = conn.execute(sql.SQL(RECOGNIZED).format(**names), {"inner": inner, "outer": outer}).fetchone()
    counts = [int(value) for value in row or (0, 0, 0, 0, 0)]
    return Recognition(books, *counts)


def bases(conn: psycopg.Connection, old: str, closed: object, accounts: int) -> dict[str, int]:
    """What each large kind of change is a share of, in the books before (``accounts``: counted already)."""
    query = sql.SQL(BASES).format(old=sql.Identifier(old), closed=sql.Literal(closed))
    residents, balances = (int(v) for v in conn.execute(query).fetchone() or (0, 0))
    return {"accounts": accounts, "residents": residents, "balances": balances}


def large_changes(changes: dict[str, int], base: dict[str, int]) -> dict[str, dict[str, int]]:
    """The kinds of change over a tenth of their base: each a difference named by its kind."""
    found = {}
    for kind, of in LARGE.items():
        count = changes.get(kind, 0)
        if count and count > base.get(of, 0) * LARGE_SHARE:
            found[kind] = {"count": count, "of": base.get(of, 0)}
    return found


# -- the accept file ---------------------------------------------------------------------------------
def allowed_lines() -> str:
    """What a line of an accept file may say, for a message."""
    return (
        f"a service ({', '.join(SERVICE_CODES)}), ACCOUNT;service, {SUSPENSE}, "
        f"or a large change by its kind ({', '.join(LARGE)}); '#' starts a comment"
    )


ACCEPT_LIMIT = 64 * 1024**2  # a line per account accepted, for a few million accounts


def read_accepted(path: Path | None) -> list[str]:
    """An accept file: a difference per line, as the report names it (a service code, ACCOUNT;service,
    'suspense', or a large change's kind); '#' starts a comment. UTF-8 or, as Russian Windows saves a text
    file, cp1251. Anything else is refused whole, naming the file and line (AcceptFileError)."""
    if path is None:
        return []
    try:
        data = read_small(path, ACCEPT_LIMIT)
    except UnreadableFile as exc:
        raise AcceptFileError(path, None, exc.reason, "give a readable text file") from None
    if b"\0" in data:
        raise AcceptFileError(path, None, "is not a text file (it holds binary data)", _TEXT_FIX)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1251")
        except UnicodeDecodeError:
            raise AcceptFileError(path, None, "is neither UTF-8 nor Windows-1251 text", _TEXT_FIX) from None
    accepted: list[str] = []
    unknown: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        item = line.split("#", 1)[0].strip()
        if not item:
            continue
        if any(not ch.isprintable() for ch in item):
            raise AcceptFileError(path, number, "holds control characters", _TEXT_FIX)
        problem = _unknown(item)
        if problem:
            unknown.append(f"line {number}: {problem}")
        accepted.append(item)
    if unknown:
        raise AcceptFileError(
            path, None, "names what no switch-over reports: " + "; ".join(unknown[:5])
            + (f" (and {len(unknown) - 5} more)" if len(unknown) > 5 else ""),
            f"a line may name {allowed_lines()}",
        )  # fmt: skip
    return accepted


_TEXT_FIX = "save the list of accepted differences as plain text (UTF-8 or Windows-1251), one per line"


def _unknown(item: str) -> str:
    """Why a line of an accept file names nothing a switch-over reports ('' when it does)."""
    if ";" in item:
        account, _, service = (part.strip() for part in item.partition(";"))
        if not account or any(ch.isspace() for ch in account) or ";" in service:
            return f"{item!r} is not ACCOUNT;service"
        if service not in SERVICE_CODES:
            return f"unknown service {service!r} in {item!r}"
        return ""
    if item in SERVICE_CODES or item == SUSPENSE or item in LARGE:
        return ""
    return f"unknown service or kind {item!r}"
