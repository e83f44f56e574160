"""Log-in throttling: failed attempts are counted per account and per address.

Successful log-ins cost nothing, so a team behind one office address can all log in at nine.
Failures are counted three ways (OWASP ASVS 2.2.1): per account from any address (stops a
guessing run on one account, wherever it comes from), per address (stops one machine trying
many accounts), and per account from that address. A correct password still goes through an
address-level limit that other accounts' failures caused; only the account's own failures
from that address, or its own limit, keep it out. The counters live in the rate limiter's
storage (memory, or Redis when ``REDIS_URL`` is set), shared by every web process.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from limits import RateLimitItem, parse

from app.extensions import limiter

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


def _items() -> tuple[RateLimitItem, RateLimitItem]:
    return (parse(current_app.config["LOGIN_RATE_LIMIT"]),
            parse(current_app.config["LOGIN_ACCOUNT_LIMIT"]))


def _account(email: str) -> str:
    return email.strip().lower()


def check(email: str, address: str) -> Verdict:
    """May this attempt go on? Reads the counters without counting anything."""
    per_address, per_account = _items()
    strategy = limiter.limiter
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
    strategy = limiter.limiter
    account = _account(email)
    strategy.hit(per_account, _NS, "account", account)
    strategy.hit(per_address, _NS, "address", address)
    strategy.hit(per_address, _NS, "account-address", account, address)
    strategy.hit(_ceiling(per_address), _NS, "address-ceiling", address)


def succeeded(email: str, address: str) -> None:
    """A correct password clears the account's own counters (not the address's)."""
    per_address, per_account = _items()
    strategy = limiter.limiter
    account = _account(email)
    strategy.clear(per_account, _NS, "account", account)
    strategy.clear(per_address, _NS, "account-address", account, address)
