"""The one place a DSN is built: a PostgreSQL URL from its parts, or from another DSN with a part changed.

Every DSN provision shows or connects with is a URL (``postgresql://user:password@host:port/dbname``), the form
a person pastes into psql or a GUI; psycopg's ``conninfo_to_dict`` reads any DSN (a URL or ``key=value``
words) into its parts, so changing the database or the role of a DSN never cuts a string at a slash.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from psycopg.conninfo import conninfo_to_dict

# RFC 3986's sub-delimiters may stand in a URL's user and password as they are; anything else is %-escaped
_USERINFO_SAFE = "!$&'()*+,;="


def make_dsn(
    *, host: str, port: int | str | None, user: str, dbname: str, password: str | None = None, **params: Any
) -> str:
    """``postgresql://user[:password]@host[:port]/dbname[?params]``: an IPv6 address in brackets, a socket
    folder and odd characters escaped (libpq reads them back), the password left out when it is None."""
    userinfo = quote(user, safe=_USERINFO_SAFE)
    if password is not None:
        userinfo += ":" + quote(password, safe=_USERINFO_SAFE)
    address = f"[{host}]" if ":" in host else quote(host, safe="")
    if port not in (None, ""):
        address += f":{port}"
    query = f"?{urlencode(sorted(params.items()))}" if params else ""
    return f"postgresql://{userinfo}@{address}/{quote(dbname, safe='')}{query}"


def replace_dsn(dsn: str, **changes: Any) -> str:
    """The DSN with some parts changed (``dbname="postgres"``, ``user=...``, ``password=...``), as a URL."""
    parts: dict[str, Any] = {**conninfo_to_dict(dsn), **changes}
    return make_dsn(
        host=parts.pop("host", "") or "",
        port=parts.pop("port", None),
        user=parts.pop("user", "") or "",
        dbname=parts.pop("dbname", "") or "",
        password=parts.pop("password", None),
        **parts,
    )
