"""Canned replies: administration pages and the search used by the composer."""

from flask import Blueprint

bp = Blueprint("canned", __name__, url_prefix="/admin/canned")

from app.canned import views  # noqa: E402,F401  (registers the routes)
