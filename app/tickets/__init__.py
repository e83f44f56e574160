"""Tickets: a tracking number for the customer or a link to an external helpdesk."""

from flask import Blueprint

bp = Blueprint("tickets", __name__, url_prefix="/tickets")

from app.tickets import views  # noqa: E402,F401  (registers the routes)
