"""Log-in throttling: failed attempts are counted per account and per address.

Successful log-ins cost nothing, so a team behind one office address can all log in at nine.
Failures are counted three ways (OWASP ASVS 2.2.1): per account from any address (stops a
guessing run on one account, wherever it comes from), per address (stops one machine trying
many accounts), and per account from that address. A correct password still goes through an
address-level limit that other accounts' failures caused; only the account's own failures
from that address, or its own limit, keep it out. The counters live in the rate limiter's
storage (memory, or Redis when ``REDIS_URL`` is set), shared by every web process.

Redis is an accelerator here, not a gate: while it cannot be reached, the counters fall back
to this process's memory (limits per process, said once in the log), and Redis is tried again
after ``RETRY_STORAGE_SECONDS``. Log-in never fails because the counters' store is away.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import current_app
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter

from app.extensions import limiter

log = logging.getLogger("care.auth")
T = TypeVar("T")

#: While the shared store is away, it is tried again this often (each try may cost a timeout).
RETRY_STORAGE_SECONDS = 5.0

_NS = "login-fail"

#: An address whose failures pass this many times its limit gets no more password checks at
#: all: each check costs an argon2 hash, and a flood of guesses over many accounts must not
#: buy unlimited ones.
CEILING = 5


@dataclass(frozen=True)
class Verdict:
    """Whether an attempt may check its password, and whether only a correct one may pass."""

    allowed: bool
    address_limited: bool = False


class _Fallback:
    """This process's own counters, used while the shared store cannot be reached."""

    def __init__(self) -> None:
        self.strategy: RateLimiter = FixedWindowRateLimiter(MemoryStorage())
        self.down_since: float | None = None
        self.lock = threading.Lock()


_fallback = _Fallback()


def degraded() -> bool:
    """Whether the log-in counters currently live in this process's memory only."""
    return _fallback.down_since is not None


def _counted(op: Callable[[RateLimiter], T]) -> T:
    """Run ``op`` on the shared counters, or on this process's own while they are away."""
    down_since = _fallback.down_since
    if down_since is None or time.monotonic() - down_since >= RETRY_STORAGE_SECONDS:
        try:
            # The configured store itself, not ``limiter.limiter``: Flask-Limiter swaps that
            # for its own in-memory fallback once it has seen the store die, which would
            # make the store look reachable and split the counts across two memories.
            result = op(FixedWindowRateLimiter(limiter.storage))
        except Exception:  # any failure of the store (connection refused, timeout...)
            with _fallback.lock:
                if _fallback.down_since is None:
                    log.warning("log-in limits: rate-limit storage unreachable; counting "
                                "failures in this process's memory (limits per process) "
                                "until it returns", exc_info=True)
                _fallback.down_since = time.monotonic()
        else:
            if down_since is not None:
                with _fallback.lock:
                    _fallback.down_since = None
                log.warning("log-in limits: rate-limit storage reachable again; "
                            "counters shared again")
            return result
    return op(_fallback.strategy)


def _items() -> tuple[RateLimitItem, RateLimitItem]:
    return (parse(current_app.config["LOGIN_RATE_LIMIT"]),
            parse(current_app.config["LOGIN_ACCOUNT_LIMIT"]))


def _account(email: str) -> str:
    return email.strip().lower()


def check(email: str, address: str) -> Verdict:
    """May this attempt go on? Reads the counters without counting anything."""
    return _counted(lambda strategy: _check(strategy, email, address))


def _check(strategy: RateLimiter, email: str, address: str) -> Verdict:
    per_address, per_account = _items()
    account = _account(email)
    if not strategy.test(per_account, _NS, "account", account):
        return Verdict(False)
    if strategy.test(per_address, _NS, "address", address):
        return Verdict(True)
    # The address is over its limit: caused by this account's own failures, or by others'?
    if not strategy.test(per_address, _NS, "account-address", account, address):
        return Verdict(False, address_limited=True)
    if not strategy.test(_ceiling(per_address), _NS, "address-ceiling", address):
        return Verdict(False, address_limited=True)
    return Verdict(True, address_limited=True)


def _ceiling(item: RateLimitItem) -> RateLimitItem:
    return type(item)(item.amount * CEILING, item.multiples)


def failed(email: str, address: str) -> None:
    """Count a failed attempt against the account, the address and the pair."""
    per_address, per_account = _items()
    account = _account(email)

    def hit(strategy: RateLimiter) -> None:
        strategy.hit(per_account, _NS, "account", account)
        strategy.hit(per_address, _NS, "address", address)
        strategy.hit(per_address, _NS, "account-address", account, address)
        strategy.hit(_ceiling(per_address), _NS, "address-ceiling", address)

    _counted(hit)


def succeeded(email: str, address: str) -> None:
    """A correct password clears the account's own counters (not the address's)."""
    per_address, per_account = _items()
    account = _account(email)

    def clear(strategy: RateLimiter) -> None:
        strategy.clear(per_account, _NS, "account", account)
        strategy.clear(per_address, _NS, "account-address", account, address)

    _counted(clear)
