"""The triage correction form: category and urgency flags in one submit."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, SelectMultipleField, SubmitField
from wtforms.validators import DataRequired, Optional, Regexp

from app.forms import Form
from tone import CATEGORIES, URGENCY_FLAGS


class TriageForm(Form):
    """Correct a thread's category and urgency flags (choices are the analyser's labels)."""

    category = SelectField(_l("Category"), choices=[(c, c) for c in CATEGORIES],
                           validators=[DataRequired()])
    urgency = SelectMultipleField(_l("Urgency"), choices=[(f, f) for f in URGENCY_FLAGS],
                                  validators=[Optional()])
    version = HiddenField(validators=[Optional(), Regexp(r"^\d{1,10}$")])
    submit = SubmitField(_l("Correct"))
