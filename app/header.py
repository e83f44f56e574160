"""The figures every page's header shows, read in one statement per request.

The header of each signed-in page shows a few numbers that features own: where the live
connection resumes (the newest event's sequence, ``app.realtime``) and the committee's
unread notifications (``app.review``). Each is a one-row read, and a round trip to the
database costs more than the read itself, so the features declare their figure as a scalar
sub-select with named parameters (``register``) and the first figure the page asks for
(``figure``) reads them all together; the answers are kept for the rest of the request. The
statement for a set of figures is built once for the process.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from flask import g
from sqlalchemy import Executable, ScalarSelect, select

from app.extensions import db

#: The parameters of a figure's sub-select for the current request, or None when the
#: figure does not apply (a role that does not see it): then it reads 0.
Parameters = Callable[[], "dict[str, Any] | None"]

_FIGURES: dict[str, tuple[ScalarSelect[Any], Parameters]] = {}
_KEY = "care_header_figures"


def register(name: str, subquery: ScalarSelect[Any], parameters: Parameters) -> None:
    """Declare the header figure ``name``: a scalar sub-select whose bound parameter names
    are unique to it, and what they are for the current request (called once, when the
    feature is imported)."""
    _FIGURES[name] = (subquery, parameters)
    _statement.cache_clear()


@lru_cache(maxsize=64)
def _statement(names: tuple[str, ...]) -> Executable:
    return select(*(_FIGURES[name][0].label(name) for name in names))


def figure(name: str) -> int:
    """The header figure ``name`` for this request (every registered figure is read with it,
    once); 0 when it does not apply."""
    figures: dict[str, int] | None = g.get(_KEY)
    if figures is None:
        params: dict[str, Any] = {}
        names: list[str] = []
        for key, (_subquery, parameters) in _FIGURES.items():
            given = parameters()
            if given is not None:
                names.append(key)
                params.update(given)
        figures = {}
        if names:
            row = db.session.execute(_statement(tuple(names)), params).one()
            figures = {key: int(value or 0) for key, value in zip(names, row, strict=True)}
        setattr(g, _KEY, figures)
    return figures.get(name, 0)
