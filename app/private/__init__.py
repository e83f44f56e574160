"""Move to private: a public acknowledgement, then the conversation continues in private
messages (X direct message, Facebook private reply) in the same thread."""

from flask import Blueprint

bp = Blueprint("private", __name__)

from app.private import views  # noqa: E402,F401  (registers the routes)
