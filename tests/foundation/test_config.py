"""Settings: defaults, environment overrides, .env, unknown keys, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import DEFAULTS, ConfigError, load_settings


def test_defaults_apply_without_environment(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={}, dotenv_path=None)
    assert settings["PORT"] == 5000
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'care.db'}"
    assert settings["SCHEDULER_IN_WEB"] is False


def test_environment_overrides_defaults(tmp_path: Path) -> None:
    settings = load_settings(
        tmp_path,
        environ={"CARE_PORT": "8080", "CARE_SANDBOX": "yes", "DATABASE_URL": "postgresql://x/y",
                 "REDIS_URL": "redis://r:6379/0", "CARE_PRIORITY_WEIGHTS": '{"urgency": 2}'},
        dotenv_path=None,
    )
    assert settings["PORT"] == 8080
    assert settings["SANDBOX"] is True
    assert settings["DATABASE_URL"] == "postgresql://x/y"
    assert settings["REDIS_URL"] == "redis://r:6379/0"
    assert settings["PRIORITY_WEIGHTS"] == {"urgency": 2}


def test_dotenv_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("CARE_PORT=7000\nCARE_HOST=0.0.0.0\n")
    settings = load_settings(tmp_path, environ={"CARE_PORT": "7001"}, dotenv_path=env_file)
    assert settings["HOST"] == "0.0.0.0"
    assert settings["PORT"] == 7001


def test_unknown_care_key_is_rejected_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, environ={"CARE_POTR": "1"}, dotenv_path=None)
    message = str(info.value)
    assert "CARE_POTR" in message and "CARE_PORT" in message


def test_malformed_value_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CARE_PORT"):
        load_settings(tmp_path, environ={"CARE_PORT": "eighty"}, dotenv_path=None)
    with pytest.raises(ConfigError, match="CARE_SANDBOX"):
        load_settings(tmp_path, environ={"CARE_SANDBOX": "maybe"}, dotenv_path=None)


def test_production_without_secret_key_stops(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings(tmp_path, environ={"CARE_ENV": "production"}, dotenv_path=None)


def test_production_without_fernet_keys_stops(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CARE_FERNET_KEYS"):
        load_settings(tmp_path, environ={"CARE_ENV": "production", "SECRET_KEY": "s" * 40},
                      dotenv_path=None)


def test_development_secret_is_generated_once(tmp_path: Path) -> None:
    first = load_settings(tmp_path, environ={}, dotenv_path=None)
    second = load_settings(tmp_path, environ={}, dotenv_path=None)
    assert len(first["SECRET_KEY"]) >= 32
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert first["FERNET_KEYS"] == second["FERNET_KEYS"]


def test_every_default_is_documented() -> None:
    for key, setting in DEFAULTS.items():
        assert setting.doc, key


def test_readme_configuration_table_lists_every_setting() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for key in DEFAULTS:
        name = key if key in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY") else f"CARE_{key}"
        assert f"`{name}`" in readme, f"{name} missing from the README's configuration table"


def test_create_app_opens_no_connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlalchemy.engine.base

    from app import create_app

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("create_app connected to the database")

    monkeypatch.setattr(sqlalchemy.engine.base.Engine, "connect", refuse)
    app = create_app({"ENV": "testing", "SECRET_KEY": "x", "FERNET_KEYS": ["k"],
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'never.db'}"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("never.db")
    assert not (tmp_path / "never.db").exists()


def test_sqlite_connections_are_set_up_for_a_writing_poller(tmp_path: Path) -> None:
    from sqlalchemy import text

    from app import create_app
    from app.extensions import db
    from tests.helpers import app_settings

    app = create_app(app_settings(f"sqlite:///{tmp_path / 'pragmas.db'}"))
    with app.app_context(), db.engine.connect() as conn:
        def pragma(name: str) -> object:
            return conn.execute(text(f"PRAGMA {name}")).scalar()

        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("synchronous") == 1  # NORMAL
        assert pragma("temp_store") == 2  # MEMORY: statement journals never spill to disk
        assert pragma("cache_size") == -16384
    with app.app_context():
        db.engine.dispose()
