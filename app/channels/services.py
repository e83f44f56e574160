"""Channel use cases: connect, edit, test, health, key rotation. Each commits its own work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from app.audit import record
from app.channels import crypto
from app.extensions import db
from app.models import Brand, Channel, ChannelStatus, Direction, Message, User, utcnow
from connectors.base import ChannelSettings, Connector, ConnectorError
from connectors.registry import available, get_connector

NETWORKS = ("x", "facebook")
#: The credential fields each network needs; the first group that is complete is used.
CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    "x": ("bearer_token", "consumer_key", "consumer_secret", "access_token",
          "access_token_secret", "app_bearer_token"),
    "facebook": ("page_access_token",),
}


class ChannelError(ValueError):
    """A refused channel action; ``field`` names the form field at fault."""

    def __init__(self, code: str, field: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.field = field


def credentials_complete(network: str, creds: dict[str, str]) -> bool:
    """Whether the credentials are enough for the network's connector."""
    if network == "x":
        quartet = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
        return bool(creds.get("bearer_token")) or all(creds.get(k) for k in quartet)
    return bool(creds.get("page_access_token"))


def _keys() -> list[str]:
    return list(current_app.config["FERNET_KEYS"])


def settings_for(channel: Channel, **extra: Any) -> ChannelSettings:
    """The connector settings of a channel (credentials decrypted in memory only)."""
    base = channel.api_base_url or (
        current_app.config["X_API_BASE_URL"] if channel.network == "x"
        else current_app.config["GRAPH_API_BASE_URL"]
    )
    return ChannelSettings(
        account_id=channel.account_id,
        credentials=crypto.decrypt(channel.credentials_encrypted, _keys()),
        api_base_url=base,
        graph_version=current_app.config["GRAPH_VERSION"],
        handle=channel.handle,
        **extra,
    )


def connector_for(channel: Channel, **extra: Any) -> Connector:
    """Build the connector of a channel; raises ConnectorDisabled when its library is missing."""
    return get_connector(channel.network, settings_for(channel, **extra))


def default_brand() -> Brand:
    """The brand new channels belong to (one brand per installation for now)."""
    brand = db.session.scalar(select(Brand).order_by(Brand.id).limit(1))
    if brand is None:
        brand = Brand(name="Brand", slug="brand", settings={})
        db.session.add(brand)
        db.session.flush()
    return brand


def connect_channel(actor: User, *, network: str, name: str, account_id: str,
                    handle: str | None, credentials: dict[str, str], poll_interval: int,
                    api_base_url: str | None = None, stream_enabled: bool = False) -> Channel:
    """Save a new channel with its credentials encrypted."""
    if network not in NETWORKS:
        raise ChannelError("unknown_network", "network")
    creds = {k: v.strip() for k, v in credentials.items() if v and v.strip()}
    if not credentials_complete(network, creds):
        raise ChannelError("credentials_incomplete", "credentials")
    exists = db.session.scalar(select(Channel.id).filter_by(network=network,
                                                               account_id=account_id))
    if exists is not None:
        raise ChannelError("channel_exists", "account_id")
    channel = Channel(brand=default_brand(), network=network, name=name.strip(),
                      account_id=account_id.strip(), handle=(handle or "").lstrip("@") or None,
                      credentials_encrypted=crypto.encrypt(creds, _keys()),
                      poll_interval=poll_interval, api_base_url=api_base_url or None,
                      status=ChannelStatus.NEW.value,
                      # The filtered stream is an X feature; it needs the handle for its rule.
                      stream_enabled=bool(stream_enabled and network == "x"))
    db.session.add(channel)
    db.session.flush()
    record(actor, "channel_connected", "channel", channel.id, network=network)
    db.session.commit()
    return channel


def update_channel(actor: User, channel: Channel, *, name: str, poll_interval: int,
                   enabled: bool, credentials: dict[str, str],
                   stream_enabled: bool | None = None) -> None:
    """Edit a channel; new credentials replace the old ones, blank fields keep them."""
    new = {k: v.strip() for k, v in credentials.items() if v and v.strip()}
    # Checked before anything changes: a refused edit leaves the channel as it was.
    if new and not credentials_complete(channel.network, new):
        raise ChannelError("credentials_incomplete", "credentials")
    channel.name = name.strip()
    channel.poll_interval = poll_interval
    channel.enabled = enabled
    changes: dict[str, Any] = {"enabled": enabled, "poll_interval": poll_interval}
    if stream_enabled is not None and channel.network == "x":
        channel.stream_enabled = stream_enabled
        changes["stream_enabled"] = stream_enabled
    if new:
        channel.credentials_encrypted = crypto.encrypt(new, _keys())
        channel.status = ChannelStatus.NEW.value
        channel.status_detail = None
        changes["credentials"] = "replaced"
    if not enabled:
        channel.status = ChannelStatus.DISABLED.value
    elif channel.status == ChannelStatus.DISABLED.value:
        channel.status = ChannelStatus.NEW.value
    record(actor, "channel_updated", "channel", channel.id, **changes)
    db.session.commit()


@dataclass(frozen=True)
class ConnectionTest:
    """The platform's answer to a connection test."""

    ok: bool
    answer: dict[str, Any] | None
    error: str | None


def test_connection(actor: User, channel: Channel) -> ConnectionTest:
    """Call the platform with the stored credentials and report its answer."""
    try:
        answer = connector_for(channel).test_connection()
    except crypto.CredentialsError as exc:
        result = ConnectionTest(False, None, str(exc))
    except ConnectorError as exc:
        result = ConnectionTest(False, None, f"{type(exc).__name__}: {exc}")
    else:
        result = ConnectionTest(True, answer, None)
        if channel.status in (ChannelStatus.NEW.value, ChannelStatus.NEEDS_RECONNECTION.value):
            channel.status = ChannelStatus.OK.value
            channel.status_detail = None
    record(actor, "channel_tested", "channel", channel.id, ok=result.ok, error=result.error)
    db.session.commit()
    return result


def rotate_keys() -> int:
    """Re-encrypt every channel's credentials with the newest key; returns the count."""
    count = 0
    for channel in db.session.scalars(select(Channel)):
        if channel.credentials_encrypted:
            channel.credentials_encrypted = crypto.rotate(channel.credentials_encrypted, _keys())
            count += 1
    record(None, "keys_rotated", "channel", None, channels=count)
    db.session.commit()
    return count


@dataclass(frozen=True)
class Health:
    """What the channel badge shows."""

    channel: Channel
    status: str
    detail: str | None
    last_success_at: datetime | None
    lag_seconds: float | None
    rate_limited_until: datetime | None
    items_last_hour: int
    token_state: str


def health(channels: list[Channel] | None = None) -> list[Health]:
    """Health of every channel: last successful poll, lag, rate limit, token, volume."""
    now = utcnow()
    rows = channels if channels is not None else list(
        db.session.scalars(select(Channel).order_by(Channel.name)))
    since = now - timedelta(hours=1)
    counts = dict(db.session.execute(
        select(Message.channel_id, func.count(Message.id))
        .where(Message.direction == Direction.INBOUND.value, Message.received_at >= since)
        .group_by(Message.channel_id)
    ).all())
    result = []
    for ch in rows:
        token = "needs_reconnection" if ch.status == ChannelStatus.NEEDS_RECONNECTION.value \
            else ("missing" if not ch.credentials_encrypted else "ok")
        limited = ch.rate_limited_until if ch.rate_limited_until and \
            ch.rate_limited_until > now else None
        result.append(Health(
            channel=ch, status=ch.status, detail=ch.status_detail,
            last_success_at=ch.last_success_at,
            lag_seconds=(now - ch.last_success_at).total_seconds() if ch.last_success_at
            else None,
            rate_limited_until=limited, items_last_hour=counts.get(ch.id, 0),
            token_state=token,
        ))
    return result


def connector_availability() -> dict[str, str | None]:
    """Which networks can be used here (a missing library disables one)."""
    return available()
