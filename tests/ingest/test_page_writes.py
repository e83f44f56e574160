"""A page's rows go in one statement per table whatever the backend (on PostgreSQL, one
array per column): awkward values come back as sent, and the stored threads a page touches
are updated in one executemany."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event

from app.extensions import db
from app.ingest import ingest_page
from app.models import Author, Channel, Message, Thread
from connectors.base import Author as PostAuthor
from tests.ingest.conftest import page, person, x_post

AWKWARD = ["NULL", "null", "{a,b}", '"quoted"', "back\\slash", "tab\there", "", " ",
           "émoji 😀 ✓", "{\"json\": [1, 2]}", "a,b", "'single'", "line\nbreak"]


@pytest.fixture
def statements(app: Any) -> Iterator[list[tuple[str, bool]]]:
    """(statement, executemany) sent to the database while the test runs."""
    found: list[tuple[str, bool]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any,
             executemany: bool) -> None:
        found.append((statement, executemany))

    event.listen(db.engine, "before_cursor_execute", seen)
    yield found
    event.remove(db.engine, "before_cursor_execute", seen)


def test_awkward_values_are_stored_as_sent(make_channel: Callable[..., Channel]) -> None:
    channel = make_channel("x")
    posts = []
    for n, text in enumerate(AWKWARD):
        author = PostAuthor(platform_id=f"80000{n}", handle=text or f"h{n}", name=text or None,
                            followers=None if n % 2 else n)
        posts.append(x_post(f"@Brand {text}", author=author, pid=f"5{n:03d}"))
    report = ingest_page(channel, page(posts))
    assert report.stored == len(AWKWARD)
    db.session.expire_all()
    stored = {m.platform_id: m for m in db.session.scalars(db.select(Message))}
    for n, text in enumerate(AWKWARD):
        message = stored[f"5{n:03d}"]
        assert message.text == f"@Brand {text}"
        assert isinstance(message.urgency, list) and isinstance(message.pii, list)
        assert message.attachments == [] and message.edit_history == []
        author = db.session.scalars(db.select(Author).where(
            Author.platform_id == f"80000{n}")).one()
        assert author.handle == (text or f"h{n}")
        assert author.followers == (None if n % 2 else n)
    threads = db.session.scalars(db.select(Thread)).all()
    assert len(threads) == len(AWKWARD)
    assert all(isinstance(t.urgency, list) for t in threads)


def test_a_page_of_replies_updates_its_threads_in_one_statement(
        make_channel: Callable[..., Channel], statements: list[tuple[str, bool]]) -> None:
    channel = make_channel("x")
    first = [x_post(f"@Brand question {n}", author=person(n), pid=f"61{n}") for n in range(6)]
    ingest_page(channel, page(first))
    statements.clear()
    replies = [x_post(text, author=person(n), pid=f"62{n}", conversation=f"61{n}",
                      parent=f"61{n}")
               for n, text in enumerate(["toujours rien", "arnaque !", "merci", "c'est nul",
                                         "mon compte est piraté", "ok"])]
    ingest_page(channel, page(replies))
    updates = [(s, many) for s, many in statements if s.startswith("UPDATE threads")]
    assert len(updates) == 1 and updates[0][1], updates
    inserts = [s for s, _many in statements if s.startswith("INSERT INTO messages")]
    assert len(inserts) == 1
    db.session.expire_all()
    assert all(t.version == 3 for t in db.session.scalars(db.select(Thread)))
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 12
