"""Canned replies: admin pages, placeholders, search (case and accents), picker, demo."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from app.canned import services
from app.extensions import db
from app.models import Author, Brand, CannedReply, Thread, User


def _add(language: str, title: str, body: str, brand_id: int | None = None) -> CannedReply:
    reply = CannedReply(language=language, title=title, body=body, brand_id=brand_id)
    reply.refresh_search_text()
    db.session.add(reply)
    db.session.commit()
    return reply


def test_admin_crud(client: FlaskClient, make_user: Callable[..., User],
                    login: Callable[..., Any]) -> None:
    login(make_user("admin"))
    assert client.get("/admin/canned").status_code == 200
    response = client.post("/admin/canned", data={
        "title": "Colis en retard", "language": "fr", "brand_id": "",
        "body": "Bonjour {first_name}, on regarde. {agent}"})
    assert response.status_code == 302
    reply = db.session.scalar(db.select(CannedReply))
    assert reply.search_text == "colis en retard bonjour {first_name}, on regarde. {agent}"
    response = client.post(f"/admin/canned/{reply.id}", data={
        "title": "Colis perdu", "language": "fr", "brand_id": "", "body": "Désolés"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CannedReply, reply.id).title == "Colis perdu"
    assert "Colis perdu" in client.get("/admin/canned").get_data(as_text=True)
    assert client.post(f"/admin/canned/{reply.id}/delete").status_code == 302
    assert db.session.scalar(db.select(CannedReply)) is None
    assert client.get("/admin/canned/98765").status_code == 404
    assert client.post("/admin/canned/98765/delete").status_code == 404


def test_admin_bad_input_beside_the_field(client: FlaskClient, make_user: Callable[..., User],
                                          login: Callable[..., Any]) -> None:
    login(make_user("admin"))
    response = client.post("/admin/canned", data={"title": "", "language": "de",
                                                  "brand_id": "999", "body": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="title-err"' in page and "Give the reply a title." in page
    assert 'id="body-err"' in page
    response = client.post("/admin/canned", data={"title": "T", "language": "de",
                                                  "brand_id": "", "body": "B"})
    assert response.status_code == 400
    assert 'id="language-err"' in response.get_data(as_text=True)
    response = client.post("/admin/canned", data={"title": "T", "language": "fr",
                                                  "brand_id": "999", "body": "B"})
    assert "This brand does not exist." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(CannedReply)) is None


def test_only_admins_manage_canned_replies(client: FlaskClient, app: Any,
                                           make_user: Callable[..., User],
                                           login: Callable[..., Any]) -> None:
    for role in ("agent", "supervisor", "brand"):
        c = app.test_client()
        login(make_user(role), c=c)
        assert c.get("/admin/canned").status_code == 403
        assert c.post("/admin/canned", data={"title": "x", "language": "fr",
                                             "body": "x"}).status_code == 403
    assert db.session.scalar(db.select(CannedReply)) is None


def test_placeholders_are_filled(make_user: Callable[..., User],
                                 make_author: Callable[..., Author],
                                 make_thread: Callable[..., Thread]) -> None:
    from app.tickets.services import create_for_thread

    agent = make_user("agent", name="Marie Lefèvre")
    author = make_author(handle="julie_mtp", display_name="Julie M.")
    thread = make_thread(author=author)
    body = "Bonjour {first_name} (@{handle}), dossier {ticket}. {agent} {unknown}"
    assert services.fill(body, thread, agent) == \
        "Bonjour Julie (@julie_mtp), dossier . Marie {unknown}"
    ticket = create_for_thread(agent, thread)
    assert f"dossier {ticket.tracking_number}." in services.fill(body, thread, agent)
    nameless = make_thread(author=make_author(handle="kev93", display_name=None))
    assert services.fill("Salut {first_name}", nameless, agent) == "Salut kev93"


def test_search_is_case_and_accent_insensitive_language_first(
        client: FlaskClient, make_user: Callable[..., User], make_thread: Callable[..., Thread],
        login: Callable[..., Any]) -> None:
    agent = make_user("agent", name="Tom Bernard")
    thread = make_thread(language="fr")
    _add("en", "Delivery delay", "Hi {first_name}, sorry for the délai. {agent}")
    _add("fr", "Délai de livraison", "Bonjour {first_name}, désolés du délai. {agent}")
    _add("fr", "Remerciement", "Merci {first_name} !")
    other_brand = Brand(name="Other", slug="other", settings={})
    db.session.add(other_brand)
    db.session.commit()
    _add("fr", "Délai autre marque", "ne doit pas sortir", brand_id=other_brand.id)
    login(agent)
    data = client.get(f"/inbox/threads/{thread.id}/canned?q=DELAI").get_json()
    titles = [r["title"] for r in data["results"]]
    assert titles == ["Délai de livraison", "Delivery delay"]  # French thread: French first
    first = data["results"][0]
    assert first["text"] == f"Bonjour {thread.author.display_name.split()[0]}, désolés du " \
                            "délai. Tom"
    assert [r["title"] for r in client.get(
        f"/inbox/threads/{thread.id}/canned?q=désolés").get_json()["results"]] \
        == ["Délai de livraison"]
    assert len(client.get(f"/inbox/threads/{thread.id}/canned").get_json()["results"]) == 3
    assert client.get(f"/inbox/threads/{thread.id}/canned?q=%25").get_json()["results"] == []
    english = make_thread(language="en", channel=thread.channel)
    titles = [r["title"] for r in client.get(
        f"/inbox/threads/{english.id}/canned?q=delai").get_json()["results"]]
    assert titles == ["Delivery delay", "Délai de livraison"]


def test_picker_on_the_thread_page(client: FlaskClient, make_user: Callable[..., User],
                                   make_author: Callable[..., Author],
                                   make_thread: Callable[..., Thread],
                                   login: Callable[..., Any]) -> None:
    _add("en", "Thanks", "Thanks {first_name}!")
    thread = make_thread(author=make_author(display_name="Sam Higgins"), language="en")
    login(make_user("agent"))
    page = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    assert 'id="canned-search"' in page and 'id="canned-results"' in page
    assert 'data-insert="Thanks Sam!"' in page


def test_brand_team_cannot_search(client: FlaskClient, make_user: Callable[..., User],
                                  make_thread: Callable[..., Thread],
                                  login: Callable[..., Any]) -> None:
    thread = make_thread()
    login(make_user("brand"))
    assert client.get(f"/inbox/threads/{thread.id}/canned").status_code == 403


def test_demo_seeds_canned_replies_once(app: Any, tmp_path: Path) -> None:
    from app.demo.content import CANNED
    from app.demo.services import seed_demo

    seed_demo(tmp_path)
    count = db.session.scalar(db.select(db.func.count()).select_from(CannedReply))
    assert count == len(CANNED) >= 6
    assert {r.language for r in db.session.scalars(db.select(CannedReply))} == {"fr", "en"}
    seed_demo(tmp_path)
    assert db.session.scalar(db.select(db.func.count()).select_from(CannedReply)) == count
