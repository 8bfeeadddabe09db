"""Bad input, as a hostile user types it, over every command: each is refused with exit 2 (or the environment's
3 where the input is right and the machine is not), one clear first line, no traceback, and nothing left
behind: no new file or folder in the workspace, no lock file, no container labelled with it.

No case here starts anything: every one is refused before Docker or PostgreSQL is asked to act."""

from __future__ import annotations

from typing import Any

import pytest

from provision.cli import app
from provision.clients.workspace import Workspace
from tests.bad_input import refused_cleanly, runner

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


def _cases() -> list[Any]:
    cases: list[Any] = [pytest.param(a, e, f, files, id=i) for i, a, e, f, files in _names()]
    cases += [pytest.param(a, e, f, {}, id=f"option{i}-{'-'.join(a[:2])}") for i, (a, e, f) in enumerate(OPTIONS)]
    cases.append(
        pytest.param(["seed", "--dsn", "postgresql://u:s3cret@h/db?bad=1"], 2, "--dsn: not a valid", {}, id="dsn-pw")
    )
    return cases


@pytest.fixture(scope="module", autouse=True)
def _one_click_command(one_command_tree: None) -> None:
    """Some 900 calls share one command tree."""


@pytest.mark.parametrize(("args", "code", "fragment", "files"), _cases())
def test_bad_input_is_refused_cleanly(
    workspace: Workspace, args: list[str], code: int, fragment: str, files: dict[str, str | bytes]
) -> None:
    refused_cleanly(workspace, args, code, fragment, files)


def test_there_are_at_least_300_cases() -> None:
    assert len(_cases()) >= 300


@pytest.mark.docker
def test_status_of_a_client_never_started_writes_nothing(workspace: Workspace) -> None:
    result = runner.invoke(app, ["status", "demo", "--json"])
    assert result.exit_code == 0, result.output
    assert not workspace.compose_root.exists()
