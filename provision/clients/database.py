"""A client's PostgreSQL as the layers above use it: its DSN, and the one place where what the libraries
raise (psycopg, ``seed.errors``) becomes an error a person can act on (:mod:`provision.errors`)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import psycopg

from provision.clients.render import ClientEnv, client_env
from provision.clients.secrets import read_password
from provision.clients.workspace import Workspace
from provision.errors import EnvironmentProblem, InputError, OperationFailed
from provision.inputs import check_dsn
from seed.errors import (
    ImportRefused,
    LegacyFormatError,
    MappingError,
    NoData,
    OutputError,
    ReconciliationFailed,
    RegistryError,
    SeedBusy,
    SwitchoverRefused,
    WorkerFailed,
)

UNCHANGED = "; the current data is unchanged"


def hide_password(dsn: str) -> str:
    return re.sub(r"(://[^:/@]+:)[^@]+@", r"\1***@", re.sub(r"password=\S+", "password=***", dsn))


def _reason(exc: Exception, line: int = 0) -> str:
    text = str(exc).strip()
    return hide_password(text.splitlines()[line]) if text else type(exc).__name__


def running_dsn(env: ClientEnv) -> str:
    """The DSN (with the password) of a client's database, which must be running."""
    from provision.clients.lifecycle import db_container  # Docker's client only here: a reset does not import it

    container = db_container(env)
    if container is None or container.status != "running":
        raise EnvironmentProblem(f"the database of {env.client!r} is not running", fix=f"`provision up {env.client}`")
    return env.dsn(read_password(env.files.password))


def target(workspace: Workspace, client: str | None, dsn: str | None) -> tuple[ClientEnv | None, str]:
    """A running client (its settings and DSN) or the DSN given; exactly one of them."""
    if (client is None) == (dsn is None):
        raise InputError(
            "name a client or give --dsn, not both and not neither",
            fix="e.g. `provision seed demo` or `provision seed --dsn postgresql://user@host/db`",
        )
    if dsn is not None:
        return None, check_dsn(dsn)
    assert client is not None
    env = client_env(workspace, client)
    return env, running_dsn(env)


def resolve_dsn(workspace: Workspace, client: str | None, dsn: str | None) -> str:
    """The DSN of a running client's database, or the one given; exactly one of them."""
    return target(workspace, client, dsn)[1]


@contextlib.contextmanager
def user_errors(dsn: str = "", *, loading: bool = False) -> Iterator[None]:
    """Turn the libraries' expected failures into provision's errors, with the fix.

    ``loading``: the code inside replaces a client's books (an import), so every failure says the data
    is unchanged, and any PostgreSQL error is a failed load rather than an unreachable server."""
    nothing = "; nothing was loaded" + UNCHANGED if loading else ""
    try:
        yield
    except LegacyFormatError as exc:
        raise InputError(f"{exc}{nothing}", fix="re-export the file, or fix it at the line named") from None
    except MappingError as exc:
        raise InputError(f"{exc}{nothing}", fix="correct the mapping (see docs/export-layout.md)") from None
    except RegistryError as exc:
        fix = exc.fix or "see docs/registries.md"
        raise InputError(f"{exc}; nothing was loaded" if loading else str(exc), fix=fix) from None
    except NoData as exc:
        raise InputError(str(exc), fix="`provision seed CLIENT` or `provision seed --dsn DSN`") from None
    except OutputError as exc:  # -o, --html: a full disk, a device that refuses
        raise EnvironmentProblem(str(exc), fix="free some space there, or write to another file") from None
    except SeedBusy as exc:
        raise EnvironmentProblem(str(exc)) from None
    except ImportRefused as exc:
        raise OperationFailed(f"import refused: {exc}{UNCHANGED}") from None
    except SwitchoverRefused as exc:
        raise InputError(f"{exc}{UNCHANGED}", fix="give the final export of the month the books have open") from None
    except ReconciliationFailed as exc:
        raise OperationFailed(f"the new books do not reconcile: {exc}{UNCHANGED}") from None
    except WorkerFailed as exc:
        raise OperationFailed(f"the load failed: {hide_password(str(exc))}{UNCHANGED}") from None
    except psycopg.Error as exc:
        if loading:
            raise OperationFailed(f"the load failed in PostgreSQL: {_reason(exc)}{UNCHANGED}") from None
        if not isinstance(exc, psycopg.OperationalError):
            raise
        raise EnvironmentProblem(
            f"cannot use the database {hide_password(dsn)}: {_reason(exc)}",
            fix="check that it runs and the DSN is right",
        ) from None


def connect_server(env: ClientEnv, dsn: str, application_name: str = "provision") -> psycopg.Connection:
    """An autocommit connection to a client's server, for the work on whole databases."""
    try:
        return psycopg.connect(dsn, autocommit=True, connect_timeout=10, application_name=application_name)
    except psycopg.OperationalError as exc:
        raise EnvironmentProblem(
            f"cannot reach the database server of {env.client!r}: {_reason(exc, -1)}",
            fix=f"`provision up {env.client}`",
        ) from None
