"""The `provision` command line: parse, call one core function, print. Nothing else lives here."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from provision import __version__, imagebuild, images, lifecycle
from provision.errors import EXIT_INPUT, ProvisionError
from provision.workspace import Workspace, resolve_workspace

app = typer.Typer(
    help="Per-client demo and training environments for «Одно Окно» on Docker.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
image_app = typer.Typer(
    help="PostgreSQL images: build from Debian's packages, status, save and load.", no_args_is_help=True
)
app.add_typer(image_app, name="image")

F = TypeVar("F", bound=Callable[..., Any])
_state: dict[str, Workspace] = {}


def _err(line: str) -> None:
    typer.echo(line, err=True)


def reports_errors(func: F) -> F:
    """Turn a ProvisionError into one message with its fix and its exit code; no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ProvisionError as exc:
            _err(f"error: {exc.message}")
            if exc.details:
                _err("\n".join("  | " + line for line in exc.details.splitlines()))
            if exc.fix:
                _err(f"  fix: {exc.fix}")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            _err("interrupted")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def workspace() -> Workspace:
    return _state.get("workspace") or Workspace(resolve_workspace())


def _version(value: bool) -> None:
    if value:
        typer.echo(f"provision {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    workspace_dir: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            envvar="PROVISION_HOME",
            help="Folder holding compose/<client>/ (default: the current folder).",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Per-client demo and training environments for «Одно Окно» on Docker."""
    _state["workspace"] = Workspace(resolve_workspace(workspace_dir))


Client = Annotated[str, typer.Argument(help="Client name, e.g. demo or vodokanal-ensk.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _size(value: int | None) -> str:
    if value is None:
        return "-"
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> None:
    cells = [[h for _, h in columns]] + [
        [str(r.get(k) if r.get(k) not in (None, "") else "-") for k, _ in columns] for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    for row in cells:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@app.command()
@reports_errors
def init(
    client: Client,
    title: Annotated[str | None, typer.Option(help="The customer's name, shown in lists.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing profile.")] = False,
) -> None:
    """Write a commented profile for a new client (compose/<client>/client.toml)."""
    path = lifecycle.init_client(workspace(), client, title=title, force=force)
    typer.echo(f"wrote {path}\nedit it, then: provision up {client}")


@app.command()
@reports_errors
def render(client: Client) -> None:
    """Write compose/<client>/compose.yaml from the profile, without starting anything."""
    typer.echo(str(lifecycle.render_client(workspace(), client)))


@app.command()
@reports_errors
def up(
    client: Client,
    build: Annotated[
        bool,
        typer.Option(
            "--build/--no-build",
            help="Build the PostgreSQL image from Debian's packages if it is absent and cannot be pulled.",
        ),
    ] = False,
    show_password: Annotated[
        bool, typer.Option("--show-password", help="Print the password in the connection string.")
    ] = False,
) -> None:
    """Start the client's database (idempotent) and print how to connect."""
    result = lifecycle.up(workspace(), client, build=build, progress=_err)
    env = result.env
    verb = "is up" if result.changed else "was already up"
    typer.echo(f"{client} {verb} ({result.seconds:.1f} s), image {env.image}")
    typer.echo(f"  connect:  {result.dsn_with_password() if show_password else env.dsn('***')}")
    typer.echo(f"  password: {env.password_file} (or rerun with --show-password)")
    typer.echo(f"  psql:     provision psql {client}")


@app.command()
@reports_errors
def status(
    client: Annotated[str | None, typer.Argument(help="Client name; all clients when left out.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """State, port, image and data size of one client (or all)."""
    rows = [lifecycle.status(workspace(), client)] if client else lifecycle.list_clients(workspace())
    _print_clients(rows, as_json)


@app.command("list")
@reports_errors
def list_(as_json: JsonFlag = False) -> None:
    """Every client of the workspace, and every one Docker knows by label."""
    _print_clients(lifecycle.list_clients(workspace()), as_json)


def _print_clients(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        row["size"] = _size(row["data_bytes"])
        row["where"] = f"{row['host']}:{row['port']}" if row["port"] else ""
        row["state_health"] = row["state"] + (f" ({row['health']})" if row["health"] else "")
    _table(
        rows,
        [
            ("client", "CLIENT"),
            ("state_health", "STATE"),
            ("where", "ADDRESS"),
            ("image", "IMAGE"),
            ("size", "DATA"),
            ("title", "TITLE"),
        ],
    )


@app.command()
@reports_errors
def logs(
    client: Client,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")] = False,
    tail: Annotated[int, typer.Option(help="How many of the last lines to show.")] = 100,
) -> None:
    """The client's container logs."""
    raise typer.Exit(subprocess.call(lifecycle.logs_command(workspace(), client, follow=follow, tail=tail)))


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@reports_errors
def psql(
    client: Client,
    args: Annotated[
        list[str] | None, typer.Argument(help="Extra psql arguments, e.g. -c 'SELECT 1'.")
    ] = None,
) -> None:
    """An interactive psql inside the client's container."""
    argv = lifecycle.psql_command(workspace(), client, list(args or []), tty=sys.stdin.isatty())
    raise typer.Exit(subprocess.call(argv))


@app.command()
@reports_errors
def down(client: Client) -> None:
    """Stop the client's containers; the data stays in its volume."""
    env = lifecycle.down(workspace(), client)
    typer.echo(
        f"{client} is down; data kept in volume {env.project}_pgdata (`provision up {client}` restarts it)"
    )


@app.command()
@reports_errors
def destroy(
    client: Client,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove the client's containers, network and data volume (the profile and password stay)."""
    if not yes:
        if not sys.stdin.isatty():
            _err(f"error: destroying {client!r} deletes its data; pass --yes to confirm")
            raise typer.Exit(EXIT_INPUT)
        typer.confirm(f"Delete every container and the data volume of {client!r}?", abort=True)
    lifecycle.destroy(workspace(), client)
    typer.echo(f"{client} destroyed: containers, network and data volume removed")


# -- images ---------------------------------------------------------------------------------------
@image_app.command("build")
@reports_errors
def image_build(
    major: Annotated[
        int, typer.Option(help="PostgreSQL major version (15: Debian bookworm, 17: trixie).")
    ] = 15,
    mirror: Annotated[
        str | None,
        typer.Option(
            help="Debian mirror URL (default: this machine's apt sources).", envvar="PROVISION_DEBIAN_MIRROR"
        ),
    ] = None,
    tag: Annotated[str | None, typer.Option(help="Image tag (default provision/postgres:MAJOR).")] = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Rebuild the cached root filesystem too (for security updates).")
    ] = False,
) -> None:
    """Build a PostgreSQL image from Debian's packages, FROM scratch, with no registry."""
    result = imagebuild.build_image(major, mirror=mirror, tag=tag, refresh=refresh, progress=_err)
    rootfs = "cached" if result.rootfs_cached else f"{result.rootfs_seconds:.0f} s"
    typer.echo(
        f"built {result.tag} ({_size(result.size_bytes)}): root filesystem {rootfs}, "
        f"image {result.docker_seconds:.0f} s"
    )


@image_app.command("status")
@reports_errors
def image_status(as_json: JsonFlag = False) -> None:
    """Which PostgreSQL images are present, and the cached root filesystems."""
    refs = [f"postgres:{imagebuild.DEFAULT_MAJOR}", imagebuild.built_tag(imagebuild.DEFAULT_MAJOR)]
    info = images.status(refs)
    if as_json:
        typer.echo(json.dumps(info, indent=2))
        return
    for row in info["images"]:
        row["present_text"] = "present" if row["present"] else "absent"
        row["size"] = _size(row["size_bytes"]) if row["present"] else ""
        row["origin"] = "built from Debian packages" if row["built_by_provision"] else ""
    _table(
        info["images"],
        [
            ("tag", "IMAGE"),
            ("present_text", "STATE"),
            ("image_id", "ID"),
            ("size", "SIZE"),
            ("created", "CREATED"),
            ("origin", "ORIGIN"),
        ],
    )
    for cached in info["rootfs_cache"]:
        typer.echo(f"cached root filesystem: {cached['path']} ({_size(cached['size_bytes'])})")


@image_app.command("save")
@reports_errors
def image_save(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="File to write (.tar, or .tar.gz to compress).")
    ],
    image: Annotated[str, typer.Argument(help="Image to save.")] = imagebuild.built_tag(15),
) -> None:
    """Write an image to one file, to carry to a site with no registry."""
    size = images.save(image, output, progress=_err)
    typer.echo(f"saved {image} to {output} ({_size(size)}); there: provision image load {output.name}")


@image_app.command("load")
@reports_errors
def image_load(source: Annotated[Path, typer.Argument(help="File made by `provision image save`.")]) -> None:
    """Load images from a file made by `provision image save`."""
    tags = images.load(source, progress=_err)
    typer.echo("loaded " + (", ".join(tags) if tags else "an untagged image"))


def main() -> None:
    app()
