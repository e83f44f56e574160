"""poll_channel against the sandbox: rate limits, refused tokens and platform errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from app.channels.services import health
from app.extensions import db
from app.jobs.poll import poll_channel
from app.models import Channel, Message, utcnow
from tests.jobs.sandbox_http import HttpSandbox

MENTIONS = "/mentions"


class Clock:
    """A frozen clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _reload(channel_id: int) -> Channel:
    db.session.expire_all()
    return db.session.get(Channel, channel_id)


def _stored(channel_id: int) -> int:
    return db.session.scalar(db.select(db.func.count(Message.id))
                             .where(Message.channel_id == channel_id))


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_after_a_429_nothing_is_sent_before_the_reset_time(
        http_sandbox: HttpSandbox, sandbox_channel: Callable[..., Channel],
        clock: Clock) -> None:
    channel = sandbox_channel("x")
    http_sandbox.post(network="x", kind="mention", handle="julie", text="Mon colis ?")
    http_sandbox.fault("429", path=MENTIONS, reset_in=120)
    outcome = poll_channel(channel.id, clock=clock)
    assert outcome.state == "rate_limited"
    assert http_sandbox.counter.count(MENTIONS) == 1
    channel = _reload(channel.id)
    assert channel.status == "rate_limited"
    reset = channel.rate_limited_until
    assert timedelta(seconds=100) < reset - clock.now < timedelta(seconds=140)
    assert health([channel])[0].rate_limited_until == reset
    for seconds in (1, 30, 60, 100):  # the frozen clock stays before the reset
        clock.now = reset - timedelta(seconds=seconds)
        assert poll_channel(channel.id, clock=clock).state == "waiting"
    assert http_sandbox.counter.count() == 1, http_sandbox.counter.requests
    assert _stored(channel.id) == 0
    clock.now = reset + timedelta(seconds=1)
    outcome = poll_channel(channel.id, clock=clock)
    assert outcome.state == "ok" and outcome.stored == 1
    assert http_sandbox.counter.count(MENTIONS) == 2
    channel = _reload(channel.id)
    assert (channel.status, channel.rate_limited_until, channel.backoff_attempts) == \
        ("ok", None, 0)


def test_429_without_reset_header_backs_off_exponentially(
        http_sandbox: HttpSandbox, sandbox_channel: Callable[..., Channel],
        clock: Clock) -> None:
    channel = sandbox_channel("x")
    http_sandbox.post(network="x", kind="mention", handle="marc", text="Remboursement ?")
    http_sandbox.fault("429_no_reset", path=MENTIONS, count=3)
    waits = []
    for attempt in range(3):
        assert poll_channel(channel.id, clock=clock).state == "rate_limited"
        channel = _reload(channel.id)
        waits.append((channel.rate_limited_until - clock.now).total_seconds())
        assert channel.backoff_attempts == attempt + 1
        # Just before the end of the back-off: still nothing sent.
        clock.advance(waits[-1] - 1)
        assert poll_channel(channel.id, clock=clock).state == "waiting"
        assert http_sandbox.counter.count(MENTIONS) == attempt + 1
        clock.advance(2)
    assert waits[0] >= 15 and waits[1] > waits[0] and waits[2] > waits[1]
    assert waits[2] == pytest.approx(4 * waits[0], rel=0.01)
    outcome = poll_channel(channel.id, clock=clock)
    assert outcome.state == "ok" and outcome.stored == 1
    channel = _reload(channel.id)
    assert channel.backoff_attempts == 0
    assert "backoff_attempt" not in (channel.poll_cursor or {})


def test_401_marks_the_channel_for_reconnection_and_health_shows_it(
        http_sandbox: HttpSandbox, sandbox_channel: Callable[..., Channel],
        clock: Clock) -> None:
    channel = sandbox_channel("x", status="ok")
    http_sandbox.fault("401", path=MENTIONS)
    outcome = poll_channel(channel.id, clock=clock)
    assert outcome.state == "needs_reconnection"
    channel = _reload(channel.id)
    assert channel.status == "needs_reconnection"
    assert "refused the token" in channel.status_detail
    state = health([channel])[0]
    assert state.token_state == "needs_reconnection" and state.status == "needs_reconnection"


def test_401_on_facebook_too(http_sandbox: HttpSandbox,
                             sandbox_channel: Callable[..., Channel], clock: Clock) -> None:
    channel = sandbox_channel("facebook")
    http_sandbox.fault("401", path="/graph/")
    assert poll_channel(channel.id, clock=clock).state == "needs_reconnection"
    assert health([_reload(channel.id)])[0].token_state == "needs_reconnection"


def test_500_sets_error_backs_off_then_the_next_poll_succeeds(
        http_sandbox: HttpSandbox, sandbox_channel: Callable[..., Channel],
        clock: Clock) -> None:
    channel = sandbox_channel("x")
    posted = http_sandbox.post(network="x", kind="mention", handle="lea", text="Site en panne ?")
    http_sandbox.fault("500", path=MENTIONS)
    assert poll_channel(channel.id, clock=clock).state == "error"
    channel = _reload(channel.id)
    assert channel.status == "error" and "PlatformError" in channel.status_detail
    back_off = channel.rate_limited_until - clock.now
    assert back_off >= timedelta(seconds=15)
    clock.advance(back_off.total_seconds() - 1)
    assert poll_channel(channel.id, clock=clock).state == "waiting"
    assert http_sandbox.counter.count(MENTIONS) == 1
    clock.advance(2)
    outcome = poll_channel(channel.id, clock=clock)
    assert outcome.state == "ok" and outcome.stored == 1
    channel = _reload(channel.id)
    assert channel.status == "ok" and channel.status_detail is None
    assert channel.last_success_at == clock.now
    assert db.session.scalar(db.select(Message.platform_id)
                             .where(Message.channel_id == channel.id)) == posted["id"]


def test_rate_limit_in_the_middle_of_a_walk_keeps_what_was_stored(
        http_sandbox: HttpSandbox, sandbox_channel: Callable[..., Channel],
        clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.x import XConnector

    monkeypatch.setattr(XConnector, "page_size", 2)
    channel = sandbox_channel("x")
    ids = {http_sandbox.post(network="x", kind="mention", handle=f"c{i}",
                             text=f"Question {i}")["id"] for i in range(6)}
    # The first page goes through, the second is refused.
    http_sandbox.store.add_fault("429", pattern=MENTIONS, params={"reset_in": 60})
    original = http_sandbox.store.take_fault
    calls = {"n": 0}

    def second_only(kinds: tuple[str, ...], path: str, method: str) -> object:
        if "429" in kinds and MENTIONS in path:
            calls["n"] += 1
            if calls["n"] == 1:
                return None
        return original(kinds, path, method)

    monkeypatch.setattr(http_sandbox.store, "take_fault", second_only)
    assert poll_channel(channel.id, clock=clock).state == "rate_limited"
    assert _stored(channel.id) == 2
    clock.advance(3600)
    assert poll_channel(channel.id, clock=clock).state == "ok"
    stored = set(db.session.scalars(db.select(Message.platform_id)
                                    .where(Message.channel_id == channel.id)))
    assert stored == ids
