"""Three scheduler processes run the monthly job at the same instant: one review.

The unique key ``(brand, month)`` decides, not the scheduler lock: here each process calls the
job's function directly, as three schedulers would if the lock failed them (a Redis restart,
a clock jump). On PostgreSQL + Redis in CI, on SQLite locally.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from app.extensions import db
from app.models import Message, Review, ReviewItem, User

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-12-07T09:00:00+00:00"
SCRIPT = """
import sys, time
from datetime import datetime
from pathlib import Path
from app import create_app
from app.extensions import db
from app.review import services
from tests.helpers import app_settings

url, folder, name = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
app = create_app(app_settings(url))
with app.app_context():
    db.session.execute(db.text("SELECT 1"))  # connected before the start
    (folder / f"ready-{name}").touch()
    while not (folder / "go").exists():
        time.sleep(0.002)
    try:
        opened = services.open_due_reviews(datetime.fromisoformat(sys.argv[4])).opened
        print(f"opened {len(opened)}")
    except Exception as exc:
        print(f"error {type(exc).__name__}: {exc}")
    finally:
        db.session.remove()
"""


def test_three_scheduler_processes_open_one_review(
        database_url: str, tmp_path: Path, brand_id: int, make_user: Callable[..., User],
        make_reply: Callable[..., Message]) -> None:
    agent = make_user("agent")
    for _ in range(30):
        make_reply(agent, at=datetime(2026, 11, 12, 9, tzinfo=UTC))
    db.session.remove()
    processes = [subprocess.Popen([sys.executable, "-c", SCRIPT, database_url, str(tmp_path),
                                   str(n), NOW], cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for n in range(3)]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("ready-*"))) < 3:
        assert time.monotonic() < deadline, "the scheduler processes did not start"
        assert all(p.poll() is None for p in processes), [p.communicate() for p in processes]
        time.sleep(0.05)
    (tmp_path / "go").touch()
    outputs = [p.communicate(timeout=120) for p in processes]
    lines = [out.strip().splitlines()[-1] if out.strip() else err for out, err in outputs]
    assert all(line.startswith("opened") for line in lines), lines
    assert sorted(lines) == ["opened 0", "opened 0", "opened 1"], lines
    assert db.session.scalar(db.select(db.func.count(Review.id))) == 1
    assert db.session.scalar(db.select(db.func.count(ReviewItem.id))) == 10
