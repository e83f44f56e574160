"""The defaults table and the loader that applies environment overrides to it."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from dotenv import dotenv_values

PREFIX = "CARE_"
#: Keys read without the prefix because every hosting platform names them this way.
UNPREFIXED = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")


class ConfigError(RuntimeError):
    """A setting is unknown, malformed or missing; the message says which and how to fix it."""


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true/false, got {value!r}")


def _int(value: str) -> int:
    return int(value.strip())


def _float(value: str) -> float:
    return float(value.strip())


def _str(value: str) -> str:
    return value.strip()


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _json(value: str) -> Any:
    return json.loads(value)


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = value.strip()
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")
        return value

    return parse


@dataclass(frozen=True)
class Setting:
    """One row of the defaults table."""

    default: Any
    parse: Callable[[str], Any]
    doc: str


DEFAULTS: dict[str, Setting] = {
    "ENV": Setting("development", _choice("development", "production", "testing"),
                   "development, production or testing; production refuses unsafe defaults"),
    "SECRET_KEY": Setting(None, _str, "signs sessions and CSRF tokens; required in production, "
                          "generated once into the instance folder in development"),
    "DATABASE_URL": Setting(None, _str, "SQLAlchemy URL; default SQLite in the instance folder "
                            "(postgresql://... for scale-out)"),
    "REDIS_URL": Setting("", _str, "Redis for the Socket.IO message queue, log-in rate limits "
                         "and the scheduler lock; empty for the single-process default"),
    "HOST": Setting("127.0.0.1", _str, "address `make run` serves on"),
    "PORT": Setting(5000, _int, "port `make run` serves on"),
    "PUBLIC_URL": Setting("http://127.0.0.1:5000", _str,
                          "the console's own origin; sockets from other origins are refused"),
    "DEFAULT_LOCALE": Setting("en", _choice("en", "fr"),
                              "interface language when neither the user nor the browser says"),
    "TIMEZONE": Setting("Europe/Paris", _str, "time zone used to display dates"),
    "LOGIN_RATE_LIMIT": Setting("10 per minute", _str, "failed log-ins allowed per address "
                                "(a correct password still goes through when other accounts' "
                                "failures reached it)"),
    "LOGIN_ACCOUNT_LIMIT": Setting("5 per 15 minutes", _str,
                                   "failed log-ins allowed per account, from any address"),
    "REQUEST_LOG": Setting(False, _bool, "log every HTTP request in `make run` (quiet by "
                           "default: the sandbox's polls would bury everything else)"),
    "INBOX_PAGE_SIZE": Setting(50, _int, "threads per inbox page"),
    "ASYNC_MODE": Setting("auto", _choice("auto", "threading", "gevent"),
                          "how the web process serves many sockets: gevent under "
                          "`gunicorn -k gevent`, threading for `make run`; auto picks gevent "
                          "when the process is monkey-patched by gevent, else threading"),
    "SERVER_TIMING": Setting(False, _bool, "add a Server-Timing header splitting each "
                             "response's server time into SQL, templates and the rest "
                             "(benchmarks; off in production)"),
    "SCHEDULER_IN_WEB": Setting(False, _bool, "run the poll and housekeeping jobs inside the web "
                                "process (single-process demo); production runs "
                                "`flask --app wsgi scheduler` instead"),
    "SANDBOX": Setting(False, _bool, "mount the built-in X/Facebook sandbox under /sandbox"),
    "SANDBOX_DB": Setting(None, _str, "sandbox storage file; default in the instance folder"),
    "FERNET_KEYS": Setting(None, _list, "comma-separated Fernet keys encrypting channel "
                           "credentials, newest first (rotation); generated in development"),
    "X_API_BASE_URL": Setting("https://api.twitter.com", _str, "X API base URL"),
    "GRAPH_API_BASE_URL": Setting("https://graph.facebook.com", _str, "Graph API base URL"),
    "GRAPH_VERSION": Setting("v21.0", _str, "Graph API version used by the Facebook connector"),
    "POLL_INTERVAL": Setting(60, _int, "default seconds between two polls of a channel"),
    "POLL_FLOOR_SECONDS": Setting(5, _int, "adaptive polling never polls a channel more "
                                  "often than this, whatever budget the platform leaves"),
    "STREAM_QUIET_SECONDS": Setting(60, _int, "after this long without a sign of life from "
                                    "a channel's X stream, polling takes over again"),
    "FACEBOOK_APP_SECRET": Setting("", _str, "the Meta app's secret: webhooks are accepted "
                                   "only when X-Hub-Signature-256 matches it (empty: refused)"),
    "FACEBOOK_VERIFY_TOKEN": Setting("", _str, "the token typed in the Meta app's webhook "
                                     "settings, echoed back at the subscription handshake"),
    "WEBHOOK_MAX_BYTES": Setting(1_000_000, _int, "largest webhook body accepted (413 beyond)"),
    "WEBHOOK_SAFETY_POLL_SECONDS": Setting(300, _int, "while webhooks deliver for a channel, "
                                           "it is polled only this often, as a safety net"),
    "WEBHOOK_QUIET_SECONDS": Setting(900, _int, "after this long without a webhook for a "
                                     "channel, polling takes over again at its own interval"),
    "TICKET_PREFIX": Setting("CARE", _str, "prefix of tracking numbers (CARE-2026-000123)"),
    "EXTERNAL_TICKET_URL": Setting("", _str,
                                   "URL pattern of the external helpdesk, {ref} is replaced"),
    "ESCALATE_PRIVATE_DAYS": Setting(7, _int, "days before an open private-customer ticket "
                                     "escalates"),
    "ESCALATE_PROFESSIONAL_DAYS": Setting(3, _int, "days before an open professional ticket "
                                          "escalates"),
    "PRIORITY_WEIGHTS": Setting({}, _json, "JSON object overriding the triage priority weights"),
    "TONE_EXTRA": Setting({}, _json, "JSON object extending triage word lists and patterns"),
    "DEMO_PASSWORDS": Setting(False, _bool, "seed demo users with fixed, printed passwords"),
}


def _key_file(instance_path: Path, name: str, make: Callable[[], str]) -> str:
    """Return a development-only secret kept in the instance folder, creating it once."""
    path = instance_path / name
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    value = make()
    # Written with owner-only permissions: it signs every session of this instance.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def load_settings(
    instance_path: str | os.PathLike[str],
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    dotenv_path: str | os.PathLike[str] | None = ".env",
) -> dict[str, Any]:
    """Build the settings dict from defaults, `.env`, the environment and overrides.

    Raises ConfigError on an unknown ``CARE_`` key, a malformed value, or a production
    start-up without a secret key.
    """
    env: dict[str, str] = {}
    if dotenv_path and Path(dotenv_path).is_file():
        env.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    env.update(os.environ if environ is None else environ)

    raw: dict[str, str] = {}
    unknown: list[str] = []
    for name, value in env.items():
        if name in UNPREFIXED:
            raw[name] = value
        elif name.startswith(PREFIX):
            key = name[len(PREFIX):]
            if key not in DEFAULTS or key in UNPREFIXED:
                unknown.append(name)
            else:
                raw[key] = value
    if unknown:
        known = ", ".join(PREFIX + k for k in DEFAULTS if k not in UNPREFIXED)
        raise ConfigError(
            f"Unknown setting(s): {', '.join(sorted(unknown))}. Known settings: {known}, "
            f"plus {', '.join(UNPREFIXED)}."
        )

    settings: dict[str, Any] = {}
    for key, setting in DEFAULTS.items():
        if key in raw:
            try:
                settings[key] = setting.parse(raw[key])
            except (ValueError, json.JSONDecodeError) as exc:
                name = key if key in UNPREFIXED else PREFIX + key
                raise ConfigError(f"Setting {name} is malformed: {exc}") from exc
        else:
            settings[key] = setting.default
    for key, value in (overrides or {}).items():
        if key not in DEFAULTS:
            raise ConfigError(f"Unknown setting override {key!r}")
        settings[key] = value

    instance = Path(instance_path)
    production = settings["ENV"] == "production"
    if not settings["SECRET_KEY"]:
        if production:
            raise ConfigError(
                "SECRET_KEY is not set. In production set SECRET_KEY to a long random value "
                "(for example: python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        settings["SECRET_KEY"] = _key_file(instance, "secret_key", lambda: secrets.token_hex(32))
    if not settings["FERNET_KEYS"]:
        if production:
            raise ConfigError(
                "CARE_FERNET_KEYS is not set. In production set it to one or more Fernet keys "
                "(python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')."
            )
        settings["FERNET_KEYS"] = [
            _key_file(instance, "fernet_key", lambda: Fernet.generate_key().decode())
        ]
    if not settings["DATABASE_URL"]:
        instance.mkdir(parents=True, exist_ok=True)
        settings["DATABASE_URL"] = f"sqlite:///{instance / 'care.db'}"
    if not settings["SANDBOX_DB"]:
        settings["SANDBOX_DB"] = str(instance / "sandbox.db")
    return settings
