"""`flask db upgrade` on an empty database gives exactly the models' schema; downgrade works."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import _database_uri, create_app
from app.extensions import db
from tests.helpers import DATABASE_URL, app_settings


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A brand-new empty database on the backend under test."""
    if not DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    admin = sa.create_engine(_database_uri(DATABASE_URL), isolation_level="AUTOCOMMIT")
    name = f"care_migr_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(_database_uri(DATABASE_URL)).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_matches_models_and_downgrade_to_base(empty_database: str) -> None:
    app = create_app(app_settings(empty_database))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    db.metadata)
        assert diff == [], f"migrations and models differ: {diff}"
        tables = set(sa.inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables

        downgrade(revision="base")
        remaining = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.engine.dispose()
