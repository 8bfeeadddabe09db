"""The console's answer to wrong passwords: slower and slower, never a lock on the trainer's own machine.

Who is asking is the socket's address and nothing else: uvicorn runs with ``proxy_headers=False`` and the
application drops ``X-Forwarded-For``, ``Forwarded`` and ``X-Real-IP`` before any route sees them, so a
header cannot make one machine look like thirty.

Two ledgers of recent wrong passwords (within :attr:`Limits.window`) slow the guessing down:

- one per address: after :attr:`Limits.free_per_address` failures, the next attempt from it waits a delay
  that doubles with each further failure, up to :attr:`Limits.address_cap`;
- one for the password as a whole, whatever the address: after :attr:`Limits.free_overall` failures, every
  address waits a doubling delay too, up to :attr:`Limits.overall_cap`. Many addresses (a classroom, or an
  attacker with many) guess no faster than one.

An address that is not trusted is refused (HTTP 429, the password not even compared) until its delay has
passed; the refused attempts are not counted, so hammering does not lengthen the wait but earns nothing.

The trainer's own machine is trusted: a loopback address, or an address the trainer has logged in from in
this run of the console. Its answers are slowed by its own ledger only, by at most
:attr:`Limits.trusted_cap` seconds, and never refused: the right password always gets in, whatever another
local user or the classroom typed. The slow answer comes before the password is compared, for right and
wrong alike, so the delay says nothing about the guess. Parallel requests from a trusted address each wait
their own delay; that trades a faster guesser on this machine (against a password of 144 random bits) for
a trainer nobody can lock out.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limits:
    free_per_address: int = 4  # wrong passwords an address makes before it is slowed
    address_base: float = 5.0  # its first delay, in seconds; each further failure doubles it ...
    address_cap: float = 300.0  # ... up to this
    free_overall: int = 20  # wrong passwords from everywhere before every address is slowed
    overall_base: float = 1.0
    overall_cap: float = 60.0
    trusted_cap: float = 5.0  # the longest a trusted address's answer is held back
    window: float = 600.0  # failures older than this are forgotten


@dataclass(frozen=True)
class Verdict:
    """What to do with a login attempt: wait ``wait`` seconds, then compare the password; or, when
    ``refuse``, answer at once that it must wait."""

    wait: float
    refuse: bool

    @property
    def seconds(self) -> int:
        """The wait as a person reads it: whole seconds, rounded up."""
        return max(1, math.ceil(self.wait))


def pause(failures: int, free: int, base: float, cap: float) -> float:
    """The delay after ``failures`` wrong passwords: none for the first ``free``, then doubling from ``base``."""
    if failures <= free:
        return 0.0
    return min(cap, base * 2.0 ** min(failures - free - 1, 40))


def is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return (mapped or ip).is_loopback


@dataclass
class Ledger:
    """The times of recent wrong passwords."""

    times: deque[float] = field(default_factory=deque)

    def forget(self, before: float) -> None:
        while self.times and self.times[0] < before:
            self.times.popleft()

    def not_before(self, free: int, base: float, cap: float) -> float:
        """When the next attempt may be compared (0.0: at once)."""
        if not self.times:
            return 0.0
        return self.times[-1] + pause(len(self.times), free, base, cap)


@dataclass
class Lockout:
    """The two ledgers, the trainer's known addresses, and the verdict on each attempt (thread-safe)."""

    limits: Limits = field(default_factory=Limits)
    clock: Callable[[], float] = time.monotonic
    addresses: dict[str, Ledger] = field(default_factory=dict)
    overall: Ledger = field(default_factory=Ledger)
    known: set[str] = field(default_factory=set)  # addresses the trainer logged in from
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def trusted(self, address: str) -> bool:
        return is_loopback(address) or address in self.known

    def verdict(self, address: str) -> Verdict:
        now, lim = self.clock(), self.limits
        with self._lock:
            self._forget(now)
            mine = self.addresses.get(address, Ledger())
            own = mine.not_before(lim.free_per_address, lim.address_base, lim.address_cap) - now
            if self.trusted(address):
                return Verdict(min(lim.trusted_cap, max(0.0, own)), refuse=False)
            everyone = self.overall.not_before(lim.free_overall, lim.overall_base, lim.overall_cap) - now
            wait = max(0.0, own, everyone)
            return Verdict(wait, refuse=wait > 0)

    def failed(self, address: str) -> None:
        now = self.clock()
        with self._lock:
            self.addresses.setdefault(address, Ledger()).times.append(now)
            self.overall.times.append(now)
            self._forget(now)

    def succeeded(self, address: str) -> None:
        """The trainer is in from ``address``: it is theirs from now on, and its own failures are forgiven."""
        with self._lock:
            self.addresses.pop(address, None)
            self.known.add(address)

    def _forget(self, now: float) -> None:
        before = now - self.limits.window
        self.overall.forget(before)
        for address, ledger in list(self.addresses.items()):
            ledger.forget(before)
            if not ledger.times:
                del self.addresses[address]
