"""The draw: reproducible, stratified in proportion, humour always represented."""

from __future__ import annotations

import random
from collections import Counter

from app.review import draw
from app.review.draw import Candidate


def _month(agents: int = 4, per_agent: int = 200, humour_every: int = 25,
           rng_seed: int = 1) -> list[Candidate]:
    rng = random.Random(rng_seed)
    out = []
    mid = 1
    for agent in range(1, agents + 1):
        for i in range(per_agent):
            out.append(Candidate(mid, agent, "private" if rng.random() < 0.3 else "public",
                                 "x" if rng.random() < 0.6 else "facebook",
                                 i % humour_every == 0))
            mid += 1
    return out


def test_same_inputs_same_sample_whatever_the_order() -> None:
    replies = _month()
    first = draw.draw(replies, seed="s", brand_id=1, month="2026-11", sample_size=10)
    shuffled = list(replies)
    random.Random(7).shuffle(shuffled)
    again = draw.draw(shuffled, seed="s", brand_id=1, month="2026-11", sample_size=10)
    assert first == again
    other = draw.draw(replies, seed="t", brand_id=1, month="2026-11", sample_size=10)
    assert {p.message_id for p in other} != {p.message_id for p in first}


def test_n_per_agent_or_all_when_fewer() -> None:
    replies = [*_month(agents=3, per_agent=40), Candidate(9001, 99, "public", "x", False),
               Candidate(9002, 99, "public", "x", False)]
    picks = draw.draw(replies, seed="s", brand_id=1, month="2026-11", sample_size=10)
    counts = Counter(p.agent_id for p in picks)
    assert counts == {1: 10, 2: 10, 3: 10, 99: 2}


def test_allocation_is_proportional_by_largest_remainder() -> None:
    # 60 / 30 / 10 of 100, N = 10 -> 6 / 3 / 1 exactly.
    assert draw.allocate({"public/x/plain": 60, "private/x/plain": 30,
                          "public/facebook/plain": 10}, 10) == {
        "public/x/plain": 6, "private/x/plain": 3, "public/facebook/plain": 1}
    # 5 / 3 / 2 of 10, N = 4 -> 2 / 1.2 / 0.8 -> 2 / 1 / 1 (largest remainder 0.8).
    assert draw.allocate({"a/x/plain": 5, "b/x/plain": 3, "c/x/plain": 2}, 4) == {
        "a/x/plain": 2, "b/x/plain": 1, "c/x/plain": 1}


def test_stratification_proportions_over_many_draws() -> None:
    replies = _month(agents=1, per_agent=1000, humour_every=1000)
    sizes = Counter(draw.stratum_of(c) for c in replies)
    picks = draw.draw(replies, seed="p", brand_id=1, month="2026-11", sample_size=50)
    got = Counter(p.stratum for p in picks)
    for stratum, size in sizes.items():
        assert abs(got[stratum] - 50 * size / 1000) <= 1, stratum


def test_humour_is_always_represented() -> None:
    # 2 humour replies among 300: proportionally 0.07 of a place, still one is drawn.
    replies = [Candidate(i, 1, "public", "x", i in (17, 250)) for i in range(300)]
    for seed in ("a", "b", "c", "d"):
        picks = draw.draw(replies, seed=seed, brand_id=1, month="2026-11", sample_size=10)
        assert len(picks) == 10
        assert sum(1 for p in picks if p.stratum.endswith("/humour")) == 1


def test_replacement_stays_in_the_stratum_and_skips_used() -> None:
    replies = _month(agents=1, per_agent=100)
    picks = draw.draw(replies, seed="s", brand_id=1, month="2026-11", sample_size=10)
    used = {p.message_id for p in picks}
    pick = picks[0]
    swap = draw.replacement(replies, seed="s", brand_id=1, month="2026-11",
                            stratum=pick.stratum, agent_id=1, exclude=used)
    assert swap is not None and swap.message_id not in used
    assert draw.stratum_of(swap) == pick.stratum
    lonely = [Candidate(1, 1, "public", "x", False)]
    assert draw.replacement(lonely, seed="s", brand_id=1, month="m", stratum="public/x/plain",
                            agent_id=1, exclude={1}) is None
