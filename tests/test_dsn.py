"""DSNs (seed/dsn.py): built in one place as a URL a person can paste, and read back by libpq as built."""

from __future__ import annotations

import pytest
from psycopg.conninfo import conninfo_to_dict

from seed.dsn import make_dsn, replace_dsn


def test_a_client_dsn_is_the_url_it_always_was() -> None:
    dsn = make_dsn(host="127.0.0.1", port=54321, user="odno_okno", password="***", dbname="odno_okno")
    assert dsn == "postgresql://odno_okno:***@127.0.0.1:54321/odno_okno"
    assert make_dsn(host="db", port=5432, user="u", dbname="d") == "postgresql://u@db:5432/d"
    assert make_dsn(host="db", port=None, user="u", dbname="d") == "postgresql://u@db/d"


def test_an_ipv6_address_is_bracketed() -> None:
    assert make_dsn(host="::1", port=5, user="u", dbname="d") == "postgresql://u@[::1]:5/d"


@pytest.mark.parametrize("password", ["p@ss/w:rd", "with space", "50%", "#?&=", "пароль", "a'b\"c\\"])
def test_libpq_reads_back_every_part_as_given(password: str) -> None:
    dsn = make_dsn(host="/run/postgresql", port=5432, user="us@er", password=password, dbname="my db")
    assert conninfo_to_dict(dsn) == {
        "host": "/run/postgresql",
        "port": "5432",
        "user": "us@er",
        "password": password,
        "dbname": "my db",
    }


def test_replace_changes_only_what_it_is_told() -> None:
    dsn = make_dsn(host="127.0.0.1", port=5432, user="owner", password="s3cret", dbname="books")
    assert replace_dsn(dsn, dbname="postgres") == "postgresql://owner:s3cret@127.0.0.1:5432/postgres"
    assert replace_dsn(dsn, user="seat_01", password="***", dbname="seat_01") == (
        "postgresql://seat_01:***@127.0.0.1:5432/seat_01"
    )


def test_replace_reads_keyword_dsns_and_keeps_their_options() -> None:
    changed = replace_dsn("host=db port=5433 user=u dbname=d sslmode=disable connect_timeout=3", dbname="postgres")
    assert conninfo_to_dict(changed) == {
        "host": "db",
        "port": "5433",
        "user": "u",
        "dbname": "postgres",
        "sslmode": "disable",
        "connect_timeout": "3",
    }
