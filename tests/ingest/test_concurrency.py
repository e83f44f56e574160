"""Four pollers replaying overlapping pages at once: every id stored exactly once."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

from flask import Flask

from app.extensions import db
from app.ingest import ingest_page
from app.models import Author, Channel, Message, Thread
from tests.ingest.conftest import fb_comment, page, person, x_post

POOL = 120
PAGE = 30
STEP = 10  # pages overlap by two thirds
POLLERS = 4
REPLAYS = 3


def _pool() -> list:
    posts = []
    for i in range(POOL):
        who = person(i % 7)  # few authors: threads and authors are raced for too
        if i % 3 == 0:
            posts.append(x_post(f"@Brand commande {i} pas reçue", pid=str(50_000 + i),
                                author=who))
        else:
            root = str(50_000 + (i // 3) * 3)
            posts.append(x_post(f"@Brand relance {i}", pid=str(50_000 + i), author=who,
                                conversation=root, parent=root))
    return posts


def _race(app: Flask, channel_id: int, pages: list, shuffle: bool) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(POLLERS)

    def poller(n: int) -> None:
        order = list(pages)
        if shuffle:
            random.Random(n).shuffle(order)
        try:
            with app.app_context():
                barrier.wait()
                for _ in range(REPLAYS):
                    for result in order:
                        channel = db.session.get(Channel, channel_id)
                        ingest_page(channel, result)
                db.session.remove()
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=poller, args=(n,)) for n in range(POLLERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a poller hung"
    return errors


def test_four_pollers_overlapping_pages(app: Flask, make_channel: Callable[..., Channel]) -> None:
    channel = make_channel("x")
    posts = _pool()
    pages = [page(posts[start:start + PAGE], {"since_id": posts[start].platform_id})
             for start in range(0, POOL - PAGE + 1, STEP)]
    errors = _race(app, channel.id, pages, shuffle=False)
    assert errors == []
    ids = list(db.session.scalars(db.select(Message.platform_id)
                                  .where(Message.channel_id == channel.id)))
    assert len(ids) == len(set(ids)) == POOL
    assert set(ids) == {p.platform_id for p in posts}
    # Threads and authors were raced for too: one row each.
    keys = list(db.session.scalars(db.select(Thread.origin_platform_id)
                                   .where(Thread.channel_id == channel.id)))
    assert len(keys) == len(set(keys))
    authors = list(db.session.scalars(db.select(Author.platform_id)))
    assert sorted(authors) == sorted({p.author.platform_id for p in posts})


def test_four_pollers_pages_in_different_orders(
        app: Flask, make_channel: Callable[..., Channel]) -> None:
    # Different orders make the pollers insert the same keys in different sequences: the
    # classic recipe for a deadlock between insert-or-ignore transactions on PostgreSQL.
    channel = make_channel("facebook")
    posts = []
    for i in range(POOL):
        parent = f"104_1_{60_000 + (i // 4) * 4}" if i % 4 else None
        posts.append(fb_comment(f"Commentaire {i}", pid=f"104_1_{60_000 + i}",
                                author=person(i % 5), parent=parent))
    pages = []
    for start in range(0, POOL - PAGE + 1, STEP):
        chunk = posts[start:start + PAGE]
        pages.append(page(chunk, {"after": chunk[-1].platform_id}))
        pages.append(page(list(reversed(chunk)), {"after": chunk[-1].platform_id}))
    errors = _race(app, channel.id, pages, shuffle=True)
    assert errors == []
    ids = list(db.session.scalars(db.select(Message.platform_id)
                                  .where(Message.channel_id == channel.id)))
    assert len(ids) == len(set(ids)) == POOL
