"""Each metric's definition on hand-built threads with known answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.dashboard import metrics, queries, upkeep
from app.extensions import db
from app.models import Brand, Channel, DayRollup, Survey, ThreadFact
from tests.dashboard.conftest import Reply, Spec, build, minutes

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)  # a Thursday
WEEK = metrics.DateRange(date(2026, 11, 23), date(2026, 12, 3))


def figures(brand: Brand, rng: metrics.DateRange = WEEK,
            channel: Channel | None = None) -> metrics.Figures:
    upkeep.refresh(NOW)
    return queries.load(brand, rng, channel).figures


def test_saturday_night_answered_monday_morning(brand_channels: tuple[Brand, Channel, Channel]
                                                ) -> None:
    brand, x, _fb = brand_channels
    # Saturday 28 November 2026, 22:00 in Paris (21:00 UTC); answered Monday 09:30 Paris.
    opened = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)
    answered = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)
    thread = build(Spec(opened, [Reply(answered)], segment="professional"), x)
    figs = figures(brand)
    fact = db.session.get(ThreadFact, thread.id)
    assert fact is not None
    assert fact.frt_seconds == int((answered - opened).total_seconds()) == 127800
    # Closed all week-end: only Monday 09:00-09:30 counts.
    assert fact.frt_business_seconds == 30 * 60
    assert fact.day == date(2026, 11, 28)
    assert figs.frt_count == figs.frtb_count == 1
    low, high = metrics.bucket_bounds(metrics.bucket_of(1800))
    assert figs.frtb_median is not None and low <= figs.frtb_median < high


def test_answered_share_excludes_abuse_and_spam_counts_acknowledgements(
        brand_channels: tuple[Brand, Channel, Channel]) -> None:
    brand, x, _fb = brand_channels
    t0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    build(Spec(t0, [Reply(minutes(t0, 10))]), x)  # answered in public
    build(Spec(t0, [Reply(minutes(t0, 5), visibility="private", kind="dm"),
                    Reply(minutes(t0, 5), ack=True),
                    Reply(minutes(t0, 300))]), x)  # moved, loop closed
    build(Spec(t0, [Reply(minutes(t0, 5), visibility="private", kind="dm"),
                    Reply(minutes(t0, 6), ack=True)]), x)  # moved, loop not closed
    build(Spec(t0), x)  # unanswered
    build(Spec(t0, status="closed", close_reason="spam"), x)
    build(Spec(t0, [Reply(minutes(t0, 1))], status="closed", close_reason="abusive"), x)
    build(Spec(t0, [Reply(minutes(t0, 2), kind="survey")]), x)  # a survey is no answer
    build(Spec(t0, [Reply(minutes(t0, 2), sent=False)]), x)  # a failed send is no answer
    figs = figures(brand)
    assert figs.threads == 8
    assert figs.excluded == 2
    assert figs.answered == 3
    assert figs.answered_share == 3 / 6
    assert figs.moved == 2 and figs.moved_share == 2 / 3
    assert figs.loop_closed == 1 and figs.loop_closed_share == 1 / 2
    assert figs.mentions == 8


def test_median_and_p90_within_one_bucket_with_count(
        brand_channels: tuple[Brand, Channel, Channel]) -> None:
    brand, x, _fb = brand_channels
    t0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # Tuesday, 10:00 in Paris: open
    for m in (2, 4, 6, 8, 100):
        build(Spec(t0, [Reply(minutes(t0, m))]), x)
    figs = figures(brand)
    assert figs.frt_count == 5
    for estimate, exact in ((figs.frt_median, 6 * 60), (figs.frt_p90, 100 * 60)):
        assert estimate is not None
        assert metrics.bucket_of(estimate) == metrics.bucket_of(exact)
    # Open hours all along: business time equals wall-clock time.
    assert metrics.bucket_of(figs.frtb_median or 0) == metrics.bucket_of(6 * 60)


def test_within_sla_first_response_and_resolution(
        brand_channels: tuple[Brand, Channel, Channel]) -> None:
    brand, x, _fb = brand_channels
    t0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    due = minutes(t0, 60)
    build(Spec(t0, [Reply(minutes(t0, 30))], first_due=due), x)  # met
    build(Spec(t0, [Reply(minutes(t0, 90))], first_due=due), x)  # missed
    build(Spec(t0, first_due=due), x)  # unanswered, due passed: missed
    build(Spec(minutes(NOW, -10), first_due=minutes(NOW, 50)), x)  # still running
    build(Spec(t0, [Reply(minutes(t0, 5))], first_due=due, status="resolved",
               resolution_due=minutes(t0, 600), resolved_at=minutes(t0, 120)), x)
    build(Spec(t0, [Reply(minutes(t0, 5))], first_due=due, status="resolved",
               resolution_due=minutes(t0, 60), resolved_at=minutes(t0, 120)), x)
    figs = figures(brand)
    assert figs.sla_first_n == 5
    assert figs.sla_first_share == 3 / 5
    assert figs.sla_res_n == 2 and figs.sla_res_share == 1 / 2


def test_sentiment_by_local_day(brand_channels: tuple[Brand, Channel, Channel]) -> None:
    brand, x, _fb = brand_channels
    # 23:30 UTC on 30 November is 00:30 on 1 December in Paris.
    late = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    build(Spec(late, polarity=-0.5, inbound=[(minutes(late, 60), 0.2)]), x)
    build(Spec(datetime(2026, 12, 1, 10, 0, tzinfo=UTC), polarity=0.3), x)
    build(Spec(datetime(2026, 12, 1, 11, 0, tzinfo=UTC), polarity=None), x)
    upkeep.refresh(NOW)
    board = queries.load(brand, metrics.DateRange(date(2026, 11, 30), date(2026, 12, 1)), None)
    assert board.grain == "day"
    by_day = dict(board.series)
    assert by_day[date(2026, 11, 30)].mentions == 0
    dec1 = by_day[date(2026, 12, 1)]
    assert dec1.mentions == 4 and dec1.threads == 3
    assert dec1.polarity_n == 3
    assert dec1.polarity_avg is not None and abs(dec1.polarity_avg - 0.0) < 1e-9
    assert dec1.negative_share == 1 / 3


def test_categories_and_urgency_against_previous_period(
        brand_channels: tuple[Brand, Channel, Channel]) -> None:
    brand, x, fb = brand_channels
    current = metrics.DateRange(date(2026, 12, 1), date(2026, 12, 3))
    assert current.previous() == metrics.DateRange(date(2026, 11, 28), date(2026, 11, 30))
    for day, category, urgency, channel in (
            (date(2026, 12, 1), "delivery", ["scam"], x),
            (date(2026, 12, 2), "delivery", [], fb),
            (date(2026, 12, 2), "payment", ["money_blocked"], x),
            (date(2026, 11, 29), "delivery", ["scam", "abuse"], x)):
        opened = datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)
        build(Spec(opened, category=category, urgency=urgency), channel)
    upkeep.refresh(NOW)
    board = queries.load(brand, current, None)
    assert board.figures.categories["delivery"] == 2
    assert board.figures.categories["payment"] == 1
    assert board.previous.categories["delivery"] == 1
    assert metrics.change(2, 1) == 1.0
    assert board.figures.urgency == {**dict.fromkeys(metrics.URGENCY_FLAGS, 0),
                                     "scam": 1, "money_blocked": 1}
    assert board.previous.urgency["abuse"] == 1
    only_fb = queries.load(brand, current, fb)
    assert only_fb.figures.threads == 1 and only_fb.figures.categories["delivery"] == 1
    assert {c.id: f.threads for c, f in board.by_channel} == {x.id: 2, fb.id: 1}


def test_satisfaction_counts_rate_and_distribution(
        brand_channels: tuple[Brand, Channel, Channel]) -> None:
    brand, x, _fb = brand_channels
    t0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    scores = [(5, 4, 2), None, (4, 3, 5), None]
    for i, answer in enumerate(scores):
        thread = build(Spec(t0, [Reply(minutes(t0, 5))], status="resolved",
                            resolved_at=minutes(t0, 30)), x)
        survey = Survey(thread_id=thread.id, brand_id=brand.id, channel_id=x.id,
                        author_id=thread.author_id, language="fr", state="sent",
                        day=date(2026, 12, 1), created_at=minutes(t0, 31),
                        expires_at=minutes(t0, 31 + 14 * 1440))
        if answer is not None:
            survey.speed, survey.listening, survey.resolution = answer
            survey.answered_at = minutes(t0, 60 + i)
        db.session.add(survey)
    skipped = build(Spec(t0), x)
    db.session.add(Survey(thread_id=skipped.id, brand_id=brand.id, channel_id=x.id,
                          author_id=skipped.author_id, state="skipped", route="recent_survey",
                          day=date(2026, 12, 1), expires_at=t0))
    db.session.commit()
    figs = figures(brand)
    assert figs.surveys_sent == 4 and figs.surveys_answered == 2
    assert figs.response_rate == 0.5
    assert figs.questions["speed"].distribution == (0, 0, 0, 1, 1)
    assert figs.questions["speed"].satisfied_share == 1.0
    assert figs.questions["listening"].satisfied_share == 0.5
    assert figs.questions["resolution"].distribution == (0, 1, 0, 0, 1)


def test_business_hours_change_does_not_rewrite_history(
        brand_channels: tuple[Brand, Channel, Channel]) -> None:
    brand, x, _fb = brand_channels
    opened = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)
    thread = build(Spec(opened, [Reply(datetime(2026, 11, 30, 8, 30, tzinfo=UTC))],
                        segment="professional"), x)
    upkeep.refresh(NOW)
    # The brand now opens at 07:00: the reply recorded under 09:00 keeps its 30 minutes.
    brand.settings = {"calendars": {"professional": {
        "timezone": "Europe/Paris", "holidays": None,
        "week": {d: [["07:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}}}}
    db.session.commit()
    upkeep.rebuild()
    fact = db.session.get(ThreadFact, thread.id)
    assert fact is not None and fact.frt_business_seconds == 30 * 60
    # A thread answered after the change is measured with the new hours.
    later = build(Spec(opened, [Reply(datetime(2026, 11, 30, 8, 30, tzinfo=UTC))],
                       segment="professional"), x)
    upkeep.refresh(NOW + timedelta(minutes=1))
    fact = db.session.get(ThreadFact, later.id)
    assert fact is not None and fact.frt_business_seconds == 150 * 60


def test_incremental_upkeep_equals_rebuild(brand_channels: tuple[Brand, Channel, Channel]
                                          ) -> None:
    brand, x, fb = brand_channels
    t0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    first = build(Spec(t0), x)
    upkeep.refresh(NOW)
    assert queries.load(brand, WEEK, None).figures.answered == 0
    # A reply arrives later (as the outbox would record it) and the thread is resolved.
    from app.audit import record
    from app.models import Message

    db.session.add(Message(thread=first, channel_id=x.id, platform_id="late", direction="out",
                           kind="reply", visibility="public", text="ok",
                           platform_created_at=minutes(t0, 20), received_at=minutes(t0, 20),
                           send_state="sent", sent_at=minutes(t0, 20)))
    build(Spec(t0, [Reply(minutes(t0, 3))]), fb)
    first.status, first.resolved_at = "resolved", minutes(t0, 40)
    record(None, "status_changed", "thread", first.id, to_status="resolved")
    db.session.commit()
    report = upkeep.refresh(NOW + timedelta(minutes=1))
    assert report.threads >= 2
    incremental = {(r.channel_id, r.day): r.answered for r in db.session.scalars(
        db.select(DayRollup))}
    assert queries.load(brand, WEEK, None).figures.answered == 2
    upkeep.rebuild()
    rebuilt = {(r.channel_id, r.day): r.answered for r in db.session.scalars(
        db.select(DayRollup))}
    assert incremental == rebuilt
