"""The figures every page's header shows, read in one statement per request.

The header of each signed-in page shows a few numbers that features own: where the live
connection resumes (the newest event's sequence, ``app.realtime``) and the committee's
unread notifications (``app.review``). Each is a one-row read, and a round trip to the
database costs more than the read itself, so the features declare their figure as a scalar
sub-select (``register``) and the first one the page asks for (``figure``) reads them all
together; the answers are kept for the rest of the request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g
from sqlalchemy import ScalarSelect, select

from app.extensions import db

#: A figure's sub-select for the current request, or None when it does not apply (a role
#: that does not see it): then the figure reads 0.
Source = Callable[[], "ScalarSelect[Any] | None"]

_SOURCES: dict[str, Source] = {}
_KEY = "care_header_figures"


def register(name: str, source: Source) -> None:
    """Declare the header figure ``name`` (called once, when the feature is imported)."""
    _SOURCES[name] = source


def figure(name: str) -> int:
    """The header figure ``name`` for this request (every registered figure is read with it,
    once); 0 when it does not apply."""
    figures: dict[str, int] | None = g.get(_KEY)
    if figures is None:
        wanted = {key: sub for key, sub in ((key, source()) for key, source in _SOURCES.items())
                  if sub is not None}
        figures = {}
        if wanted:
            row = db.session.execute(select(*(sub.label(key) for key, sub in wanted.items()))).one()
            figures = {key: int(value or 0) for key, value in zip(wanted, row, strict=True)}
        setattr(g, _KEY, figures)
    return figures.get(name, 0)

