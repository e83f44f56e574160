"""Agents correct a thread's triage (category, urgency) in one click; corrections export
as labelled lines that the tone classifier trains on."""

from flask import Blueprint

bp = Blueprint("corrections", __name__)

from app.corrections import views  # noqa: E402,F401  (registers the routes)
