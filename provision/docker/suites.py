"""Which Debian suite ships each PostgreSQL major as its own postgresql-N package: the one place the
image build, its messages and the CLI's help read the supported majors from (no docker import here, so
the CLI's help stays quick)."""

from __future__ import annotations

# 18: forky (testing); sid (unstable) carries it too, but testing moves less under a build.
SUITES = {15: "bookworm", 17: "trixie", 18: "forky"}
DEFAULT_MAJOR = 15


def supported_text() -> str:
    """'15 (Debian bookworm), 17 (Debian trixie), ...' for help texts and messages."""
    return ", ".join(f"{major} (Debian {suite})" for major, suite in SUITES.items())
