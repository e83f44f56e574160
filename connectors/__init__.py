"""Social platform connectors (X through tweepy, Facebook through facebook-sdk).

Importing this package never imports a platform library: use
:func:`connectors.registry.get_connector` and :func:`connectors.registry.available`.
"""

from connectors.base import (
    Attachment,
    AuthExpired,
    Author,
    ChannelSettings,
    Connector,
    ConnectorDisabled,
    ConnectorError,
    InboundPost,
    PayloadError,
    PermissionDenied,
    PlatformError,
    PollResult,
    PrivateReplyUnavailable,
    RateLimited,
    SendResult,
    SendTimeout,
    SkippedItem,
)
from connectors.registry import available, get_connector, register

__all__ = [
    "Attachment",
    "AuthExpired",
    "Author",
    "ChannelSettings",
    "Connector",
    "ConnectorDisabled",
    "ConnectorError",
    "InboundPost",
    "PayloadError",
    "PermissionDenied",
    "PlatformError",
    "PollResult",
    "PrivateReplyUnavailable",
    "RateLimited",
    "SendResult",
    "SendTimeout",
    "SkippedItem",
    "available",
    "get_connector",
    "register",
]
