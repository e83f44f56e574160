"""Inbox forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Regexp

from app.forms import Form


class ReplyForm(Form):
    """The plain reply box (the full composer is the live inbox's)."""

    body = TextAreaField(_l("Reply"), render_kw={"data-key": "r"}, validators=[
        DataRequired(_l("Write a reply first.")),
        Length(max=8000, message=_l("At most %(max)d characters.", max=8000))])
    private = BooleanField(_l("Send as a private message"))
    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=64)])
    version = HiddenField(validators=[Regexp(r"^[0-9]{1,9}$")])
    submit = SubmitField(_l("Send"))


class RetryForm(Form):
    """Retry a reply that failed."""

    submit = SubmitField(_l("Retry"))


# --- working the inbox -------------------------------------------------------------------

VERSION = [Regexp(r"^[0-9]{0,9}$")]


class ThreadActionForm(Form):
    """A one-button action on a thread (claim, close as abusive)."""

    version = HiddenField(validators=VERSION)
    submit = SubmitField(_l("Apply"))


class AssignForm(Form):
    """Give a thread to an agent (supervisors and admins); empty unassigns."""

    assignee = SelectField(_l("Assign to"), choices=[], validate_choice=False)
    version = HiddenField(validators=VERSION)
    submit = SubmitField(_l("Assign"))


class StatusForm(Form):
    """Change the status of a thread."""

    status = SelectField(_l("Status"), choices=[], validate_choice=False)
    version = HiddenField(validators=VERSION)
    submit = SubmitField(_l("Change status"))


class BulkForm(Form):
    """An action on the threads ticked in the inbox list."""

    action = SelectField(_l("With the selected threads"), choices=[], validate_choice=False)
    assignee = SelectField(_l("Assign to"), choices=[], validate_choice=False)
    next = HiddenField()
    submit = SubmitField(_l("Apply"))


class SavedViewForm(Form):
    """Save the current inbox filters under a name."""

    name = StringField(_l("View name"), validators=[
        DataRequired(_l("Give the view a name.")),
        Length(max=80, message=_l("At most %(max)d characters.", max=80))])
    query = HiddenField(validators=[Length(max=1000)])
    submit = SubmitField(_l("Save this view"))


class DeleteForm(Form):
    """A confirmation-free delete button (CSRF-protected)."""

    submit = SubmitField(_l("Delete"))


# --- tickets -----------------------------------------------------------------------------
