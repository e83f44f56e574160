"""The tone committee: a monthly, reproducible review of every agent's replies.

``draw`` and ``stats`` are pure (no Flask); ``services`` holds the use cases; ``views`` and
``cli`` are thin doors to them.
"""

from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review", cli_group="review")

from app.review import cli, views  # noqa: E402,F401  (registers the routes and commands)
