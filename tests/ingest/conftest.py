"""Builders of connector pages for the ingest tests (plain dataclasses, no network)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from app.models import utcnow
from connectors.base import Author, InboundPost, PollResult, SkippedItem
from tests.jobs.sandbox_http import http_sandbox, sandbox_channel  # noqa: F401

_IDS = itertools.count(1_000)


def person(n: int, followers: int | None = 100) -> Author:
    """The same customer every time for the same number."""
    return Author(platform_id=f"70000{n}", handle=f"customer_{n}", name=f"Customer {n}",
                  followers=followers)


def x_post(text: str = "@Brand où est mon colis ?", *, author: Author | None = None,
           pid: str | None = None, conversation: str | None = None,
           parent: str | None = None, private: bool = False,
           at: datetime | None = None) -> InboundPost:
    """An X mention (or a DM when private)."""
    pid = pid or str(next(_IDS))
    return InboundPost(platform_id=pid, kind="dm" if private else "mention",
                       conversation_id=conversation or pid, parent_id=parent,
                       author=author or person(1), text=text,
                       created_at=at or utcnow() - timedelta(minutes=5),
                       url=None if private else f"https://x.com/i/status/{pid}",
                       private=private, raw={})


def fb_comment(text: str = "Annonce refusée ??", *, author: Author | None = None,
               pid: str | None = None, post_id: str = "104_1", parent: str | None = None,
               at: datetime | None = None) -> InboundPost:
    """A Facebook comment under the brand's post (a reply when ``parent`` is given)."""
    pid = pid or f"{post_id}_{next(_IDS)}"
    return InboundPost(platform_id=pid, kind="comment", conversation_id=post_id,
                       parent_id=parent, author=author or person(1), text=text,
                       created_at=at or utcnow() - timedelta(minutes=5),
                       url=f"https://www.facebook.com/{pid}", private=False, raw={})


def fb_message(text: str = "Bonjour, c'est encore moi", *, author: Author | None = None,
               pid: str | None = None, at: datetime | None = None) -> InboundPost:
    """A Messenger message to the page."""
    pid = pid or f"m_{next(_IDS)}"
    return InboundPost(platform_id=pid, kind="dm", conversation_id="t_1", parent_id=None,
                       author=author or person(1), text=text,
                       created_at=at or utcnow() - timedelta(minutes=5), url=None,
                       private=True, raw={})


def page(items: list[Any], cursor: dict[str, Any] | None = None, *,
         skipped: list[SkippedItem] | None = None, more: bool = False) -> PollResult:
    """A poll page; the cursor defaults to the newest id of the page."""
    if cursor is None:
        cursor = {"since_id": max((getattr(i, "platform_id", "") or "" for i in items),
                                  default=None)}
    return PollResult(items=list(items), cursor=cursor, skipped=skipped or [], more=more)


@pytest.fixture
def emitted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every Socket.IO emit made by the app (after commit), recorded instead of sent."""
    from app.extensions import socketio

    calls: list[tuple[str, dict[str, Any]]] = []

    def record(name: str, payload: dict[str, Any], **_kw: Any) -> None:
        calls.append((name, payload))

    monkeypatch.setattr(socketio, "emit", record)
    return calls


PostFactory = Callable[..., InboundPost]
