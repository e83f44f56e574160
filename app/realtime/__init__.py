"""Real-time delivery to browsers: ``publish()`` and the Socket.IO handlers."""

from app.realtime.publish import publish

__all__ = ["publish"]
