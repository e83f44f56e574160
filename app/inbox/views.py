"""Thin views of the inbox."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.inbox import bp, queries
from app.models import Message, Role, Thread
from app.security import ALL_ROLES, CARE_ROLES, roles


@bp.route("/")
@roles(ALL_ROLES)
def home() -> Any:
    """Send each role to its place: the inbox for care roles, the account page otherwise."""
    if current_user.role == Role.BRAND:
        return redirect(url_for("auth.account"))
    return redirect(url_for("inbox.index"))


@bp.route("/inbox")
@roles(CARE_ROLES)
def index() -> Any:
    """The shared inbox, most urgent or newest first."""
    filters = queries.InboxFilters.from_args(request.args)
    after = request.args.get("after") or None
    try:
        threads, next_cursor = queries.list_threads(
            filters, after, current_app.config["INBOX_PAGE_SIZE"]
        )
    except queries.BadCursor:
        return redirect(url_for("inbox.index", status=filters.status, sort=filters.sort,
                                channel=filters.channel_id or ""))
    return render_template(
        "inbox/index.html",
        threads=threads,
        next_cursor=next_cursor,
        filters=filters,
        channels=queries.channels(),
        statuses=queries.STATUS_FILTERS,
    )


@bp.route("/inbox/threads/<int:thread_id>")
@roles(CARE_ROLES)
def thread(thread_id: int) -> Any:
    """One thread with its messages in order, and its author."""
    item = db.session.get(
        Thread, thread_id,
        options=[selectinload(Thread.messages).joinedload(Message.agent)],
    )
    if item is None:
        abort(404)
    return render_template("inbox/thread.html", thread=item,
                           history=queries.author_history(item))
