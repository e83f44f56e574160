"""The move-to-private form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.forms import Form

VERSION = [Regexp(r"^[0-9]{0,9}$")]


class MoveToPrivateForm(Form):
    """Move the exchange to private: public acknowledgement, then the private message."""

    body = TextAreaField(_l("Private message"), validators=[
        Optional(), Length(max=8000, message=_l("At most %(max)d characters.", max=8000))])
    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=40)])
    version = HiddenField(validators=VERSION)
    submit = SubmitField(_l("Move to private"))
