"""The console's answer to wrong passwords: slower and slower, never a lock on the trainer.

Who is asking is the socket's address and nothing else: uvicorn runs with ``proxy_headers=False`` and the
application drops ``X-Forwarded-For``, ``Forwarded`` and ``X-Real-IP`` before any route sees them, so a
header cannot make one machine look like thirty.

Every attempt is counted when it is let through, before its password is compared, and forgiven only when
the password was right (:meth:`Lockout.succeeded`): attempts sent at once see each other, so fifty in
parallel earn no more comparisons than fifty in a row. Two ledgers of recent attempts (within
:attr:`Limits.window`):

- one per address: after :attr:`Limits.free_per_address` failures, the next attempt from it must wait a
  delay that doubles with each further failure, up to :attr:`Limits.address_cap`. An address that is not
  trusted is refused (HTTP 429, the password not even compared) until its delay has passed; the refused
  attempts are not counted, so hammering does not lengthen the wait but earns nothing.
- one for the password as a whole, whatever the address: after :attr:`Limits.free_overall` failures, each
  attempt from an untrusted address is compared in a slot of its own, a doubling delay after the previous
  one, and waits for it, never more than :attr:`Limits.overall_cap`. It only slows, never refuses: an
  attacker failing from many addresses cannot keep the trainer out of a machine the console has not seen
  yet, only make the answer take up to :attr:`Limits.overall_cap` seconds.

The trainer's own machine is trusted: a loopback address, or an address the trainer has logged in from in
this run of the console. Its answers are slowed by its own ledger only, by at most
:attr:`Limits.trusted_cap` seconds, and never refused: the right password always gets in, whatever another
local user or the classroom typed. The slow answer comes before the password is compared, for right and
wrong alike, so the delay says nothing about the guess.
"""

from __future__ import annotations

import bisect
import ipaddress
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limits:
    free_per_address: int = 4  # wrong passwords an address makes before it is slowed
    address_base: float = 5.0  # its first delay, in seconds; each further failure doubles it ...
    address_cap: float = 300.0  # ... up to this
    free_overall: int = 20  # wrong passwords from everywhere before untrusted addresses are slowed ...
    overall_base: float = 1.0
    overall_cap: float = 60.0  # ... by at most this: the password as a whole slows, never refuses
    trusted_cap: float = 5.0  # the longest a trusted address's answer is held back
    window: float = 600.0  # failures older than this are forgotten


@dataclass(frozen=True)
class Verdict:
    """What to do with a login attempt: wait ``wait`` seconds, then compare the password; or, when
    ``refuse``, answer at once that it must wait. ``at``: when the attempt is counted (its comparison's
    time), for :meth:`Lockout.succeeded` to forgive."""

    wait: float
    refuse: bool
    at: float = 0.0

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
    """The times of recent attempts not (yet) forgiven, in order; some lie ahead (a slot not yet reached)."""

    times: list[float] = field(default_factory=list)

    def forget(self, before: float) -> None:
        del self.times[: bisect.bisect_left(self.times, before)]

    def add(self, at: float) -> None:
        bisect.insort(self.times, at)

    def drop(self, at: float) -> None:
        index = bisect.bisect_left(self.times, at)
        if index < len(self.times) and self.times[index] == at:
            del self.times[index]

    def not_before(self, free: int, base: float, cap: float) -> float:
        """When the next attempt may be compared (0.0: at once; a free attempt never waits)."""
        delay = pause(len(self.times), free, base, cap)
        return self.times[-1] + delay if delay else 0.0


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

    def admit(self, address: str) -> Verdict:
        """The verdict on an attempt from ``address``; one not refused is counted as a failure at once,
        before its password is compared, until :meth:`succeeded` forgives it."""
        now, lim = self.clock(), self.limits
        with self._lock:
            self._forget(now)
            mine = self.addresses.get(address) or Ledger()
            own = max(0.0, mine.not_before(lim.free_per_address, lim.address_base, lim.address_cap) - now)
            if self.trusted(address):
                wait = min(lim.trusted_cap, own)
            elif own > 0:
                return Verdict(own, refuse=True)
            else:
                slot = self.overall.not_before(lim.free_overall, lim.overall_base, lim.overall_cap)
                wait = min(lim.overall_cap, max(0.0, slot - now))
            at = now + wait
            mine.add(at)
            self.addresses[address] = mine
            self.overall.add(at)
            return Verdict(wait, refuse=False, at=at)

    def succeeded(self, address: str, verdict: Verdict) -> None:
        """The trainer is in from ``address``: it is theirs from now on, its own failures are forgiven and
        this attempt no longer counts against the password as a whole."""
        with self._lock:
            self.addresses.pop(address, None)
            self.overall.drop(verdict.at)
            self.known.add(address)

    def _forget(self, now: float) -> None:
        before = now - self.limits.window
        self.overall.forget(before)
        for address, ledger in list(self.addresses.items()):
            ledger.forget(before)
            if not ledger.times:
                del self.addresses[address]
