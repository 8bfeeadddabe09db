"""Bad files, as a hostile user leaves them, under every command that reads them: a profile's fields, the
export and mapping a profile names, a mapping, an anonymization key, a file in the wrong encoding. Each is
refused as in tests/test_bad_input.py: exit 2, one clear first line, no traceback, nothing left behind.

No case here starts anything: every one is refused before Docker or PostgreSQL is asked to act."""

from __future__ import annotations

from typing import Any

import pytest

from provision.cli import app
from provision.clients.workspace import Workspace
from tests.bad_input import BASE, DEMO_PORT, message, refused_cleanly, runner, tree_of

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
    ("[training]\nseats = 201\n", "training.seats = 201 is not allowed"),
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
    ("title = 1\n", "[title]: unknown 'title'"),  # a table or key outside [files] is named, not ignored
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
    cases: list[Any] = []
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


@pytest.mark.parametrize(("args", "code", "fragment", "files"), _cases())
def test_bad_input_is_refused_cleanly(
    workspace: Workspace, args: list[str], code: int, fragment: str, files: dict[str, str | bytes]
) -> None:
    refused_cleanly(workspace, args, code, fragment, files)


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
    workspace.files("x").profile.parent.mkdir(parents=True)
    workspace.files("x").profile.write_text(BASE["compose/x/client.toml"], encoding="utf-8")  # type: ignore[arg-type]
    before = tree_of(workspace.root)
    result = runner.invoke(app, ["up", "x"], env={"PROVISION_REGISTRY_MIRROR": "http://mirror with space"})
    assert result.exit_code == 2, result.output
    assert message(result) == "error: PROVISION_REGISTRY_MIRROR='http://mirror with space' is not allowed"
    assert tree_of(workspace.root) == before
