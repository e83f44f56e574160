"""Read side of the inbox: filtered, keyset-paginated thread lists (no OFFSET).

Every filter value comes from the query string and is validated: an unknown value falls
back to "no filter" and is named in ``InboxFilters.errors`` for the page. Counts are
bounded (``COUNT`` over a ``LIMIT``ed sub-select), never an unbounded scan per request.

Every list is served by an index in its own order (issue 20): the active statuses by the
partial indexes ``ix_threads_active_*`` (the condition is written with literal values,
``ACTIVE_PREDICATE``, so that SQLite and PostgreSQL can prove the partial index applies),
one status by ``(status, key, id)``, all statuses by ``(key, id)``; a later page resumes with
a row comparison ``(key, id) < (last key, last id)``, which both databases turn into an index
range. The urgency filter reads ``urgency_bits`` (``IN`` the bit sets holding the flag, and
``> 0`` written literally: on the active statuses the partial indexes of urgent threads give
the order), the date filter ``created_at``. ``tests/inbox_scale/test_plans.py`` reads the plans.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Executable,
    ScalarSelect,
    Select,
    and_,
    bindparam,
    false,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import joinedload

from app.dashboard.metrics import day_bounds
from app.extensions import db
from app.models import (
    OPEN_STATUSES,
    AuditEvent,
    Brand,
    Channel,
    Message,
    SavedView,
    Thread,
    ThreadStatus,
    User,
    utcnow,
)
from app.models.thread import bit_sets_with
from app.models.user import Role
from tone.types import CATEGORIES, URGENCY_FLAGS

SORTS = ("priority", "recent", "sla")
STATUS_FILTERS = ("active", *[s.value for s in ThreadStatus], "all")
LANGUAGE_FILTERS = ("fr", "en", "other")
SENTIMENT_FILTERS = ("negative", "neutral", "positive")
#: Polarity thresholds: below NEGATIVE_BELOW is negative, above POSITIVE_ABOVE positive.
NEGATIVE_BELOW = -0.1
POSITIVE_ABOVE = 0.1
#: Counts stop at this many rows; the page shows "999+".
COUNT_CAP = 1000
CARE_ROLE_NAMES = (Role.AGENT.value, Role.SUPERVISOR.value, Role.ADMIN.value)


class BadCursor(ValueError):
    """The pagination cursor does not decode; the list restarts from the top."""


@dataclass(frozen=True)
class InboxFilters:
    """What the inbox shows; built from the query string by ``from_args``.

    ``assignee`` is "" (anyone), "me", "none" (unassigned) or a user id as a string;
    ``me`` is the id "me" stands for (the current user when parsed in a request).
    """

    status: str = "active"
    channel_id: int | None = None
    sort: str = "priority"
    category: str = ""
    urgency: str = ""  # "", "any" or one flag
    language: str = ""
    sentiment: str = ""
    assignee: str = ""
    sla: str = ""  # "" or "breached"
    #: Opening dates (inclusive, the brand's local days), and the zone they are read in.
    opened_from: date | None = None
    opened_to: date | None = None
    zone: str = "UTC"
    me: int | None = None
    errors: tuple[str, ...] = field(default=())
    #: Why the date filter was ignored (shown on the page), or "".
    date_error: str = ""

    @classmethod
    def from_args(cls, args: Any, me: int | None = None) -> InboxFilters:
        """Parse query arguments; unknown values fall back to defaults and are reported."""
        errors: list[str] = []

        def pick(name: str, allowed: tuple[str, ...], default: str = "") -> str:
            value = str(args.get(name, default) or default)
            if value != default and value not in allowed:
                errors.append(name)
                return default
            return value

        status = pick("status", STATUS_FILTERS, "active")
        sort = pick("sort", SORTS, "priority")
        channel_raw = str(args.get("channel", "") or "")
        channel_id: int | None = None
        if channel_raw:
            if channel_raw.isdigit() and len(channel_raw) < 10:
                channel_id = int(channel_raw)
            else:
                errors.append("channel")
        category = pick("category", CATEGORIES)
        urgency = pick("urgency", ("any", *URGENCY_FLAGS))
        language = pick("language", LANGUAGE_FILTERS)
        sentiment = pick("sentiment", SENTIMENT_FILTERS)
        sla = pick("sla", ("breached",))
        assignee = str(args.get("assignee", "") or "")
        if assignee and assignee not in ("me", "none") and not (
                assignee.isdigit() and len(assignee) < 10):
            errors.append("assignee")
            assignee = ""
        opened_from, opened_to, date_error = parse_opened(
            args.get("opened_from"), args.get("opened_to"))
        zone = opening_zone(channel_id) if opened_from or opened_to else "UTC"
        if me is None:
            me = _current_user_id()
        return cls(status=status, channel_id=channel_id, sort=sort, category=category,
                   urgency=urgency, language=language, sentiment=sentiment,
                   assignee=assignee, sla=sla, opened_from=opened_from, opened_to=opened_to,
                   zone=zone, me=me, errors=tuple(errors), date_error=date_error)

    def to_args(self, **override: Any) -> dict[str, Any]:
        """The non-default filters as query arguments (for links and saved views)."""
        values = {
            "status": self.status if self.status != "active" else "",
            "channel": str(self.channel_id) if self.channel_id is not None else "",
            "sort": self.sort if self.sort != "priority" else "",
            "category": self.category, "urgency": self.urgency, "language": self.language,
            "sentiment": self.sentiment, "assignee": self.assignee, "sla": self.sla,
            "opened_from": self.opened_from.isoformat() if self.opened_from else "",
            "opened_to": self.opened_to.isoformat() if self.opened_to else "",
        }
        values.update({k: str(v) for k, v in override.items() if v is not None})
        return {k: v for k, v in values.items() if v}

    def to_query(self) -> str:
        """The filters as a canonical query string (what a saved view stores)."""
        return urlencode(self.to_args())

    def with_status(self, status: str) -> InboxFilters:
        """The same filters on another status (for the per-status counts)."""
        return replace(self, status=status)


#: The longest date string accepted (``YYYY-MM-DD``).
DATE_LENGTH = 10


def parse_opened(raw_from: Any, raw_to: Any) -> tuple[date | None, date | None, str]:
    """The opening-date filter from the query string: inclusive ISO dates, either may be
    left out. A malformed or reversed range is ignored, with the reason for the page."""
    texts = [str(raw or "").strip() for raw in (raw_from, raw_to)]
    parsed: list[date | None] = []
    for text in texts:
        if not text:
            parsed.append(None)
            continue
        try:
            if len(text) != DATE_LENGTH:
                raise ValueError(text)
            parsed.append(date.fromisoformat(text))
        except ValueError:
            return None, None, str(_l("The opening date “%(d)s” is not a date (YYYY-MM-DD); "
                                      "the date filter is ignored.", d=text[:40]))
    first, last = parsed
    if first and last and last < first:
        return None, None, str(_l("The opening dates are reversed (the end is before the "
                                  "start); the date filter is ignored."))
    return first, last, ""


def opening_zone(channel_id: int | None) -> str:
    """The time zone the opening dates are read in: the channel's brand's, else the first
    brand's, else the console's ``CARE_TIMEZONE``."""
    stmt = select(Brand.timezone)
    if channel_id is not None:
        stmt = stmt.join(Channel, Channel.brand_id == Brand.id).where(Channel.id == channel_id)
    name = db.session.scalar(stmt.order_by(Brand.id).limit(1))
    if not name:
        name = str(current_app.config.get("TIMEZONE") or "UTC")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


def _current_user_id() -> int | None:
    try:
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return int(current_user.id)
    except (RuntimeError, AttributeError):  # outside a request
        return None
    return None


def encode_cursor(thread: Thread, sort: str) -> str:
    """An opaque token that resumes the list after ``thread``."""
    key: Any = thread.priority if sort == "priority" else (
        thread.sla_due if sort == "sla" else thread.last_message_at)
    return cursor_token(key, thread.id)


def cursor_token(key: float | datetime, thread_id: int) -> str:
    """The cursor of the position just after (sort key, id), whether or not a thread is
    there (a bench or a link can start a page anywhere in the order)."""
    value: Any = key.isoformat() if isinstance(key, datetime) else float(key)
    raw = json.dumps([value, thread_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, sort: str) -> tuple[Any, int]:
    """Decode a cursor token; raises BadCursor on anything malformed."""
    try:
        padded = token + "=" * (-len(token) % 4)
        key, thread_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(thread_id, int):
            raise TypeError("id")
        if sort == "priority":
            return float(key), thread_id
        return datetime.fromisoformat(key), thread_id
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise BadCursor(str(exc)) from exc


def _active() -> Any:
    # Literal values (rendered into the SQL, never user input): the partial indexes' own
    # predicate, which neither database matches against bound parameters.
    return Thread.status.in_(bindparam("active_statuses", list(OPEN_STATUSES),
                                       expanding=True, literal_execute=True))


def _literal_time(value: datetime) -> Any:
    return literal(value, type_=Thread.created_at.type, literal_execute=True)


def _clock() -> datetime:
    return utcnow()


#: The clock as a parameter read when the statement runs (not when it is built): a statement
#: holding it can be kept and run again (the list's and the counts' are, per filters).
_NOW = bindparam("now", callable_=_clock, type_=Thread.sla_due.type)


def _urgent() -> Any:
    # "urgency_bits > 0" with a literal 0, as the urgent partial indexes state it.
    return Thread.urgency_bits > literal(0, literal_execute=True)


def _filtered(filters: InboxFilters) -> Select[Thread]:
    stmt = select(Thread)
    if filters.status == "active":
        stmt = stmt.where(_active())
    elif filters.status != "all":
        stmt = stmt.where(Thread.status == filters.status)
    if filters.channel_id is not None:
        stmt = stmt.where(Thread.channel_id == filters.channel_id)
    if filters.category:
        stmt = stmt.where(Thread.category == filters.category)
    if filters.urgency == "any":
        stmt = stmt.where(_urgent())
    elif filters.urgency:
        stmt = stmt.where(Thread.urgency_bits.in_(bit_sets_with(filters.urgency)))
        if db.session.get_bind().dialect.name == "sqlite":
            # SQLite uses the urgent partial indexes only when the query states their
            # condition; PostgreSQL proves it from the bit sets, and stated again it would
            # count the condition twice and misjudge how many rows match.
            stmt = stmt.where(_urgent())
    if filters.language == "other":
        stmt = stmt.where(or_(Thread.language.is_(None), Thread.language.not_in(["fr", "en"])))
    elif filters.language:
        stmt = stmt.where(Thread.language == filters.language)
    if filters.sentiment == "negative":
        stmt = stmt.where(Thread.sentiment < NEGATIVE_BELOW)
    elif filters.sentiment == "positive":
        stmt = stmt.where(Thread.sentiment > POSITIVE_ABOVE)
    elif filters.sentiment == "neutral":
        stmt = stmt.where(Thread.sentiment.between(NEGATIVE_BELOW, POSITIVE_ABOVE))
    if filters.assignee == "none":
        stmt = stmt.where(Thread.assignee_id.is_(None))
    elif filters.assignee == "me":
        stmt = stmt.where(Thread.assignee_id == (filters.me if filters.me is not None else -1))
    elif filters.assignee:
        stmt = stmt.where(Thread.assignee_id == int(filters.assignee))
    if filters.sla == "breached":
        # Past the due time it is racing against (first response, then resolution), as its
        # SLA chip shows; a thread with no clock running (resolved, closed) has NO_DUE.
        stmt = stmt.where(Thread.sla_due < _NOW)
        if filters.status in (ThreadStatus.RESOLVED.value, ThreadStatus.CLOSED.value):
            # None can be late: said to the database, which then reads nothing (it read
            # two indexes' worth of entries to find none, for the tab counts of every page
            # filtered on "SLA breached").
            stmt = stmt.where(false())
        elif filters.status == "all":
            # Only an active thread has a due time (``NO_DUE`` otherwise): saying so lets
            # the partial indexes of the active statuses serve "all" + "SLA breached".
            stmt = stmt.where(_active())
    if filters.opened_from or filters.opened_to:
        zone = ZoneInfo(filters.zone)
        # The bounds are written into the statement (validated dates, not the user's text):
        # as parameters, a prepared statement's generic plan guesses how many threads a
        # range holds, and walked the wrong index (8 ms instead of 3 on a million threads).
        if filters.opened_from:
            stmt = stmt.where(Thread.created_at >= _literal_time(
                day_bounds(filters.opened_from, zone)[0]))
        if filters.opened_to:
            stmt = stmt.where(Thread.created_at < _literal_time(
                day_bounds(filters.opened_to, zone)[1]))
    return stmt


def _order(sort: str) -> tuple[Any, ...]:
    # Least time left first (ascending), the others newest or most urgent first.
    if sort == "sla":
        return (Thread.sla_due.asc(), Thread.id.asc())
    if sort == "priority":
        return (Thread.priority.desc(), Thread.id.desc())
    return (Thread.last_message_at.desc(), Thread.id.desc())


def list_threads(
    filters: InboxFilters, after: str | None = None, limit: int = 50
) -> tuple[list[Thread], str | None]:
    """One page of threads and the cursor of the next page (None at the end)."""
    params: dict[str, Any] = {}
    if after:
        key, last_id = decode_cursor(after, filters.sort)
        params = {"after_key": key, "after_id": last_id}
    stmt = _list_statement(_statement_key(filters), bool(after), limit,
                           db.session.get_bind().dialect.name)
    rows = list(db.session.scalars(stmt, params).unique())
    next_cursor = encode_cursor(rows[limit - 1], filters.sort) if len(rows) > limit else None
    return rows[:limit], next_cursor


def _statement_key(filters: InboxFilters) -> InboxFilters:
    """The filters as far as they change the SQL: the kept statements are shared by every
    agent whose filters read the same (who "me" is matters only to "assigned to me", the
    zone only to opening dates; what the page reports about the query string, never)."""
    dated = filters.opened_from is not None or filters.opened_to is not None
    return replace(filters, errors=(), date_error="",
                   me=filters.me if filters.assignee == "me" else None,
                   zone=filters.zone if dated else "UTC")


@lru_cache(maxsize=256)
def _list_statement(filters: InboxFilters, resumed: bool, limit: int,
                    _dialect: str) -> Select[Thread]:
    """A page of the list for these filters, built once per filters (an inbox page builds
    nothing): a later page resumes after the cursor's (key, id), given at each run."""
    stmt = _filtered(filters)
    if resumed:
        sort_col: Any = {"sla": Thread.sla_due, "priority": Thread.priority}.get(
            filters.sort, Thread.last_message_at)
        cursor = tuple_(bindparam("after_key", type_=sort_col.type),
                        bindparam("after_id", type_=Thread.id.type))
        # A row comparison: an index range on (key, id) in both databases.
        if filters.sort == "sla":
            stmt = stmt.where(tuple_(sort_col, Thread.id) > cursor)
        else:
            stmt = stmt.where(tuple_(sort_col, Thread.id) < cursor)
    # Authors joined: every list walks an index in its own order and stops after the page
    # (``tests/inbox_scale``), so the join reads one author per row shown, in the same
    # round trip (a second query by primary key cost more than the join). Channels and
    # assignees are a handful per page, read once for the page's menus (``channels()``,
    # ``care_users()``).
    return (stmt.options(joinedload(Thread.author)).order_by(*_order(filters.sort))
            .limit(limit + 1))


#: The thread page shows this many of the latest messages; the earlier ones on demand.
LATEST_MESSAGES = 100


@dataclass(frozen=True)
class ThreadPage:
    """What the thread page shows: the thread, its latest messages in order, and how many
    earlier messages it leaves out (0 when it shows them all)."""

    thread: Thread
    messages: list[Message]
    earlier: int = 0


def thread_page(thread_id: int, latest: int | None = LATEST_MESSAGES) -> ThreadPage | None:
    """The thread and its ``latest`` messages (all of them with None), with their agents.

    An agent answers the end of a conversation: a thread of hundreds of messages (a long
    private exchange) opens on its latest ones, the earlier ones a click away. Both reads
    are served by ``ix_messages_thread_time`` (the latest walk it backwards and stop).
    """
    thread = db.session.get(Thread, thread_id)
    if thread is None:
        return None
    stmt = select(Message).where(Message.thread_id == thread_id).options(
        joinedload(Message.agent))
    if latest is None:
        return ThreadPage(thread, list(db.session.scalars(
            stmt.order_by(Message.platform_created_at, Message.id))))
    newest_first = list(db.session.scalars(
        stmt.order_by(Message.platform_created_at.desc(), Message.id.desc()).limit(latest)))
    newest_first.reverse()
    earlier = 0
    if len(newest_first) == latest:
        total = db.session.scalar(select(func.count()).select_from(Message)
                                  .where(Message.thread_id == thread_id)) or 0
        earlier = max(0, total - latest)
    return ThreadPage(thread, newest_first, earlier)


def bounded_count(filters: InboxFilters, cap: int = COUNT_CAP) -> int:
    """How many threads match, counting at most ``cap`` rows (a LIMITed sub-select).

    Bounded in work, not only in output: the filters that can narrow a count (status,
    channel, assignee, category, language, urgency, SLA breached, opening dates) each have an
    index whose condition the count uses (``(status, ...)``, the partial indexes on the
    active statuses, ``(urgency_bits, status)``, ``(status, sla_due, id)``,
    ``(status, created_at)``), so a count reads at most ``cap`` index entries for one filter,
    and the entries of its most selective filter for several; ``tests/inbox_scale`` reads
    the plans (no sequential scan of threads).

    Why not counters kept per status, channel and assignee: they would serve only those
    three filters (not category, urgency, sentiment, opening dates, nor "SLA breached",
    which changes with the clock without any write), every ingested thread would update the
    same few rows ("new" of its channel) from every poller and web process, serialising
    them on PostgreSQL (hot rows), and ingest's Core inserts would need database triggers or
    a second write path to keep them exact. A count stops at ``cap`` (shown "999+"), so
    an index-served bounded count is exact where it is shown exactly.
    """
    return int(db.session.scalar(select(_bounded(filters, cap))) or 0)


def _bounded(filters: InboxFilters, cap: int) -> ScalarSelect[int]:
    """The bounded count of :func:`bounded_count` as a scalar sub-select."""
    # Unordered on purpose: the planner picks the index whose condition holds the most
    # filters (ordered like the list, it would walk the list's index through every row of
    # a status whose other filter matches none: "closed" and "SLA breached").
    inner = _filtered(filters).with_only_columns(Thread.id).limit(cap).subquery()
    return select(func.count()).select_from(inner).scalar_subquery()


#: The status tabs of the inbox, in their order.
STATUS_TABS: tuple[str, ...] = ("active", *[s.value for s in ThreadStatus])


def status_counts(filters: InboxFilters, cap: int = COUNT_CAP) -> dict[str, int]:
    """Bounded counts per status tab, under the other current filters.

    One statement of a scalar sub-select per status, each planned on its own as
    :func:`bounded_count` is: one round trip to the database instead of five. "Active" is
    not counted again: it is new, open and waiting together, each bounded by ``cap``, so
    their sum is exact below ``cap`` and at least ``cap`` whenever one of them reached it.
    """
    key = replace(_statement_key(filters), status="active", sort="priority")
    row = db.session.execute(_counts_statement(key, cap, db.session.get_bind().dialect.name)).one()
    counts = {status: int(value or 0) for status, value in zip(STATUSES, row, strict=True)}
    return {"active": min(cap, sum(counts[status] for status in OPEN_STATUSES)), **counts}


#: Each status, counted by its own sub-select (the tabs but "active").
STATUSES: tuple[str, ...] = STATUS_TABS[1:]


@lru_cache(maxsize=256)
def _counts_statement(filters: InboxFilters, cap: int, _dialect: str) -> Executable:
    """The tab counts' statement for these filters (any status, any order), built once.

    Five filtered sub-selects: building one and deriving its cache key cost about as much
    as running it, on every inbox page. Kept per filters (the clock is a parameter read at
    each run) and per dialect (``_filtered`` words the urgency filter per database).
    """
    return select(*(_bounded(filters.with_status(status), cap).label(status)
                    for status in STATUSES))


def format_count(count: int, cap: int = COUNT_CAP) -> str:
    """A bounded count for the page: the cap reads "999+"."""
    return f"{cap - 1}+" if count >= cap else str(count)


def channels() -> list[Channel]:
    """Every channel by name (the filter menu, the header's strip): read once per request."""
    from flask import g, has_request_context

    if has_request_context():
        found: list[Channel] | None = g.get("care_channels")
        if found is None:
            found = g.care_channels = list(db.session.scalars(_CHANNELS))
        return found
    return list(db.session.scalars(_CHANNELS))


# The per-page reads below are the same statement every time: built once, not per page.
_CHANNELS = select(Channel).order_by(Channel.name)
_CARE_USERS = (select(User.id, User.name)
               .where(User.active.is_(True), User.role.in_(CARE_ROLE_NAMES))
               .order_by(User.name))
_SAVED_VIEWS = (select(SavedView).where(SavedView.user_id == bindparam("views_of"))
                .order_by(SavedView.name))


class Assignable(NamedTuple):
    """A user a thread can be given to, as the menus show them."""

    id: int
    name: str


def care_users() -> list[Assignable]:
    """Active users who can be given threads (agents, supervisors, admins), by name.

    Two columns, not whole users: the menus and the rows' assignees need no more. Read once
    per request (the bulk form, the filter menu and the rows all ask).
    """
    from flask import g, has_request_context

    found: list[Assignable] | None = g.get("care_users") if has_request_context() else None
    if found is None:
        found = [Assignable(user_id, name) for user_id, name in db.session.execute(_CARE_USERS)]
        if has_request_context():
            g.care_users = found
    return found


def saved_views(user_id: int) -> list[SavedView]:
    """A user's saved views, by name."""
    return list(db.session.scalars(_SAVED_VIEWS, {"views_of": user_id}))


def author_history(thread: Thread, limit: int = 20) -> list[Thread]:
    """The author's other threads, newest first."""
    stmt = (
        select(Thread)
        .where(Thread.author_id == thread.author_id, Thread.id != thread.id)
        .order_by(Thread.last_message_at.desc(), Thread.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def thread_audit(thread: Thread, limit: int = 30) -> list[AuditEvent]:
    """The thread's audit events (and its ticket's), newest first, bounded."""
    condition = and_(AuditEvent.object_type == "thread", AuditEvent.object_id == thread.id)
    if thread.ticket_id is not None:
        condition = or_(condition, and_(AuditEvent.object_type == "ticket",
                                        AuditEvent.object_id == thread.ticket_id))
    return list(db.session.scalars(
        select(AuditEvent).where(condition).options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)))


def thread_if_matches(thread_id: int, filters: InboxFilters) -> Thread | None:
    """The thread when it fits the inbox's filters (the live inbox asks per row)."""
    stmt = _filtered(filters).where(Thread.id == thread_id).options(
        joinedload(Thread.author), joinedload(Thread.channel), joinedload(Thread.assignee))
    return db.session.scalars(stmt).unique().first()


def sort_key(thread: Thread, sort: str) -> str:
    """A string that sorts like the inbox (descending), for placing a live row."""
    if sort == "priority":
        return f"{thread.priority:012.6f}:{thread.id:012d}"
    if sort == "sla":
        # Ascending order expressed as a descending key: invert time and id.
        left = 10**12 - int(thread.sla_due.timestamp())
        return f"{left:013d}:{10**12 - thread.id:012d}"
    return f"{thread.last_message_at.isoformat()}:{thread.id:012d}"
