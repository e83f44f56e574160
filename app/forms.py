"""The base of every form: Flask-WTF's, with WTForms' own messages translated once per language.

WTForms' built-in messages ("Not a valid choice.") come from its own catalogue. Flask-WTF
loads that catalogue from disk for every request that builds a form (about 0.3 ms, on
every page: the header's language switch and log-out are forms); here it is loaded once per
language for the process and handed to each form, as WTForms' ``Meta`` allows.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path


@lru_cache(maxsize=16)
def wtforms_translations(locale: str) -> support.Translations | support.NullTranslations:
    """WTForms' catalogue for ``locale`` (read once per language)."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Form(FlaskForm):
    """A Flask-WTF form (CSRF included) whose WTForms messages are in the page's language."""

    class Meta(FlaskForm.Meta):
        """WTForms' options for the forms of this app."""

        def get_translations(self, form: Any) -> Any:
            """The page language's catalogue, kept for the process."""
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return wtforms_translations(str(get_locale() or "en"))
