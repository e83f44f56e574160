"""The demo seed: one user per role, a brand, channels, realistic threads; idempotent."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from app.auth.passwords import verify_password
from app.demo.services import seed_demo
from app.extensions import db
from app.models import Brand, Channel, Message, Thread, User


def test_seed_is_complete_and_idempotent(app: Flask, tmp_path: Path) -> None:
    first = seed_demo(tmp_path)
    roles = set(db.session.scalars(db.select(User.role)))
    assert roles == {"agent", "supervisor", "brand", "admin"}
    for email, password in first.passwords.values():
        user = db.session.scalar(db.select(User).filter_by(email=email))
        assert verify_password(user.password_hash, password)
    languages = set(db.session.scalars(db.select(Thread.language)))
    assert {"fr", "en"} <= languages
    assert db.session.scalar(db.select(db.func.count(Channel.id))) == 2
    threads = db.session.scalar(db.select(db.func.count(Thread.id)))
    messages = db.session.scalar(db.select(db.func.count(Message.id)))
    assert first.created_threads == threads >= 10

    # An agent's edit survives a second seed, and nothing is duplicated.
    thread = db.session.scalar(db.select(Thread).limit(1))
    thread.status = "closed"
    db.session.commit()
    second = seed_demo(tmp_path)
    assert second.created_users == 0 and second.created_threads == 0
    assert second.passwords == first.passwords
    assert db.session.scalar(db.select(db.func.count(Thread.id))) == threads
    assert db.session.scalar(db.select(db.func.count(Message.id))) == messages
    assert db.session.get(Thread, thread.id).status == "closed"
    assert db.session.scalar(db.select(db.func.count(Brand.id))) == 1


def test_seed_texts_cover_the_brief(app: Flask, tmp_path: Path) -> None:
    seed_demo(tmp_path)
    texts = " ".join(db.session.scalars(db.select(Message.text))).lower()
    for needle in ("colis", "piraté", "arnaque", "conditions de vente", "modération", "bravo"):
        assert needle in texts, needle
