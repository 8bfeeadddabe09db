"""The names of a client's databases, derived from its working database's: the baseline, the seats, the
snapshots, the work copies and the retired ones; each fits PostgreSQL's 63 bytes."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from provision.training import copies

STEM_BYTES = 21  # the longest derived name, a snapshot's work copy: stem + "__snap_" + 30 + "__new"


def stem_of(db: str) -> str:
    """What the names derived from a database name start with: the name itself when short enough, else
    its start and a digest of it, so that every derived name fits PostgreSQL's 63 bytes."""
    if len(db.encode()) <= STEM_BYTES:
        return db
    return f"{db[:12]}_{hashlib.sha256(db.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class Names:
    db: str

    @property
    def stem(self) -> str:
        return stem_of(self.db)

    @property
    def baseline(self) -> str:
        return f"{self.stem}__baseline"

    @property
    def trainee_group(self) -> str:
        return f"{self.stem}__trainees"

    def seat(self, k: int) -> str:
        return f"{self.stem}__seat{k:02d}"

    def snapshot(self, name: str) -> str:
        return f"{self.stem}__snap_{name}"

    @property
    def snapshot_prefix(self) -> str:
        return f"{self.stem}__snap_"

    @property
    def rehearsal(self) -> str:
        """The copy of the working database a switch-over is rehearsed on."""
        return f"{self.stem}__rehearsal"

    def work(self, target: str) -> str:
        """The work copy a new ``target`` is built in."""
        aside = f"{target}__new"
        return aside if copies.fits(aside) else f"{self.stem}__new"

    def retired(self) -> str:
        return f"{self.stem}__old{time.monotonic_ns() % 10**9}"
