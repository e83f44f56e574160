"""The web process loads only what it serves with: no migration tooling, no triage analyzer,
no twitter-text (a reply's length is counted where one is checked), each about 10 MB or more
of resident memory per process.

Run in a fresh interpreter: other tests import these modules and ``sys.modules`` is shared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT

#: Loaded by the web process before this guard (each 5–115 MB resident, with what they pull).
NOT_IN_THE_WEB_PROCESS = ("alembic", "flask_migrate", "mako", "pkg_resources", "twitter_text",
                          "textblob", "nltk", "scipy", "sklearn", "lingua", "numpy")

_SCRIPT = """
import json, sys
from app import create_app
from app.auth.passwords import hash_password
from app.extensions import db
from app.models import Author, Brand, Channel, Message, Thread, User, utcnow
from tests.helpers import app_settings

app = create_app(app_settings(sys.argv[1], REDIS_URL=""))
app.config["WTF_CSRF_ENABLED"] = False
with app.app_context():
    db.create_all()
    user = User(email="agent@example.com", name="Agent", role="agent",
                password_hash=hash_password("correct horse battery"))
    brand = Brand(name="Brand", slug="brand", settings={})
    channel = Channel(brand=brand, network="x", name="x", account_id="acct", handle="Brand")
    author = Author(network="x", platform_id="a1", handle="customer", display_name="C",
                    followers=10, segment="private")
    now = utcnow()
    thread = Thread(channel=channel, author=author, origin_platform_id="o1", subject="Parcel",
                    last_message_at=now, created_at=now, status="open")
    db.session.add_all([user, thread])
    db.session.flush()
    db.session.add(Message(thread=thread, channel_id=channel.id, platform_id="m1", direction="in",
                           kind="mention", text="Where is my parcel?", author=author,
                           platform_created_at=now, received_at=now))
    db.session.commit()
    thread_id = thread.id
client = app.test_client()
statuses = [client.post("/login", data={"email": "agent@example.com",
                                         "password": "correct horse battery"}).status_code]
for path in ("/inbox", "/inbox?status=all", f"/inbox/threads/{thread_id}"):
    statuses.append(client.get(path).status_code)
names = {name.split(".")[0] for name in sys.modules}
print(json.dumps({"statuses": statuses, "modules": sorted(names)}))
"""


def test_web_app_pages_do_not_load_migrations_or_the_analyzer(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)  # the app's database is the one given on the command line
    done = subprocess.run([sys.executable, "-c", _SCRIPT, f"sqlite:///{tmp_path / 'web.db'}"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["statuses"] == [302, 200, 200, 200]
    loaded = set(answer["modules"]) & set(NOT_IN_THE_WEB_PROCESS)
    assert not loaded, f"the web process imported {sorted(loaded)}"


def test_flask_db_still_migrates_and_wsgi_freezes(tmp_path: Path) -> None:
    """``flask db`` binds Flask-Migrate when used: upgrade and current work from the CLI."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url, "CARE_ENV": "testing",
           "CARE_SANDBOX": "false", "CARE_SCHEDULER_IN_WEB": "false",
           "SECRET_KEY": "test-secret-key"}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "db"]
    upgraded = subprocess.run([*flask, "upgrade"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300, check=False)
    assert upgraded.returncode == 0, upgraded.stderr[-3000:]
    current = subprocess.run([*flask, "current"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120, check=False)
    assert current.returncode == 0, current.stderr[-3000:]
    assert "(head)" in current.stdout
    # The served entry point leaves its start-up objects out of the collector's passes.
    frozen = subprocess.run([sys.executable, "-c", "import gc, wsgi; print(gc.get_freeze_count())"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                            check=False)
    assert frozen.returncode == 0, frozen.stderr[-3000:]
    assert int(frozen.stdout.split()[-1]) > 10_000
