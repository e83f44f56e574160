"""Admin forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length

from app.auth.forms import _strong
from app.forms import Form

ROLE_CHOICES = [
    ("agent", _l("Community manager")),
    ("supervisor", _l("Supervisor")),
    ("brand", _l("Brand team")),
    ("admin", _l("Administrator")),
]


class UserCreateForm(Form):
    """Create a user with a first password."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")),
                                               Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter an e-mail.")),
                                                 Email(_l("This is not an e-mail address."))])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    password = PasswordField(_l("First password"),
                             validators=[DataRequired(_l("Enter a password.")), _strong])
    submit = SubmitField(_l("Create user"))


class UserEditForm(Form):
    """Change a user's role or deactivate them."""

    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    active = BooleanField(_l("Active"))
    submit = SubmitField(_l("Save"))
