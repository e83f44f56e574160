"""normalise → dedupe → thread → score → store (with the cursor) → publish.

A page is stored in one transaction together with the channel's new cursor, so a crash
loses nothing and a restart duplicates nothing: authors, threads and messages are inserted
with the dialect's ``INSERT ... ON CONFLICT DO NOTHING`` against their unique keys, never
check-then-insert, and ``RETURNING`` names exactly the rows this transaction created (not
those of a racing poller). Rows are written in key order, so that two pollers inserting
overlapping pages take the row locks in the same order and cannot deadlock (PostgreSQL).
Existing threads are ORM objects changed through ``app.threads``; the session's flush
writes them in one executemany (every thread writes the same few columns an inbound
message moves; status, visibility and due times only when they changed), and the ORM's
hooks (``sla_due``) run as for any write. On PostgreSQL the rows of an INSERT go as one
array per column, so that its text, hence its server-side plan, is the same every page.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import JSON, Table, Text, bindparam, cast, func, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm.attributes import flag_modified

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
    Visibility,
    utcnow,
)
from app.realtime.publish import INBOX_ROOM, publish, thread_room
from app.sla.policy import Policy, policy_for_settings
from app.threads import (
    NewThread,
    ThreadState,
    apply_due_times,
    bump_version,
    receive_inbound,
    thread_summary,
)
from connectors.base import InboundPost, PollResult, SkippedItem
from tone import Analysis, priority

log = logging.getLogger("care.ingest")

MAX_TEXT = 20_000  # stored as it came, up to a sane bound (X: 280, Facebook: 8,000)


@dataclass
class IngestReport:
    """What one page did."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    skipped: int = 0
    new_threads: int = 0
    thread_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Scored:
    """A post's tone analysis and priority."""

    analysis: Analysis
    priority: float


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


def _insert(model: type[DeclarativeBase]) -> postgresql.Insert | sqlite.Insert:
    """The dialect's own INSERT into ``model``'s table (it knows ``on_conflict_do_nothing``)."""
    dialect = db.session.get_bind().dialect.name
    table = model.__table__
    assert isinstance(table, Table)
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"ingest needs INSERT ... ON CONFLICT (dialect {dialect})")


def _insert_new(model: type[DeclarativeBase], rows: list[dict[str, Any]],
                unique: Sequence[str], returning: Sequence[Any]) -> list[Any]:
    """Insert ``rows`` (already in key order), skipping those whose ``unique`` key exists;
    the ``returning`` values of the rows actually inserted.

    One statement, compiled once and cached. On PostgreSQL the rows go as one array per
    column, unnested in their order (``INSERT ... SELECT FROM unnest(...) WITH
    ORDINALITY ORDER BY``): the statement's text is the same for every page, so it is
    parsed and planned once (a prepared statement) instead of once per page as a
    multi-row VALUES list of a few thousand parameters would be. Elsewhere SQLAlchemy
    sends the rows as multi-row INSERTs ("insertmanyvalues"), RETURNING included.
    """
    if not rows:
        return []
    statement = _insert(model)
    if isinstance(statement, postgresql.Insert):
        table = statement.table
        assert isinstance(table, Table)
        names = list(rows[0])
        # JSON values travel as their JSON text (SQLAlchemy's own serialisation,
        # json.dumps) and are cast back: a json[] parameter cannot carry nested lists.
        as_text = {name for name in names if isinstance(table.c[name].type, JSON)}
        source = func.unnest(*(
            bindparam(f"unnest_{name}", type_=postgresql.ARRAY(
                Text() if name in as_text else table.c[name].type))
            for name in names
        )).table_valued(*names, with_ordinality="position").render_derived()
        values = select(*(cast(source.c[name], table.c[name].type) if name in as_text
                          else source.c[name] for name in names))
        pg = (statement.from_select(names, values.order_by(source.c.position))
              .on_conflict_do_nothing(index_elements=list(unique)).returning(*returning))
        columns = {f"unnest_{name}": [json.dumps(row[name]) if name in as_text else row[name]
                                      for row in rows] for name in names}
        return list(db.session.execute(pg, columns).all())
    statement = statement.on_conflict_do_nothing(index_elements=list(unique))
    return list(db.session.execute(statement.returning(*returning), rows).all())


class AuthorRow(NamedTuple):
    """What ingest reads of an author."""

    id: int
    platform_id: str
    handle: str
    followers: int | None
    segment: str


def _upsert_authors(network: str, posts: Sequence[InboundPost]) -> dict[str, AuthorRow]:
    """The page's authors by platform id, created as needed, with the newest handle and reach
    the platform reported."""
    people = {post.author.platform_id: post.author for post in posts}

    def load(pids: Iterable[str]) -> dict[str, AuthorRow]:
        # Rows, not ORM objects: ingest reads five columns and writes two, for a hundred
        # authors a page.
        return {row.platform_id: AuthorRow(*row) for row in db.session.execute(
            select(Author.id, Author.platform_id, Author.handle, Author.followers,
                   Author.segment)
            .where(Author.network == network, Author.platform_id.in_(list(pids))))}

    # Most authors write more than once: read first, insert only the new ones.
    authors = load(people)
    missing = sorted(pid for pid in people if pid not in authors)
    if missing:
        now = utcnow()
        rows = [{"network": network, "platform_id": pid,
                 "handle": (people[pid].handle or pid)[:120],
                 "display_name": (people[pid].name or None) and people[pid].name[:200],
                 "followers": people[pid].followers, "segment": "private",
                 "created_at": now, "updated_at": now} for pid in missing]
        # Insert-or-ignore: another poller may have inserted some meanwhile; reading back
        # gives this transaction's and theirs alike.
        _insert_new(Author, rows, ("network", "platform_id"), (Author.id,))
        authors.update(load(missing))
    changes: list[dict[str, Any]] = []
    for pid, given in people.items():
        author = authors[pid]
        # Handles and reach change over time; keep the newest the platform reported.
        handle = given.handle[:120] if given.handle else author.handle
        followers = given.followers if given.followers is not None else author.followers
        if handle != author.handle or followers != author.followers:
            authors[pid] = author._replace(handle=handle, followers=followers)
            changes.append({"id": author.id, "handle": handle, "followers": followers,
                            "updated_at": utcnow()})
    if changes:
        changes.sort(key=lambda change: change["id"])  # key order: see the module
        db.session.execute(update(Author), changes)  # the ORM's bulk UPDATE by primary key
    return authors


def _thread_keys(channel_id: int, posts: Sequence[InboundPost],
                 authors: dict[str, AuthorRow]) -> dict[str, str]:
    """Each post's thread key: its conversation's, or for a private message the author's
    open thread on this channel (a new private thread when there is none)."""
    keys: dict[str, str] = {}
    open_by_author: dict[int, str] = {}
    dm_authors = {authors[p.author.platform_id].id for p in posts if p.private}
    if dm_authors:
        for author_id, origin in db.session.execute(
            select(Thread.author_id, Thread.origin_platform_id)
            .where(Thread.channel_id == channel_id, Thread.author_id.in_(dm_authors),
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
    return keys


def _load_threads(channel_id: int, keys: Iterable[str]) -> dict[str, Thread]:
    return {thread.origin_platform_id: thread for thread in db.session.scalars(
        select(Thread).where(Thread.channel_id == channel_id,
                             Thread.origin_platform_id.in_(list(keys))))}


# What an inbound message changes on a stored thread, short of a reopening or a move to
# private (``receive_inbound`` and ``bump_version``); status, visibility and the due times
# are written only when they change (their indexes and the ORM's ``sla_due`` hook).
INBOUND_COLUMNS: tuple[str, ...] = (
    "last_message_at", "category", "language", "sentiment", "urgency", "urgency_bits", "priority",
    "version",
)


def _write_inbound_columns(thread: Thread) -> None:
    """Have the flush write the thread's :data:`INBOUND_COLUMNS`, changed or not.

    The ORM groups the UPDATEs of a flush by the set of columns they write: left to
    itself it sends one statement per distinct set (a dozen round trips for a page of
    replies), with one set for nearly all threads it sends one executemany in
    primary-key order. Writing a value back unchanged changes nothing else: no listener
    reads these attributes' history.
    """
    loaded = inspect(thread).dict
    for name in INBOUND_COLUMNS:
        if name in loaded:
            flag_modified(thread, name)


def _apply(thread: ThreadState, post: InboundPost, scored: Scored) -> None:
    """One inbound post joins ``thread`` (the aggregate's own transition)."""
    analysis = scored.analysis
    receive_inbound(thread, at=post.created_at, private=post.private,
                    category=analysis.category, language=analysis.language,
                    polarity=analysis.polarity, urgency=analysis.urgency_names,
                    priority=scored.priority)


def _draft(channel_id: int, key: str, group: list[InboundPost], author: AuthorRow,
           scored: dict[str, Scored], policy: Policy) -> NewThread:
    """A new thread with its final triage and due times (no UPDATE needed after): the
    aggregate's transitions and due-time rule run on it as on a stored one."""
    first = group[0]
    thread = NewThread(channel_id=channel_id, author_id=author.id, origin_platform_id=key,
                       subject=" ".join(first.text.split())[:200],
                       created_at=first.created_at, last_message_at=first.created_at,
                       visibility=(Visibility.PRIVATE if first.private
                                   else Visibility.PUBLIC).value)
    for post in group:
        _apply(thread, post, scored[post.platform_id])
    apply_due_times(thread, None, author.segment, first.created_at, policy)
    return thread


def _resolve_threads(channel: Channel, brand_settings: dict[str, Any] | None,
                     posts: Sequence[InboundPost], authors: dict[str, AuthorRow],
                     scored: dict[str, Scored]) -> tuple[dict[str, Thread | NewThread], set[int]]:
    """Map each post's platform id to its thread, creating threads as needed; and the ids of
    the threads this page created.

    New threads are inserted with their final values, computed from this page's posts, so
    that only threads that already existed are changed (and updated by the flush). A new
    thread stays the ``NewThread`` it was inserted from, with its id: only the page's event
    reads it.
    """
    keys = _thread_keys(channel.id, posts, authors)
    wanted = set(keys.values())
    threads: dict[str, Thread | NewThread] = dict(_load_threads(channel.id, wanted))
    groups: dict[str, list[InboundPost]] = {}
    for post in sorted(posts, key=lambda p: p.created_at):
        groups.setdefault(keys[post.platform_id], []).append(post)
    missing = sorted(k for k in wanted if k not in threads)
    created: set[int] = set()
    if missing:
        policy = policy_for_settings(brand_settings)  # once per page, not per thread
        drafts = {key: _draft(channel.id, key, groups[key],
                              authors[groups[key][0].author.platform_id], scored, policy)
                  for key in missing}
        rows = [draft.row() for draft in drafts.values()]
        for thread_id, key in _insert_new(Thread, rows, ("channel_id", "origin_platform_id"),
                                          (Thread.id, Thread.origin_platform_id)):
            drafts[key].id = thread_id
            threads[key] = drafts[key]
            created.add(thread_id)
        raced = [key for key in missing if key not in threads]
        if raced:  # created by another poller meanwhile: updated like any existing thread
            threads.update(_load_threads(channel.id, raced))
    return {pid: threads[key] for pid, key in keys.items()}, created


def store_page(channel: Channel, result: PollResult, *, private: bool) -> IngestReport:
    """Store a page and the cursor in the current transaction (flushed, not committed)."""
    report = store_posts(channel, result.items, result.skipped)
    # The cursor moves in the same transaction as the items it covers.
    if private:
        channel.private_cursor = result.cursor
    else:
        channel.poll_cursor = result.cursor
    db.session.flush()
    return report


def store_posts(channel: Channel, items: Sequence[InboundPost],
                skipped_items: Sequence[SkippedItem] = ()) -> IngestReport:
    """Store posts that came without a cursor (a webhook) or with one (``store_page``), in
    the current transaction (flushed, not committed); the same dedupe either way."""
    report = IngestReport(received=len(items))
    result_items, result_skipped = items, skipped_items
    for skipped in result_skipped:
        report.skipped += 1
        log.warning("channel %s (%s) skipped item %s: %s", channel.id, channel.network,
                    skipped.platform_id, skipped.reason)
    posts: dict[str, InboundPost] = {}
    for post in result_items:
        reason = _valid(post)
        if reason is not None:
            report.skipped += 1
            log.warning("channel %s (%s) skipped malformed item %r: %s", channel.id,
                        channel.network, getattr(post, "platform_id", None), reason)
            continue
        posts.setdefault(post.platform_id, post)
    if posts:
        known = _refresh_known(channel, posts)
        fresh = [p for pid, p in posts.items()
                 if pid not in known and not p.deleted and not p.update_only]
        report.duplicates += len(posts) - len(fresh)
        if fresh:
            _store_fresh(channel, fresh, report)
    db.session.flush()
    return report


def _refresh_known(channel: Channel, posts: dict[str, InboundPost]) -> set[str]:
    """The page's posts already stored (by their id, or as an earlier version of an edited
    X post), after bringing those rows up to date: hidden or deleted since, or edited.

    An edit updates the message it edits in place (its text and platform id become the
    newest version's, the older version goes to ``edit_history``), so that the thread keeps
    one message; an older version seen after a newer one changes nothing.
    """
    versions: dict[str, str] = {}  # any version's id -> the page's post id
    for pid, post in posts.items():
        versions[pid] = pid
        for old in post.edit_history:
            versions.setdefault(old, pid)
    rows = list(db.session.scalars(
        select(Message).where(Message.channel_id == channel.id,
                              Message.platform_id.in_(list(versions)))
        .order_by(Message.id)))
    known: set[str] = set()
    changed: dict[int, Message] = {}  # by message id
    for message in rows:
        assert message.platform_id is not None  # selected by it
        pid = versions[message.platform_id]
        post = posts[pid]
        known.add(pid)
        if message.platform_id != pid and _is_newer(post, message.platform_id):
            history = list(message.edit_history or [])
            history.append({"platform_id": message.platform_id, "text": message.text})
            message.edit_history = history
            message.platform_id = pid
            message.text = post.text[:MAX_TEXT]
            message.attachments = [a.to_dict() for a in post.attachments]
            changed[message.id] = message
        if post.edited and message.platform_id == pid and post.text \
                and post.text[:MAX_TEXT] != message.text:
            history = list(message.edit_history or [])
            history.append({"platform_id": pid, "text": message.text})
            message.edit_history = history
            message.text = post.text[:MAX_TEXT]
            changed[message.id] = message
        # A polled comment says is_hidden; of the webhook verbs, only hide/unhide do.
        if post.hidden != bool(message.hidden) and not post.deleted \
                and post.raw.get("verb") in (None, "hide", "unhide"):
            message.hidden = post.hidden
            changed[message.id] = message
        if post.deleted and not message.deleted:
            message.deleted = True
            changed[message.id] = message
    if changed:
        db.session.flush()
        for message in changed.values():  # an open thread page redraws the message
            publish("message.updated", {"thread_id": message.thread_id,
                                         "message_id": message.id}, thread_room(message.thread_id))
    return known


def _is_newer(post: InboundPost, stored_id: str) -> bool:
    """Whether ``post`` is a later version than the stored ``stored_id`` (X edit ids are
    listed oldest first)."""
    history = post.edit_history
    if stored_id not in history or post.platform_id not in history:
        return False
    return history.index(post.platform_id) > history.index(stored_id)


def _store_fresh(channel: Channel, fresh: list[InboundPost], report: IngestReport) -> None:
    now = utcnow()
    brand = db.session.get(Brand, channel.brand_id)
    brand_settings = brand.settings if brand is not None else None
    authors = _upsert_authors(channel.network, fresh)
    # One analyzer lookup per page (same analyzer, same weights for every message).
    analyzer, weights = triage.analyzer(brand_settings)
    scored: dict[str, Scored] = {}
    # The page's texts are analysed together: the classifier scores them in one product.
    analyses = analyzer.analyse_many([post.text[:MAX_TEXT] for post in fresh])
    for post, analysis in zip(fresh, analyses, strict=True):
        author = authors[post.author.platform_id]
        waited = max(0.0, (now - post.created_at).total_seconds())
        scored[post.platform_id] = Scored(analysis, priority(
            analysis, followers=author.followers, segment=author.segment,
            waited_seconds=waited, weights=weights))
    threads, created = _resolve_threads(channel, brand_settings, fresh, authors, scored)
    rows = []
    for post in sorted(fresh, key=lambda p: p.platform_id):  # key order: see the module
        analysis = scored[post.platform_id].analysis
        rows.append({
            "thread_id": threads[post.platform_id].id, "channel_id": channel.id,
            "platform_id": post.platform_id, "parent_platform_id": post.parent_id,
            "direction": Direction.INBOUND.value, "kind": post.kind,
            "visibility": (Visibility.PRIVATE if post.private else Visibility.PUBLIC).value,
            "text": post.text[:MAX_TEXT], "url": post.url,
            "author_id": authors[post.author.platform_id].id,
            "platform_created_at": post.created_at, "received_at": now,
            "language": analysis.language, "polarity": analysis.polarity,
            "subjectivity": analysis.subjectivity, "category": analysis.category,
            "urgency": [flag.to_dict() for flag in analysis.urgency],
            "pii": [span.to_dict() for span in analysis.pii],
            "attachments": [a.to_dict() for a in post.attachments],
            "hidden": post.hidden, "deleted": False,
            "edit_history": [{"platform_id": old, "text": None}
                             for old in post.edit_history if old != post.platform_id],
            "send_attempts": 0, "is_acknowledgement": False})
    stored = {platform_id: message_id for message_id, platform_id in _insert_new(
        Message, rows, ("channel_id", "platform_id"), (Message.id, Message.platform_id))}
    report.stored += len(stored)
    report.duplicates += len(fresh) - len(stored)
    # Each touched thread, with its new messages in time order: the page's event lists
    # them, so that the inbox moves the rows and an open thread page fetches the messages.
    touched: dict[int, tuple[Thread | NewThread, list[int]]] = {}
    for post in sorted(fresh, key=lambda p: p.created_at):
        message_id = stored.get(post.platform_id)
        if message_id is None:
            continue  # another poller stored it first
        thread = threads[post.platform_id]
        assert thread.id is not None  # stored or inserted above
        touched.setdefault(thread.id, (thread, []))[1].append(message_id)
        if thread.id not in created:  # a new thread was inserted with its final values
            _apply(thread, post, scored[post.platform_id])
    for thread, _ids in touched.values():
        if isinstance(thread, Thread) and thread.id not in created:
            bump_version(thread)
            _write_inbound_columns(thread)
    report.new_threads += len(created & set(touched))
    report.thread_ids = list(touched)
    if touched:
        db.session.flush()  # the threads' UPDATEs, in primary-key order
        publish("threads.updated", {"threads": [
            thread_summary(thread, new=thread.id in created, message_ids=ids)
            for thread, ids in touched.values()
        ]}, INBOX_ROOM)


def ingest_page(channel: Channel, result: PollResult, *, private: bool = False) -> IngestReport:
    """Use case: store one polled page with its cursor and commit (then browsers hear of it)."""
    try:
        report = store_page(channel, result, private=private)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report
