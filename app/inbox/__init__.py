"""The shared inbox: thread list and thread page."""

from flask import Blueprint

bp = Blueprint("inbox", __name__)

from app.inbox import action_views, live_views, views  # noqa: E402,F401  (registers the routes)
