"""Migration 0009 turns the stored urgency flags into the indexed bit set, and goes back."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from app.models.thread import URGENCY_BITS
from tests.foundation.test_migrations import empty_database  # noqa: F401
from tests.helpers import app_settings

BEFORE = "i22_connectors_message_details"


def test_existing_flags_become_bits(empty_database: str) -> None:  # noqa: F811
    app = create_app(app_settings(empty_database))
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            naive = now.replace(tzinfo=None) if conn.dialect.name == "sqlite" else now
            conn.execute(sa.text(
                "INSERT INTO brands (id, name, slug, timezone, settings, created_at) "
                "VALUES (1, 'B', 'b', 'Europe/Paris', '{}', :at)"), {"at": naive})
            conn.execute(sa.text(
                "INSERT INTO channels (id, brand_id, network, name, account_id, status, "
                "enabled, poll_interval, backoff_attempts, created_at) "
                "VALUES (1, 1, 'x', 'X', 'acct', 'new', true, 60, 0, :at)"), {"at": naive})
            conn.execute(sa.text(
                "INSERT INTO authors (id, network, platform_id, handle, segment, created_at, "
                "updated_at) VALUES (1, 'x', 'a1', 'a', 'private', :at, :at)"), {"at": naive})
            for n, flags in enumerate(('["scam", "safety"]', '[]', '["hacked_account"]',
                                       'null'), start=1):
                conn.execute(sa.text(
                    "INSERT INTO threads (id, channel_id, author_id, origin_platform_id, "
                    "subject, status, visibility, priority, urgency, created_at, "
                    "last_message_at, sla_due, version) VALUES (:id, 1, 1, :o, '', 'new', "
                    "'public', 0, :u, :at, :at, :at, 1)"),
                    {"id": n, "o": f"o{n}", "u": flags, "at": naive})
        upgrade()
        with db.engine.connect() as conn:
            bits = dict(conn.execute(sa.text("SELECT id, urgency_bits FROM threads")).all())
        assert bits == {1: URGENCY_BITS["scam"] | URGENCY_BITS["safety"], 2: 0,
                        3: URGENCY_BITS["hacked_account"], 4: 0}
        downgrade(revision=BEFORE)
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("threads")}
        assert "urgency_bits" not in columns
        indexes = {i["name"] for i in sa.inspect(db.engine).get_indexes("threads")}
        assert not any(name and "active" in name for name in indexes)
        db.engine.dispose()
