"""normalise → dedupe → thread → score → store (with the cursor) → publish.

A page is stored in one transaction together with the channel's new cursor, so a crash
loses nothing and a restart duplicates nothing: messages are inserted with
insert-or-ignore against UNIQUE(channel_id, platform_id), never check-then-insert. The
statements are set-based (a handful per page, whatever its size) and prepared once
(``app.prepared``) to keep ingest fast.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress
from operator import attrgetter, itemgetter, ne
from types import SimpleNamespace
from typing import Any, NamedTuple

from sqlalchemy import Connection, select
from sqlalchemy.orm.attributes import set_committed_value

from app import triage
from app.extensions import db
from app.models import (
    OPEN_STATUSES,
    Author,
    Brand,
    Channel,
    Direction,
    Message,
    Thread,
    ThreadStatus,
    Visibility,
    utcnow,
)
from app.models.thread import current_due
from app.prepared import BulkInsert, BulkUpdate, SelectIn
from app.realtime.publish import INBOX_ROOM, publish
from app.sla.policy import apply_due_times, policy_for_settings
from connectors.base import InboundPost, PollResult
from tone import priority

log = logging.getLogger("care.ingest")

MAX_TEXT = 20_000  # stored as it came, up to a sane bound (X: 280, Facebook: 8,000)

# The enums' values, read once: an enum member's ``.value`` is a Python-level descriptor
# call, and ingest reads several per mention.
_NEW, _OPEN = ThreadStatus.NEW.value, ThreadStatus.OPEN.value
_REOPENED_BY_A_REPLY = (ThreadStatus.WAITING.value, ThreadStatus.RESOLVED.value)
_PUBLIC, _PRIVATE = Visibility.PUBLIC.value, Visibility.PRIVATE.value
_INBOUND = Direction.INBOUND.value


@dataclass
class IngestReport:
    """What one page did."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    skipped: int = 0
    new_threads: int = 0
    thread_ids: list[int] = field(default_factory=list)


class _Record(SimpleNamespace):
    """A row as plain attributes, for the helpers shared with ORM objects (``_apply``,
    ``apply_due_times``, ``current_due``, ``thread_summary``)."""


_AUTHOR_READ = ("id", "platform_id", "handle", "followers", "segment")
_AUTHOR_INSERT = ("network", "platform_id", "handle", "display_name", "followers", "segment",
                  "created_at", "updated_at")
_AUTHOR_CHANGES = ("handle", "followers", "updated_at")
#: What ingest reads of a thread that already exists: the columns it changes, plus those
#: ``_apply``, ``current_due`` and ``thread_summary`` read.
_THREAD_READ = ("id", "origin_platform_id", "assignee_id", "status", "priority", "category",
                "language", "sentiment", "urgency", "visibility", "last_message_at", "version",
                "first_response_at", "first_response_due", "resolution_due", "resolved_at",
                "sla_due")
_THREAD_INSERT = ("channel_id", "author_id", "origin_platform_id", "subject", "status",
                  "visibility", "category", "language", "sentiment", "urgency", "priority",
                  "created_at", "last_message_at", "first_response_due", "sla_due",
                  "resolution_due", "version")
#: The thread columns ingest may change; an existing thread's UPDATE names those that did.
_THREAD_COLUMNS = ("last_message_at", "visibility", "category", "language", "sentiment",
                   "urgency", "priority", "status", "resolved_at", "first_response_due",
                   "resolution_due", "version", "sla_due")
_thread_row = attrgetter(*_THREAD_INSERT)  # a draft's INSERT values, in one C call
_platform_id, _created_at = attrgetter("platform_id"), attrgetter("created_at")
_thread_columns, _loaded_columns = attrgetter(*_THREAD_COLUMNS), itemgetter(*_THREAD_COLUMNS)
_reversed_pair = itemgetter(1, 0)  # (id, platform_id) as returned -> (platform_id, id)
_MESSAGE_INSERT = ("thread_id", "channel_id", "platform_id", "parent_platform_id", "direction",
                   "kind", "visibility", "text", "url", "author_id", "platform_created_at",
                   "received_at", "language", "polarity", "subjectivity", "category",
                   "urgency", "pii", "send_attempts", "is_acknowledgement")

_authors, _threads, _messages = Author.__table__, Thread.__table__, Message.__table__
_known_messages = SelectIn(_messages, ("platform_id",), ("channel_id",), "platform_id")
_read_authors = SelectIn(_authors, _AUTHOR_READ, ("network",), "platform_id")
_insert_authors = BulkInsert(_authors, _AUTHOR_INSERT, ("network", "platform_id"),
                             ("id", "platform_id"))
_update_authors = BulkUpdate(_authors, _AUTHOR_CHANGES)
_read_threads = SelectIn(_threads, _THREAD_READ, ("channel_id",), "origin_platform_id")
_insert_threads = BulkInsert(_threads, _THREAD_INSERT, ("channel_id", "origin_platform_id"),
                             ("id", "origin_platform_id"))
#: One UPDATE per set of changed columns (see ``_write_threads``).
_update_threads: dict[tuple[str, ...], BulkUpdate] = {}
_insert_messages = BulkInsert(_messages, _MESSAGE_INSERT, ("channel_id", "platform_id"),
                              ("id", "platform_id"))
_brand_settings = SelectIn(Brand.__table__, ("settings",), (), "id")
_update_cursor = {column: BulkUpdate(Channel.__table__, (column,))
                  for column in ("poll_cursor", "private_cursor")}


class _ChannelFacts(NamedTuple):
    id: int
    network: str
    brand_id: int


def _facts(channel: Channel) -> _ChannelFacts:
    """What ingest reads of a channel: its id, network and brand, which never change.

    Each page's commit expires the loaded channel, and reading them from it again would
    reload its whole row through the ORM at every page (about 0.4 ms, the cost of four
    mentions). They are kept on the instance outside its mapped attributes, which expiry
    leaves alone.
    """
    facts: _ChannelFacts | None = channel.__dict__.get("_ingest_facts")
    if facts is None:
        facts = _ChannelFacts(channel.id, channel.network, channel.brand_id)
        channel.__dict__["_ingest_facts"] = facts
    return facts


def _valid(post: Any) -> str | None:
    """Why a post cannot be stored, or None. Connectors already check; this is the last guard."""
    if not isinstance(post, InboundPost):
        return "not an InboundPost"
    if not isinstance(post.platform_id, str) or not post.platform_id.strip():
        return "no platform id"
    if not isinstance(post.text, str):
        return "text is not a string"
    if post.author is None or not str(post.author.platform_id or "").strip():
        return "no author id"
    if not isinstance(post.created_at, datetime) or post.created_at.tzinfo is None:
        return "no aware creation time"
    return None


def origin_key(post: InboundPost) -> str:
    """The thread a public post belongs to.

    Facebook: the top-level comment (replies under it join it). X: the conversation, per
    author, so that customers answering the same brand tweet get their own threads.
    """
    if post.kind == "comment":
        return f"fb:{post.parent_id or post.platform_id}"
    root = post.conversation_id or post.platform_id
    return f"x:{root}:{post.author.platform_id}"


class _AuthorRow(NamedTuple):
    """An author as ingest reads it (``_AUTHOR_READ``)."""

    id: int
    platform_id: str
    handle: str
    followers: int | None
    segment: str


def _upsert_authors(conn: Connection, network: str, posts: Sequence[InboundPost]
                    ) -> dict[str, _AuthorRow]:
    """The page's authors by platform id, created as needed."""
    people: dict[str, Any] = {}
    for post in posts:
        people[post.author.platform_id] = post.author

    def load(pids: Iterable[str]) -> dict[str, _AuthorRow]:
        # Rows become named tuples by one C call each (a page reads about a hundred).
        return {author.platform_id: author
                for author in map(_AuthorRow._make, _read_authors(conn, (network,), pids))}

    # Most authors write more than once: read first, insert only the new ones.
    authors = load(people)
    missing = sorted(pid for pid in people if pid not in authors)
    if missing:
        now = utcnow()
        rows = {pid: (network, pid, (people[pid].handle or pid)[:120],
                      (people[pid].name or None) and people[pid].name[:200],
                      people[pid].followers, "private", now, now) for pid in missing}
        # Rows go in in key order: two pollers inserting overlapping pages then take the
        # row locks in the same order and cannot deadlock (PostgreSQL). Insert-or-ignore:
        # another poller may have inserted some meanwhile; reading back takes theirs.
        for author_id, pid in _insert_authors(conn, list(rows.values())):
            row = rows[pid]
            authors[pid] = _AuthorRow(author_id, pid, row[2], row[4], row[5])
        raced = [pid for pid in missing if pid not in authors]
        if raced:
            authors.update(load(raced))
    changes = []
    for pid, given in people.items():
        author = authors[pid]
        # Handles and reach change over time; keep the newest the platform reported.
        handle = given.handle[:120] if given.handle else author.handle
        followers = given.followers if given.followers is not None else author.followers
        if handle != author.handle or followers != author.followers:
            authors[pid] = author._replace(handle=handle, followers=followers)
            changes.append((handle, followers, utcnow(), author.id))
    changes.sort(key=itemgetter(3))  # row locks in key order: see above
    _update_authors(conn, changes)
    return authors


def _new_thread(channel_id: int, key: str, group: list[InboundPost],
                authors: dict[str, Any], scored: dict[str, tuple[Any, float]],
                policy: Any) -> _Record:
    """A new thread with its final triage and SLA values (no UPDATE needed after)."""
    first = group[0]
    author = authors[first.author.platform_id]
    thread = _Record(
        id=None, channel_id=channel_id, author_id=author.id, origin_platform_id=key,
        subject=" ".join(first.text.split())[:200], assignee_id=None,
        created_at=first.created_at, last_message_at=first.created_at,
        status=_NEW, visibility=_PRIVATE if first.private else _PUBLIC,
        category=None, language=None, sentiment=None, urgency=[], priority=0.0,
        resolved_at=None, first_response_at=None, first_response_due=None,
        resolution_due=None, version=2)
    for post in group:
        _apply(thread, post, *scored[post.platform_id], author.segment)  # type: ignore[arg-type]
    apply_due_times(thread, None, author.segment, first.created_at,  # type: ignore[arg-type]
                    policy)
    thread.sla_due = current_due(thread)  # type: ignore[arg-type]
    return thread


def _load_threads(conn: Connection, channel_id: int, keys: Iterable[str]) -> dict[str, Any]:
    """Existing threads by origin key, as plain records: ingest writes back what changed with
    executemany UPDATEs, so ORM objects (identity map, change tracking) would be dead weight.
    Each record keeps the values as read in ``loaded``."""
    threads = {}
    for row in _read_threads(conn, (channel_id,), keys):
        values = dict(zip(_THREAD_READ, row, strict=True))
        threads[row[1]] = _Record(**values, loaded=values)
    return threads


def _resolve_threads(conn: Connection, channel: _ChannelFacts,
                     brand_settings: dict[str, Any] | None,
                     posts: Sequence[InboundPost], authors: dict[str, Any],
                     scored: dict[str, tuple[Any, float]]) -> tuple[dict[str, Any], set[int]]:
    """Map each post's platform id to its thread, creating threads as needed.

    New threads are inserted with their final values, computed from this page's posts, so
    that only threads that already existed need an UPDATE.
    """
    keys: dict[str, str] = {}
    dm_posts = [p for p in posts if p.private]
    open_by_author: dict[int, str] = {}
    if dm_posts:
        author_ids = {authors[p.author.platform_id].id for p in dm_posts}
        for author_id, origin in conn.execute(
            select(Thread.author_id, Thread.origin_platform_id)
            .where(Thread.channel_id == channel.id, Thread.author_id.in_(author_ids),
                   Thread.status.in_(OPEN_STATUSES))
            .order_by(Thread.last_message_at.desc())
        ):
            open_by_author.setdefault(author_id, origin)
    for post in posts:
        if post.private:
            joined = open_by_author.get(authors[post.author.platform_id].id)
            keys[post.platform_id] = joined or f"dm:{post.author.platform_id}:{post.platform_id}"
        else:
            keys[post.platform_id] = origin_key(post)
    wanted = set(keys.values())
    existing = _load_threads(conn, channel.id, wanted)
    groups: dict[str, list[InboundPost]] = {}
    for post in sorted(posts, key=lambda p: p.created_at):
        groups.setdefault(keys[post.platform_id], []).append(post)
    missing = sorted(k for k in wanted if k not in existing)  # key order: see _upsert_authors
    created: set[int] = set()
    if missing:
        policy = policy_for_settings(brand_settings)  # once per page, not per thread
        drafts = {key: _new_thread(channel.id, key, groups[key], authors, scored, policy)
                  for key in missing}
        # RETURNING names exactly the threads this transaction created (not a racing poller).
        returned = _insert_threads(conn, [_thread_row(thread) for thread in drafts.values()])
        for thread_id, key in returned:
            created.add(thread_id)
            # The draft as inserted stands in for the thread: nothing more to load or write.
            drafts[key].id = thread_id
            existing[key] = drafts[key]
        raced = [k for k in missing if k not in existing]
        if raced:  # created by another poller meanwhile: load them to update them
            existing.update(_load_threads(conn, channel.id, raced))
    return {pid: existing[key] for pid, key in keys.items()}, created


def store_page(channel: Channel, result: PollResult, *, private: bool) -> IngestReport:
    """Store a page and the cursor in the current transaction (flushed, not committed)."""
    # Ingest writes with its own prepared statements (``app.prepared``) on the session's
    # connection, in its transaction: a caller's pending ORM changes are flushed first, so
    # that nothing they changed can be written after them. The connection is looked up once
    # (through the scoped session, each lookup cost about 20 µs).
    db.session.flush()
    conn = db.session.connection()
    facts = _facts(channel)
    report = IngestReport(received=len(result.items))
    for skipped in result.skipped:
        report.skipped += 1
        log.warning("channel %s (%s) skipped item %s: %s", facts.id, facts.network,
                    skipped.platform_id, skipped.reason)
    posts: dict[str, InboundPost] = {}
    for post in result.items:
        reason = _valid(post)
        if reason is not None:
            report.skipped += 1
            log.warning("channel %s (%s) skipped malformed item %r: %s", facts.id,
                        facts.network, getattr(post, "platform_id", None), reason)
            continue
        posts.setdefault(post.platform_id, post)
    if posts:
        known = {row[0] for row in _known_messages(conn, (facts.id,), posts)}
        fresh = [p for pid, p in posts.items() if pid not in known]
        report.duplicates += len(posts) - len(fresh)
        if fresh:
            _store_fresh(conn, facts, fresh, report)
    # The cursor moves in the same transaction as the items it covers: one UPDATE of that
    # column (a unit-of-work flush would also diff every loaded object), and the loaded
    # channel is told its new value.
    column = "private_cursor" if private else "poll_cursor"
    _update_cursor[column](conn, [(result.cursor, facts.id)])
    set_committed_value(channel, column, result.cursor)
    return report


def _store_fresh(conn: Connection, channel: _ChannelFacts, fresh: list[InboundPost],
                 report: IngestReport) -> None:
    now = utcnow()
    # The brand's settings by one prepared read: the Brand object was expired by the last
    # commit, and reloading it through the ORM was a twentieth of ingest's own cost.
    found = _brand_settings(conn, (), [channel.brand_id])
    brand_settings = found[0][0] if found else None
    authors = _upsert_authors(conn, channel.network, fresh)
    scored: dict[str, tuple[Any, float]] = {}
    # One analyzer lookup per page, not two per message (same analyzer, same weights).
    analyzer, weights = triage.analyzer(brand_settings)
    for post in fresh:
        author = authors[post.author.platform_id]
        analysis = analyzer.analyse(post.text[:MAX_TEXT])
        waited = max(0.0, (now - post.created_at).total_seconds())
        prio = priority(analysis, followers=author.followers, segment=author.segment,
                        waited_seconds=waited, weights=weights)
        scored[post.platform_id] = (analysis, prio)
    threads, created = _resolve_threads(conn, channel, brand_settings, fresh, authors, scored)
    inbound, public, private = _INBOUND, _PUBLIC, _PRIVATE
    channel_id = channel.id
    rows = []
    for post in sorted(fresh, key=_platform_id):  # key order: see _upsert_authors
        analysis = scored[post.platform_id][0]
        urgency, pii = analysis.urgency, analysis.pii
        rows.append((
            threads[post.platform_id].id, channel_id, post.platform_id, post.parent_id,
            inbound, post.kind, private if post.private else public, post.text[:MAX_TEXT],
            post.url, authors[post.author.platform_id].id, post.created_at, now,
            analysis.language, analysis.polarity, analysis.subjectivity, analysis.category,
            [f.to_dict() for f in urgency] if urgency else [],
            [s.to_dict() for s in pii] if pii else [], 0, False))
    stored = dict(map(_reversed_pair, _insert_messages(conn, rows)))
    report.stored += len(stored)
    report.duplicates += len(fresh) - len(stored)
    # Each touched thread, with its new messages in time order: the page's event lists
    # them, so that the inbox moves the rows and an open thread page fetches the messages.
    touched: dict[int, tuple[Any, list[int]]] = {}
    for post in sorted(fresh, key=_created_at):
        mid = stored.get(post.platform_id)
        if mid is None:
            continue  # another poller stored it first
        thread = threads[post.platform_id]
        seen = touched.get(thread.id)
        if seen is None:
            touched[thread.id] = (thread, [mid])
        else:
            seen[1].append(mid)
        if thread.id in created:
            continue  # inserted with its final values
        analysis, prio = scored[post.platform_id]
        _apply(thread, post, analysis, prio, authors[post.author.platform_id].segment)
    existing = [thread for thread, _mids in touched.values() if thread.id not in created]
    for thread in existing:
        thread.version += 1
    report.new_threads += len(touched) - len(existing)
    _write_threads(conn, existing)
    report.thread_ids = list(touched)
    if touched:
        publish("threads.updated", {"threads": [
            thread_summary(thread, new=thread.id in created, message_ids=mids)
            for thread, mids in touched.values()
        ]}, INBOX_ROOM)


def _write_threads(conn: Connection, threads: list[Any]) -> None:
    """UPDATE the touched threads (plain records): only the columns that changed, one
    executemany per set of changed columns.

    A reply usually changes the last message time, the tone and the version, seldom the
    status or the due times; every index on a column named in SET is rewritten, changed or
    not (on SQLite, random leaf pages of up to nine indexes per thread, most of the
    write-ahead log of a page).
    """
    if not threads:
        return
    threads.sort(key=lambda t: t.id)  # row locks in key order: see _upsert_authors
    # A Thread the session already holds (a caller's own) would now be stale: reload it on
    # next access. The session seldom holds any (a poll holds its channel), so its few
    # objects are scanned once (by identity key: an expired object's id would load it)
    # rather than an identity key built per thread.
    held = {key[1][0]: obj for key, obj in db.session.identity_map.items()
            if key[0] is Thread}
    groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for thread in threads:
        # The unit of work is bypassed, so its before_flush hook is too: keep sla_due here.
        thread.sla_due = current_due(thread)
        stale = held.get(thread.id)
        if stale is not None:
            db.session.expire(stale)
        # Both sides of the comparison by one C call each.
        values = _thread_columns(thread)
        differs = list(map(ne, values, _loaded_columns(thread.loaded)))
        changed = tuple(compress(_THREAD_COLUMNS, differs))
        if changed:  # the version always moves; this guards the SQL
            groups.setdefault(changed, []).append((*compress(values, differs), thread.id))
    for changed, rows in groups.items():
        update = _update_threads.get(changed)
        if update is None:
            update = _update_threads[changed] = BulkUpdate(_threads, changed)
        update(conn, rows)


def _apply(thread: Thread, post: InboundPost, analysis: Any, prio: float, segment: str) -> None:
    if post.created_at >= thread.last_message_at:
        thread.last_message_at = post.created_at
    if post.private and thread.visibility != _PRIVATE:
        thread.visibility = _PRIVATE
    if thread.category is None or thread.category == "other":
        thread.category = analysis.category
    if thread.language is None:
        thread.language = analysis.language
    thread.sentiment = analysis.polarity
    flags = list(thread.urgency or [])
    for name in analysis.urgency_names:
        if name not in flags:
            flags.append(name)
    thread.urgency = flags
    thread.priority = max(thread.priority or 0.0, prio)
    # A customer writing again reopens a thread that was waiting or resolved.
    if thread.status in _REOPENED_BY_A_REPLY:
        thread.status = _OPEN
        thread.resolved_at = None


def thread_summary(thread: Thread, new: bool = False,
                   message_ids: list[int] | None = None) -> dict[str, Any]:
    """What a browser hears of a changed thread: which one, and its version.

    The inbox fetches the row it shows (rendered for that agent and that filter), a thread
    page fetches the new messages; so the event carries ids, not content. Every open
    browser receives every event and the event log keeps them: content there was most of a
    page's bytes (about 550 per thread), read by no one. ``message_ids``, when given, lists
    the thread's new messages (ingest's page event), for an open thread page to fetch.
    """
    summary = {"id": thread.id, "new": new, "version": thread.version,
               "status": thread.status, "assignee_id": thread.assignee_id}
    if message_ids is not None:
        summary["message_ids"] = message_ids
    return summary


def ingest_page(channel: Channel, result: PollResult, *, private: bool = False) -> IngestReport:
    """Use case: store one polled page with its cursor and commit (then browsers hear of it)."""
    try:
        report = store_page(channel, result, private=private)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report

