"""The monthly draw: a reproducible, stratified sample of each agent's replies.

A pure function of (brand, month, seed, the replies that existed): nothing here reads a
clock, a random generator's hidden state or the database. Each reply gets a rank from a hash
of the seed, the brand, the month and the reply's own id, so the order in which the replies
are given does not matter and running the draw again gives the same replies.

Per agent, N replies (all of them when fewer). Strata are (visibility, network, may carry
humour); each stratum gets its share of N in proportion to its size (largest remainders),
and when the proportional shares leave out every reply that may carry humour, one place is
given to them: the committee exists to judge humour.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

#: Default number of replies drawn per agent and month.
DEFAULT_SAMPLE_SIZE = 10


class Candidate(NamedTuple):
    """A reply that may be drawn (a named tuple: a month holds hundreds of thousands)."""

    message_id: int
    agent_id: int
    visibility: str  # public | private
    network: str  # x | facebook | ...
    humour: bool  # the humour detector found a marker


class Pick(NamedTuple):
    """A drawn reply and the stratum it stands for."""

    message_id: int
    agent_id: int
    stratum: str


def stratum_of(candidate: Candidate) -> str:
    """The stratum key, as stored and shown: ``public/x/humour``."""
    return f"{candidate.visibility}/{candidate.network}/{'humour' if candidate.humour else 'plain'}"


_MASK = (1 << 64) - 1


def draw_key(seed: str, brand_id: int, month: str) -> int:
    """The 64-bit key of one draw, from its seed, brand and month."""
    return int.from_bytes(hashlib.blake2b(f"{seed}|{brand_id}|{month}".encode(),
                                          digest_size=8).digest(), "big")


def _mix(key: int, message_id: int) -> int:
    # SplitMix64's finaliser of (key xor id): a fixed, well-mixed permutation of 64-bit
    # integers, a tenth of the cost of a cryptographic hash per reply.
    z = (key ^ message_id) + 0x9E3779B97F4A7C15 & _MASK
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 & _MASK
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB & _MASK
    return z ^ (z >> 31)


def rank(seed: str, brand_id: int, month: str, message_id: int) -> int:
    """A reply's place in the draw: a hash, stable whatever the order replies come in."""
    return _mix(draw_key(seed, brand_id, month), message_id)


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Share ``n`` places among strata in proportion to their sizes (largest remainders;
    ties go to the larger stratum, then by key), then make sure a humour stratum has one."""
    total = sum(sizes.values())
    if total <= n:
        return dict(sizes)
    quotas = {key: size * n // total for key, size in sizes.items()}
    left = n - sum(quotas.values())
    order = sorted(sizes, key=lambda k: (-((sizes[k] * n) % total), -sizes[k], k))
    for key in order[:left]:
        quotas[key] += 1
    humour = [k for k in sizes if k.endswith("/humour") and sizes[k] > 0]
    if humour and n > 0 and not any(quotas[k] for k in humour):
        # Take the place from the stratum that has the most, give it to the largest humour
        # stratum: the humour replies are always represented.
        donor = max((k for k in quotas if quotas[k] > 0), key=lambda k: (quotas[k], sizes[k], k))
        quotas[donor] -= 1
        quotas[max(humour, key=lambda k: (sizes[k], k))] += 1
    return quotas


def draw(candidates: Iterable[Candidate], *, seed: str, brand_id: int, month: str,
         sample_size: int = DEFAULT_SAMPLE_SIZE) -> list[Pick]:
    """The sample: per agent, ``sample_size`` replies stratified as the module says.

    The result is ordered by agent, then stratum, then rank.
    """
    if sample_size < 1:
        raise ValueError("sample_size must be at least 1")
    mixing = draw_key(seed, brand_id, month)
    by_agent: dict[int, dict[str, list[tuple[int, int]]]] = defaultdict(
        lambda: defaultdict(list))
    for c in candidates:
        by_agent[c.agent_id][stratum_of(c)].append((_mix(mixing, c.message_id), c.message_id))
    picks: list[Pick] = []
    for agent_id in sorted(by_agent):
        strata = by_agent[agent_id]
        quotas = allocate({k: len(v) for k, v in strata.items()}, sample_size)
        for key in sorted(strata):
            chosen = sorted(strata[key])[:quotas[key]]
            picks.extend(Pick(message_id, agent_id, key) for _r, message_id in chosen)
    return picks


def replacement(candidates: Sequence[Candidate], *, seed: str, brand_id: int, month: str,
                stratum: str, agent_id: int, exclude: set[int]) -> Candidate | None:
    """The next reply of the same agent and stratum, in draw order, not already used: what a
    swap puts in place of a wrongly attributed or test reply. None when the stratum has none
    left."""
    pool = [c for c in candidates if c.agent_id == agent_id and stratum_of(c) == stratum
            and c.message_id not in exclude]
    if not pool:
        return None
    key = draw_key(seed, brand_id, month)
    return min(pool, key=lambda c: _mix(key, c.message_id))
