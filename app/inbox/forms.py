"""Inbox forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp


class ReplyForm(FlaskForm):
    """The plain reply box (the full composer is the live inbox's)."""

    body = TextAreaField(_l("Reply"), validators=[
        DataRequired(_l("Write a reply first.")),
        Length(max=8000, message=_l("At most %(max)d characters.", max=8000))])
    private = BooleanField(_l("Send as a private message"))
    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=64)])
    version = HiddenField(validators=[Regexp(r"^[0-9]{1,9}$")])
    submit = SubmitField(_l("Send"))


class RetryForm(FlaskForm):
    """Retry a reply that failed."""

    submit = SubmitField(_l("Retry"))
