"""Log-in, log-out and each user's own account settings."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import views  # noqa: E402,F401  (registers the routes)
