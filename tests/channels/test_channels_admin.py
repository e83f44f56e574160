"""Channel administration: connect, encrypted credentials, rotation, test connection, health."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from app.channels import crypto
from app.channels.services import health, rotate_keys
from app.extensions import db
from app.models import Channel, Message, Thread, User, utcnow
from tests.jobs.sandbox_http import HttpSandbox, new_fernet_key

TOKEN = "AAAAAAAAAAAAAAAAAAAAAsecret-bearer-token-4242"


@pytest.fixture
def admin(make_user: Callable[..., User], login: Callable[..., Any]) -> User:
    user = make_user("admin")
    login(user)
    return user


def _connect(client: FlaskClient, **fields: str) -> Any:
    data = {"network": "x", "name": "X Care", "account_id": "1600000000000000001",
            "handle": "@MarketplaceCare", "poll_interval": "60", "bearer_token": TOKEN}
    data.update(fields)
    return client.post("/admin/channels/", data=data)


def test_connect_stores_the_token_encrypted_and_never_shows_it(
        app: Flask, client: FlaskClient, admin: User) -> None:
    response = _connect(client)
    assert response.status_code == 302
    channel = db.session.scalar(db.select(Channel))
    assert channel.handle == "MarketplaceCare" and channel.status == "new"
    raw = db.session.execute(text("SELECT credentials_encrypted FROM channels")).scalar()
    raw = bytes(raw)
    assert TOKEN.encode() not in raw and b"secret-bearer" not in raw
    assert crypto.decrypt(raw, app.config["FERNET_KEYS"]) == {"bearer_token": TOKEN}
    for url in (response.headers["Location"], "/admin/channels/"):
        page = client.get(url)
        assert page.status_code == 200
        assert TOKEN not in page.text and "secret-bearer" not in page.text
    # Saving the edit form with empty credentials keeps them.
    client.post(f"/admin/channels/{channel.id}", data={"name": "X renamed",
                                                       "poll_interval": "30", "enabled": "y"})
    db.session.expire_all()
    channel = db.session.get(Channel, channel.id)
    assert channel.name == "X renamed"
    assert crypto.decrypt(channel.credentials_encrypted, app.config["FERNET_KEYS"]) == \
        {"bearer_token": TOKEN}


@pytest.mark.parametrize("network, creds", [
    ("x", {"consumer_key": "ck", "consumer_secret": "cs"}),  # half the OAuth 1.0a quartet
    ("x", {}),
    ("facebook", {"bearer_token": "an X token on a Facebook page"}),
])
def test_incomplete_credentials_give_a_clear_message(
        client: FlaskClient, admin: User, network: str, creds: dict[str, str]) -> None:
    response = _connect(client, network=network, **{"bearer_token": "", **creds})
    assert response.status_code == 400
    assert "These credentials are not enough" in response.text
    # The message sits in the credentials part of the form.
    fieldset = response.text.split('class="creds"', 1)[1].split("</fieldset>", 1)[0]
    assert "These credentials are not enough" in fieldset
    assert db.session.scalar(db.select(db.func.count(Channel.id))) == 0
    for value in creds.values():
        assert f'value="{value}"' not in response.text  # not echoed back either


def test_bad_account_id_is_refused_beside_its_field(client: FlaskClient, admin: User) -> None:
    response = _connect(client, account_id="@MarketplaceCare")
    assert response.status_code == 400
    assert "Digits only" in response.text


def test_key_rotation(app: Flask, monkeypatch: pytest.MonkeyPatch,
                      make_channel: Callable[..., Channel]) -> None:
    old, new = new_fernet_key(), new_fernet_key()
    creds = {"page_access_token": "page-token-xyz"}
    channel = make_channel("facebook", credentials_encrypted=crypto.encrypt(creds, [old]))
    monkeypatch.setitem(app.config, "FERNET_KEYS", [new, old])
    assert rotate_keys() == 1
    db.session.expire_all()
    token = db.session.get(Channel, channel.id).credentials_encrypted
    assert crypto.decrypt(token, [new]) == creds
    with pytest.raises(crypto.CredentialsError):
        crypto.decrypt(token, [old])
    # Before rotation, the new key alone could not read it.
    with pytest.raises(crypto.CredentialsError):
        crypto.decrypt(crypto.encrypt(creds, [old]), [new])


def test_rotation_with_an_unknown_key_fails_loudly(
        app: Flask, monkeypatch: pytest.MonkeyPatch,
        make_channel: Callable[..., Channel]) -> None:
    make_channel("x", credentials_encrypted=crypto.encrypt({"bearer_token": "t"},
                                                           [new_fernet_key()]))
    monkeypatch.setitem(app.config, "FERNET_KEYS", [new_fernet_key()])
    with pytest.raises(crypto.CredentialsError):
        rotate_keys()


def test_test_connection_shows_the_platform_answer(
        client: FlaskClient, admin: User, http_sandbox: HttpSandbox,
        sandbox_channel: Callable[..., Channel]) -> None:
    channel = sandbox_channel("x")
    response = client.post(f"/admin/channels/{channel.id}/test")
    assert response.status_code == 200
    assert "The platform answered" in response.text
    assert "MarketplaceCare" in response.text and "1600000000000000001" in response.text
    assert "sandbox-token" not in response.text
    db.session.expire_all()
    assert db.session.get(Channel, channel.id).status == "ok"


def test_test_connection_shows_the_refusal(
        client: FlaskClient, admin: User, http_sandbox: HttpSandbox,
        sandbox_channel: Callable[..., Channel]) -> None:
    channel = sandbox_channel("facebook")
    http_sandbox.fault("401", path="/graph/")
    response = client.post(f"/admin/channels/{channel.id}/test")
    assert response.status_code == 200
    assert "The platform refused" in response.text
    assert "AuthExpired" in response.text
    assert "The platform answered" not in response.text
    db.session.expire_all()
    assert db.session.get(Channel, channel.id).status == "new"


def test_health_numbers(client: FlaskClient, admin: User, make_channel: Callable[..., Channel],
                        make_thread: Callable[..., Thread]) -> None:
    now = utcnow()
    busy = make_channel("x", last_success_at=now - timedelta(seconds=90), status="ok")
    quiet = make_channel("facebook")
    thread = make_thread(channel=busy)
    thread.messages[0].received_at = now - timedelta(hours=2)  # outside the hour
    for i, minutes in enumerate((1, 20, 59)):
        db.session.add(Message(thread=thread, channel_id=busy.id, platform_id=f"h{i}",
                               direction="in", kind="mention", text="encore ?",
                               author=thread.author, received_at=now - timedelta(
                                   minutes=minutes)))
    db.session.add(Message(thread=thread, channel_id=busy.id, direction="out", kind="reply",
                           text="réponse", received_at=now))  # outbound: not counted
    db.session.commit()
    by_id = {h.channel.id: h for h in health()}
    assert by_id[busy.id].items_last_hour == 3
    assert 89 <= by_id[busy.id].lag_seconds <= 150
    assert by_id[quiet.id].items_last_hour == 0 and by_id[quiet.id].lag_seconds is None
    page = client.get(f"/admin/channels/{busy.id}")
    facts = page.text.split('class="facts"', 1)[1].split("</dl>", 1)[0]
    assert "<dd>3</dd>" in facts
    listing = client.get("/admin/channels/").text
    row = listing.split(f'<tr data-channel-id="{busy.id}"', 1)[1].split("</tr>", 1)[0]
    assert "<td>3</td>" in row


def test_channel_pages_are_for_admins_only(client: FlaskClient, make_user: Callable[..., User],
                                           login: Callable[..., Any]) -> None:
    login(make_user("agent"))
    assert client.get("/admin/channels/").status_code == 403
    assert _connect(client).status_code == 403


def test_inbox_header_shows_channel_health(client, make_user, make_channel, login) -> None:
    make_channel("x", name="@Brand", status="needs_reconnection",
                 status_detail="The platform refused the token")
    make_channel("facebook", name="Brand page", status="ok")
    login(make_user("agent"))
    html = client.get("/inbox").get_data(as_text=True)
    strip = html[html.index('id="channel-strip"'):html.index('class="userbox"')]
    assert "chstatus-needs_reconnection" in strip and "Needs reconnection" in strip
    assert "The platform refused the token" in strip
    assert "chstatus-ok" in strip
    client.post("/logout")
    login(make_user("brand"))
    assert 'id="channel-strip"' not in client.get("/account").get_data(as_text=True)
