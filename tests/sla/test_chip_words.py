"""The SLA chip and relative times read the same in each language, per chip or per page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale

from app.filters import date_formatter, dt, sla_chips, sla_info, when
from app.models import utcnow


@pytest.mark.parametrize(("locale", "late", "left", "first", "resolution", "now_word"), [
    ("en", "late by 5 min", "2 hr", "First response due ", "Resolution due ", "just now"),
    ("fr", "en retard de 5\u00a0min", "2\u202fh", "Première réponse attendue ",
     "Résolution attendue ", "à l'instant"),
])
def test_chip_words(app, make_thread, locale, late, left, first, resolution, now_word) -> None:
    now = utcnow()
    overdue = make_thread(status="open", first_response_due=now - timedelta(minutes=5, seconds=5))
    waiting = make_thread(status="open", first_response_due=now + timedelta(hours=2, seconds=30))
    answered = make_thread(status="waiting", first_response_at=now,
                           resolution_due=now + timedelta(hours=2, seconds=30))
    closed = make_thread(status="closed", first_response_due=now)
    with app.test_request_context("/"), force_locale(locale):
        chips = sla_chips()
        assert chips is sla_chips()  # once per request and language
        first_chip = chips.info(overdue)
        assert first_chip is not None
        assert first_chip["state"] == "breached" and first_chip["label"] == late
        assert first_chip["title"] == first + dt(overdue.first_response_due)
        on_time = sla_info(waiting)
        assert on_time is not None and on_time["label"] == left
        assert on_time["state"] == "ok"
        resolving = chips.info(answered)
        assert resolving is not None and resolving["title"].startswith(resolution)
        assert chips.info(closed) is None
        assert when(utcnow()) == now_word
        assert date_formatter().when(utcnow() - timedelta(minutes=12)) in (
            "12 minutes ago", "il y a 12 minutes")
        old = utcnow() - timedelta(days=3)
        assert when(old) == dt(old)
