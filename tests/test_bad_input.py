"""Bad input, as a hostile user types it, over every command: each is refused with exit 2 (or the environment's
3 where the input is right and the machine is not), one clear first line, no traceback, and nothing left
behind: no new file or folder in the workspace, no lock file, no container labelled with it.

No case here starts anything: every one is refused before Docker or PostgreSQL is asked to act."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from provision.cli import app
from provision.clients.workspace import Workspace
from provision.docker import engine

runner = CliRunner()
BOX = re.compile(r"[│╭╮╰╯─]")
DEMO_PORT = 55998

# Every workspace starts with these: a client `x` with two seats and a fixed port (so no port is picked and
# kept), an empty export folder, a file, a folder that is not empty.
BASE: dict[str, str | bytes] = {
    "compose/x/client.toml": f'title = "x"\n[postgres]\nport = {DEMO_PORT}\n[training]\nseats = 2\n',
    "export/.keep": "",
    "afile.txt": "not a folder\n",
    "full/something.txt": "x\n",
    "compose/nought/client.toml": f"[postgres]\nport = {DEMO_PORT}\n[seed]\naccounts = 0\n",
}

CLIENT_COMMANDS: list[list[str]] = [
    ["render", "{c}"],
    ["up", "{c}"],
    ["status", "{c}"],
    ["logs", "{c}"],
    ["psql", "{c}"],
    ["down", "{c}"],
    ["destroy", "{c}", "--yes"],
    ["seed", "{c}"],
    ["check", "{c}"],
    ["stats", "{c}"],
    ["reset", "{c}"],
    ["seats", "{c}"],
    ["snapshot", "save", "{c}", "s1"],
    ["snapshot", "list", "{c}"],
    ["snapshot", "restore", "{c}", "s1"],
    ["snapshot", "delete", "{c}", "s1"],
    ["import", "sample", "{c}", "new-export"],
    ["import", "check", "{c}", "export"],
    ["import", "load", "{c}", "export"],
    ["import", "scan", "{c}", "export"],
    ["switchover", "rehearse", "{c}", "export"],
    ["switchover", "run", "{c}", "export"],
    ["switchover", "status", "{c}"],
]
BAD_NAMES = ["../x", "X", "a_b", "a" * 41, "кириллица", "a b", "x/y", ".", "demo;rm", "x-", "", "a..b"]

Case = tuple[str, list[str], int, str, dict[str, str | bytes]]  # id, args, exit code, first-line fragment, files


def _names() -> list[Case]:
    cases: list[Case] = []
    for command in CLIENT_COMMANDS:
        for i, name in enumerate(BAD_NAMES):
            args = [a.replace("{c}", name) for a in command]
            cases.append((f"{'-'.join(command[:2])}-name{i}", args, 2, "invalid client name", {}))
        if command[0] != "init":
            args = [a.replace("{c}", "nobody") for a in command]
            cases.append((f"{'-'.join(command[:2])}-unknown", args, 2, "unknown client 'nobody'", {}))
    cases += [(f"init-name{i}", ["init", name], 2, "invalid client name", {}) for i, name in enumerate(BAD_NAMES)]
    return cases


OPTIONS: list[tuple[list[str], int, str]] = [
    # seed: sizes, periods and the DSN
    (["seed", "x", "--months", "100000"], 2, "Invalid value for '--months'"),
    (["seed", "x", "--months", "0"], 2, "Invalid value for '--months'"),
    (["seed", "x", "--months", "-1"], 2, "Invalid value for '--months'"),
    (["seed", "x", "--months", "121"], 2, "Invalid value for '--months'"),
    (["seed", "x", "--months", "twelve"], 2, "Invalid value for '--months'"),
    (["seed", "x", "--accounts", "0"], 2, "Invalid value for '--accounts'"),
    (["seed", "x", "--accounts", "-5"], 2, "Invalid value for '--accounts'"),
    (["seed", "x", "--accounts", "1000000000000"], 2, "Invalid value for '--accounts'"),
    (["seed", "x", "--accounts", "5000001"], 2, "Invalid value for '--accounts'"),
    (["seed", "x", "--accounts", "1e3"], 2, "Invalid value for '--accounts'"),
    (["seed", "x", "--seed", "-1"], 2, "Invalid value for '--seed'"),
    (["seed", "x", "--seed", "2147483648"], 2, "Invalid value for '--seed'"),
    (["seed", "x", "--seed", "abc"], 2, "Invalid value for '--seed'"),
    (["seed", "x", "--end-period", "0000-01"], 2, "--end-period '0000-01' is not a month"),
    (["seed", "x", "--end-period", "2026-13"], 2, "--end-period '2026-13' is not a month"),
    (["seed", "x", "--end-period", "2026-00"], 2, "--end-period '2026-00' is not a month"),
    (["seed", "x", "--end-period", "2026-1"], 2, "--end-period '2026-1' is not a month"),
    (["seed", "x", "--end-period", "1999-12"], 2, "--end-period '1999-12' is not a month"),
    (["seed", "x", "--end-period", "2100-01"], 2, "--end-period '2100-01' is not a month"),
    (["seed", "x", "--end-period", "9999-12"], 2, "--end-period '9999-12' is not a month"),
    (["seed", "x", "--end-period", "2026-11-01"], 2, "--end-period '2026-11-01' is not a month"),
    (["seed", "x", "--end-period", "ноябрь"], 2, "is not a month"),
    (["seed", "x", "--end-period", ""], 2, "--end-period '' is not a month"),
    (["seed", "--dsn", "garbage"], 2, "--dsn: not a PostgreSQL DSN"),
    (["seed", "--dsn", "mysql://root@127.0.0.1/db"], 2, "--dsn: mysql:// is not a PostgreSQL address"),
    (["seed", "--dsn", "http://127.0.0.1:5432/db"], 2, "--dsn: http:// is not a PostgreSQL address"),
    (["seed", "--dsn", "x=y"], 2, "--dsn: not a valid PostgreSQL DSN"),
    (["seed", "--dsn", "=x"], 2, "--dsn: not a valid PostgreSQL DSN"),
    (["seed", "--dsn", "host='unterminated"], 2, "--dsn: not a valid PostgreSQL DSN"),
    (["seed", "--dsn", "postgresql://u@h/db?nonsense=1"], 2, "--dsn: not a valid PostgreSQL DSN"),
    (["seed", "--dsn", "postgresql://u@127.0.0.1:1/x", "--end-period", "0000-01"], 2, "is not a month"),
    (["seed", "--dsn", "postgresql://u@127.0.0.1:1/x", "--seed", "-1"], 2, "Invalid value for '--seed'"),
    (["seed", "--dsn", "postgresql://u@127.0.0.1:1/x", "--accounts", "0"], 2, "Invalid value for '--accounts'"),
    (["seed", "--dsn", "postgresql://u@127.0.0.1:99999/x"], 2, "--dsn: port '99999' is not a port"),
    (["seed", "--dsn", "postgresql://u@127.0.0.1:0/x"], 2, "--dsn: port '0' is not a port"),
    (["seed", "--dsn", "host=127.0.0.1 port=abc"], 2, "--dsn: port 'abc' is not a port"),
    (["seed", "--dsn", "postgresql://u@h/x?sslmode=bogus"], 2, "--dsn: sslmode 'bogus' is not known"),
    (["seed", "--dsn", "host=h connect_timeout=soon"], 2, "--dsn: connect_timeout 'soon' is not a number"),
    (["seed", "x", "--dsn", "postgresql://u@h/db"], 2, "name a client or give --dsn"),
    (["seed", "nought"], 2, "seed.accounts = 0, so there is nothing to generate"),
    (["seed"], 2, "name a client or give --dsn"),
    (["seed", "--dsn", ""], 2, "--dsn: not a PostgreSQL DSN"),
    (["check", "--dsn", "garbage"], 2, "--dsn: not a PostgreSQL DSN"),
    (["check", "--dsn", "mysql://a@b/c"], 2, "--dsn: mysql:// is not a PostgreSQL address"),
    (["check", "--dsn", "x=y"], 2, "--dsn: not a valid PostgreSQL DSN"),
    (["check", "--dsn", "sqlite:///tmp/x.db"], 2, "--dsn: sqlite:// is not a PostgreSQL address"),
    (["check"], 2, "name a client or give --dsn"),
    (["stats", "--dsn", "garbage"], 2, "--dsn: not a PostgreSQL DSN"),
    (["stats", "--dsn", "oracle://scott@h/x"], 2, "--dsn: oracle:// is not a PostgreSQL address"),
    (["stats", "--dsn", "dbname"], 2, "--dsn: not a PostgreSQL DSN"),
    (["stats", "x", "--dsn", "postgresql://u@h/db"], 2, "name a client or give --dsn"),
    # payment registries: formats, files, dates, lines (refused before any server is asked)
    (["registry", "load", "x", "afile.txt", "--agent", "sber"], 2, "no registry format 'sber'"),
    (["registry", "load", "x", "nofile.txt", "--agent", "bank"], 2, "nofile.txt: cannot be read"),
    (["registry", "load", "x", "full", "--agent", "bank"], 2, "full: is a folder"),
    (["registry", "load", "x", "afile.txt", "--agent", "bank"], 2, "afile.txt, line 1: the line has 1 fields"),
    (["registry", "load", "x", "afile.txt"], 2, "Missing option '--agent'"),
    (["registry", "sample", "x", "--agent", "bank", "--date", "2026-13-01", "-o", "r.txt"], 2, "is not a date"),
    (["registry", "sample", "x", "--agent", "bank", "--date", "вчера", "-o", "r.txt"], 2, "is not a date"),
    (["registry", "sample", "x", "--agent", "nope", "--date", "2026-11-01", "-o", "r.txt"], 2, "no registry format"),
    (["registry", "sample", "x", "--agent", "bank", "--date", "2026-11-01", "-o", "full"], 2, "full: is a folder"),
    (["registry", "sample", "x", "--agent", "bank", "--date", "2026-11-01", "-o", "no/r.txt"], 2, "no folder no"),
    (
        ["registry", "sample", "x", "--agent", "bank", "--date", "2026-11-01", "--lines", "0", "-o", "r.txt"],
        2,
        "Invalid value for '--lines'",
    ),
    (
        ["registry", "sample", "x", "--agent", "bank", "--date", "2026-11-01", "--faults", "-1", "-o", "r.txt"],
        2,
        "Invalid value for '--faults'",
    ),
    (["registry", "debts", "x", "--agent", "bank", "--period", "2026-13", "-o", "d.txt"], 2, "is not a month"),
    (["registry", "debts", "x", "--agent", "bank", "-o", "full"], 2, "full: is a folder"),
    (["registry", "assign", "x", "0", "123"], 2, "Invalid value for 'line'"),
    (["registry", "formats", "nosuch"], 2, "unknown client 'nosuch'"),
    # reset, seats and snapshots: seats, names, --all
    (["reset", "x", "--seat", "0"], 2, "Invalid value for '--seat'"),
    (["reset", "x", "--seat", "-1"], 2, "Invalid value for '--seat'"),
    (["reset", "x", "--seat", "100"], 2, "Invalid value for '--seat'"),
    (["reset", "x", "--seat", "one"], 2, "Invalid value for '--seat'"),
    (["reset", "x", "--seat", "3"], 2, "--seat 3: client 'x' has no such seat"),
    (["reset", "demo", "--seat", "1"], 2, "--seat 1: client 'demo' has no such seat"),
    (["reset", "x", "--seat", "1", "--all"], 2, "--seat and --all exclude each other"),
    (["reset", "demo", "--seat", "1", "--all"], 2, "--seat and --all exclude each other"),
    (["snapshot", "save", "x", "s1", "--seat", "0"], 2, "Invalid value for '--seat'"),
    (["snapshot", "save", "x", "s1", "--seat", "3"], 2, "--seat 3: client 'x' has no such seat"),
    (["snapshot", "save", "demo", "s1", "--seat", "1"], 2, "--seat 1: client 'demo' has no such seat"),
    (["snapshot", "restore", "x", "s1", "--seat", "0"], 2, "Invalid value for '--seat'"),
    (["snapshot", "delete", "x", "baseline"], 2, "the baseline cannot be deleted"),
    (["snapshot", "save", "x", "baseline"], 2, "invalid snapshot name 'baseline'"),
    (["snapshot", "save", "x", "new"], 2, "invalid snapshot name 'new'"),
    (["snapshot", "save", "x", "../a"], 2, "invalid snapshot name '../a'"),
    (["snapshot", "save", "x", "A"], 2, "invalid snapshot name 'A'"),
    (["snapshot", "save", "x", "s" * 31], 2, "invalid snapshot name"),
    (["snapshot", "save", "x", ""], 2, "invalid snapshot name ''"),
    (["snapshot", "restore", "x", "../a"], 2, "invalid snapshot name '../a'"),
    (["snapshot", "restore", "x", "a b"], 2, "invalid snapshot name 'a b'"),
    (["snapshot", "delete", "x", "x/y"], 2, "invalid snapshot name 'x/y'"),
    (["snapshot", "delete", "x", "Snap"], 2, "invalid snapshot name 'Snap'"),
    (["snapshot", "restore", "x", "s1", "--seat", "9"], 2, "--seat 9: client 'x' has no such seat"),
    (["snapshot", "restore", "x", "s1", "--seat", "1", "--all"], 2, "--seat and --all exclude each other"),
    (["logs", "x", "--tail", "-5"], 2, "Invalid value for '--tail'"),
    (["logs", "x", "--tail", "lots"], 2, "Invalid value for '--tail'"),
    # init: the title is checked before the profile is written
    (["init", "t", "--title", 'a"\nb'], 2, "--title 'a\"\\nb' is not allowed"),
    (["init", "t", "--title", ""], 2, "--title '' is not allowed"),
    (["init", "t", "--title", "x" * 201], 2, "is not allowed"),
    (["init", "t", "--title", "tab\there"], 2, "is not allowed"),
    (["init", "t", "--title", "bell\x07"], 2, "is not allowed"),
    (["init", "x"], 2, "already exists"),
    # image
    (["image", "build", "--major", "99"], 2, "no Debian suite ships PostgreSQL 99"),
    (["image", "build", "--major", "14"], 2, "no Debian suite ships PostgreSQL 14"),
    (["image", "build", "--major", "fifteen"], 2, "Invalid value for '--major'"),
    (["image", "build", "--mirror", "not a url"], 2, "--mirror 'not a url' is not a Debian mirror URL"),
    (["image", "build", "--mirror", "ftp://ftp.debian.org/debian"], 2, "is not a Debian mirror URL"),
    (["image", "build", "--mirror", ""], 2, "is not a Debian mirror URL"),
    (["image", "build", "--tag", "Provision/Postgres:15"], 2, "--tag 'Provision/Postgres:15' is not an image"),
    (["image", "build", "--tag", "a b"], 2, "--tag 'a b' is not an image reference"),
    (["image", "build", "--tag", "x:"], 2, "--tag 'x:' is not an image reference"),
    (["image", "save", "-o", "missing-dir/pg.tar"], 2, "--output missing-dir/pg.tar: no folder missing-dir"),
    (["image", "save", "-o", "full"], 2, "--output full: is a folder"),
    (["image", "save", "-o", "afile.txt/pg.tar"], 2, "no folder afile.txt"),
    (["image", "save", "Bad Image", "-o", "pg.tar"], 2, "IMAGE 'Bad Image' is not an image reference"),
    (["image", "save", "::", "-o", "pg.tar"], 2, "IMAGE '::' is not an image reference"),
    (["image", "save"], 2, "Missing option '--output'"),
    (["image", "load", "nothing-here.tar"], 2, "nothing-here.tar: no such file"),
    (["image", "load", "full"], 2, "full: a folder, not an image archive"),
    (["reset", "x", "--new-links"], 2, "--new-links goes with --all"),
    (["reset", "x", "--seat", "1", "--new-links"], 2, "--new-links goes with --all"),
    # switch-over: the final export, the client's key, the accepted differences
    (["switchover", "rehearse", "x", "no-such-export"], 2, "no-such-export: not a folder"),
    (["switchover", "run", "x", "afile.txt"], 2, "afile.txt: not a folder"),
    (["switchover", "run", "x", "export", "--mapping", "no.toml"], 2, "no.toml: no such mapping file"),
    (["switchover", "rehearse", "x", "export"], 2, "has no anonymization key"),
    (["switchover", "run", "x", "export", "--html", "missing-dir/r.html"], 2, "--html missing-dir/r.html: no folder"),
    (["switchover", "rehearse", "x"], 2, "Missing argument 'export'"),
    # import: folders, files, output paths
    (["import", "check", "x", "no-such-export"], 2, "no-such-export: not a folder"),
    (["import", "check", "x", "afile.txt"], 2, "afile.txt: not a folder"),
    (["import", "check", "x", "export", "--mapping", "no.toml"], 2, "no.toml: no such mapping file"),
    (["import", "check", "x", "export", "--mapping", "full"], 2, "full: no such mapping file"),
    (["import", "check", "x", "export", "--html", "missing-dir/r.html"], 2, "--html missing-dir/r.html: no folder"),
    (["import", "check", "x", "export", "--html", "full"], 2, "--html full: is a folder"),
    (["import", "check", "x", "export", "--html", "afile.txt/r.html"], 2, "no folder afile.txt"),
    (["import", "load", "x", "no-such-export"], 2, "no-such-export: not a folder"),
    (["import", "load", "x", "afile.txt"], 2, "afile.txt: not a folder"),
    (["import", "load", "x", "export", "--mapping", "no.toml"], 2, "no.toml: no such mapping file"),
    (["import", "load", "x", "export", "--html", "missing-dir/r.html"], 2, "--html missing-dir/r.html: no folder"),
    (["import", "load", "x", "export", "--html", "full"], 2, "--html full: is a folder"),
    (["import", "load", "demo", "export", "--html", "missing-dir/r.html"], 2, "--html missing-dir/r.html"),
    (["import", "scan", "x", "no-such-export"], 2, "no-such-export: not a folder"),
    (["import", "scan", "x", "export", "--mapping", "no.toml"], 2, "no.toml: no such mapping file"),
    (["import", "scan", "demo", "afile.txt"], 2, "afile.txt: not a folder"),
    (["import", "sample", "x", "full"], 2, "full is not an empty folder"),
    (["import", "sample", "x", "afile.txt"], 2, "afile.txt: not a folder"),
    (["import", "sample", "x", "missing-dir/export"], 2, "missing-dir/export: no folder missing-dir"),
    (["import", "template", "afile.txt"], 2, "afile.txt: not a folder"),
    (["import", "template", "missing-dir/export"], 2, "missing-dir/export: no folder missing-dir"),
    (["import", "check", "x"], 2, "Missing argument 'path'"),
    # global options and unknown commands
    (["--workspace", "afile.txt", "status", "x"], 2, "--workspace"),
    (["--workspace", "afile.txt", "init", "y"], 2, "not a folder"),
    (["nosuchcommand"], 2, "No such command 'nosuchcommand'"),
    (["seed", "x", "--acounts", "5"], 2, "No such option: --acounts"),
    (["destroy", "x"], 2, "pass --yes to confirm"),
]

PROFILE_FIELDS: list[tuple[str, str]] = [
    ("[postgres]\nhost = 0\n", "postgres.host = 0 is not allowed"),
    ('[postgres]\nhost = "localhost"\n', "postgres.host = 'localhost' is not allowed"),
    ('[postgres]\nhost = "10.255.255.254"\n', "postgres.host = '10.255.255.254' is not allowed"),
    ('[postgres]\nhost = "8.8.8.8"\n', "postgres.host = '8.8.8.8' is not allowed"),
    ('[postgres]\nhost = "224.0.0.1"\n', "postgres.host = '224.0.0.1' is not allowed"),
    ('[postgres]\nhost = "255.255.255.255"\n', "postgres.host = '255.255.255.255' is not allowed"),
    ('[postgres]\nhost = "2001:db8::1"\n', "postgres.host = '2001:db8::1' is not allowed"),
    ('[postgres]\nhost = ""\n', "postgres.host = '' is not allowed"),
    ('[postgres]\nhost = "127.0.0.1:5432"\n', "postgres.host = '127.0.0.1:5432' is not allowed"),
    ("[postgres]\nport = 80\n", "postgres.port = 80 is not allowed"),
    ("[postgres]\nport = 70000\n", "postgres.port = 70000 is not allowed"),
    ("[postgres]\nport = -1\n", "postgres.port = -1 is not allowed"),
    ('[postgres]\nport = "5432"\n', "postgres.port = '5432' is not allowed"),
    ("[postgres]\nport = true\n", "postgres.port = True is not allowed"),
    ("[postgres]\nport = 5432.5\n", "postgres.port = 5432.5 is not allowed"),
    ('[postgres]\nmemory_limit = "0g"\n', "postgres.memory_limit = '0g' is not allowed"),
    ('[postgres]\nmemory_limit = "1k"\n', "postgres.memory_limit = '1k' is not allowed"),
    ('[postgres]\nmemory_limit = "255m"\n', "postgres.memory_limit = '255m' is not allowed"),
    ('[postgres]\nmemory_limit = "10000g"\n', "postgres.memory_limit = '10000g' is not allowed"),
    ('[postgres]\nmemory_limit = "lots"\n', "postgres.memory_limit = 'lots' is not allowed"),
    ('[postgres]\nmemory_limit = "1.5.5g"\n', "postgres.memory_limit = '1.5.5g' is not allowed"),
    ('[postgres]\nmemory_limit = "-1g"\n', "postgres.memory_limit = '-1g' is not allowed"),
    ("[postgres]\nmemory_limit = 1024\n", "postgres.memory_limit = 1024 is not allowed"),
    ('[postgres]\nmemory_limit = "1t"\n', "postgres.memory_limit = '1t' is not allowed"),
    ('[postgres]\nuser = "pg_admin"\n', "postgres.user = 'pg_admin' is not allowed"),
    ('[postgres]\nuser = "pg_monitor"\n', "postgres.user = 'pg_monitor' is not allowed"),
    ('[postgres]\nuser = "Robert"\n', "postgres.user = 'Robert' is not allowed"),
    ('[postgres]\nuser = "a; drop"\n', "postgres.user = 'a; drop' is not allowed"),
    ('[postgres]\nuser = ""\n', "postgres.user = '' is not allowed"),
    (f'[postgres]\nuser = "{"u" * 64}"\n', "postgres.user = 'uuuu"),
    ("[postgres]\nuser = 5\n", "postgres.user = 5 is not allowed"),
    ('[postgres]\ndatabase = "template1"\n', "postgres.database = 'template1' is not allowed"),
    ('[postgres]\ndatabase = "template0"\n', "postgres.database = 'template0' is not allowed"),
    ('[postgres]\ndatabase = "postgres"\n', "postgres.database = 'postgres' is not allowed"),
    ('[postgres]\ndatabase = "pg_x"\n', "postgres.database = 'pg_x' is not allowed"),
    ('[postgres]\ndatabase = "Books"\n', "postgres.database = 'Books' is not allowed"),
    ('[postgres]\ndatabase = "1db"\n', "postgres.database = '1db' is not allowed"),
    ('[postgres]\nlocale = "xx_XX.UTF-8"\n', "postgres.locale = 'xx_XX.UTF-8' is not allowed"),
    ('[postgres]\nlocale = "de_DE.UTF-8"\n', "postgres.locale = 'de_DE.UTF-8' is not allowed"),
    ('[postgres]\nlocale = "ru_RU.KOI8-R"\n', "postgres.locale = 'ru_RU.KOI8-R' is not allowed"),
    ('[postgres]\nlocale = "ru_RU"\n', "postgres.locale = 'ru_RU' is not allowed"),
    ('[postgres]\nlocale = ""\n', "postgres.locale = '' is not allowed"),
    ("[postgres]\nlocale = 5\n", "postgres.locale = 5 is not allowed"),
    ('[postgres]\ntimezone = "Moscow"\n', "postgres.timezone = 'Moscow' is not allowed"),
    ('[postgres]\ntimezone = ""\n', "postgres.timezone = '' is not allowed"),
    ('[postgres]\ntimezone = "../../etc/passwd"\n', "postgres.timezone = '../../etc/passwd' is not allowed"),
    ("[postgres]\ntimezone = 3\n", "postgres.timezone = 3 is not allowed"),
    ("[postgres]\nstart_timeout = 0\n", "postgres.start_timeout = 0 is not allowed"),
    ("[postgres]\nstart_timeout = 3601\n", "postgres.start_timeout = 3601 is not allowed"),
    ('[postgres]\nstart_timeout = "60"\n', "postgres.start_timeout = '60' is not allowed"),
    ("[postgres]\nmajor = 11\n", "postgres.major = 11 is not allowed"),
    ("[postgres]\nmajor = 19\n", "postgres.major = 19 is not allowed"),
    ('[postgres]\nmajor = "15"\n', "postgres.major = '15' is not allowed"),
    ('[postgres]\nimage = "Bad Image"\n', "postgres.image = 'Bad Image' is not allowed"),
    ('[postgres]\nimage = ""\n', "postgres.image = '' is not allowed"),
    ('[postgres]\nimage = "postgres:16"\nmajor = 15\n', "'postgres:16' does not match postgres.major = 15"),
    ('[postgres]\nregistry_mirror = "http://x y"\n', "postgres.registry_mirror = 'http://x y' is not allowed"),
    ("[postgres]\nprot = 5433\n", "unknown field postgres.prot"),
    ('[postgres]\nstorage = "clone"\n', 'postgres.storage = "clone" needs PostgreSQL 18 or later'),
    ('[postgres]\nstorage = "clone"\nmajor = 17\n', "major is 17"),
    ('[postgres]\nstorage = "fast"\n', "postgres.storage = 'fast' is not allowed"),
    ("[postgres]\nstorage = true\n", "postgres.storage = True is not allowed"),
    ('[postgres]\ndata_size = "1g"\n', "postgres.data_size = '1g' is not allowed"),
    ('[postgres]\ndata_size = "65t"\n', "postgres.data_size = '65t' is not allowed"),
    ('[postgres]\ndata_size = "10 GB"\n', "postgres.data_size = '10 GB' is not allowed"),
    ("[postgres]\ndata_size = 10\n", "postgres.data_size = 10 is not allowed"),
    ('[postgres]\ndata_dir = ""\n', "postgres.data_dir = '' is not allowed"),
    ("[postgres]\ndata_dir = 5\n", "postgres.data_dir = 5 is not allowed"),
    ('title = ""\n', "field title = '' is not allowed"),
    ('title = "a\\nb"\n', "field title = 'a\\nb' is not allowed"),
    (f'title = "{"t" * 201}"\n', "field title = 'tttt"),
    ("title = 5\n", "field title = 5 is not allowed"),
    ('[seed]\nmode = "magic"\n', "seed.mode = 'magic' is not allowed"),
    ("[seed]\naccounts = -1\n", "seed.accounts = -1 is not allowed"),
    ("[seed]\naccounts = 5000001\n", "seed.accounts = 5000001 is not allowed"),
    ('[seed]\naccounts = "3000"\n', "seed.accounts = '3000' is not allowed"),
    ("[seed]\nmonths = 0\n", "seed.months = 0 is not allowed"),
    ("[seed]\nmonths = 121\n", "seed.months = 121 is not allowed"),
    ("[seed]\nrandom_seed = -1\n", "seed.random_seed = -1 is not allowed"),
    ("[seed]\nrandom_seed = 2147483648\n", "seed.random_seed = 2147483648 is not allowed"),
    ('[seed]\nexport = ""\n', "seed.export = '' is not allowed"),
    ("[seed]\nexport = 5\n", "seed.export = 5 is not allowed"),
    ("[training]\nseats = -1\n", "training.seats = -1 is not allowed"),
    ("[training]\nseats = 61\n", "training.seats = 61 is not allowed"),
    ('[training]\nseats = "2"\n', "training.seats = '2' is not allowed"),
    ("[training]\nseat = 2\n", "unknown field training.seat"),
    ('[services.app]\nports = ["8080"]\n', "services.app.image = None is not allowed"),
    ('[services.db]\nimage = "x"\n', "services.db = 'db' is not allowed"),
    ('[services.app]\nimage = "x"\nports = ["8080"]\n', "services.app.ports = ['8080'] is not allowed"),
    ('[services.app]\nimage = "x"\nenvironment = 5\n', "services.app.environment = 5 is not allowed"),
    ('[services.app]\nimage = "x"\ncommand = 5\n', "services.app.command = 5 is not allowed"),
    ('[services.app]\nimage = "x"\nvolumes = ["/:/host"]\n', "unknown field services.app.volumes"),
    ('[services.app]\nimage = "bad image"\n', "services.app.image = 'bad image' is not allowed"),
    ('[services.app]\nimage = "x"\nports = ["999.1.1.1:80:80"]\n', "services.app.ports = ['999.1.1.1:80:80']"),
    ('[services.app]\nimage = "x"\nports = ["127.0.0.1:80:80"]\n', "services.app.ports = ['127.0.0.1:80:80']"),
    ('[services.app]\nimage = "x"\nports = ["8080:0"]\n', "services.app.ports = ['8080:0'] is not allowed"),
    ('[services.app]\nimage = "x"\nenvironment = {"A B" = "1"}\n', "services.app.environment = {'A B': '1'}"),
    ('[services.app]\nimage = "x"\nenvironment = {A = [1]}\n', "services.app.environment = {'A': [1]}"),
    ('[services.app]\nimage = "x"\ncommand = [1]\n', "services.app.command = [1] is not allowed"),
    ('[services.App]\nimage = "x"\n', "services.App = 'App' is not allowed"),
    ('[services.app]\nimage = "x"\nports = "8080:8080"\n', "services.app.ports = '8080:8080' is not allowed"),
    ('services = "app"\n', "field services = 'app' is not allowed"),
    ('[anonymize]\nnames = "keep"\n', "anonymize.names = 'keep' is not allowed"),
    ("[anonymize]\nnoise = 2\n", "anonymize.noise = 2 is not allowed"),
    ("[anonymize]\nnoise = -0.1\n", "anonymize.noise = -0.1 is not allowed"),
    ('[anonymize]\nphones = "drop"\n', "unknown field anonymize.phones"),
    ("[postgress]\nport = 5433\n", "unknown field postgress"),
    ("postgres = 5\n", "unknown field postgres"),
    ('title = "ok"\n[postgres\nport = 5\n', "invalid TOML"),
    ('title = "ok"\ntitle = "twice"\n', "invalid TOML"),
]
PROFILE_COMMANDS = [["render", "p"], ["status", "p"], ["up", "p"]]
# [seed] mode = "import" with an export or mapping that is not there: `up` refuses before anything starts.
IMPORT_SOURCES: list[tuple[str, str]] = [
    ('[seed]\nmode = "import"\n', "seed.mode = 'import' but seed.export is not set"),
    ('[seed]\nmode = "import"\nexport = "../../no-such-export"\n', "no-such-export, which is not there"),
    ('[seed]\nmode = "import"\nexport = "../../afile.txt"\n', "afile.txt, which is not there"),
    ('[seed]\nmode = "import"\nexport = "../../export"\nmapping = "no.toml"\n', "no.toml, which is not there"),
]

PERSONS = '[files.persons]\npath = "p.csv"\ncolumns = {account = "A", surname = "F", given_name = "I"}\n'
MAPPINGS: list[tuple[str, str]] = [
    ("[files]\naccounts = 5\n", "[files.accounts]: not a table"),
    ('[files.accounts]\npath = 5\ncolumns = {number = "LS"}\n', "lacks required fields"),
    (
        '[files.persons]\npath = 5\ncolumns = {account = "A", surname = "F", given_name = "I"}\n',
        '[files.persons] needs path = "FILE"',
    ),
    ('[files.persons]\ncolumns = {account = "A", surname = "F", given_name = "I"}\n', "needs path"),
    ('[files.persons]\npath = ""\ncolumns = {account = "A", surname = "F", given_name = "I"}\n', "needs path"),
    ('[files.persons]\npath = "p.csv"\nencoding = "klingon"\n', "encoding = 'klingon' is not allowed"),
    ('[files.persons]\npath = "p.csv"\nencoding = 5\n', "encoding = 5 is not allowed"),
    ('[files.persons]\npath = "p.csv"\nencoding = "base64"\n', "encoding = 'base64' is not allowed"),
    ('[files.persons]\npath = "p.csv"\nencoding = "rot13"\n', "encoding = 'rot13' is not allowed"),
    ('[files.persons]\npath = "p.csv"\nencoding = ""\n', "encoding = '' is not allowed"),
    ('[files.persons]\npath = "p.csv"\ndelimiter = ";;"\n', "delimiter = ';;' is not allowed"),
    ('[files.persons]\npath = "p.csv"\ndelimiter = ""\n', "delimiter = '' is not allowed"),
    ('[files.persons]\npath = "p.csv"\ndelimiter = 5\n', "delimiter = 5 is not allowed"),
    ('[files.persons]\npath = "p.csv"\ndelimiter = \'"\'\n', "delimiter = '\"' is not allowed"),
    ('[files.persons]\npath = "p.csv"\ndelimiter = "\\n"\n', "delimiter = '\\n' is not allowed"),
    ('[files.persons]\npath = "p.xlsx"\nsheet = 5\n', "sheet = 5 is not allowed"),
    ('[files.persons]\npath = "p.xlsx"\nsheet = ""\n', "sheet = '' is not allowed"),
    ('[files.persons]\npath = "p.csv"\noptional = "yes"\n', "optional = 'yes' is not allowed"),
    ('[files.persons]\npth = "p.csv"\n', "unknown 'pth' (did you mean 'path'?)"),
    ('[files.persons]\npath = "p.csv"\ncolumns = 5\n', ".columns must be a table"),
    ('[files.persons]\npath = "p.csv"\ncolumns = {account = 5}\n', ".columns must be a table"),
    ('[files.persons]\npath = "p.csv"\ncolumns = {account = ""}\n', ".columns must be a table"),
    ('[files.accountz]\npath = "a.csv"\n', "unknown 'accountz' (did you mean 'accounts'?)"),
    ('[files.persons]\npath = "p.csv"\ncolumns = {acount = "A"}\n', "unknown 'acount'"),
    ('[files.persons]\npath = "p.csv"\ncolumns = {account = "A"}\n', "lacks required fields: surname"),
    (PERSONS + "header_line = 0\n", "header_line = 0 is not a line number"),
    (
        PERSONS + "convert = {account = {scale = -1}}\n",
        "account.scale = -1 is not a positive number",
    ),
    (
        PERSONS + 'convert = {account = {format = "dd.mm"}}\n',
        "account.format: account is not a date",
    ),
    (
        PERSONS + "convert = {account = {values = 5}}\n",
        "values must be a table",
    ),
    ("title = 1\n", "no [files.<entity>] tables"),
    ("files = 5\n", "no [files.<entity>] tables"),
    ("[files\n", "cannot read the mapping"),
]
MAPPING_COMMANDS = [["import", "check", "x"], ["import", "load", "x"], ["import", "scan", "x"]]

KEYS: list[tuple[str, bytes]] = [
    ("short", b"abc"),
    ("not-hex", b"zz" * 32),
    ("binary", bytes(range(256))),
    ("empty", b""),
    ("too-long", b"ab" * 33),
]


def _cases() -> list[Any]:
    cases: list[Any] = [pytest.param(a, e, f, files, id=i) for i, a, e, f, files in _names()]
    cases += [pytest.param(a, e, f, {}, id=f"option{i}-{'-'.join(a[:2])}") for i, (a, e, f) in enumerate(OPTIONS)]
    for i, (text, fragment) in enumerate(PROFILE_FIELDS):
        for command in PROFILE_COMMANDS:
            files = {"compose/p/client.toml": text}
            cases.append(pytest.param(command, 2, fragment, files, id=f"profile{i}-{command[0]}"))
    for i, (text, fragment) in enumerate(IMPORT_SOURCES):
        files = {"compose/p/client.toml": f"[postgres]\nport = {DEMO_PORT}\n{text}"}
        cases.append(pytest.param(["up", "p"], 2, fragment, files, id=f"import-source{i}"))
    for i, (text, fragment) in enumerate(MAPPINGS):
        for command in MAPPING_COMMANDS:
            args = [*command, "export", "--mapping", "m.toml"]
            cases.append(pytest.param(args, 2, fragment, {"m.toml": text}, id=f"mapping{i}-{command[1]}"))
    importing = f'[postgres]\nport = {DEMO_PORT}\n[seed]\nmode = "import"\nexport = "../../export"\n'
    for name, key in KEYS:
        files = {"compose/x/secrets/anonymization.key": key}
        cases.append(pytest.param(["import", "load", "x", "export"], 2, "not an anonymization key", files, id=name))
        files = {"compose/p/secrets/anonymization.key": key, "compose/p/client.toml": importing}
        cases.append(pytest.param(["up", "p"], 2, "not an anonymization key", files, id=f"up-{name}"))
    cases += [
        pytest.param(["render", "p"], 2, "not UTF-8", {"compose/p/client.toml": "title = 'Я'\n".encode("cp1251")}),
        pytest.param(["render", "p"], 2, "unknown client 'p'", {"compose/p/client.toml/x": ""}, id="profile-dir"),
        pytest.param(["seed", "--dsn", "postgresql://u:s3cret@h/db?bad=1"], 2, "--dsn: not a valid", {}, id="dsn-pw"),
        pytest.param(
            ["switchover", "run", "n", "export"],
            2,
            "adds noise to amounts",
            {"compose/n/client.toml": f"[postgres]\nport = {DEMO_PORT}\n[anonymize]\nnoise = 0.05\n"},
            id="switchover-noise",
        ),
        pytest.param(
            ["switchover", "rehearse", "x", "export", "--accept", "no.txt"],
            2,
            "--accept no.txt: no such file",
            {"compose/x/secrets/anonymization.key": "ab" * 32},
            id="switchover-accept",
        ),
        pytest.param(
            ["import", "check", "x", "export", "--mapping", "m.toml"],
            2,
            "cannot read the mapping",
            {"m.toml": "[files.persons]\npath = 'Я'\n".encode("cp1251")},
        ),
    ]
    return cases


@pytest.fixture(scope="module", autouse=True)
def _one_click_command(one_command_tree: None) -> None:
    """Some 900 calls share one command tree."""


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def message(result: Result) -> str:
    """The first line of what a person reads: ours (`error: ...`) or Click's usage error, its box removed."""
    lines = [BOX.sub("", line).strip() for line in result.output.splitlines()]
    ours = [line for line in lines if line.startswith("error: ")]
    if ours:
        return ours[0]
    return next((line for line in lines if line and line != "Error" and not line.startswith(("Usage:", "Try "))), "")


def _labelled_containers(root: Path) -> list[Any]:
    try:
        return engine.find("containers", {engine.LABEL_WORKSPACE: str(root)})
    except Exception:  # no Docker here: then nothing can have been started either
        return []


@pytest.mark.parametrize(("args", "code", "fragment", "files"), _cases())
def test_bad_input_is_refused_cleanly(
    workspace: Workspace, args: list[str], code: int, fragment: str, files: dict[str, str | bytes]
) -> None:
    for relative, content in {**BASE, **files}.items():
        path = workspace.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    before = _tree(workspace.root)
    result = runner.invoke(app, args)
    assert "Traceback" not in result.output
    assert "s3cret" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == code, result.output
    assert fragment in message(result), result.output
    assert _tree(workspace.root) == before, "something was left behind"
    assert _labelled_containers(workspace.root) == []


def test_there_are_at_least_300_cases() -> None:
    assert len(_cases()) >= 300


@pytest.mark.docker
def test_status_of_a_client_never_started_writes_nothing(workspace: Workspace) -> None:
    result = runner.invoke(app, ["status", "demo", "--json"])
    assert result.exit_code == 0, result.output
    assert not workspace.compose_root.exists()


@pytest.mark.parametrize(
    "postgres",
    [
        {"host": "127.0.0.1"},
        {"host": "0.0.0.0"},
        {"host": "::1"},
        {"host": "::"},
        {"memory_limit": "256m"},
        {"memory_limit": "2.5G"},
        *({"locale": locale} for locale in ("ru_RU.UTF-8", "en_US.UTF-8", "C", "C.UTF-8", "POSIX")),
        {"user": "postgres"},
    ],
)
def test_what_the_rules_allow_still_loads(postgres: dict[str, str]) -> None:
    from provision.clients.profile import parse_profile

    profile = parse_profile("x", {"postgres": postgres}, None)
    assert all(getattr(profile, key) == value for key, value in postgres.items())


def test_an_address_of_this_machine_is_allowed() -> None:
    import socket

    from provision.clients.profile import parse_profile

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 9))  # UDP: nothing is sent, the kernel only picks an interface
        except OSError:
            pytest.skip("no network interface besides the loopback")
        own = probe.getsockname()[0]
    assert parse_profile("x", {"postgres": {"host": own}}, None).host == own


def test_a_wrong_registry_mirror_in_the_environment_is_refused_before_docker(workspace: Workspace) -> None:
    workspace.profile_path("x").parent.mkdir(parents=True)
    workspace.profile_path("x").write_text(BASE["compose/x/client.toml"], encoding="utf-8")  # type: ignore[arg-type]
    before = _tree(workspace.root)
    result = runner.invoke(app, ["up", "x"], env={"PROVISION_REGISTRY_MIRROR": "http://mirror with space"})
    assert result.exit_code == 2, result.output
    assert message(result) == "error: PROVISION_REGISTRY_MIRROR='http://mirror with space' is not allowed"
    assert _tree(workspace.root) == before
