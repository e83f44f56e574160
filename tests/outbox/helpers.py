"""A thread on a sandbox-backed X channel, ready to be answered."""

from __future__ import annotations

from collections.abc import Callable

from app.extensions import db
from app.jobs.poll import poll_channel
from app.models import Channel, Message, Thread
from tests.jobs.sandbox_http import HttpSandbox


def sandbox_thread(http_sandbox: HttpSandbox, sandbox_channel: Callable[..., Channel],
                   network: str = "x", text: str = "Mon colis n'est jamais arrivé") -> Thread:
    """Post a customer mention on the sandbox, poll it in, return its thread."""
    channel = sandbox_channel(network)
    if network == "x":
        posted = http_sandbox.post(network="x", kind="mention", handle="julie_mrtn", text=text)
    else:
        posted = http_sandbox.post(network="facebook", kind="comment", handle="julie",
                                   name="Julie M", text=text)
    assert poll_channel(channel.id).state == "ok"
    message = db.session.scalar(db.select(Message).filter_by(platform_id=posted["id"]))
    assert message is not None
    return message.thread
