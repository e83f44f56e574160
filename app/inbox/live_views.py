"""What the live inbox asks for besides rows: the status tabs' counts under its filters."""

from __future__ import annotations

from typing import Any

from flask import request

from app.inbox import bp, queries
from app.security import CARE_ROLES, roles


@bp.route("/inbox/counts")
@roles(CARE_ROLES)
def counts() -> Any:
    """Bounded thread counts per status tab, under the page's other filters (JSON)."""
    filters = queries.InboxFilters.from_args(request.args)
    return {"counts": {status: queries.format_count(count)
                       for status, count in queries.status_counts(filters).items()}}
