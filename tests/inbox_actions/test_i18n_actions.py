"""The new pages and partials are translated into French."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from app.models import Thread, User
from app.tickets.services import create_for_thread


def test_pages_in_french(client: FlaskClient, make_user: Callable[..., User],
                         make_thread: Callable[..., Thread],
                         login: Callable[..., Any]) -> None:
    admin = make_user("admin", locale="fr")
    thread = make_thread(language="fr")
    ticket = create_for_thread(admin, thread)
    login(admin)
    page = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    for text in ("Passer en privé", "Clore pour propos abusifs", "Historique",
                 "Insérer le numéro de suivi dans la réponse", "Chercher une réponse type"):
        assert text in page, text
    page = client.get("/inbox").get_data(as_text=True)
    assert "Mes vues" in page and "SLA dépassé" in page
    assert "Réponses types" in client.get("/admin/canned").get_data(as_text=True)
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "Conversations" in page and "Escalade" in page


def test_no_duplicate_ids_on_the_thread_page(client: FlaskClient,
                                             make_user: Callable[..., User],
                                             make_thread: Callable[..., Thread],
                                             login: Callable[..., Any]) -> None:
    import re
    from collections import Counter

    thread = make_thread()
    login(make_user("supervisor"))
    page = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    ids = Counter(re.findall(r'\sid="([^"]+)"', page))
    assert ids["body"] == 1  # the composer's textarea#body is the only one
    dupes = {k: n for k, n in ids.items() if n > 1 and k != "csrf_token"}
    assert dupes == {}
