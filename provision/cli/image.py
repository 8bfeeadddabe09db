"""The `image` group: PostgreSQL images built from Debian's packages, their status, save and load."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli.options import JsonFlag, lazy
from provision.cli.output import err, print_json, size, table
from provision.docker.suites import DEFAULT_MAJOR, SUITES, supported_text
from provision.errors import InputError
from provision.inputs import check_image_ref, check_mirror, check_output_file

if TYPE_CHECKING:
    from provision.docker import imagebuild, images
else:
    imagebuild, images = lazy("provision.docker.imagebuild"), lazy("provision.docker.images")

app = typer.Typer(
    help="PostgreSQL images: build from Debian's packages, status, save and load.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command("build")
def image_build(
    major: Annotated[int, typer.Option(help=f"PostgreSQL major version: {supported_text()}.")] = DEFAULT_MAJOR,
    mirror: Annotated[
        str | None,
        typer.Option(help="Debian mirror URL (default: this machine's apt sources).", envvar="PROVISION_DEBIAN_MIRROR"),
    ] = None,
    tag: Annotated[str | None, typer.Option(help="Image tag (default provision/postgres:MAJOR).")] = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Rebuild the cached root filesystem too (for security updates).")
    ] = False,
) -> None:
    """Build a PostgreSQL image from Debian's packages, FROM scratch, with no registry."""
    imagebuild.suite_for(major)
    check_mirror(mirror)
    if tag is not None:
        check_image_ref(tag, "--tag")
    result = imagebuild.build_image(major, mirror=mirror, tag=tag, refresh=refresh, progress=err)
    rootfs = "cached" if result.rootfs_cached else f"{result.rootfs_seconds:.0f} s"
    typer.echo(
        f"built {result.tag} ({size(result.size_bytes)}): root filesystem {rootfs}, image {result.docker_seconds:.0f} s"
    )


@app.command("status")
def image_status(as_json: JsonFlag = False) -> None:
    """Which PostgreSQL images are present, and the cached root filesystems."""
    info = images.status([f"postgres:{DEFAULT_MAJOR}", *(imagebuild.built_tag(major) for major in SUITES)])
    if as_json:
        print_json(info.to_dict(), ascii_only=True)
        return
    rows = [
        {
            **vars(image),
            "present_text": "present" if image.present else "absent",
            "size": size(image.size_bytes) if image.present else "",
            "origin": "built from Debian packages" if image.built_by_provision else "",
        }
        for image in info.images
    ]
    table(
        rows,
        [
            ("tag", "IMAGE"),
            ("present_text", "STATE"),
            ("image_id", "ID"),
            ("size", "SIZE"),
            ("created", "CREATED"),
            ("origin", "ORIGIN"),
        ],
    )
    for path, size_bytes in info.rootfs_cache:
        typer.echo(f"cached root filesystem: {path} ({size(size_bytes)})")


@app.command("save")
def image_save(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write (.tar, or .tar.gz to compress).")],
    image: Annotated[
        list[str] | None,
        typer.Argument(help="Images to save (default: every provision/postgres:N built here).", show_default=False),
    ] = None,
    major: Annotated[
        list[int] | None,
        typer.Option(help="Save provision/postgres:MAJOR (repeatable), instead of naming images.", show_default=False),
    ] = None,
) -> None:
    """Write images to one file, to carry to a site with no registry; `image load` restores every one."""
    refs = [check_image_ref(ref, "IMAGE") for ref in image or []]
    for number in major or []:
        imagebuild.suite_for(number)
        refs.append(imagebuild.built_tag(number))
    check_output_file(output, "--output")
    if not refs:
        refs = images.built_present()
        if not refs:
            raise InputError(
                "no image built by provision is here to save",
                fix="build one first: `provision image build --major N`, or name an image to save",
            )
    refs = list(dict.fromkeys(refs))
    written = images.save(refs, output, progress=err)
    typer.echo(f"saved {', '.join(refs)} to {output} ({size(written)}); there: provision image load {output.name}")


@app.command("load")
def image_load(source: Annotated[Path, typer.Argument(help="File made by `provision image save`.")]) -> None:
    """Load images from a file made by `provision image save`."""
    tags = images.load(source, progress=err)
    typer.echo("loaded " + (", ".join(tags) if tags else "an untagged image"))
