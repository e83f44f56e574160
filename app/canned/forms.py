"""Forms of the canned replies administration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.forms import Form


class CannedReplyForm(Form):
    """Create or edit a canned reply."""

    title = StringField(_l("Title"), validators=[
        DataRequired(_l("Give the reply a title.")),
        Length(max=120, message=_l("At most %(max)d characters.", max=120))])
    language = SelectField(_l("Language"), choices=[("fr", "Français"), ("en", "English")],
                           validate_choice=False)
    brand_id = SelectField(_l("Brand"), choices=[], validate_choice=False)
    category = SelectField(_l("Category"), choices=[], validate_choice=False)
    body = TextAreaField(_l("Text"), validators=[
        DataRequired(_l("Write the reply.")),
        Length(max=4000, message=_l("At most %(max)d characters.", max=4000))])
    submit = SubmitField(_l("Save"))


class CannedDeleteForm(Form):
    """Delete a canned reply."""

    submit = SubmitField(_l("Delete"))
