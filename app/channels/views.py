"""Thin views of the channel administration."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.channels import bp, services
from app.channels.forms import ChannelConnectForm, ChannelEditForm, ChannelTestForm
from app.extensions import db
from app.models import Channel, Role
from app.security import current_actor, roles


def _error_text(code: str) -> str:
    return {
        "unknown_network": _("Choose X or Facebook."),
        "credentials_incomplete": _("These credentials are not enough: X needs a bearer "
                                    "token or the four OAuth 1.0a keys; Facebook needs a "
                                    "page access token."),
        "channel_exists": _("This account is already connected."),
    }.get(code, code)


@bp.route("/", methods=["GET", "POST"])
@roles(Role.ADMIN)
def index() -> Any:
    """Channels with their health, and the form to connect one."""
    form = ChannelConnectForm()
    status = 200
    cred_errors: list[str] = []
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                channel = services.connect_channel(
                    current_actor(), network=form.network.data,
                    name=form.name.data, account_id=form.account_id.data,
                    handle=form.handle.data, credentials=form.credentials(),
                    poll_interval=form.poll_interval.data,
                    api_base_url=form.api_base_url.data,
                    stream_enabled=bool(form.stream_enabled.data))
            except services.ChannelError as exc:
                if exc.field and exc.field in form:
                    form[exc.field].errors.append(_error_text(exc.code))
                else:
                    cred_errors.append(_error_text(exc.code))
            else:
                flash(_("Channel connected. Test the connection to check the credentials."),
                      "success")
                return redirect(url_for("channels.detail", channel_id=channel.id))
        status = 400
    return render_template("admin/channels.html", form=form, health=services.health(),
                           availability=services.connector_availability(),
                           cred_errors=cred_errors), status


@bp.route("/<int:channel_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def detail(channel_id: int) -> Any:
    """Edit one channel; credentials are never shown again."""
    channel = db.session.get(Channel, channel_id) or abort(404)
    form = ChannelEditForm(obj=channel if request.method == "GET" else None)
    status = 200
    cred_errors: list[str] = []
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.update_channel(current_actor(), channel,
                                        name=form.name.data,
                                        poll_interval=form.poll_interval.data,
                                        enabled=form.enabled.data,
                                        credentials=form.credentials(),
                                        stream_enabled=bool(form.stream_enabled.data))
            except services.ChannelError as exc:
                cred_errors.append(_error_text(exc.code))
            else:
                flash(_("Channel saved."), "success")
                return redirect(url_for("channels.detail", channel_id=channel.id))
        status = 400
    return render_template("admin/channel.html", channel=channel, form=form,
                           test_form=ChannelTestForm(), health=services.health([channel])[0],
                           cred_errors=cred_errors, result=None), status


@bp.route("/<int:channel_id>/test", methods=["POST"])
@roles(Role.ADMIN)
def test(channel_id: int) -> Any:
    """Call the platform with the stored credentials and show its answer."""
    channel = db.session.get(Channel, channel_id) or abort(404)
    test_form = ChannelTestForm()
    if not test_form.validate_on_submit():
        abort(400)
    result = services.test_connection(current_actor(), channel)
    return render_template("admin/channel.html", channel=channel, form=ChannelEditForm(obj=channel),
                           test_form=test_form, health=services.health([channel])[0],
                           cred_errors=[], result=result)
