"""SQLite storage of the platform sandbox (stdlib only).

One table of posts for both networks, one counter table for ids and one
table of armed faults. Every operation opens its own connection, so the store
is safe to share between threads; writes run under ``BEGIN IMMEDIATE`` (and a
process-wide lock) so two processes on the same file never hand out the same
id or consume the same fault twice.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

# X snowflake epoch in milliseconds (Twitter's, so ids decode to real times).
SNOWFLAKE_EPOCH_MS = 1288834974657

SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    network TEXT NOT NULL,            -- 'x' | 'facebook'
    id TEXT NOT NULL,
    kind TEXT NOT NULL,               -- x: tweet|dm; facebook: post|comment|message
    conversation_id TEXT,
    parent_id TEXT,
    author_id TEXT NOT NULL,
    author_handle TEXT NOT NULL DEFAULT '',
    author_name TEXT NOT NULL DEFAULT '',
    author_followers INTEGER,
    text TEXT NOT NULL,
    created_at REAL NOT NULL,         -- unix seconds
    private INTEGER NOT NULL DEFAULT 0,
    recipient TEXT,                   -- DM/message recipient; brand id for mentions
    from_brand INTEGER NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL,             -- global insertion order, used for paging
    extra TEXT NOT NULL DEFAULT '{}', -- JSON: photo_url, anonymous, hidden, edit_history
    PRIMARY KEY (network, id)
);
CREATE INDEX IF NOT EXISTS posts_seq ON posts (network, kind, seq);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    pattern TEXT NOT NULL,
    method TEXT,
    remaining INTEGER NOT NULL,
    params TEXT NOT NULL DEFAULT '{}'
);
"""

FAULT_KINDS = (
    "429",
    "429_no_reset",
    "401",
    "500",
    "timeout_after_store",
    "close_after_store",
    "duplicate",
    "overlap",
)

_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def _lock_for(path: str) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault(path, threading.Lock())


def stable_user_id(network: str, handle: str) -> str:
    """Return the same numeric user id for a handle every time (no users table needed)."""
    digest = int(hashlib.sha256(f"{network}:{handle.lower()}".encode()).hexdigest()[:15], 16)
    prefix = "7" if network == "x" else "6"
    return prefix + str(digest % 10**15).zfill(15)


@dataclass(frozen=True)
class Brand:
    """Who the brand is on each network."""

    x_user_id: str
    x_handle: str
    fb_page_id: str
    fb_page_name: str


@dataclass(frozen=True)
class Fault:
    """A fault consumed for the current request."""

    kind: str
    params: dict[str, Any]


class SandboxStore:
    """All data of the sandbox, in one SQLite file."""

    def __init__(self, path: str, brand: Brand) -> None:
        self.path = path
        self.brand = brand
        self._lock = _lock_for(path)
        # Called with each customer post once stored (the sandbox's webhook sender).
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self._init()

    # -- connections -----------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                             check_same_thread=False)
        db.row_factory = sqlite3.Row
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, serialised within the process and across processes."""
        with self._lock:
            db = self._connect()
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            finally:
                db.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        try:
            yield db
        finally:
            db.close()

    def _init(self) -> None:
        with self._lock:
            db = self._connect()
            try:
                # WAL lets readers of another process go on while one writes.
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(SCHEMA)
                columns = {row[1] for row in db.execute("PRAGMA table_info(posts)")}
                if "extra" not in columns:  # a sandbox file from before the column
                    db.execute("ALTER TABLE posts ADD COLUMN extra TEXT NOT NULL DEFAULT '{}'")
            finally:
                db.close()
        self.seed()

    # -- ids -------------------------------------------------------------

    @staticmethod
    def _bump(db: sqlite3.Connection, name: str, at_least: int = 0) -> int:
        row = db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        value = max((row["value"] if row else 0) + 1, at_least)
        db.execute("INSERT INTO counters (name, value) VALUES (?, ?) "
                   "ON CONFLICT(name) DO UPDATE SET value = excluded.value", (name, value))
        return value

    def _x_id(self, db: sqlite3.Connection) -> str:
        # Snowflake-like: time in the high bits, strictly increasing.
        floor = (int(time.time() * 1000) - SNOWFLAKE_EPOCH_MS) << 22
        return str(self._bump(db, "x_id", floor))

    def _fb_n(self, db: sqlite3.Connection) -> int:
        return self._bump(db, "fb_n", 1000)

    def _insert(self, db: sqlite3.Connection, **row: Any) -> dict[str, Any]:
        row.setdefault("created_at", time.time())
        row.setdefault("private", 0)
        row.setdefault("from_brand", 0)
        row.setdefault("author_followers", None)
        row.setdefault("recipient", None)
        row.setdefault("conversation_id", None)
        row.setdefault("parent_id", None)
        row["extra"] = json.dumps(row.get("extra") or {})
        row["seq"] = self._bump(db, "seq")
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        db.execute(f"INSERT INTO posts ({columns}) VALUES ({marks})", tuple(row.values()))
        return row

    # -- seeding / reset ---------------------------------------------------

    def seed(self) -> None:
        """Create the brand's two Facebook posts and one tweet, once."""
        with self._write() as db:
            if db.execute("SELECT 1 FROM counters WHERE name = 'seeded'").fetchone():
                return
            db.execute("INSERT INTO counters (name, value) VALUES ('seeded', 1)")
            brand = self.brand
            now = time.time()
            for offset, text in (
                (7200, "Soldes d'hiver : jusqu'à -50 % sur l'électroménager jusqu'au 31 "
                       "janvier ! / Winter sale: up to 50% off appliances until Jan 31!"),
                (3600, "Information service : une maintenance est prévue cette nuit de 2h à "
                       "4h, le paiement peut être indisponible. / Service notice: maintenance "
                       "tonight 2-4am, payments may be unavailable."),
            ):
                n = self._fb_n(db)
                self._insert(db, network="facebook", id=f"{brand.fb_page_id}_{n}", kind="post",
                             author_id=brand.fb_page_id, author_name=brand.fb_page_name,
                             text=text, created_at=now - offset, from_brand=1)
            tweet_id = self._x_id(db)
            self._insert(db, network="x", id=tweet_id, kind="tweet", conversation_id=tweet_id,
                         author_id=brand.x_user_id, author_handle=brand.x_handle,
                         author_name=brand.fb_page_name, author_followers=48210,
                         text="Bonjour ! L'équipe service client répond ici 7j/7 de 8h à 22h. "
                              "/ Our care team answers here every day 8am-10pm.",
                         created_at=now - 5400, from_brand=1)

    def reset(self) -> None:
        """Delete every post and fault, then seed again (counters keep growing)."""
        with self._write() as db:
            db.execute("DELETE FROM posts")
            db.execute("DELETE FROM faults")
            db.execute("DELETE FROM counters WHERE name = 'seeded'")
        self.seed()

    # -- reads -------------------------------------------------------------

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Run a read-only query and return rows as dicts."""
        with self._read() as db:
            return [dict(r) for r in db.execute(sql, params).fetchall()]

    def get(self, network: str, post_id: str) -> dict[str, Any] | None:
        """Return one post by id, or None."""
        rows = self.query("SELECT * FROM posts WHERE network = ? AND id = ?", (network, post_id))
        return rows[0] if rows else None

    def author(self, network: str, author_id: str) -> dict[str, Any] | None:
        """Return the latest known profile of an author (handle, name, followers)."""
        rows = self.query(
            "SELECT author_id, author_handle, author_name, author_followers FROM posts "
            "WHERE network = ? AND author_id = ? ORDER BY seq DESC LIMIT 1",
            (network, author_id),
        )
        return rows[0] if rows else None

    # -- customer actions (page, traffic generator) --------------------------

    def customer_post(self, **event: Any) -> dict[str, Any]:
        """Publish something as a customer (see ``publish_customer_post``), then tell the
        listeners (webhooks)."""
        row = self.publish_customer_post(**event)
        for listener in self.listeners:
            listener(row)
        return row

    def publish_customer_post(
        self,
        *,
        network: str,
        kind: str,
        handle: str,
        text: str,
        name: str | None = None,
        followers: int | None = None,
        in_reply_to: str | None = None,
        created_at: float | None = None,
        photo_url: str | None = None,
        anonymous: bool = False,
        hidden: bool = False,
    ) -> dict[str, Any]:
        """Publish something as a customer.

        ``kind``: on X ``mention`` (a new tweet tagging the brand), ``reply`` (in
        reply to ``in_reply_to``) or ``dm``; on Facebook ``comment`` (under post
        or comment ``in_reply_to``, default the latest brand post) or ``message``
        (Messenger). ``photo_url`` attaches a photo (the text may then be empty);
        a Facebook comment may be ``anonymous`` (Graph then leaves out ``from``, as for
        people who have not authorised the app) or ``hidden`` by the Page.
        """
        handle = handle.strip().lstrip("@") or "client"
        name = (name or handle).strip()
        text = text.strip()
        photo_url = (photo_url or "").strip() or None
        if photo_url and not photo_url.startswith(("https://", "http://")):
            raise ValueError("photo_url must be an http(s) address")
        if not text and not photo_url:
            raise ValueError("text is empty")
        user_id = stable_user_id(network, handle)
        brand = self.brand
        extra: dict[str, Any] = {}
        if photo_url:
            extra["photo_url"] = photo_url
        if anonymous:
            extra["anonymous"] = True
        if hidden:
            extra["hidden"] = True
        with self._write() as db:
            common: dict[str, Any] = {
                "author_id": user_id, "author_handle": handle if network == "x" else "",
                "author_name": name, "author_followers": followers, "text": text,
                "extra": extra}
            if created_at is not None:
                common["created_at"] = float(created_at)
            if network == "x" and kind in ("mention", "reply"):
                parent = None
                if kind == "reply":
                    if not in_reply_to:
                        raise ValueError("a reply needs in_reply_to")
                    parent = db.execute("SELECT * FROM posts WHERE network='x' AND id=?",
                                        (in_reply_to,)).fetchone()
                    if parent is None or parent["kind"] != "tweet":
                        raise ValueError(f"no tweet {in_reply_to}")
                if f"@{brand.x_handle.lower()}" not in text.lower():
                    # X shows the replied-to handles; mentions must tag the brand.
                    common["text"] = f"@{brand.x_handle} {text}"
                tweet_id = self._x_id(db)
                return self._insert(
                    db, network="x", id=tweet_id, kind="tweet",
                    conversation_id=parent["conversation_id"] if parent else tweet_id,
                    parent_id=parent["id"] if parent else None,
                    recipient=brand.x_user_id, **common,
                )
            if network == "x" and kind == "dm":
                event_id = self._x_id(db)
                return self._insert(
                    db, network="x", id=event_id, kind="dm", private=1,
                    conversation_id=x_dm_conversation(user_id, brand.x_user_id),
                    recipient=brand.x_user_id, **common,
                )
            if network == "facebook" and kind == "comment":
                target_id = in_reply_to or self._latest_brand_post(db)
                target = db.execute("SELECT * FROM posts WHERE network='facebook' AND id=?",
                                    (target_id,)).fetchone()
                if target is None or target["kind"] not in ("post", "comment"):
                    raise ValueError(f"no post or comment {target_id}")
                post_id = target["id"] if target["kind"] == "post" else target["conversation_id"]
                comment_id = f"{post_id}_{self._fb_n(db)}"
                return self._insert(
                    db, network="facebook", id=comment_id, kind="comment",
                    conversation_id=post_id,
                    parent_id=target["id"] if target["kind"] == "comment" else None,
                    recipient=brand.fb_page_id, **common,
                )
            if network == "facebook" and kind == "message":
                conversation = self._fb_conversation(db, user_id)
                return self._insert(
                    db, network="facebook", id=f"m_{self._fb_n(db)}", kind="message",
                    private=1, conversation_id=conversation, recipient=brand.fb_page_id,
                    **common,
                )
        raise ValueError(f"unknown network/kind {network}/{kind}")

    def edit_tweet(self, tweet_id: str, text: str) -> dict[str, Any]:
        """A customer edits their tweet: X makes a new post whose ``edit_history_tweet_ids``
        lists every version, oldest first (each version answers the same list)."""
        text = text.strip()
        if not text:
            raise ValueError("text is empty")
        with self._write() as db:
            found = db.execute("SELECT * FROM posts WHERE network='x' AND id=?",
                               (tweet_id,)).fetchone()
            if found is None or found["kind"] != "tweet" or found["from_brand"]:
                raise ValueError(f"no customer tweet {tweet_id}")
            old = dict(found)
            old_extra = json.loads(old["extra"] or "{}")
            history = list(old_extra.get("edit_history") or [old["id"]])
            new_id = self._x_id(db)
            history.append(new_id)
            for version in history[:-1]:
                row = db.execute("SELECT extra FROM posts WHERE network='x' AND id=?",
                                 (version,)).fetchone()
                if row is not None:
                    data = json.loads(row["extra"] or "{}")
                    data["edit_history"] = history
                    db.execute("UPDATE posts SET extra=? WHERE network='x' AND id=?",
                               (json.dumps(data), version))
            row = self._insert(
                db, network="x", id=new_id, kind="tweet",
                conversation_id=old["conversation_id"], parent_id=old["parent_id"],
                author_id=old["author_id"], author_handle=old["author_handle"],
                author_name=old["author_name"], author_followers=old["author_followers"],
                text=text, recipient=old["recipient"],
                extra={**{k: v for k, v in old_extra.items() if k != "edit_history"},
                       "edit_history": history})
        for listener in self.listeners:
            listener(row)
        return row

    @staticmethod
    def _latest_brand_post(db: sqlite3.Connection) -> str | None:
        row = db.execute("SELECT id FROM posts WHERE network='facebook' AND kind='post' "
                         "ORDER BY seq DESC LIMIT 1").fetchone()
        return row["id"] if row else None

    def _fb_conversation(self, db: sqlite3.Connection, user_id: str) -> str:
        row = db.execute("SELECT conversation_id FROM posts WHERE network='facebook' AND "
                         "kind='message' AND (author_id=? OR recipient=?) LIMIT 1",
                         (user_id, user_id)).fetchone()
        return row["conversation_id"] if row else f"t_{self._fb_n(db)}"

    # -- brand actions (API) ---------------------------------------------------

    def brand_tweet(self, text: str, in_reply_to: str | None) -> dict[str, Any]:
        """Store a tweet by the brand (a reply when ``in_reply_to`` is given)."""
        brand = self.brand
        with self._write() as db:
            parent = None
            if in_reply_to:
                parent = db.execute("SELECT * FROM posts WHERE network='x' AND id=? AND "
                                    "kind='tweet'", (in_reply_to,)).fetchone()
                if parent is None:
                    raise LookupError(in_reply_to)
            tweet_id = self._x_id(db)
            return self._insert(
                db, network="x", id=tweet_id, kind="tweet",
                conversation_id=parent["conversation_id"] if parent else tweet_id,
                parent_id=in_reply_to, author_id=brand.x_user_id,
                author_handle=brand.x_handle, author_name=brand.fb_page_name,
                author_followers=48210, text=text, from_brand=1,
                recipient=parent["author_id"] if parent else None,
            )

    def brand_dm(self, participant_id: str, text: str) -> dict[str, Any]:
        """Store a DM from the brand to ``participant_id``."""
        brand = self.brand
        with self._write() as db:
            event_id = self._x_id(db)
            return self._insert(
                db, network="x", id=event_id, kind="dm", private=1,
                conversation_id=x_dm_conversation(participant_id, brand.x_user_id),
                author_id=brand.x_user_id, author_handle=brand.x_handle,
                author_name=brand.fb_page_name, text=text, from_brand=1,
                recipient=participant_id,
            )

    def brand_comment(self, target_id: str, text: str) -> dict[str, Any]:
        """Store a comment by the Page under post or comment ``target_id``."""
        brand = self.brand
        with self._write() as db:
            target = db.execute("SELECT * FROM posts WHERE network='facebook' AND id=?",
                                (target_id,)).fetchone()
            if target is None or target["kind"] not in ("post", "comment"):
                raise LookupError(target_id)
            post_id = target["id"] if target["kind"] == "post" else target["conversation_id"]
            return self._insert(
                db, network="facebook", id=f"{post_id}_{self._fb_n(db)}", kind="comment",
                conversation_id=post_id,
                parent_id=target["id"] if target["kind"] == "comment" else None,
                author_id=brand.fb_page_id, author_name=brand.fb_page_name, text=text,
                from_brand=1, recipient=target["author_id"],
            )

    def brand_message(
        self, text: str, *, recipient_id: str | None = None, comment_id: str | None = None,
        window_seconds: float = 7 * 86400,
    ) -> dict[str, Any]:
        """Store a Messenger message from the Page, or a private reply to a comment.

        Raises ``PermissionError`` with a Graph error code for the refusals.
        """
        brand = self.brand
        with self._write() as db:
            private_reply_to = None
            if comment_id:
                comment = db.execute("SELECT * FROM posts WHERE network='facebook' AND id=? "
                                     "AND kind='comment'", (comment_id,)).fetchone()
                if comment is None:
                    raise LookupError(comment_id)
                done = db.execute("SELECT 1 FROM posts WHERE network='facebook' AND "
                                  "kind='message' AND parent_id=? AND from_brand=1",
                                  (comment_id,)).fetchone()
                if done:
                    raise PermissionError(10900)
                if time.time() - comment["created_at"] > window_seconds:
                    raise PermissionError(2018278)
                recipient_id = comment["author_id"]
                private_reply_to = comment_id
            if not recipient_id:
                raise LookupError("recipient")
            conversation = self._fb_conversation(db, recipient_id)
            return self._insert(
                db, network="facebook", id=f"m_{self._fb_n(db)}", kind="message", private=1,
                conversation_id=conversation, parent_id=private_reply_to,
                author_id=brand.fb_page_id, author_name=brand.fb_page_name, text=text,
                from_brand=1, recipient=recipient_id,
            )

    # -- faults --------------------------------------------------------------

    def add_fault(self, kind: str, *, pattern: str = ".*", count: int = 1,
                  method: str | None = None, params: dict[str, Any] | None = None) -> int:
        """Arm a fault for the next ``count`` requests whose path matches ``pattern``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        re.compile(pattern)
        if count < 1:
            raise ValueError("count must be >= 1")
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO faults (kind, pattern, method, remaining, params) "
                "VALUES (?, ?, ?, ?, ?)",
                (kind, pattern, method.upper() if method else None, count,
                 json.dumps(params or {})),
            )
            return int(cur.lastrowid or 0)

    def faults(self) -> list[dict[str, Any]]:
        """Return the armed faults."""
        rows = self.query("SELECT * FROM faults ORDER BY id")
        for row in rows:
            row["params"] = json.loads(row["params"])
        return rows

    def clear_faults(self) -> None:
        """Disarm every fault."""
        with self._write() as db:
            db.execute("DELETE FROM faults")

    def take_fault(self, kinds: tuple[str, ...], path: str, method: str) -> Fault | None:
        """Consume one matching fault (decrementing its count) and return it."""
        marks = ", ".join("?" for _ in kinds)
        with self._write() as db:
            rows = db.execute(
                f"SELECT * FROM faults WHERE remaining > 0 AND kind IN ({marks}) ORDER BY id",
                kinds,
            ).fetchall()
            for row in rows:
                if row["method"] and row["method"] != method.upper():
                    continue
                try:
                    if not re.search(row["pattern"], path):
                        continue
                except re.error:
                    continue
                if row["remaining"] <= 1:
                    db.execute("DELETE FROM faults WHERE id = ?", (row["id"],))
                else:
                    db.execute("UPDATE faults SET remaining = remaining - 1 WHERE id = ?",
                               (row["id"],))
                return Fault(row["kind"], json.loads(row["params"]))
        return None


def x_dm_conversation(user_a: str, user_b: str) -> str:
    """Return X's id of the one-to-one DM conversation between two users."""
    low, high = sorted([user_a, user_b], key=int)
    return f"{low}-{high}"
