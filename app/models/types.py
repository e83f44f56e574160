"""Column types shared by the models."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite has no time zone type: values are stored as naive UTC and come back aware, so
    comparisons in Python never mix naive and aware datetimes.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        return dialect.type_descriptor(DateTime(timezone=dialect.name != "sqlite"))

    def bind_processor(self, dialect: Dialect) -> Any:
        """On SQLite, format the stored text in one step (see ``_sqlite_text``)."""
        if dialect.name == "sqlite":
            return _sqlite_text
        return super().bind_processor(dialect)

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        """On SQLite, parse the stored text in one step (see ``_sqlite_datetime``)."""
        if dialect.name == "sqlite":
            generic = super().result_processor(dialect, coltype)

            def process(value: str | None) -> datetime | None:
                return _sqlite_datetime(value, generic)
            return process
        return super().result_processor(dialect, coltype)

    def bind_column_processor(self, dialect: Dialect) -> Callable[[Sequence[Any]], Any] | None:
        """The bind processor applied to a whole column of values at once (ingest's
        multi-row statements), or None where the per-value one is all there is."""
        return sqlite_texts if dialect.name == "sqlite" else None

    def result_column_processor(self, dialect: Dialect, coltype: object
                                ) -> Callable[[Sequence[Any]], Any] | None:
        """The result processor applied to a whole column of read values, or None."""
        if dialect.name != "sqlite":
            return None
        generic = super().result_processor(dialect, coltype)

        def process(values: Sequence[str | None]) -> list[Any]:
            return sqlite_datetimes(values, generic)
        return process

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: Texts of the instants formatted lately, by value: ingest writes most instants more than
#: once (a page's rows share their reception time, a message's time is its new thread's,
#: a thread's times are read and written back), 4.7 of every 5.7 it formats per mention.
_texts: dict[datetime, str] = {}
#: The other way: instants by text, as written or read lately (ingest reads back seven per
#: thread it updates, most of them written by an earlier page).
_instants: dict[str, datetime] = {}
_TEXTS_MAX = 4096
_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    # Bounded by emptying when full: the instants of a few pages are what repeats. A single
    # dict operation each, so threads sharing the cache need no lock.
    if len(cache) >= _TEXTS_MAX:
        cache.clear()
    cache[key] = value


def _sqlite_text(value: datetime | None) -> str | None:
    # The exact text SQLAlchemy's SQLite DATETIME writes ("2026-11-23 09:30:00.000000"),
    # made by one C call: the generic path (to UTC, strip the zone, then a %-format of a
    # dict) was a tenth of ingest's own cost, at about ten datetimes per stored mention.
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTCDateTime column")
    # Aware datetimes are equal (and hash alike) when they are the same instant, whatever
    # their zones: the same instant has the same text.
    text = _texts.get(value)
    if text is None:
        utc = value if value.tzinfo is UTC else value.astimezone(UTC)
        # The same instant as a naive datetime, by arithmetic: two C operations cost less
        # than ``replace(tzinfo=None)`` (a microsecond) or formatting the offset away.
        text = (_NAIVE_EPOCH + (utc - _UTC_EPOCH)).isoformat(" ", "microseconds")
        _remember(_texts, value, text)
        _remember(_instants, text, utc)
    return text


def _column_through(cache: dict[Any, Any], values: Sequence[Any],
                    convert: Callable[[Any], Any]) -> list[Any]:
    """``convert`` of each value, those in ``cache`` found by one C-level pass over the column
    and only the others converted (None stays None)."""
    found: list[Any] = list(map(cache.get, values))
    if None in found:
        for i, value in enumerate(found):
            if value is None and values[i] is not None:
                found[i] = convert(values[i])
    return found


def sqlite_texts(values: Sequence[datetime | None]) -> list[str | None]:
    """``_sqlite_text`` of each value: a column of a multi-row statement at once (most of a
    page's instants were formatted before, see ``_texts``)."""
    return _column_through(_texts, values, _sqlite_text)


def _sqlite_datetime(value: str | None, generic: Any) -> datetime | None:
    # What _sqlite_text wrote, read back by one C call: SQLAlchemy's SQLite DATETIME parses
    # with a regular expression, then the zone is added, about 1.5 µs per value; ingest reads
    # seven per thread it updates. Anything else (a value written by another tool) takes
    # the generic path.
    if value is None:
        return None
    if type(value) is str and len(value) == 26:
        found = _instants.get(value)
        if found is not None:
            return found
        try:
            # Parsed with its zone: ten times faster than parse, then replace(tzinfo=UTC).
            found = datetime.fromisoformat(value + "+00:00")
        except ValueError:
            pass
        else:
            _remember(_instants, value, found)
            return found
    return generic(value) if generic is not None else value


def sqlite_datetimes(values: Sequence[str | None], generic: Any) -> list[Any]:
    """``_sqlite_datetime`` of each value: a column of read rows at once (most were written or
    read before, see ``_instants``)."""
    return _column_through(_instants, values, lambda value: _sqlite_datetime(value, generic))


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def _encoder() -> Any:
    """``json.dumps`` with its default options, as one call to the C encoder.

    ``JSONEncoder.encode`` builds a C encoder for each value it encodes (three Python calls
    and nine arguments around the C work): 5 µs for an urgency list, where the C encoder,
    built once, takes 2. Without the C accelerator, ``json.dumps`` itself.
    """
    from json.encoder import c_make_encoder, encode_basestring_ascii

    encoder = json.JSONEncoder()
    if c_make_encoder is None:  # pragma: no cover - CPython always has it
        return encoder.encode
    # As json.dumps: ASCII, ", " and ": ", keys unsorted, NaN allowed, TypeError for what
    # JSON cannot hold. No circular-reference check: the values are lists of plain dicts
    # built by ingest and tone, and a cycle would still stop, with a RecursionError.
    iterencode = c_make_encoder(None, encoder.default, encode_basestring_ascii, None,
                                encoder.key_separator, encoder.item_separator,
                                False, False, True)

    def encode(value: Any) -> str:
        if isinstance(value, str):  # the C encoder takes containers and scalars, not str
            return encode_basestring_ascii(value)
        return "".join(iterencode(value, 0))

    return encode


_encode = _encoder()


def json_dumps(value: Any) -> str:
    """The engine's JSON serializer: ``json.dumps``, with a shortcut for the empty lists
    most messages carry (no urgency, no personal data), three per stored mention."""
    if not value and type(value) is list:
        return "[]"
    return _encode(value)
