"""The PostgreSQL majors provision supports, and which Debian suite ships each as its own postgresql-N
package: the one place a profile's check, the image build, its messages and the CLI's help read them from
(no docker import here, so the CLI's help stays quick)."""

from __future__ import annotations

# 18: forky (testing); sid (unstable) carries it too, but testing moves less under a build.
SUITES = {15: "bookworm", 17: "trixie", 18: "forky"}
DEFAULT_MAJOR = 15
# The majors a profile may name: PostgreSQL's official images (postgres:N) from 12 on. Of those, SUITES are
# the ones provision can also build from Debian's packages when no registry is reachable.
MAJORS = range(12, 19)


def supported_text() -> str:
    """'15 (Debian bookworm), 17 (Debian trixie), ...' for help texts and messages."""
    return ", ".join(f"{major} (Debian {suite})" for major, suite in SUITES.items())
