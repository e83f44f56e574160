"""The public survey page (no log-in): a signed token opens one thread's survey."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _

from app.extensions import limiter
from app.security import public
from app.surveys import services

bp = Blueprint("surveys", __name__, url_prefix="/survey")

_ERRORS = {
    "forged": lambda: _("This survey link is not valid. Please use the link you received."),
    "expired": lambda: _("This survey link has expired. Thank you all the same."),
    "other_thread": lambda: _("This survey link is not valid. Please use the link you received."),
    "missing_score": lambda: _("Choose a score from 1 to 5."),
    "bad_score": lambda: _("A score is between 1 and 5."),
    "comment_too_long": lambda: _("Your comment is too long: at most %(n)s characters.",
                                  n=services.COMMENT_MAX),
}


@bp.route("/<token>", methods=["GET", "POST"])
@public
@limiter.limit("60 per minute", methods=["GET"])
@limiter.limit("10 per minute", methods=["POST"])
def answer(token: str) -> Any:
    """Show the survey, record the answer, or thank the customer (a second visit)."""
    try:
        survey = services.survey_for_token(token)
    except services.SurveyError as exc:
        return render_template("surveys/invalid.html", message=_ERRORS[exc.code]()), \
            410 if exc.code == "expired" else 404
    with force_locale(survey.language):
        if survey.answered_at is not None:
            return render_template("surveys/thanks.html", again=True)
        errors: dict[str, str] = {}
        if request.method == "POST":
            try:
                services.answer(survey, request.form.to_dict())
            except services.SurveyError as exc:
                errors[exc.field or ""] = _ERRORS[exc.code]()
            else:
                return render_template("surveys/thanks.html", again=False)
        return render_template("surveys/form.html", survey=survey, errors=errors,
                               values=request.form, comment_max=services.COMMENT_MAX), \
            400 if errors else 200
