"""A thread's messages, written in Python: the thread page shows up to a hundred (all of
them with ``?messages=all``), the live thread page one at a time.

As for the inbox rows (``app/inbox/rows.py``), the words, labels and formatters are resolved
once per page (``MessageRenderer``) and each message is written with every value passed
through ``escape`` (markupsafe's C function); the message text is escaped by
``highlight_pii``. ``templates/inbox/_message.html`` calls this; the markup below is the
message's only copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.filters import (
    author_name,
    date_formatter,
    decimal,
    highlight_pii,
    label,
    labels_for_locale,
)
from app.filters import safe_link as _safe_link
from app.models import Message, Thread
from tone.labels import sentiment_label

_OUT_LINK = 'rel="noopener noreferrer" target="_blank"'


def _get(item: Any, key: str) -> Any:
    """``item[key]`` of a stored JSON object, else None (a malformed entry shows nothing)."""
    return item.get(key) if isinstance(item, Mapping) else None


class MessageRenderer:
    """Messages of one thread page: its language, zone, words and author, resolved once."""

    def __init__(self, thread: Thread, retry_form: Any) -> None:
        self.fmt = date_formatter()
        network = thread.channel.network
        self.inbound_name = escape(author_name(thread.author, network))
        labels = labels_for_locale()
        self.categories = labels["category"]
        self.urgencies = labels["urgency"]
        self.sentiments = labels["sentiment"]
        self.attachment_kinds = labels["attachment"]
        self.send_states = labels["send_state"]
        self.retry_form = retry_form
        self.t_brand = escape(_("Brand"))
        self.private = f'<span class="tag private">{escape(_("Private"))}</span>'
        self.public = f'<span class="tag public">{escape(_("Public"))}</span>'
        hidden_title = escape(_("Hidden by the Page: only its author and their friends see it"))
        self.hidden = (f'<span class="tag hidden-by-page" title="{hidden_title}">'
                       f'{escape(_("Hidden"))}</span>')
        self.deleted = f'<span class="tag deleted">{escape(_("Deleted by its author"))}</span>'
        self.t_on_platform = escape(_("on the platform"))
        self.t_earlier = escape(_("Earlier versions"))
        self.t_edited = escape(_("Edited"))
        self.t_polarity = escape(_("polarity"))
        self.t_sent = escape(_("Sent"))
        self.t_see_it = escape(_("see it on %(network)s",
                                 network=label("network", network)))

    def message(self, m: Message) -> str:
        """One ``<li>`` of the thread's messages (HTML, every value escaped)."""
        inbound = m.direction == "in"
        agent = m.agent if not inbound else None
        who = self.inbound_name if inbound else escape(agent.name) if agent else self.t_brand
        if m.visibility == "private":
            tag = self.private
        else:
            tag = self.public if m.direction == "out" else ""
        created = m.platform_created_at
        shown, hover = self.fmt.short_and_long(created)
        head = [f'<strong>{who}</strong>{tag}<time datetime="{created.isoformat()}"'
                f' title="{escape(hover)}">{escape(shown)}</time>']
        if m.hidden:
            head.append(self.hidden)
        if m.deleted:
            head.append(self.deleted)
        if m.edit_history:
            versions = " | ".join([str(_get(v, "text") or _get(v, "platform_id") or "")
                                   for v in m.edit_history])
            head.append(f'<span class="tag edited" title="{self.t_earlier}: {escape(versions)}">'
                        f'{self.t_edited}</span>')
        if m.url and inbound:
            head.append(f'<a href="{escape(m.url)}" {_OUT_LINK}>{self.t_on_platform}</a>')
        parts = [
            f'<li class="msg {"inbound" if inbound else "outbound"} vis-{escape(m.visibility)}"'
            f' id="m{m.id}"><div class="msg-head">{"".join(head)}</div>'
            f'<p class="msg-text{" msg-deleted" if m.deleted else ""}">'
            f'{highlight_pii(m.text, m.pii)}</p>'
        ]
        if m.attachments:
            parts.append(self.attachments(m.attachments))
        if inbound and m.language:
            parts.append(self.triage(m))
        if m.send_state:
            parts.append(self.send_state(m))
        parts.append("</li>\n")
        return "".join(parts)

    def attachments(self, attachments: Iterable[Any]) -> str:
        """The attachments' list: a thumbnail or the kind's name, linked when it may be."""
        items = []
        for a in attachments:
            kind = _get(a, "type")
            name = escape(self.attachment_kinds.get(kind, kind) if kind is not None else "")
            link = _safe_link(_get(a, "url") or _get(a, "preview_url"))
            thumb = _safe_link(_get(a, "preview_url"))
            body = (f'<img src="{escape(thumb)}" alt="{name}" loading="lazy"'
                    f' referrerpolicy="no-referrer">') if thumb else str(name)
            if link:
                body = f'<a href="{escape(link)}" {_OUT_LINK}>{body}</a>'
            items.append(f'<li class="attachment attachment-{escape(kind or "")}">{body}</li>')
        return f'<ul class="attachments">{"".join(items)}</ul>'

    def triage(self, m: Message) -> str:
        """Language, sentiment, category and urgency flags of an inbound message."""
        flags = [str(f.get("name")) if isinstance(f, dict) else str(f) for f in m.urgency or []]
        word = sentiment_label(m.polarity, m.category, flags, m.text or "")
        polarity = m.polarity
        shown = decimal(polarity, signed=True) if polarity is not None else "–"
        line = [f'<p class="msg-triage">{escape((m.language or "").upper())} · '
                f'<span class="sentiment sentiment-{escape(word)}"'
                f' title="{self.t_polarity} {shown}">'
                f'{escape(self.sentiments.get(word, word))}</span>']
        if m.category:
            line.append(f" · {escape(self.categories.get(m.category, m.category))}")
        for flag in m.urgency or ():
            name = _get(flag, "name")
            triggers = ", ".join(str(t) for t in (_get(flag, "triggers") or ()))
            line.append(f' · <span class="tag urgent" title="{escape(triggers)}">'
                        f'{escape(self.urgencies.get(name, name) if name is not None else "")}'
                        f'</span>')
        line.append("</p>")
        return "".join(line)

    def send_state(self, m: Message) -> str:
        """Sent (with when and a link), or sending, unknown or failed (with a retry)."""
        if m.send_state == "sent":
            sent = ""
            if m.sent_at:
                sent = (f' <time datetime="{m.sent_at.isoformat()}"'
                        f' title="{escape(self.fmt.format(m.sent_at, "long"))}">'
                        f'{escape(self.fmt.when(m.sent_at))}</time>')
            see = f' · <a href="{escape(m.url)}" {_OUT_LINK}>{self.t_see_it}</a>' if m.url else ""
            return f'<div class="send-state sent">✓ {self.t_sent}{sent}{see}</div>'
        error = f": {escape(m.send_error)}" if m.send_error else ""
        retry = ""
        if m.send_state in ("failed", "unknown"):
            words = _("Check and retry") if m.send_state == "unknown" else _("Retry")
            retry = (f' <form method="post" action="'
                     f'{escape(url_for("inbox.retry", message_id=m.id))}" class="inline">'
                     f'{self.retry_form.hidden_tag()}<button class="small">{escape(words)}'
                     f'</button></form>')
        state = m.send_state or ""
        return (f'<div class="send-state {escape(state)}">'
                f'{escape(self.send_states.get(state, state))}{error}{retry}</div>')


def thread_messages(messages: Iterable[Message], thread: Thread, retry_form: Any) -> Markup:
    """The ``<li>`` of each message, in order, in the page's language."""
    renderer = MessageRenderer(thread, retry_form)
    return Markup("".join([renderer.message(m) for m in messages]))
