"""Client profiles: TOML files that say how one customer's environment looks.

A profile is validated field by field; a mistake is refused with the file, the
field and what is allowed, before anything touches Docker.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import re
import socket
import tomllib
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provision.clients.workspace import Workspace, validate_client_name
from provision.docker.hosts import DockerHost, DockerSettings, parse_docker
from provision.docker.suites import DEFAULT_MAJOR, MAJORS
from provision.errors import ProfileError, unknown_field
from seed.errors import UnreadableFile
from seed.infile import read_small

IDENT_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
MEMORY_RE = re.compile(r"^([0-9]+(\.[0-9]+)?)([kmg])$", re.IGNORECASE)
MEMORY_UNITS = {"k": 1024, "m": 1024**2, "g": 1024**3}
MIN_MEMORY = 256 * 1024**2  # PostgreSQL's shared memory and a seed's work below this fail or crawl
# The locales of provision's image (templates/image: Debian's ru_RU.UTF-8 and en_US.UTF-8) and glibc's own.
LOCALES = ("ru_RU.UTF-8", "en_US.UTF-8", "C", "C.UTF-8", "POSIX")
TITLE_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")
MIRROR_RE = re.compile(r"^$|^[\w.-]+(:\d+)?(/[\w./-]*)?$")
MIRROR_ALLOWED = "'' or a registry host[:port][/path]"
IMAGE_RE = re.compile(r"^[\w./:@-]+$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SERVICE_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")
PORT_MAPPING_RE = re.compile(r"^((\d{1,3}(\.\d{1,3}){3}):)?(\d{1,5}):(\d{1,5})(/(tcp|udp))?$")
SEED_MODES = ("none", "synthetic", "import")
STORAGES = ("auto", "copy", "clone")
CLONE_MAJOR = 18  # PostgreSQL's file_copy_method = clone came in 18
SIZE_RE = re.compile(r"^([0-9]+)([gt])$", re.IGNORECASE)
# A seed's size when nothing says otherwise: a profile without [seed], and `provision seed --dsn`.
SEED_ACCOUNTS, SEED_MONTHS, SEED_RANDOM_SEED = 3000, 12, 1
# What a seed may ask for (`provision seed` options and the [seed] table; 0 accounts there: seed nothing).
SEED_RANGES = {"accounts": (1, 5_000_000), "months": (1, 120), "random_seed": (0, 2**31 - 1)}


@dataclass(frozen=True)
class ExtraService:
    """A container rendered beside the database (the application server, an admin UI)."""

    name: str
    image: str
    ports: tuple[str, ...] = ()
    environment: dict[str, str] = field(default_factory=dict)
    command: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    client: str
    title: str
    source: Path | None
    image: str = f"postgres:{DEFAULT_MAJOR}"
    major: int = DEFAULT_MAJOR
    registry_mirror: str = ""
    user: str = "odno_okno"
    database: str = "odno_okno"
    host: str = "127.0.0.1"
    port: int | None = None  # None: "auto", picked once and kept in state.json
    memory_limit: str = "1g"
    locale: str = "ru_RU.UTF-8"
    timezone: str = "Europe/Moscow"
    start_timeout: int = 120
    storage: str = (
        "auto"  # copy, clone, or auto (clone when the major and the machine allow): provision.clients.storage
    )
    data_dir: str = ""  # a folder for the data instead of a Docker volume (relative to the profile's folder)
    data_size: str = ""  # the size of the XFS file of a clone storage provision makes ("": 64g or less)
    seed_mode: str = "synthetic"
    seed_accounts: int = SEED_ACCOUNTS
    seed_months: int = SEED_MONTHS
    seed_random_seed: int = SEED_RANDOM_SEED
    seed_export: str = ""  # mode "import": the export folder (relative to the profile's folder)
    seed_mapping: str = ""  # mode "import": its mapping file, if it is not in the standard layout
    seats: int = 0
    services: tuple[ExtraService, ...] = ()
    anonymize: tuple[tuple[str, str], ...] = ()  # [anonymize] rule = treatment, overriding the safe defaults
    noise: float = 0.0  # [anonymize] noise: amounts and readings scaled by up to this fraction, per account/meter
    docker: DockerSettings = DockerSettings()  # [docker]: the engine the client runs on (provision.docker.hosts)

    def seed_path(self, value: str) -> Path | None:
        """A path of the [seed] table, relative to the profile's own folder."""
        if not value:
            return None
        path = Path(value).expanduser()
        return path if path.is_absolute() or self.source is None else self.source.parent / path

    @property
    def where(self) -> str:
        if self.source:
            return str(self.source)
        return f"the built-in profile {self.client!r} (`provision init {self.client}` writes it out to edit)"


# -- validation helpers ---------------------------------------------------------------------------
Check = Callable[[Any], Any]


def _fail(where: str, key: str, value: Any, allowed: str) -> ProfileError:
    return ProfileError(f"{where}: field {key} = {value!r} is not allowed", fix=f"allowed: {allowed}")


def _string(pattern: re.Pattern[str] | None = None, allowed: str = "a string") -> Check:
    def check(value: Any) -> Any:
        if not isinstance(value, str) or (pattern is not None and not pattern.match(value)):
            raise ValueError(allowed)
        return value

    return check


def _integer(low: int, high: int) -> Check:
    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"a whole number from {low} to {high}")
        return value

    return check


MAX_SEATS = 200  # a class of up to a hundred and more; each seat's names fit PostgreSQL's 63 bytes

HOSTS_ALLOWED = (
    "an IP address of this machine to bind to: 127.0.0.1 or ::1 (this machine only), 0.0.0.0 or :: "
    "(every network: an explicit choice), or the address of one of this machine's interfaces"
)


def is_address_of_this_machine(address: str) -> bool:
    """Whether a socket can bind to the address here (a loopback, a wildcard, or an interface's address)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.bind((address, 0))
    except OSError as exc:
        return exc.errno not in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT, errno.EINVAL)
    return True


def _host(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError(HOSTS_ALLOWED)
    try:
        address = ipaddress.ip_address(value)
    except (ValueError, TypeError):
        raise ValueError(HOSTS_ALLOWED) from None
    if address.is_multicast or (address.version == 4 and str(address) == "255.255.255.255"):
        raise ValueError(HOSTS_ALLOWED)
    return str(address)


def machine_memory() -> int:
    """This machine's memory in bytes (a container cannot be given more)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError):  # pragma: no cover - every Linux has both
        return 1024**4


def memory_bytes(size: str) -> int:
    match = MEMORY_RE.match(size)
    if not match:
        raise ValueError(size)
    return int(float(match.group(1)) * MEMORY_UNITS[match.group(3).lower()])


def _memory(value: Any) -> Any:
    top = machine_memory()
    allowed = f"a size from 256m to {top / 1024**3:.1f}g (this machine's memory), such as 512m, 1g or 2.5g"
    if not isinstance(value, str) or not MEMORY_RE.match(value) or not MIN_MEMORY <= memory_bytes(value) <= top:
        raise ValueError(allowed)
    return value


def data_size_bytes(size: str) -> int:
    match = SIZE_RE.match(size)
    if not match:
        raise ValueError(size)
    return int(match.group(1)) * (1024**4 if match.group(2).lower() == "t" else 1024**3)


def _data_size(value: Any) -> Any:
    allowed = "a size from 2g to 64t, such as 64g or 1t (a sparse file: it takes only what is written)"
    if (
        not isinstance(value, str)
        or not SIZE_RE.match(value)
        or not 2 * 1024**3 <= data_size_bytes(value) <= 64 * 1024**4
    ):
        raise ValueError(allowed)
    return value.lower()


def _user(value: Any) -> Any:
    allowed = "a lowercase SQL name: letters, digits, '_', not starting with pg_ (PostgreSQL reserves those)"
    if not isinstance(value, str) or not IDENT_RE.match(value) or value.startswith("pg_"):
        raise ValueError(allowed)
    return value


def _database(value: Any) -> Any:
    allowed = "a lowercase SQL name: letters, digits, '_', not postgres, template0, template1 or pg_..."
    if not isinstance(value, str) or not IDENT_RE.match(value) or value.startswith("pg_"):
        raise ValueError(allowed)
    if value in ("postgres", "template0", "template1"):
        raise ValueError(allowed)
    return value


def _port(value: Any) -> Any:
    if value == "auto":
        return None
    return _integer(1024, 65535)(value)


def _timezone(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("an IANA time zone such as Europe/Moscow or Asia/Yekaterinburg")
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError("an IANA time zone such as Europe/Moscow or Asia/Yekaterinburg") from None
    return value


def _choice(options: tuple[str, ...]) -> Check:
    def check(value: Any) -> Any:
        if value not in options:
            raise ValueError(" or ".join(repr(o) for o in options))
        return value

    return check


# section -> field -> (Profile attribute, check)
SCHEMA: dict[str, dict[str, tuple[str, Check]]] = {
    "": {"title": ("title", _string(TITLE_RE, "a title of 1-200 characters on one line, no control characters"))},
    "postgres": {
        "image": ("image", _string(IMAGE_RE, "an image reference such as postgres:15")),
        "major": ("major", _integer(MAJORS.start, MAJORS.stop - 1)),
        "registry_mirror": ("registry_mirror", _string(MIRROR_RE, MIRROR_ALLOWED)),
        "user": ("user", _user),
        "database": ("database", _database),
        "host": ("host", _host),
        "port": ("port", _port),
        "memory_limit": ("memory_limit", _memory),
        "locale": ("locale", _choice(LOCALES)),
        "timezone": ("timezone", _timezone),
        "start_timeout": ("start_timeout", _integer(5, 3600)),
        "storage": ("storage", _choice(STORAGES)),
        "data_dir": (
            "data_dir",
            _string(re.compile(r"^[^\x00]{1,1000}$"), "the path of a folder (on XFS or Btrfs for clone)"),
        ),
        "data_size": ("data_size", _data_size),
    },
    "seed": {
        "mode": ("seed_mode", _choice(SEED_MODES)),
        "accounts": ("seed_accounts", _integer(0, SEED_RANGES["accounts"][1])),
        "months": ("seed_months", _integer(*SEED_RANGES["months"])),
        "random_seed": ("seed_random_seed", _integer(*SEED_RANGES["random_seed"])),
        "export": ("seed_export", _string(re.compile(r"^.{1,1000}$"), "the path of the export folder")),
        "mapping": ("seed_mapping", _string(re.compile(r"^.{0,1000}$"), "the path of a mapping file (TOML)")),
    },
    "training": {
        "seats": ("seats", _integer(0, MAX_SEATS)),
    },
}
SERVICE_FIELDS = ("image", "ports", "environment", "command")


def _port_mapping(text: Any) -> bool:
    """ "[IP:]HOST:CONTAINER[/proto]" with a real address, a host port a user may bind and a container port."""
    match = PORT_MAPPING_RE.match(text) if isinstance(text, str) else None
    if match is None:
        return False
    if match.group(2) is not None:
        try:
            ipaddress.ip_address(match.group(2))
        except ValueError:
            return False
    return 1024 <= int(match.group(4)) <= 65535 and 1 <= int(match.group(5)) <= 65535


def _parse_services(where: str, raw: Any) -> tuple[ExtraService, ...]:
    if not isinstance(raw, dict):
        raise _fail(where, "services", raw, "tables such as [services.app]")
    result = []
    for name, spec in raw.items():
        key = f"services.{name}"
        if not SERVICE_NAME_RE.match(name) or name == "db":
            raise _fail(where, key, name, "a service name of lowercase letters, digits, '-', '_', not 'db'")
        if not isinstance(spec, dict):
            raise _fail(where, key, spec, f"a table with {', '.join(SERVICE_FIELDS)}")
        for sub in spec:
            if sub not in SERVICE_FIELDS:
                raise unknown_field(where, f"{key}.{sub}", list(SERVICE_FIELDS))
        image = spec.get("image")
        if not isinstance(image, str) or not IMAGE_RE.match(image):
            raise _fail(where, f"{key}.image", image, "an image reference such as vendor/app:3.2 (required)")
        ports = spec.get("ports", [])
        if not isinstance(ports, list) or not all(_port_mapping(p) for p in ports):
            raise _fail(where, f"{key}.ports", ports, 'a list like ["127.0.0.1:8080:8080"] (host ports 1024-65535)')
        env = spec.get("environment", {})
        if not isinstance(env, dict) or not all(
            ENV_NAME_RE.match(k) and isinstance(v, str | int | float | bool) for k, v in env.items()
        ):
            raise _fail(where, f"{key}.environment", env, 'a table of NAME = "value" (NAME: letters, digits, _)')
        command = spec.get("command", [])
        if isinstance(command, str):
            command = command.split()
        if not isinstance(command, list) or not all(isinstance(c, str) for c in command):
            raise _fail(where, f"{key}.command", command, "a list of strings")
        result.append(
            ExtraService(
                name=name,
                image=image,
                ports=tuple(ports),
                environment={k: str(v) for k, v in env.items()},
                command=tuple(command),
            )
        )
    return tuple(result)


def _parse_anonymize(where: str, raw: Any) -> tuple[tuple[tuple[str, str], ...], float]:
    if not isinstance(raw, dict):
        raise _fail(where, "anonymize", raw, 'a table such as [anonymize] birth_date = "drop"')
    from seed.legacy.rules import RULES

    raw = dict(raw)
    noise = raw.pop("noise", 0.0)
    if isinstance(noise, bool) or not isinstance(noise, int | float) or not 0 <= noise <= 0.5:
        raise _fail(where, "anonymize.noise", noise, "a fraction from 0 (off) to 0.5, e.g. 0.05 for up to ±5%")
    for name, value in raw.items():
        if name not in RULES:
            raise unknown_field(where, f"anonymize.{name}", [*RULES, "noise"])
        if value not in RULES[name]:
            raise _fail(where, f"anonymize.{name}", value, " or ".join(repr(o) for o in RULES[name]))
    return tuple(sorted(raw.items())), float(noise)


def parse_profile(client: str, data: dict[str, Any], source: Path | None) -> Profile:
    """Validate a profile's TOML data; raise :class:`ProfileError` naming the field on the first fault."""
    validate_client_name(client)
    where = str(source) if source else f"built-in profile {client!r}"
    values: dict[str, Any] = {"client": client, "source": source, "title": client}
    for key, value in data.items():
        if key == "services":
            values["services"] = _parse_services(where, value)
            continue
        if key == "anonymize":
            values["anonymize"], values["noise"] = _parse_anonymize(where, value)
            continue
        if key == "docker":
            values["docker"] = _docker(parse_docker(where, value), source)
            continue
        if key in SCHEMA and key != "" and isinstance(value, dict):
            section = SCHEMA[key]
            for sub, subvalue in value.items():
                if sub not in section:
                    raise unknown_field(where, f"{key}.{sub}", list(section))
                attr, check = section[sub]
                try:
                    values[attr] = check(subvalue)
                except ValueError as exc:
                    raise _fail(where, f"{key}.{sub}", subvalue, str(exc)) from None
            continue
        if key in SCHEMA[""]:
            attr, check = SCHEMA[""][key]
            try:
                values[attr] = check(value)
            except ValueError as exc:
                raise _fail(where, key, value, str(exc)) from None
            continue
        top = [*SCHEMA[""], "postgres", "seed", "training", "services", "anonymize", "docker"]
        raise unknown_field(where, key, top)
    if "image" not in values and "major" in values:  # the image follows the major unless named
        values["image"] = f"postgres:{values['major']}"
    elif "major" not in values and "image" in values:  # and the major an official image's tag
        tag = str(values["image"]).removeprefix("postgres:").split(".")[0].split("-")[0]
        if str(values["image"]).startswith("postgres:") and tag.isdigit():
            values["major"] = int(tag)
    profile = Profile(**values)
    address = ipaddress.ip_address(profile.host)
    local = not profile.docker.remote
    if local and not (address.is_loopback or address.is_unspecified) and not is_address_of_this_machine(profile.host):
        raise _fail(
            where, "postgres.host", profile.host, f"{HOSTS_ALLOWED}; {profile.host} is not an address of this machine"
        )
    if profile.docker.remote and (profile.storage == "clone" or profile.data_dir):
        raise ProfileError(
            f'{where}: postgres.storage = "clone" and postgres.data_dir are for this machine\'s engine; '
            f"the client runs on {profile.docker.host.name or profile.docker.context}",
            fix="remove them (a remote client keeps its data in a Docker volume there)",
        )
    if profile.storage == "clone" and profile.major < CLONE_MAJOR:
        raise ProfileError(
            f'{where}: postgres.storage = "clone" needs PostgreSQL {CLONE_MAJOR} or later (file_copy_method = clone); '
            f"major is {profile.major}",
            fix=f'set major = {CLONE_MAJOR}, or storage = "copy" (or "auto": clone where it can be had)',
        )
    if profile.image.startswith("postgres:") and profile.image.removeprefix("postgres:").split(".")[0].isdigit():
        tag_major = int(profile.image.removeprefix("postgres:").split(".")[0].split("-")[0])
        if tag_major != profile.major:
            raise ProfileError(
                f"{where}: postgres.image {profile.image!r} does not match postgres.major = {profile.major}",
                fix=f'set major = {tag_major} or image = "postgres:{profile.major}"',
            )
    return profile


def _docker(settings: DockerSettings, source: Path | None) -> DockerSettings:
    """The [docker] table with its identity file's path made absolute (relative to the profile's folder)."""
    key = settings.host.identity
    if not key:
        return settings
    path = Path(key).expanduser()
    if not path.is_absolute() and source is not None:
        path = source.parent / path
    host = DockerHost(settings.host.url, settings.host.socket, str(path))
    return DockerSettings(host, settings.context, settings.engine, settings.node, settings.registry)


def registry_mirror_from_environment() -> str:
    """PROVISION_REGISTRY_MIRROR, held to the rule of the profile's postgres.registry_mirror."""
    value = os.environ.get("PROVISION_REGISTRY_MIRROR", "")
    if not MIRROR_RE.match(value):
        raise ProfileError(f"PROVISION_REGISTRY_MIRROR={value!r} is not allowed", fix=f"allowed: {MIRROR_ALLOWED}")
    return value


def check_seat(profile: Profile, seat: int | None) -> Profile:
    """`--seat K` must name one of the profile's seats: refused before any lock or connection."""
    if seat is not None and not 1 <= seat <= profile.seats:
        have = f"seats are 1..{profile.seats}" if profile.seats else "it has none: set [training] seats = N"
        raise ProfileError(f"--seat {seat}: client {profile.client!r} has no such seat", fix=have)
    return profile


def check_title(title: str) -> str:
    """`provision init --title`: refused before the profile is written, so a retry finds nothing."""
    check = SCHEMA[""]["title"][1]  # the rule a profile's own title follows
    try:
        return str(check(title))
    except ValueError as exc:
        raise ProfileError(f"--title {title!r} is not allowed", fix=f"allowed: {exc}") from None


def builtin_profile(client: str) -> Profile:
    if client == "demo":
        return parse_profile(
            "demo",
            {"title": "Демо: Водоканал г. Краснознаменск (synthetic data)", "seed": {"accounts": 3000}},
            None,
        )
    raise ProfileError(f"no built-in profile {client!r}", fix="create it with `provision init`")


def load_profile(workspace: Workspace, client: str) -> Profile:
    """The client's profile from its file, or the built-in one when there is no file."""
    workspace.require_client(client)
    path = workspace.files(client).profile
    if not os.path.lexists(path):
        return builtin_profile(client)
    try:
        raw = read_small(path).decode("utf-8")
    except UnreadableFile as exc:
        raise ProfileError(f"{path}: {exc.reason}", fix="make it the client's profile, a TOML file") from None
    except UnicodeDecodeError as exc:
        raise ProfileError(
            f"{path}: not UTF-8 (byte {exc.start})", fix="save the profile as UTF-8 (without a BOM)"
        ) from None
    try:
        data = tomllib.loads(raw.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: invalid TOML: {exc}", fix="correct the line named above") from None
    return parse_profile(client, data, path)
