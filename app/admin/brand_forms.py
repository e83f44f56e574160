"""The brand settings form: fields generated for every segment and priority band."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, NumberRange

from app.sla.blocks import SEGMENTS
from app.sla.targets import PRIORITY_BANDS


class BrandSettingsForm(FlaskForm):
    """Business hours, SLA targets and the brand's extra triage words."""

    timezone = StringField(_l("Time zone"))
    holidays = StringField(_l("Public holidays of (country code, empty for none)"))
    week_professional = TextAreaField(_l("Business hours, professionals"))
    week_private = TextAreaField(_l("Business hours, private customers"))
    closed = TextAreaField(_l("Extra closed days (one YYYY-MM-DD per line)"))
    words_fr = TextAreaField(_l("Extra words, French"))
    words_en = TextAreaField(_l("Extra words, English"))
    order_patterns = TextAreaField(_l("Order number patterns (one regular expression per line)"))
    tracking_patterns = TextAreaField(_l("Tracking number patterns (one per line)"))
    submit = SubmitField(_l("Save"))


for _kind in ("first_response", "resolution"):
    for _segment in SEGMENTS:
        for _band in PRIORITY_BANDS:
            setattr(BrandSettingsForm, f"{_kind}_{_segment}_{_band}", IntegerField(
                f"{_kind} {_segment} {_band}",
                validators=[InputRequired(_l("Enter a number of minutes.")),
                            NumberRange(min=1, max=525600,
                                        message=_l("Between 1 minute and a year."))]))
