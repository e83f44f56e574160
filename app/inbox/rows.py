"""The inbox's rows, written in Python: the list page shows fifty, the live inbox one.

A row is about thirty values (priority, network, author, subject, tags, status, assignee,
SLA chip, dates). Through Jinja each value paid for its attribute look-up, a call through
the template's context and an escape: about 100 µs a row, a fifth of an inbox page. Here
the words, tables and formatters are resolved once per page (``RowRenderer``) and each row
is one string with every value passed through ``escape``: about half the cost.
``templates/inbox/_row.html`` calls this; the markup below is the row's only copy.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.filters import author_name, date_formatter, labels_for_locale, sla_chips
from app.inbox.queries import care_users, channels, sort_key
from app.models import Thread


class RowRenderer:
    """Rows of one page: its language, zone, labels and order, resolved once.

    Every value written into the markup goes through ``escape`` (markupsafe's C function);
    the words resolved here are escaped once. (``Markup.format`` would escape as well, but
    through Python's ``string.Formatter``: slower than the template this replaces.)
    """

    def __init__(self, sort: str = "priority") -> None:
        self.sort = sort
        self.url_prefix = escape(url_for("inbox.thread", thread_id=0)[:-1])
        self.fmt = date_formatter()
        self.chips = sla_chips()
        labels = labels_for_locale()
        self.statuses = labels["status"]
        self.networks = labels["network"]
        self.categories = labels["category"]
        self.urgencies = labels["urgency"]
        self.t_select = escape(_("Select"))
        self.t_priority = str(_("Priority %(n)s of 100", n="%(n)s"))
        self.t_professional = str(labels["segment"]["professional"])
        # Assignees by id: the care users the page has read for its menus (a thread's
        # assignee may no longer be one: then it is read from the thread).
        self.assignees = {user.id: user.name for user in care_users()}
        self.channel_networks = {channel.id: channel.network for channel in channels()}
        self.pro = f' <span class="tag pro">{escape(_("Pro"))}</span>'
        self.private = f'<span class="tag private">{escape(_("Private"))}</span>'

    def row(self, thread: Thread) -> str:
        """One ``<li>`` of the inbox list (HTML, every value escaped)."""
        priority = thread.priority
        prio = round(priority)
        band = "high" if priority >= 75 else "mid" if priority >= 50 else "low"
        network = self.channel_networks.get(thread.channel_id) or thread.channel.network
        author = thread.author
        who = author_name(author, network)
        if author.segment == "professional":
            who_title, pro = f"{who} · {self.t_professional}", self.pro
        else:
            who_title, pro = who, ""
        tags = "".join([
            f'<span class="tag urgent">'
            f'{escape(self.urgencies.get(flag, flag) if flag is not None else "")}</span>'
            for flag in thread.urgency or ()])
        if thread.category:
            tags += (f'<span class="tag cat">'
                     f'{escape(self.categories.get(thread.category, thread.category))}</span>')
        if thread.language:
            tags += f'<span class="tag lang">{escape(thread.language.upper())}</span>'
        if thread.visibility == "private":
            tags += self.private
        status = escape(thread.status)
        status_label = escape(self.statuses.get(thread.status, thread.status))
        chip = self.chips.info(thread)
        sla = (f'<span class="sla sla-{escape(chip["state"])}" title="{escape(chip["title"])}">'
               f'{escape(chip["label"])}</span>') if chip else ""
        assignee_id = thread.assignee_id
        if assignee_id is None:
            assignee = ""
        else:
            assignee = self.assignees.get(assignee_id) or str(getattr(thread.assignee, "name", ""))
        last = thread.last_message_at
        tid = thread.id
        return (
            f'<li class="thread-row status-{status} prio-{band}" data-thread-id="{tid}"'
            f' data-sort-key="{escape(sort_key(thread, self.sort))}">'
            f'<input type="checkbox" class="select" name="thread_ids" value="{tid}"'
            f' form="bulk-form" aria-label="{self.t_select}">'
            f'<a href="{self.url_prefix}{tid}" class="thread-link">'
            f'<span class="prio" title="{escape(self.t_priority.replace("%(n)s", str(prio)))}">'
            f'{prio}</span>'
            f'<span class="net net-{escape(network)}"'
            f' title="{escape(self.networks.get(network, network))}">'
            f'{"X" if network == "x" else "f"}</span>'
            f'<span class="who" title="{escape(who_title)}">{escape(who)}{pro}</span>'
            f'<span class="subject-cell"><span class="subject">{escape(thread.subject)}</span>'
            f'<span class="meta">{tags}<span class="badge status-{status}">{status_label}</span>'
            f'<span class="presence" data-presence-for="{tid}"></span></span></span>'
            f'<span class="assignee">{escape(assignee)}</span><span class="sla-cell">{sla}</span>'
            f'<time datetime="{last.isoformat()}" title="{escape(self.fmt.format(last, "long"))}">'
            f'{escape(self.fmt.when(last))}</time></a></li>\n'
        )

    def rows(self, threads: Iterable[Thread]) -> Markup:
        """The ``<li>`` of each thread, in order."""
        row = self.row
        return Markup("".join([row(thread) for thread in threads]))


def inbox_rows(threads: Iterable[Thread], sort: str | None = None) -> Markup:
    """The inbox list's rows in the page's language (``sort`` gives their sort keys)."""
    return RowRenderer(sort or "priority").rows(threads)
