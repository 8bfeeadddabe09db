"""The errors ``seed`` raises on purpose, each a message a person can act on.

Every one is a :class:`SeedError`, so a caller (the ``provision`` CLI, a benchmark, a web page) turns the
whole family into its own user-facing errors in one place. Each pickles by itself, so work done in a
forked process raises the very same error in its parent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class SeedError(Exception):
    """Base of every expected failure of ``seed``."""


class NoData(SeedError):
    """The database holds no «Одно Окно» books (the schema ``okno`` is missing)."""


class SeedBusy(SeedError):
    """Another load (seed or import) holds this database."""


class LegacyFormatError(SeedError, ValueError):
    """A file that cannot be read as it is: names the file, the line and the reason."""

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        where = f"{path}" + (f", line {line}" if line else "")
        super().__init__(f"{where}: {reason}")
        self.path, self.line, self.reason = str(path), line, reason

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.path, self.line, self.reason)


class MappingError(SeedError, ValueError):
    """A mapping that does not fit: names the mapping file and the key."""


class ImportRefused(SeedError):
    """The import will not be loaded (strict mode, personal data without a rule, a leak)."""


class SwitchoverRefused(SeedError):
    """A final export that cannot be switched over to: older than the books, not the month they have open,
    or of another client."""


class ReconciliationFailed(SeedError):
    """The new books do not reconcile with the old system's: the switch-over stops before the switch-in.
    ``outcome`` holds what was found (the differences), for the report."""

    def __init__(self, message: str, outcome: Any = None) -> None:
        super().__init__(message)
        self.outcome = outcome

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (str(self), self.outcome)


class WorkerFailed(SeedError):
    """A forked worker failed in a way that has no error of its own (the message says how)."""


class RegistryError(SeedError, ValueError):
    """A payment registry or a registry format that cannot be used: names the file, the line and the
    field when there is one, and the fix. A registry refused for it is loaded not at all."""

    def __init__(self, path: Path | str, line: int | None, reason: str, fix: str = "") -> None:
        where = f"{path}" + (f", line {line}" if line else "")
        super().__init__(f"{where}: {reason}")
        self.path, self.line, self.reason, self.fix = str(path), line, reason, fix

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.path, self.line, self.reason, self.fix)


class OutputError(SeedError, OSError):
    """A file a command was asked to write (-o, --html, --problems) could not be written: a full disk, a
    device that refuses. Names the file and the system's reason; what was at the path is as it was (a
    regular file is replaced only once it is whole). An :class:`OSError` too, so a caller's ``except
    OSError`` around a write still takes it."""

    def __init__(self, path: Path | str, errno: int | None, reason: str) -> None:
        OSError.__init__(self, errno, reason, str(path))

    def __str__(self) -> str:
        return f"{self.filename}: cannot be written ({self.strerror})"

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.filename, self.errno, self.strerror)


class AcceptFileError(SeedError, ValueError):
    """A switch-over's accept file that cannot be used (not text, a line naming nothing a switch-over
    reports): names the file, the line when there is one, and the fix. Nothing is switched over."""

    def __init__(self, path: Path | str, line: int | None, reason: str, fix: str = "") -> None:
        where = f"--accept {path}" + (f", line {line}" if line else "")
        super().__init__(f"{where}: {reason}")
        self.path, self.line, self.reason, self.fix = str(path), line, reason, fix

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.path, self.line, self.reason, self.fix)


class OtherClientsExport(SwitchoverRefused):
    """A final export whose accounts are mostly not the books' by address, residents and meters."""


class UnreadableFile(SeedError, ValueError):
    """A small file a command reads (a profile, a mapping, a state, a password) that is not one: missing, a
    folder, a FIFO, a device, too large, not text. Names the path and what it is."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = str(path), reason

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.path, self.reason)
