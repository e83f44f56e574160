"""Channel forms: credential fields are write-only (never rendered back)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, Regexp

from app.forms import Form


class _Credentials(Form):
    bearer_token = PasswordField(_l("X bearer token (OAuth 2.0 user context)"))
    consumer_key = PasswordField(_l("X API key (consumer key)"))
    consumer_secret = PasswordField(_l("X API key secret"))
    access_token = PasswordField(_l("X access token"))
    access_token_secret = PasswordField(_l("X access token secret"))
    page_access_token = PasswordField(_l("Facebook page access token"))
    app_bearer_token = PasswordField(_l("X App-only bearer token (filtered stream)"))

    def credentials(self) -> dict[str, str]:
        """The non-empty credential fields."""
        names = ("bearer_token", "consumer_key", "consumer_secret", "access_token",
                 "access_token_secret", "page_access_token", "app_bearer_token")
        return {n: self[n].data for n in names if self[n].data}


class ChannelConnectForm(_Credentials):
    """Connect an X account or a Facebook page."""

    network = SelectField(_l("Network"), choices=[("x", "X"), ("facebook", "Facebook")])
    name = StringField(_l("Name shown in the inbox"),
                       validators=[DataRequired(_l("Enter a name.")), Length(max=120)])
    account_id = StringField(_l("Account id (X user id or Facebook page id)"), validators=[
        DataRequired(_l("Enter the account id.")),
        Regexp(r"^[0-9]{1,30}$", message=_l("Digits only: the numeric id, not the @handle.")),
    ])
    handle = StringField(_l("Handle"), validators=[Optional(), Length(max=64)])
    poll_interval = IntegerField(_l("Seconds between polls"), default=60, validators=[
        NumberRange(min=5, max=3600, message=_l("Between %(min)s and %(max)s seconds."))])
    stream_enabled = BooleanField(_l("The X plan includes the filtered stream (real time)"))
    api_base_url = StringField(_l("API base URL (empty for the platform's own)"),
                               validators=[Optional(), URL(require_tld=False,
                                                           message=_l("Not a URL."))])
    submit = SubmitField(_l("Connect"))


class ChannelEditForm(_Credentials):
    """Edit a channel; blank credentials keep the stored ones."""

    name = StringField(_l("Name shown in the inbox"),
                       validators=[DataRequired(_l("Enter a name.")), Length(max=120)])
    poll_interval = IntegerField(_l("Seconds between polls"), validators=[
        NumberRange(min=5, max=3600, message=_l("Between %(min)s and %(max)s seconds."))])
    enabled = BooleanField(_l("Polling enabled"))
    stream_enabled = BooleanField(_l("The X plan includes the filtered stream (real time)"))
    submit = SubmitField(_l("Save"))


class ChannelTestForm(Form):
    """The 'test connection' button."""

    submit = SubmitField(_l("Test connection"))
