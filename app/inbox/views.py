"""Thin views of the inbox."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.inbox import bp, messages, queries, rows
from app.inbox.forms import ReplyForm, RetryForm
from app.models import Message, Role, Thread
from app.outbox import services as outbox
from app.outbox.composer import DraftCheck, check_draft
from app.outbox.services import SendRefused, new_idempotency_key
from app.security import ALL_ROLES, CARE_ROLES, current_actor, roles

bp.add_app_template_global(rows.inbox_rows)
bp.add_app_template_global(messages.thread_messages)


@bp.route("/")
@roles(ALL_ROLES)
def home() -> Any:
    """Send each role to its place: the inbox for care roles, the dashboard for the brand."""
    if current_user.role == Role.BRAND:
        return redirect(url_for("dashboard.index"))
    return redirect(url_for("inbox.index"))


@bp.route("/inbox")
@roles(CARE_ROLES)
def index() -> Any:
    """The shared inbox, most urgent or newest first."""
    filters = queries.InboxFilters.from_args(request.args)
    after = request.args.get("after") or None
    channels = queries.channels()  # before the rows: their channels come from the session
    try:
        threads, next_cursor = queries.list_threads(
            filters, after, current_app.config["INBOX_PAGE_SIZE"]
        )
    except queries.BadCursor:
        return redirect(url_for("inbox.index", **filters.to_args()))
    return render_template(
        "inbox/index.html",
        threads=threads,
        next_cursor=next_cursor,
        filters=filters,
        channels=channels,
        statuses=queries.STATUS_FILTERS,
        row_sort=filters.sort,
    )


def _load_thread(thread_id: int) -> Thread:
    # The author comes with it: every use shows or addresses them.
    item = db.session.get(Thread, thread_id, options=[joinedload(Thread.author)])
    if item is None:
        abort(404)
    return item


#: Drafts up to this length ride in the (cookie) session across the refusal's redirect;
#: longer ones are restored by the page's script from the browser's own storage.
DRAFT_IN_SESSION = 2000


def _keep_refused(thread_id: int, form: ReplyForm, refusal: SendRefused) -> Any:
    """After a refusal, back to the thread's own URL with the draft and the reason."""
    detail = refusal.detail
    if isinstance(detail, DraftCheck):  # what the page needs of it, as plain data
        detail = {"pii": detail.pii, "length": detail.length, "limit": detail.limit}
    body = form.body.data or ""
    session["refused_reply"] = {
        "thread_id": thread_id, "code": refusal.code, "detail": detail,
        "body": body if len(body) <= DRAFT_IN_SESSION else "",
        "private": bool(form.private.data), "key": form.idempotency_key.data,
        "version": form.version.data}
    return redirect(url_for("inbox.thread", thread_id=thread_id), code=303)


def render_thread(item: Thread, form: ReplyForm | None = None, status: int = 200,
                  refusal: SendRefused | None = None, *, all_messages: bool = False) -> Any:
    """The thread page (its action bar and ticket panel read failed forms from ``g``); a
    draft refused by the last post is restored with its reason. It shows the latest
    messages (:data:`queries.LATEST_MESSAGES`), or all of them with ``all_messages``."""
    kept = session.get("refused_reply")
    if form is None and kept and kept.get("thread_id") == item.id:
        session.pop("refused_reply")
        form = ReplyForm(formdata=None)
        form.body.data = kept.get("body") or ""
        form.private.data = bool(kept.get("private"))
        form.idempotency_key.data = kept.get("key") or new_idempotency_key()
        form.version.data = str(kept.get("version") or item.version)
        refusal = SendRefused(str(kept.get("code")), kept.get("detail"))
    if form is None:
        form = ReplyForm(formdata=None)
        form.idempotency_key.data = new_idempotency_key()
        form.version.data = str(item.version)
    queries.channels()  # the thread's channel and the header's strip: one read, from here
    page = queries.thread_page(item.id, None if all_messages else queries.LATEST_MESSAGES)
    assert page is not None  # the caller holds the thread
    return render_template("inbox/thread.html", thread=item, form=form, refusal=refusal,
                           messages=page.messages, earlier=page.earlier,
                           retry_form=RetryForm(), history=queries.author_history(item)), status


@bp.route("/inbox/threads/<int:thread_id>")
@roles(CARE_ROLES)
def thread(thread_id: int) -> Any:
    """One thread with its latest messages in order (``?messages=all``: every one), and its
    author."""
    return render_thread(_load_thread(thread_id),
                         all_messages=request.args.get("messages") == "all")


@bp.route("/inbox/threads/<int:thread_id>/reply", methods=["POST"])
@roles(CARE_ROLES)
def reply(thread_id: int) -> Any:
    """Queue a reply (stored first) and send it once; the draft is kept when refused."""
    item = _load_thread(thread_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return render_thread(item, form, 400)
    try:
        message = outbox.reply(
            current_actor(), item, form.body.data or "",
            idempotency_key=form.idempotency_key.data or "", private=form.private.data,
            expected_version=int(form.version.data) if form.version.data else None)
    except SendRefused as exc:
        if exc.code == "stale":
            form.version.data = str(item.version)
        return _keep_refused(thread_id, form, exc)
    if request.accept_mimetypes.best == "application/json":
        return {"ok": True, "message_id": message.id, "send_state": message.send_state}
    return redirect(url_for("inbox.thread", thread_id=thread_id, _anchor=f"m{message.id}"))


@bp.route("/inbox/rows/<int:thread_id>")
@roles(CARE_ROLES)
def row(thread_id: int) -> Any:
    """One inbox row for the live inbox; 204 when the thread no longer fits the filters."""
    filters = queries.InboxFilters.from_args(request.args)
    item = queries.thread_if_matches(thread_id, filters)
    if item is None:
        return "", 204
    html = render_template("inbox/_row.html", threads=[item], row_sort=filters.sort)
    return html, 200, {"X-Sort-Key": queries.sort_key(item, filters.sort)}


@bp.route("/inbox/threads/<int:thread_id>/messages/<int:message_id>")
@roles(CARE_ROLES)
def message_fragment(thread_id: int, message_id: int) -> Any:
    """One message of a thread, for the live thread page."""
    message = db.session.get(Message, message_id)
    if message is None or message.thread_id != thread_id:
        abort(404)
    return render_template("inbox/_message.html", messages=[message], thread=message.thread,
                           retry_form=RetryForm())


@bp.route("/inbox/threads/<int:thread_id>/check", methods=["POST"])
@roles(CARE_ROLES)
def check(thread_id: int) -> Any:
    """The composer's live check: final text, length left, personal data spans."""
    item = _load_thread(thread_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("body", ""), str):
        return {"error": "body must be a string"}, 400
    body = data.get("body", "")[:20000]
    private = bool(data.get("private"))
    result = check_draft(item.channel.network, body, handle=item.author.handle,
                         signature=current_user.display_signature, public=not private)
    return {"text": result.text, "length": result.length, "limit": result.limit,
            "remaining": result.remaining, "too_long": result.too_long, "pii": result.pii,
            "version": item.version}


@bp.route("/inbox/messages/<int:message_id>/retry", methods=["POST"])
@roles(CARE_ROLES)
def retry(message_id: int) -> Any:
    """Retry a failed reply (an unknown one is first checked on the platform)."""
    message = db.session.get(Message, message_id)
    if message is None or message.direction != "out":
        abort(404)
    if not RetryForm().validate_on_submit():
        abort(400)
    outbox.retry(current_actor(), message)
    return redirect(url_for("inbox.thread", thread_id=message.thread_id,
                            _anchor=f"m{message.id}"))
