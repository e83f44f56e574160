"""Bad input: a clear message, nothing stored, never a stack trace."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from app.dashboard import metrics
from app.extensions import db
from app.models import Brand, Channel, Survey, User, utcnow
from app.surveys import services as surveys
from tests.dashboard.conftest import Reply, Spec, build


@pytest.mark.parametrize(("query", "message"), [
    ("start=2026-11-10&end=2026-11-01", "before its start"),
    ("start=2020-01-01&end=2026-11-01", "too long"),
    ("start=2026-11-01&end=2999-01-01", "into the future"),
    ("start=2026-13-45&end=2026-11-01", "not a date"),
    ("start=2026-11-01", "both the start and the end"),
    ("preset=forever", "Unknown period"),
    ("channel=999999", "not one of the brand"),
    ("channel=abc", "not one of the brand"),
    ("channel=" + "9" * 40, "not one of the brand"),
])
def test_bad_ranges_and_channels_get_a_message(
        client: FlaskClient, make_user: Callable[..., User], login: Callable[..., Any],
        brand_channels: tuple[Brand, Channel, Channel], query: str, message: str) -> None:
    login(make_user("brand"))
    page = client.get(f"/dashboard?{query}")
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    assert message in text
    assert "Traceback" not in text
    export = client.get(f"/dashboard/export.csv?{query}")
    assert export.status_code == 400 and message in export.get_data(as_text=True)


def test_another_brands_channel_is_refused(
        client: FlaskClient, make_user: Callable[..., User], login: Callable[..., Any],
        make_channel: Callable[..., Channel], brand_channels: tuple[Brand, Channel, Channel]
) -> None:
    other = Brand(name="Other", slug="other", settings={})
    db.session.add(other)
    db.session.commit()
    foreign = make_channel("x", brand=other)
    login(make_user("brand"))
    page = client.get(f"/dashboard?brand=test-brand&channel={foreign.id}")
    assert page.status_code == 400


def test_parse_range_rules() -> None:
    today = date(2026, 12, 7)
    assert metrics.parse_range(None, None, None, today) == metrics.DateRange(
        date(2026, 11, 8), today)
    assert metrics.parse_range(None, None, "month", today).start == date(2026, 12, 1)
    assert metrics.parse_range("2024-12-06", "2026-12-07", None, today).days == 732
    with pytest.raises(metrics.RangeError):
        metrics.parse_range("2024-12-05", "2026-12-07", None, today)
    with pytest.raises(metrics.RangeError):
        metrics.parse_range("2026-12-07T00:00", "2026-12-07", None, today)


@pytest.fixture
def survey(app: Any, brand_channels: tuple[Brand, Channel, Channel]) -> Survey:
    brand, x, _fb = brand_channels
    t0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    thread = build(Spec(t0, [Reply(t0 + timedelta(minutes=5))], status="resolved",
                        resolved_at=t0 + timedelta(hours=1)), x)
    row = Survey(thread_id=thread.id, brand_id=brand.id, channel_id=x.id,
                 author_id=thread.author_id, language="en", state="sent",
                 day=date(2026, 12, 1), created_at=utcnow(),
                 expires_at=utcnow() + timedelta(days=14))
    db.session.add(row)
    db.session.commit()
    return row


def _unanswered(survey_id: int) -> bool:
    db.session.expire_all()
    row = db.session.get(Survey, survey_id)
    return row is not None and row.answered_at is None and row.speed is None \
        and row.comment is None


def test_forged_and_other_thread_tokens(app: Any, client: FlaskClient, survey: Survey,
                                        brand_channels: tuple[Brand, Channel, Channel]) -> None:
    good = surveys.make_token(survey)
    forged = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    wrong_key = URLSafeTimedSerializer("not-the-secret", salt=surveys.SALT).dumps(
        {"s": survey.id, "t": survey.thread_id})
    other_thread = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=surveys.SALT).dumps(
        {"s": survey.id, "t": survey.thread_id + 1000})
    for token in (forged, wrong_key, "garbage", "x" * 400, other_thread):
        response = client.post(f"/survey/{token}", data={"speed": "5", "listening": "5",
                                                         "resolution": "5"})
        text = response.get_data(as_text=True)
        assert response.status_code == 404, token
        assert "not valid" in text and "Traceback" not in text
    assert _unanswered(survey.id)


@pytest.mark.parametrize(("form", "message"), [
    ({"speed": "0", "listening": "3", "resolution": "3"}, "between 1 and 5"),
    ({"speed": "6", "listening": "3", "resolution": "3"}, "between 1 and 5"),
    ({"speed": "3", "listening": "-1", "resolution": "3"}, "between 1 and 5"),
    ({"speed": "3", "listening": "3", "resolution": "4.5"}, "between 1 and 5"),
    ({"speed": "3", "listening": "3", "resolution": "five"}, "between 1 and 5"),
    ({"speed": "3", "listening": "3"}, "Choose a score"),
    ({"speed": "3", "listening": "3", "resolution": "3", "comment": "x" * 1001},
     "too long"),
])
def test_bad_answers_store_nothing(client: FlaskClient, survey: Survey, form: dict[str, str],
                                   message: str) -> None:
    response = client.post(f"/survey/{surveys.make_token(survey)}", data=form)
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in text and "Traceback" not in text
    assert _unanswered(survey.id)


def test_survey_page_is_in_the_customers_language(client: FlaskClient, survey: Survey) -> None:
    survey.language = "fr"
    db.session.commit()
    page = client.get(f"/survey/{surveys.make_token(survey)}",
                      headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert 'lang="fr"' in page.get_data(as_text=True)


def test_survey_answers_are_rate_limited(client: FlaskClient, survey: Survey) -> None:
    token = surveys.make_token(survey)
    codes = [client.post(f"/survey/{token}", data={"speed": "9"}).status_code
             for _ in range(12)]
    assert codes[:10] == [400] * 10
    assert 429 in codes[10:]
    assert _unanswered(survey.id)


def test_split_months() -> None:
    d = metrics.DateRange
    assert metrics.split_months(d(date(2026, 10, 1), date(2026, 10, 31))) == (
        [], d(date(2026, 10, 1), date(2026, 10, 1)))
    assert metrics.split_months(d(date(2026, 9, 29), date(2026, 12, 2))) == (
        [d(date(2026, 9, 29), date(2026, 9, 30)), d(date(2026, 12, 1), date(2026, 12, 2))],
        d(date(2026, 10, 1), date(2026, 11, 1)))
    assert metrics.split_months(d(date(2026, 10, 2), date(2026, 10, 30))) == (
        [d(date(2026, 10, 2), date(2026, 10, 30))], None)
