"""Ticket forms: create, link to an external reference, attach, change status."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app.forms import Form


class CreateTicketForm(Form):
    """Create a ticket with a tracking number for the thread."""

    submit = SubmitField(_l("Create a ticket"))


class ExternalTicketForm(Form):
    """Link the thread to a reference of the external helpdesk."""

    reference = StringField(_l("External reference"), validators=[
        DataRequired(_l("Enter the helpdesk reference.")),
        Length(max=120, message=_l("At most %(max)d characters.", max=120))])
    submit = SubmitField(_l("Link"))


class LinkTicketForm(Form):
    """Attach the thread to an existing ticket of the same customer."""

    ticket_id = SelectField(_l("Existing ticket"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Attach"))


class TicketStatusForm(Form):
    """Change the status of a ticket."""

    status = SelectField(_l("Status"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Change status"))
