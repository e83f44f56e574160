"""The brand settings form: a week grid per segment, targets in hours and minutes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from app.forms import Form
from app.sla.blocks import DAY_NAMES, SEGMENTS
from app.sla.targets import PRIORITY_BANDS


class BrandSettingsForm(Form):
    """Business hours, SLA targets and the brand's extra triage words; a sample to preview."""

    timezone = StringField(_l("Time zone"))
    holidays = StringField(_l("Public holidays of (country code, empty for none)"))
    closed = TextAreaField(_l("Extra closed days (one YYYY-MM-DD per line)"))
    words_fr = TextAreaField(_l("Extra words, French"))
    words_en = TextAreaField(_l("Extra words, English"))
    order_patterns = TextAreaField(_l("Order number patterns (one regular expression per line)"))
    tracking_patterns = TextAreaField(_l("Tracking number patterns (one per line)"))
    sample_at = StringField(_l("A message arriving on"), validators=[Optional()],
                            render_kw={"type": "datetime-local"})
    sample_segment = SelectField(_l("from"), choices=[], validate_choice=False)
    sample_band = SelectField(_l("with a priority"), choices=[], validate_choice=False)
    preview = SubmitField(_l("Preview the due times"))
    submit = SubmitField(_l("Save"))


# One text field per segment and day: "09:00-12:30 13:30-18:00", empty when closed.
for _segment in SEGMENTS:
    for _day in DAY_NAMES:
        setattr(BrandSettingsForm, f"hours_{_segment}_{_day}",
                StringField(f"{_segment} {_day}", validators=[Optional()]))

# Each target as hours and minutes of business time.
for _kind in ("first_response", "resolution"):
    for _segment in SEGMENTS:
        for _band in PRIORITY_BANDS:
            setattr(BrandSettingsForm, f"{_kind}_{_segment}_{_band}_hours", IntegerField(
                f"{_kind} {_segment} {_band} hours",
                validators=[InputRequired(_l("Enter a number of hours (0 if none).")),
                            NumberRange(min=0, max=8760,
                                        message=_l("Between 0 and 8760 hours."))]))
            setattr(BrandSettingsForm, f"{_kind}_{_segment}_{_band}_minutes", IntegerField(
                f"{_kind} {_segment} {_band} minutes",
                validators=[InputRequired(_l("Enter a number of minutes (0 if none).")),
                            NumberRange(min=0, max=59,
                                        message=_l("Between 0 and 59 minutes."))]))
