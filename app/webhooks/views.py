"""``/webhooks/facebook``: the subscription handshake (GET) and deliveries (POST)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _

from app.extensions import csrf
from app.filters import ago, dt
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
    from app.jobs.poll import stream_active

    seconds = channel.poll_pace_seconds or channel.poll_interval
    why = _pace_reason(channel)
    if services.webhooks_active(channel):
        return _("Webhooks deliver (last %(when)s): polled every %(seconds)s s as a safety net",
                 when=ago(channel.webhook_seen_at),
                 seconds=current_app.config.get("WEBHOOK_SAFETY_POLL_SECONDS"))
    if stream_active(channel):
        return _("The X stream delivers mentions (last sign of life %(when)s): mentions are "
                 "polled every %(safety)s s as a safety net, direct messages every "
                 "%(seconds)s s — %(why)s",
                 when=ago(channel.stream_seen_at),
                 safety=current_app.config.get("WEBHOOK_SAFETY_POLL_SECONDS"),
                 seconds=seconds, why=why)
    if channel.stream_enabled:
        return _("The X stream is not connected (reconnecting): polled every %(seconds)s s "
                 "— %(why)s", seconds=seconds, why=why)
    return _("Every %(seconds)s s — %(why)s", seconds=seconds, why=why)


def _pace_reason(channel: Channel) -> str:
    from app.jobs import pace

    reason = channel.poll_pace_reason or "interval"
    if reason == "floor":
        return _("the rate budget allows more; held at the floor of %(floor)s s",
                 floor=pace.floor_seconds())
    if reason in ("budget", "exhausted", "usage"):
        rows = pace.budgets(channel.rate_budget_key) if channel.rate_budget_key else []
        counted = [r for r in rows if r.remaining is not None and r.limit]
        if reason == "usage":
            top = max((r.usage_percent or 0.0 for r in rows), default=0.0)
            return _("the Meta app has used %(percent)s%% of its hourly allowance",
                     percent=int(top))
        if counted:
            row = min(counted, key=lambda r: (r.remaining or 0) / (r.limit or 1))
            if reason == "exhausted":
                return _("the rate budget is spent until %(reset)s", reset=dt(row.reset_at))
            return _("%(remaining)s of %(limit)s calls left until %(reset)s, shared by "
                     "%(channels)s channel(s)", remaining=row.remaining, limit=row.limit,
                     reset=dt(row.reset_at),
                     channels=pace.sharing(channel.rate_budget_key or ""))
        regain = max((r.regain_at for r in rows if r.regain_at), default=None)
        return _("the rate budget is spent until %(reset)s", reset=dt(regain))
    if reason == "rate_limited":
        return _("the platform refused more calls until %(reset)s",
                 reset=dt(channel.rate_limited_until))
    if reason == "webhooks":
        return _("the safety net's pace, kept since webhooks last delivered")
    if reason == "backoff":
        return _("backing off after an error until %(reset)s",
                 reset=dt(channel.rate_limited_until))
    return _("the channel's poll interval (the platform has given no rate figures yet)")


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
