"""The errors provision reports to a person, each with the fix.

Every expected failure is a :class:`ProvisionError`; the CLI turns it into one
line and an exit code. Which exit code tells a script whose fault it was.
"""

from __future__ import annotations

import difflib

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_INPUT = 2
EXIT_ENVIRONMENT = 3
EXIT_FAILED = 4


class ProvisionError(Exception):
    """Base of every error meant for the user: a message and how to fix it."""

    exit_code = EXIT_UNEXPECTED

    def __init__(self, message: str, *, fix: str | None = None, details: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.details = details

    def __str__(self) -> str:
        text = self.message
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text


class InputError(ProvisionError):
    """The user's input is wrong: a profile, a client name, an option (exit 2)."""

    exit_code = EXIT_INPUT


class ProfileError(InputError):
    """A client profile is wrong; names the file and the field."""


class EnvironmentProblem(ProvisionError):
    """The machine is not ready: Docker down, compose missing, port taken, no image (exit 3)."""

    exit_code = EXIT_ENVIRONMENT


class OperationFailed(ProvisionError):
    """The operation ran but did not succeed: the database never became ready (exit 4)."""

    exit_code = EXIT_FAILED


def unknown_field(where: str, key: str, allowed: list[str]) -> ProfileError:
    """A profile's (or a mapping's) unknown field, with the closest allowed name."""
    close = difflib.get_close_matches(key.rsplit(".", 1)[-1], allowed, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return ProfileError(f"{where}: unknown field {key}", fix=f"{hint}allowed here: {', '.join(sorted(allowed))}")
