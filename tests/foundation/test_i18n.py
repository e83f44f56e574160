"""French and English: catalogs complete, locale selection, formatting."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from app.extensions import db
from app.models import User

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "app/translations/fr/LC_MESSAGES/messages.po"


def _catalog_ids() -> dict[str, str]:
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    return {(m.id if isinstance(m.id, str) else m.id[0]): m.string for m in catalog if m.id}


def test_every_interface_string_has_a_french_translation(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract",
                    "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",
                    "-o", str(pot), "."],
                   check=True, cwd=ROOT, capture_output=True)
    with pot.open("rb") as handle:
        source_ids = {(m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(handle) if m.id}
    # babel.cfg's patterns are relative to the input folder: extracting from the root finds
    # the strings; an empty extraction would make this test pass on nothing.
    assert len(source_ids) > 300, f"extraction found only {len(source_ids)} strings"
    translated = _catalog_ids()
    missing = sorted(i for i in source_ids if not translated.get(i))
    assert not missing, f"untranslated strings (run `make extract`, then translate): {missing}"


def test_compiled_catalog_is_present() -> None:
    assert (PO.parent / "messages.mo").exists()


def test_locale_from_accept_language_then_user_setting(
    client: FlaskClient, make_user: Callable[..., User], login: Callable[..., Any]
) -> None:
    page = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert "Se connecter" in page.get_data(as_text=True)
    page = client.get("/login", headers={"Accept-Language": "en-GB"})
    assert "Log in" in page.get_data(as_text=True)
    user = make_user("agent", locale="en")
    login(user)
    html = client.get("/inbox", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Inbox" in html and "Boîte de réception" not in html


def test_header_switch_changes_language(client: FlaskClient, make_user: Callable[..., User],
                                        login: Callable[..., Any]) -> None:
    user = make_user("agent", locale="en")
    login(user)
    response = client.post("/language", data={"locale": "fr", "next": "/inbox"})
    assert response.location == "/inbox"
    db.session.refresh(user)
    assert user.locale == "fr"
    html = client.get("/inbox").get_data(as_text=True)
    assert "Boîte de réception" in html and 'lang="fr"' in html


def test_numbers_are_formatted_by_locale(client: FlaskClient, make_user: Callable[..., User],
                                         make_thread: Callable[..., Any],
                                         login: Callable[..., Any]) -> None:
    thread = make_thread("x")
    thread.author.followers = 12345
    db.session.commit()
    login(make_user("agent", locale="fr"))
    html = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    assert "12\u202f345" in html or "12\xa0345" in html


def test_wtforms_own_messages_follow_the_page_language(app: Any) -> None:
    """WTForms' built-in messages come from its catalogue in the page's language, read once
    per language for the process (not from disk for every form)."""
    from flask_babel import refresh
    from werkzeug.datastructures import MultiDict

    from app.corrections.forms import TriageForm
    from app.forms import wtforms_translations

    for language, expected in (("fr", "N'est pas un choix valide."),
                               ("en", "Not a valid choice.")):
        for _ in range(2):
            with app.test_request_context(headers={"Accept-Language": language}):
                refresh()  # the suite's app context outlives the request: no cached language
                form = TriageForm(formdata=MultiDict({"category": "bogus"}), meta={"csrf": False})
                assert not form.validate()
                assert expected in " ".join(form.category.errors)
    assert wtforms_translations.cache_info().hits >= 2
