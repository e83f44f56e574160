"""Each sandbox fault surfaces through the real clients as the right typed error."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from app.sandbox.store import Brand, SandboxStore
from app.sandbox.traffic import TrafficGenerator, main
from connectors.base import (
    AuthExpired,
    PlatformError,
    RateLimited,
    SendTimeout,
    backoff_seconds,
)
from tests.sandbox.conftest import drain

MENTIONS = r"/x/2/users/\d+/mentions"
POSTS = r"/graph/v[\d.]+/\d+/posts"


@pytest.mark.parametrize("network", ["x", "facebook"])
def test_429_with_reset(sandbox, network):
    sandbox.fault("429", MENTIONS if network == "x" else POSTS, reset_in=120)
    connector = sandbox.x() if network == "x" else sandbox.facebook()
    before = datetime.now(UTC)
    with pytest.raises(RateLimited) as info:
        connector.poll_mentions(None)
    assert info.value.reset_at is not None
    assert before + timedelta(seconds=100) <= info.value.reset_at
    assert info.value.reset_at <= before + timedelta(seconds=185)
    assert 100 <= info.value.retry_after <= 185
    # The fault was for one request only.
    connector.poll_mentions(None)


@pytest.mark.parametrize("network", ["x", "facebook"])
def test_429_without_reset_backs_off(sandbox, network):
    sandbox.fault("429_no_reset", MENTIONS if network == "x" else POSTS, count=2)
    connector = sandbox.x() if network == "x" else sandbox.facebook()
    with pytest.raises(RateLimited) as first:
        connector.poll_mentions(None)
    with pytest.raises(RateLimited) as second:
        connector.poll_mentions(first.value.cursor)
    assert first.value.reset_at is None
    assert (first.value.retry_after, second.value.retry_after) == (
        backoff_seconds(0), backoff_seconds(1))
    assert second.value.retry_after > first.value.retry_after
    result = connector.poll_mentions(second.value.cursor)
    assert "backoff_attempt" not in result.cursor  # success resets the back-off


@pytest.mark.parametrize("network", ["x", "facebook"])
def test_401_is_auth_expired(sandbox, network):
    sandbox.fault("401")
    connector = sandbox.x() if network == "x" else sandbox.facebook()
    with pytest.raises(AuthExpired):
        connector.test_connection()


@pytest.mark.parametrize("network", ["x", "facebook"])
def test_500_is_platform_error(sandbox, network):
    sandbox.fault("500")
    connector = sandbox.x() if network == "x" else sandbox.facebook()
    with pytest.raises(PlatformError) as info:
        connector.test_connection()
    assert info.value.status == 500


def test_fault_targets_only_matching_paths_and_method(sandbox):
    sandbox.fault("500", r"/x/2/tweets$", count=1)
    x = sandbox.x()
    x.poll_mentions(None)  # not matching: unaffected
    mention = sandbox.post(network="x", kind="mention", handle="a", text="x")
    with pytest.raises(PlatformError):
        x.reply_public(mention["id"], "first try")
    assert x.reply_public(mention["id"], "second try").platform_id
    assert requests.get(f"{sandbox.root}/_faults", timeout=5).json()["faults"] == []


@pytest.mark.parametrize("kind", ["timeout_after_store", "close_after_store"])
def test_x_timeout_after_store_then_find_sent(sandbox, kind):
    mention = sandbox.post(network="x", kind="mention", handle="kev", text="scam?")
    sandbox.fault(kind, r"/x/2/tweets$", delay=2)
    x = sandbox.x(timeout=0.5)
    since = datetime.now(UTC)
    text = "@kev Never pay outside the site ^Marie"
    with pytest.raises(SendTimeout):
        x.reply_public(mention["id"], text)
    found = x.find_sent(mention["id"], text, since)
    assert found is not None
    # Reconciliation says it is stored: the caller does not post again.
    replies = [r for r in sandbox.timeline(network="x") if r["parent_id"] == mention["id"]]
    assert [r["id"] for r in replies] == [found.platform_id]


def test_facebook_timeout_after_store_then_find_sent(sandbox):
    posted = sandbox.post(network="facebook", kind="comment", handle="c", text="?")
    sandbox.fault("timeout_after_store", r"/comments$", delay=2)
    fb = sandbox.facebook(timeout=0.5)
    since = datetime.now(UTC)
    with pytest.raises(SendTimeout):
        fb.reply_public(posted["id"], "Bonjour ^Marie")
    found = fb.find_sent(posted["id"], "Bonjour ^Marie", since)
    assert found is not None
    assert fb.find_sent(posted["id"], "Autre texte", since) is None


def test_x_overlapping_and_duplicate_pages_end_with_distinct_ids(sandbox):
    x = sandbox.x()
    x.page_size = 5
    _, cursor = drain(x.poll_mentions, None)
    expected = {sandbox.post(network="x", kind="mention", handle=f"u{n}", text=f"t{n}")["id"]
                for n in range(17)}
    sandbox.fault("overlap", MENTIONS, count=3)
    sandbox.fault("duplicate", MENTIONS, count=3)
    seen: list[str] = []
    items, cursor = drain(x.poll_mentions, cursor)
    seen = [i.platform_id for i in items]
    assert set(seen) == expected
    assert len(seen) > len(expected)  # the faults did deliver some items twice
    # Next poll: nothing new, even with a duplicate fault replaying old items.
    sandbox.fault("duplicate", MENTIONS)
    again, _ = drain(x.poll_mentions, cursor)
    assert again == []


def test_graph_overlapping_and_duplicate_pages_end_with_distinct_ids(sandbox):
    fb = sandbox.facebook()
    fb.page_size = 4
    expected = {sandbox.post(network="facebook", kind="comment", handle=f"u{n}",
                             text=f"t{n}")["id"] for n in range(11)}
    sandbox.fault("overlap", r"/comments$", count=2)
    sandbox.fault("duplicate", r"/comments$", count=2)
    items, _ = drain(fb.poll_mentions, None)
    ids = [i.platform_id for i in items]
    assert set(ids) == expected
    assert len(ids) == len(expected)  # the connector's seen-set removed replays


def test_fault_api_validates(sandbox):
    bad = requests.post(f"{sandbox.root}/_faults", json={"kind": "nope"}, timeout=5)
    assert bad.status_code == 400
    sandbox.fault("500", count=3)
    assert requests.get(f"{sandbox.root}/_faults", timeout=5).json()["faults"][0][
        "remaining"] == 3
    requests.delete(f"{sandbox.root}/_faults", timeout=5)
    assert requests.get(f"{sandbox.root}/_faults", timeout=5).json()["faults"] == []


def test_traffic_generator_in_process_and_over_http(sandbox):
    before = len(sandbox.timeline())
    generator = TrafficGenerator(sandbox.store, seed=1)
    thread = threading.Thread(target=generator.run, kwargs={"rate": 200, "count": 12})
    thread.start()
    thread.join(10)
    assert generator.sent == 12 and generator.errors == 0
    assert main(["--url", sandbox.root, "--rate", "200", "--count", "5", "--seed", "2"]) == 0
    rows = sandbox.timeline()
    assert len(rows) == before + 17
    texts = " ".join(r["text"] for r in rows)
    assert any(word in texts for word in ("commande", "Commande", "colis", "paiement",
                                          "Paiement", "piraté", "arnaque"))


def test_traffic_from_the_page_is_bounded_and_stoppable(sandbox):
    requests.post(f"{sandbox.root}/_traffic", json={"rate": 20, "count": 1000}, timeout=5)
    time.sleep(0.3)
    stopped = requests.post(f"{sandbox.root}/_traffic", json={"action": "stop"},
                            timeout=10).json()
    assert stopped["running"] is False
    sent = stopped["sent"]
    assert 0 < sent < 1000
    time.sleep(0.2)
    assert requests.get(f"{sandbox.root}/_traffic", timeout=5).json()["sent"] == sent
    with pytest.raises(ValueError):
        TrafficGenerator(sandbox.store).run(rate=1)


def test_two_stores_on_one_file_never_share_an_id(tmp_path):
    path = str(tmp_path / "shared.sqlite")
    brand = Brand("1600000000000000001", "MarketplaceCare", "104000000000001", "Marketplace")
    stores = [SandboxStore(path, brand), SandboxStore(path, brand)]
    ids: list[str] = []
    lock = threading.Lock()

    def work(store: SandboxStore) -> None:
        for n in range(15):
            row = store.customer_post(network="x", kind="mention", handle="h", text=str(n))
            with lock:
                ids.append(row["id"])

    threads = [threading.Thread(target=work, args=(s,)) for s in stores * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == len(set(ids)) == 60
    # Seeding happened once although two stores opened the file.
    assert len(stores[0].query("SELECT id FROM posts WHERE kind='post'")) == 2
