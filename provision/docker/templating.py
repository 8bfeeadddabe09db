"""Jinja2 templates from ``templates/``, rendered strictly: a missing value fails, never renders blank."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provision import __version__


def templates_dir() -> Path:
    """``templates/`` of a source checkout, or the copy a wheel carries inside the package."""
    package = Path(__file__).resolve().parent.parent  # provision/
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / "compose.yaml.j2").is_file():
            return candidate
    raise FileNotFoundError("provision's templates are missing; reinstall the package")


if TYPE_CHECKING:
    import jinja2


@functools.cache
def environment() -> jinja2.Environment:
    import jinja2  # here, not at the top: a command that renders nothing (a reset) does not load it

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    # JSON strings are valid YAML and TOML basic strings: quoting done once, correctly.
    env.filters["q"] = lambda value: json.dumps(str(value), ensure_ascii=False)
    return env


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(version=__version__, **context)
