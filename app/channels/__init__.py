"""Connected social accounts: credentials, connection test, health."""

from flask import Blueprint

bp = Blueprint("channels", __name__, url_prefix="/admin/channels")

from app.channels import views  # noqa: E402,F401  (registers the routes)
