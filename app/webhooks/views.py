"""``/webhooks/facebook``: the subscription handshake (GET) and deliveries (POST)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _

from app.extensions import csrf
from app.filters import ago
from app.models import Channel
from app.security import public
from app.webhooks import services

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)  # signed by the platform, not by a form token


@bp.record_once
def _remember_app(state: BlueprintSetupState) -> None:
    # The background processing task needs the app object itself, not the context proxy.
    state.app.extensions["care_webhooks_app"] = state.app


@bp.app_template_global()
def polling_pace(channel: Channel) -> str:
    """How often the channel is polled now, and why (the channel page)."""
    if services.webhooks_active(channel):
        return _("Webhooks deliver (last %(when)s): polled every %(seconds)s s as a safety net",
                 when=ago(channel.webhook_seen_at),
                 seconds=current_app.config.get("WEBHOOK_SAFETY_POLL_SECONDS"))
    return _("Every %(seconds)s s (the channel's poll interval)", seconds=channel.poll_interval)


@bp.get("/facebook")
@public
def facebook_verify() -> Response:
    """Meta's verification request: echo ``hub.challenge`` when the token matches."""
    try:
        challenge = services.verify_subscription(request.args.get("hub.mode"),
                                                 request.args.get("hub.verify_token"),
                                                 request.args.get("hub.challenge"))
    except services.WebhookRefused as exc:
        return Response(exc.reason, status=exc.status, mimetype="text/plain")
    return Response(challenge, mimetype="text/plain")


@bp.post("/facebook")
@public
def facebook_delivery() -> Response:
    """A delivery: checked and stored, answered at once; processed out of band."""
    limit = services.max_bytes()
    if request.content_length is not None and request.content_length > limit:
        return Response("body too large", status=413, mimetype="text/plain")
    body = request.stream.read(limit + 1)  # never more than the limit into memory
    try:
        services.accept(body, request.headers.get("X-Hub-Signature-256"))
    except services.WebhookRefused as exc:
        return Response(exc.reason, status=exc.status, mimetype="text/plain")
    return Response("EVENT_RECEIVED", mimetype="text/plain")
