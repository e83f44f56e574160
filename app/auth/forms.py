"""Forms of the auth feature; every message is translated."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from app.auth.passwords import MIN_LENGTH, password_problem
from app.forms import Form

LANGUAGE_CHOICES = [("en", "English"), ("fr", "Français")]


def _strong(form: Form, field: PasswordField) -> None:
    problem = password_problem(field.data or "")
    if problem == "too_short":
        raise ValidationError(_l("At least %(n)d characters.", n=MIN_LENGTH))
    if problem == "spaces":
        raise ValidationError(_l("No spaces at the start or the end."))


class LoginForm(Form):
    """E-mail and password."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter your e-mail.")),
                                                 Email(_l("This is not an e-mail address."))])
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(_l("Enter your password."))])
    submit = SubmitField(_l("Log in"))


class PasswordChangeForm(Form):
    """Change one's own password."""

    current = PasswordField(_l("Current password"),
                            validators=[DataRequired(_l("Enter your current password."))])
    new = PasswordField(_l("New password"), validators=[DataRequired(_l("Enter a password.")),
                                                        _strong])
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[EqualTo("new", _l("The two passwords differ."))])
    submit = SubmitField(_l("Change password"))


class PreferencesForm(Form):
    """Language and signature."""

    locale = SelectField(_l("Language"),
                         choices=[("", _l("The browser's language")), *LANGUAGE_CHOICES])
    signature = StringField(_l("Signature"),
                            validators=[Optional(), Length(max=20, message=_l(
                                "At most %(max)d characters.", max=20))])
    submit = SubmitField(_l("Save"))


class LanguageForm(Form):
    """The header's language switch."""

    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
