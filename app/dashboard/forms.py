"""The reporting settings form (surveys and the public page)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, SubmitField
from wtforms.validators import InputRequired, NumberRange

from app.forms import Form
from app.models import SurveyFallback


class ReportSettingsForm(Form):
    """A brand's survey and public-page options."""

    surveys_enabled = BooleanField(_l("Send a satisfaction survey when a thread is resolved"))
    survey_fallback = SelectField(
        _l("When no private route is open"),
        choices=[(SurveyFallback.SKIP.value, _l("Send no survey")),
                 (SurveyFallback.PUBLIC.value, _l("Send the link in a public reply"))])
    survey_cooldown_days = IntegerField(
        _l("At most one survey per customer every (days)"),
        validators=[InputRequired(_l("Enter a number of days.")),
                    NumberRange(1, 365, _l("Between 1 and 365 days."))])
    survey_valid_days = IntegerField(
        _l("A survey link stays valid for (days)"),
        validators=[InputRequired(_l("Enter a number of days.")),
                    NumberRange(1, 90, _l("Between 1 and 90 days."))])
    public_page = BooleanField(_l("Publish the public transparency page"))
    public_min_threads = IntegerField(
        _l("Show public figures only over at least (threads)"),
        validators=[InputRequired(_l("Enter a number of threads.")),
                    NumberRange(1, 100000, _l("Between 1 and 100,000 threads."))])
    submit = SubmitField(_l("Save"))

    def values(self) -> dict[str, Any]:
        """The validated values, by column name."""
        return {
            "surveys_enabled": bool(self.surveys_enabled.data),
            "survey_fallback": self.survey_fallback.data or SurveyFallback.SKIP.value,
            "survey_cooldown_days": int(self.survey_cooldown_days.data or 30),
            "survey_valid_days": int(self.survey_valid_days.data or 14),
            "public_page": bool(self.public_page.data),
            "public_min_threads": int(self.public_min_threads.data or 20),
        }
