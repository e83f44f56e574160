"""Platform webhooks: Facebook Page ``feed`` (comments) and Messenger ``messages``."""

from app.webhooks.views import bp

__all__ = ["bp"]
