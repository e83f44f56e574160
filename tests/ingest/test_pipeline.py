"""The ingest pipeline: dedupe, threading, cursor with the page, triage, events after commit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import pytest

import app.ingest.pipeline as pipeline
from app.extensions import db
from app.ingest import ingest_page
from app.ingest.pipeline import store_page
from app.models import Channel, Message, RealtimeEvent, Thread, utcnow
from connectors.base import InboundPost, SkippedItem
from tests.ingest.conftest import fb_comment, fb_message, page, person, x_post


def _messages(channel: Channel) -> list[Message]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Message).where(Message.channel_id == channel.id)
                                   .order_by(Message.id)))


def _threads(channel: Channel) -> list[Thread]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Thread).where(Thread.channel_id == channel.id)
                                   .order_by(Thread.id)))


def _thread_of(platform_id: str) -> Thread:
    message = db.session.scalar(db.select(Message).filter_by(platform_id=platform_id))
    assert message is not None, platform_id
    return message.thread


# -- dedupe ----------------------------------------------------------------------------------

def test_duplicates_within_a_page_are_stored_once(make_channel: Callable[..., Channel]) -> None:
    channel = make_channel("x")
    a, b = x_post(pid="101"), x_post(pid="102", author=person(2))
    report = ingest_page(channel, page([a, b, a, b, a]))
    assert report.stored == 2
    assert sorted(m.platform_id for m in _messages(channel)) == ["101", "102"]


def test_duplicates_across_pages_are_stored_once(make_channel: Callable[..., Channel]) -> None:
    channel = make_channel("x")
    first = [x_post(pid=str(200 + i), author=person(i)) for i in range(5)]
    second = first[3:] + [x_post(pid=str(205 + i), author=person(i)) for i in range(3)]
    assert ingest_page(channel, page(first)).stored == 5
    report = ingest_page(channel, page(second))
    assert (report.stored, report.duplicates) == (3, 2)
    ids = [m.platform_id for m in _messages(channel)]
    assert len(ids) == len(set(ids)) == 8
    # Replaying everything stores nothing more.
    assert ingest_page(channel, page(first + second)).stored == 0
    assert len(_messages(channel)) == 8


def test_same_platform_id_on_two_channels_is_two_messages(
        make_channel: Callable[..., Channel]) -> None:
    one, two = make_channel("x"), make_channel("x")
    ingest_page(one, page([x_post(pid="300")]))
    ingest_page(two, page([x_post(pid="300")]))
    assert len(_messages(one)) == len(_messages(two)) == 1


# -- threading ----------------------------------------------------------------------------

def test_x_same_conversation_same_author_joins_other_author_gets_own_thread(
        make_channel: Callable[..., Channel]) -> None:
    channel = make_channel("x")
    julie, marc = person(1), person(2)
    root = x_post("@Brand mon colis n'arrive pas", pid="400", author=julie)
    ingest_page(channel, page([root]))
    follow = x_post("@Brand toujours rien", pid="401", author=julie, conversation="400",
                    parent="400")
    other = x_post("@Brand pareil pour moi !", pid="402", author=marc, conversation="400",
                   parent="400")
    ingest_page(channel, page([follow, other]))
    assert _thread_of("401").id == _thread_of("400").id
    assert _thread_of("402").id != _thread_of("400").id
    assert _thread_of("402").author.platform_id == marc.platform_id
    assert len(_threads(channel)) == 2


def test_x_same_conversation_in_one_page_is_one_thread(
        make_channel: Callable[..., Channel]) -> None:
    channel = make_channel("x")
    posts = [x_post(f"@Brand message {i}", pid=str(450 + i), conversation="450")
             for i in range(3)]
    report = ingest_page(channel, page(posts))
    assert report.new_threads == 1
    assert len(_threads(channel)) == 1 and len(_messages(channel)) == 3


def test_facebook_reply_under_a_comment_joins_its_thread(
        make_channel: Callable[..., Channel]) -> None:
    channel = make_channel("facebook")
    top = fb_comment("Annonce refusée par la modération ??", pid="104_1_500", author=person(1))
    other_top = fb_comment("Et moi mon paiement ?", pid="104_1_501", author=person(2))
    ingest_page(channel, page([top, other_top]))
    reply = fb_comment("Je précise : c'est une annonce de vélo", pid="104_1_502",
                       author=person(1), parent="104_1_500")
    reply_by_other = fb_comment("+1 même souci", pid="104_1_503", author=person(3),
                                parent="104_1_500")
    ingest_page(channel, page([reply, reply_by_other]))
    assert _thread_of("104_1_502").id == _thread_of("104_1_500").id
    assert _thread_of("104_1_503").id == _thread_of("104_1_500").id
    assert _thread_of("104_1_501").id != _thread_of("104_1_500").id
    assert len(_threads(channel)) == 2


def test_private_message_joins_the_authors_open_thread_as_private(
        make_channel: Callable[..., Channel]) -> None:
    channel = make_channel("facebook")
    ingest_page(channel, page([fb_comment("Mon compte est bloqué", pid="104_1_600")]))
    public_thread = _thread_of("104_1_600")
    assert public_thread.visibility == "public"
    ingest_page(channel, page([fb_message("Voici les détails en privé", pid="m_601")]),
                private=True)
    thread = _thread_of("m_601")
    assert thread.id == public_thread.id
    assert thread.visibility == "private"
    assert db.session.scalar(db.select(Message).filter_by(platform_id="m_601")).visibility \
        == "private"
    assert len(_threads(channel)) == 1


def test_private_message_without_open_thread_opens_a_private_one(
        make_channel: Callable[..., Channel]) -> None:
    channel = make_channel("facebook")
    ingest_page(channel, page([fb_comment("Vieux sujet", pid="104_1_650")]))
    old = _thread_of("104_1_650")
    old.status = "closed"
    db.session.commit()
    ingest_page(channel, page([fb_message("Nouvelle question", pid="m_651")]), private=True)
    thread = _thread_of("m_651")
    assert thread.id != old.id and thread.visibility == "private"


def test_new_message_reopens_a_resolved_or_waiting_thread(
        make_channel: Callable[..., Channel]) -> None:
    channel = make_channel("x")
    ingest_page(channel, page([x_post(pid="700", author=person(1)),
                               x_post(pid="710", author=person(2))]))
    resolved, waiting = _thread_of("700"), _thread_of("710")
    resolved.status, resolved.resolved_at = "resolved", utcnow()
    waiting.status = "waiting"
    db.session.commit()
    versions = (resolved.version, waiting.version)
    ingest_page(channel, page([
        x_post("@Brand c'est revenu", pid="701", author=person(1), conversation="700"),
        x_post("@Brand vous êtes là ?", pid="711", author=person(2), conversation="710"),
    ]))
    db.session.expire_all()
    resolved, waiting = _thread_of("700"), _thread_of("710")
    assert (resolved.status, resolved.resolved_at) == ("open", None)
    assert waiting.status == "open"
    assert resolved.version > versions[0] and waiting.version > versions[1]


# -- cursor with the page ---------------------------------------------------------------------

def test_cursor_is_saved_with_the_page(make_channel: Callable[..., Channel]) -> None:
    channel = make_channel("x")
    ingest_page(channel, page([x_post(pid="800")], {"since_id": "800"}))
    ingest_page(channel, page([x_post(pid="900", private=True)], {"last_seen_id": "900"}),
                private=True)
    db.session.expire_all()
    channel = db.session.get(Channel, channel.id)
    assert channel.poll_cursor == {"since_id": "800"}
    assert channel.private_cursor == {"last_seen_id": "900"}
    # An empty page still moves the cursor.
    ingest_page(channel, page([], {"since_id": "850"}))
    db.session.expire_all()
    assert db.session.get(Channel, channel.id).poll_cursor == {"since_id": "850"}


@pytest.mark.parametrize("where", ["_apply", "apply_due_times", "publish"])
def test_failure_mid_page_stores_nothing_and_keeps_the_cursor(
        make_channel: Callable[..., Channel], monkeypatch: pytest.MonkeyPatch,
        where: str) -> None:
    channel = make_channel("x")
    ingest_page(channel, page([x_post(pid="1000")], {"since_id": "1000"}))
    before_events = db.session.scalar(db.select(db.func.count(RealtimeEvent.id)))
    calls = {"n": 0}
    original = getattr(pipeline, where)

    def boom(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2 or where != "_apply":
            raise RuntimeError("disk on fire")
        return original(*args, **kwargs)

    monkeypatch.setattr(pipeline, where, boom)
    posts = [x_post(pid=str(1001 + i), author=person(i)) for i in range(4)]
    with pytest.raises(RuntimeError):
        ingest_page(channel, page(posts, {"since_id": "1004"}))
    monkeypatch.undo()
    assert calls["n"] >= 1
    assert [m.platform_id for m in _messages(channel)] == ["1000"]
    assert len(_threads(channel)) == 1
    db.session.expire_all()
    assert db.session.get(Channel, channel.id).poll_cursor == {"since_id": "1000"}
    assert db.session.scalar(db.select(db.func.count(RealtimeEvent.id))) == before_events
    # The same page again goes through whole.
    assert ingest_page(channel, page(posts, {"since_id": "1004"})).stored == 4
    assert db.session.get(Channel, channel.id).poll_cursor == {"since_id": "1004"}


# -- malformed items -----------------------------------------------------------------------

def test_malformed_items_are_logged_with_the_channel_and_skipped(
        make_channel: Callable[..., Channel]) -> None:
    channel = make_channel("x")
    good = x_post(pid="1100")
    naive = x_post(pid="1101")
    naive.created_at = naive.created_at.replace(tzinfo=None)
    no_id = x_post(pid="1102")
    no_id.platform_id = "  "
    no_text = x_post(pid="1103")
    no_text.text = None  # type: ignore[assignment]
    no_author = x_post(pid="1104")
    no_author.author = None  # type: ignore[assignment]
    junk = {"id": "1105", "text": "not a post"}
    also_good = x_post(pid="1106", author=person(2))
    result = page([good, naive, no_id, no_text, junk, no_author, also_good],
                  {"since_id": "1106"},
                  skipped=[SkippedItem("1107", "tweet has no text")])
    # A handler on the logger itself, enabled: the migration tests run Alembic's fileConfig
    # in this process, which disables existing loggers.
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("care.ingest")
    was_disabled, logger.disabled = logger.disabled, False
    logger.addHandler(handler)
    try:
        report = ingest_page(channel, result)
    finally:
        logger.removeHandler(handler)
        logger.disabled = was_disabled
    assert report.stored == 2 and report.skipped == 6
    assert sorted(m.platform_id for m in _messages(channel)) == ["1100", "1106"]
    warnings = [r.getMessage() for r in records]
    assert len(warnings) == 6
    assert all(f"channel {channel.id} " in w for w in warnings)
    assert any("1107" in w and "tweet has no text" in w for w in warnings)
    assert any("1101" in w and "aware" in w for w in warnings)
    db.session.expire_all()
    assert db.session.get(Channel, channel.id).poll_cursor == {"since_id": "1106"}


# -- triage ------------------------------------------------------------------------------------

def test_triage_fields_are_set_on_messages_and_new_threads(
        make_channel: Callable[..., Channel]) -> None:
    channel = make_channel("x")
    hacked = x_post("@Brand mon compte a été piraté, quelqu'un a vidé mon solde !!", pid="1200",
                    author=person(1, followers=25_000))
    parcel = x_post("@Brand where is my parcel? I ordered two weeks ago", pid="1201",
                    author=person(2, followers=10))
    report = ingest_page(channel, page([hacked, parcel]))
    assert report.new_threads == 2
    fr = db.session.scalar(db.select(Message).filter_by(platform_id="1200"))
    en = db.session.scalar(db.select(Message).filter_by(platform_id="1201"))
    assert (fr.language, fr.category) == ("fr", "account")
    assert [u["name"] for u in fr.urgency] == ["hacked_account"]
    assert (en.language, en.category) == ("en", "delivery")
    t_fr, t_en = fr.thread, en.thread
    assert t_fr.urgency == ["hacked_account"] and t_fr.category == "account"
    assert t_fr.language == "fr" and t_en.language == "en"
    assert t_fr.priority > t_en.priority > 0
    for thread in (t_fr, t_en):
        assert thread.first_response_due is not None
        assert thread.first_response_due > thread.created_at
        assert thread.resolution_due is not None
    assert t_fr.first_response_due <= t_en.first_response_due  # urgent first


def test_a_later_message_keeps_the_thread_due_time(make_channel: Callable[..., Channel]) -> None:
    channel = make_channel("x")
    ingest_page(channel, page([x_post("@Brand colis perdu", pid="1300")]))
    due = _thread_of("1300").first_response_due
    ingest_page(channel, page([x_post("@Brand allô ?", pid="1301", conversation="1300",
                                      at=utcnow() - timedelta(minutes=1))]))
    assert _thread_of("1301").first_response_due == due


# -- events after commit --------------------------------------------------------------------

def test_events_are_logged_in_the_transaction_and_emitted_after_commit(
        make_channel: Callable[..., Channel], emitted: list) -> None:
    channel = make_channel("x")
    posts = [x_post(pid="1400", author=person(1)), x_post(pid="1401", author=person(2)),
             x_post(pid="1402", author=person(1), conversation="1400")]
    report = store_page(channel, page(posts), private=False)
    assert emitted == []  # flushed, not committed: nobody hears of it yet
    db.session.commit()
    names = sorted(name for name, _ in emitted)
    assert names.count("event") == len(emitted) == 1  # one per page
    wire = emitted[0][1]
    assert wire["name"] == "threads.updated"
    listed = wire["payload"]["threads"]
    assert {t["id"] for t in listed} == set(report.thread_ids)
    assert all(t["new"] for t in listed)
    # Ids, not content: every browser gets every event, and fetches what it shows.
    assert all(set(t) == {"id", "new", "version", "status", "assignee_id", "message_ids"}
               for t in listed)
    # Each entry names the thread's new messages, for an open thread page to fetch.
    stored = dict(db.session.execute(db.select(Message.platform_id, Message.id)).all())
    by_thread = {t["id"]: sorted(t["message_ids"]) for t in listed}
    all_ids = sorted(mid for ids in by_thread.values() for mid in ids)
    assert all_ids == sorted(stored[p] for p in ("1400", "1401", "1402"))
    logged = db.session.scalar(db.select(db.func.count(RealtimeEvent.id)))
    assert logged == 1


def test_rolled_back_page_emits_nothing(make_channel: Callable[..., Channel],
                                         emitted: list) -> None:
    channel = make_channel("x")
    store_page(channel, page([x_post(pid="1500")]), private=False)
    db.session.rollback()
    assert emitted == []
    assert db.session.scalar(db.select(db.func.count(RealtimeEvent.id))) == 0
    assert _messages(channel) == []


def test_duplicate_page_publishes_nothing(make_channel: Callable[..., Channel],
                                          emitted: list) -> None:
    channel = make_channel("x")
    posts = [x_post(pid="1600")]
    ingest_page(channel, page(posts))
    emitted.clear()
    ingest_page(channel, page(posts))
    assert emitted == []


def test_inbound_post_type_is_required(make_channel: Callable[..., Channel]) -> None:
    # A connector-shaped object that is not an InboundPost is refused, not half-stored.
    channel = make_channel("x")
    fake = type("Fake", (), {"platform_id": "1700"})()
    assert not isinstance(fake, InboundPost)
    report = ingest_page(channel, page([fake], {"since_id": "1700"}))
    assert report.skipped == 1 and _messages(channel) == []
