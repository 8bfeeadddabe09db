"""The `provision` command line: parse, call one library function, print.

A command's name is its module (Django's `management/commands/<name>.py`): `provision reset` is
`provision/cli/reset.py`, the `snapshot` group with its subcommands is `provision/cli/snapshot.py`; `import`,
a Python keyword, is `import_.py`. Each module holds a typer `app` with its command (or the group's commands),
imported only when that command runs, so a command pays for what it uses and nothing else.

| command | module | what it does |
|---|---|---|
| `init` | `init` | a commented profile for a new client |
| `render` | `render` | the compose file from the profile |
| `up` | `up` | start, seed or import, baseline, seats |
| `status` | `status` | one client's state (or every client's) |
| `list` | `list` | every client of the workspace and of Docker |
| `logs` | `logs` | the container's logs |
| `psql` | `psql` | psql inside the container |
| `down` | `down` | stop, the data kept |
| `destroy` | `destroy` | containers, network and data removed |
| `seed` | `seed` | synthetic books |
| `check` | `check` | the books' invariants |
| `stats` | `stats` | a trainer's summary of the books |
| `reset` | `reset` | the working database, a seat or all back to the baseline |
| `seats` | `seats` | the trainees' seats |
| `console` | `console` | the trainer's console in the browser |
| `hosts` | `hosts` | the workspace's Docker hosts |
| `tunnel` | `tunnel` | a local port to a database on an SSH host |
| `snapshot save/list/restore/delete` | `snapshot` | named states of the databases |
| `lesson list/start/status/stop/report` | `lesson` | tasks checked on each seat, the class's progress |
| `import template/sample/check/load/scan` | `import_` | the customer's own data |
| `image build/status/save/load` | `image` | PostgreSQL images from Debian's packages |
| `registry formats/sample/load/suspense/assign/debts` | `registry` | payment agents' registries |
| `switchover rehearse/run/status` | `switchover` | the month-end switch-over |

Besides them: `root` (the root command: global options, the commands found by name, a
:class:`~provision.errors.ProvisionError` made a message and an exit code), `options` (what the commands
share: the workspace, argument types, `lazy`) and `output` (how they print).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from provision.cli.root import app as app


def main() -> None:
    if sys.argv[1:] == ["--version"]:  # the version alone needs neither typer nor any command
        from provision import __version__

        sys.stdout.write(f"provision {__version__}\n")
        return
    from provision.cli.root import app

    app()


def __getattr__(name: str) -> Any:
    """`provision.cli.app`, the root command, built when first asked for (not by `provision --version`)."""
    if name == "app":
        from provision.cli.root import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["app", "main"]
