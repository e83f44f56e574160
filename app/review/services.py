"""The tone committee's use cases. Each one commits once; helpers only flush.

Invariants:

* one review per (brand, month): the unique key decides, so concurrent schedulers, a
  catch-up run and the CLI never open two (the loser gets ``ReviewError("exists")``);
* the draw is ``draw.draw`` of (brand, month, seed, the replies that existed): the seed is
  stored, so running it again gives the same replies;
* a closed review's scores change only through an answered dispute;
* calibration scores never count in agents' results.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from app import triage
from app.audit import record
from app.extensions import db
from app.models import (
    AgentReport,
    Brand,
    CalibrationScore,
    Channel,
    Direction,
    Dispute,
    DisputeStatus,
    Message,
    Review,
    ReviewItem,
    ReviewNotification,
    ReviewSettings,
    ReviewStatus,
    Role,
    RubricVersion,
    SendState,
    User,
    utcnow,
)
from app.realtime.publish import publish
from app.review import draw as drawing
from app.review import stats
from app.review.rubric import DEFAULT_CRITERIA, criteria_of, parse_rows
from tone.humour import humour_markers, may_carry_humour

log = logging.getLogger("care.review")

#: Who runs the committee.
COMMITTEE_ROLES = (Role.SUPERVISOR.value, Role.ADMIN.value)


class ReviewError(ValueError):
    """A refused committee action; ``code`` picks the message shown, ``field`` the input."""

    def __init__(self, code: str, field: str | None = None, detail: object = None) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
        self.detail = detail


# --- months --------------------------------------------------------------------------------

def parse_month(text: str) -> str:
    """``YYYY-MM`` checked (``ReviewError("bad_month")`` otherwise)."""
    text = (text or "").strip()
    try:
        year, month = (int(part) for part in text.split("-"))
        date(year, month, 1)
    except (ValueError, TypeError) as exc:
        raise ReviewError("bad_month", "month") from exc
    if len(text) != 7 or not 2000 <= year <= 2999:
        raise ReviewError("bad_month", "month")
    return f"{year:04d}-{month:02d}"


def month_bounds(month: str, timezone: str) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in UTC, as the brand's clock reads."""
    zone = ZoneInfo(timezone)
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=zone)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def previous_month(now: datetime, timezone: str) -> str:
    """The month before the one the brand's clock shows at ``now``."""
    local = now.astimezone(ZoneInfo(timezone))
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def _current_month(now: datetime, timezone: str) -> str:
    local = now.astimezone(ZoneInfo(timezone))
    return f"{local.year:04d}-{local.month:02d}"


# --- settings and rubric -------------------------------------------------------------------

def settings_for(brand_id: int) -> ReviewSettings:
    """The brand's committee settings (defaults when never saved; not added to the session)."""
    found = db.session.get(ReviewSettings, brand_id)
    return found if found is not None else ReviewSettings(brand_id=brand_id, sample_size=10)


def save_settings(actor: User, brand_id: int, sample_size_text: str) -> ReviewSettings:
    """Save the sample size (1..100 replies per agent and month)."""
    if db.session.get(Brand, brand_id) is None:
        raise ReviewError("no_brand", "brand")
    try:
        size = int((sample_size_text or "").strip())
    except ValueError as exc:
        raise ReviewError("bad_sample_size", "sample_size") from exc
    if not 1 <= size <= 100:
        raise ReviewError("bad_sample_size", "sample_size")
    found = db.session.get(ReviewSettings, brand_id)
    if found is None:
        found = ReviewSettings(brand_id=brand_id)
        db.session.add(found)
    previous = found.sample_size
    found.sample_size = size
    found.updated_at = utcnow()
    found.updated_by_id = actor.id
    record(actor, "review.settings", "brand", brand_id, sample_size=size, previous=previous)
    db.session.commit()
    return found


def _newest_rubric(brand_id: int) -> RubricVersion | None:
    found: RubricVersion | None = db.session.scalar(
        db.select(RubricVersion).filter_by(brand_id=brand_id)
        .order_by(RubricVersion.version.desc()).limit(1))
    return found


def ensure_rubric(brand_id: int) -> RubricVersion:
    """The brand's newest rubric version, the default one created first if there is none.

    The default is set-up data committed on its own: two processes creating it at once
    (three schedulers on the 1st) meet on the unique key, and the loser reads the winner's.
    """
    found = _newest_rubric(brand_id)
    if found is not None:
        return found
    db.session.add(RubricVersion(brand_id=brand_id, version=1, criteria=DEFAULT_CRITERIA,
                                 note="default"))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
    found = _newest_rubric(brand_id)
    assert found is not None
    return found


def current_rubric(brand_id: int) -> RubricVersion:
    """The brand's newest rubric version (see ``ensure_rubric``)."""
    return ensure_rubric(brand_id)


def save_rubric(actor: User, brand_id: int, rows: Sequence[Mapping[str, str]],
                note: str = "") -> RubricVersion:
    """Save the edited rubric as a new version; past reviews keep the version they used."""
    if db.session.get(Brand, brand_id) is None:
        raise ReviewError("no_brand", "brand")
    criteria = parse_rows(rows)  # RubricError for the form
    latest = current_rubric(brand_id)
    if criteria == latest.criteria:
        raise ReviewError("rubric_unchanged")
    version = RubricVersion(brand_id=brand_id, version=latest.version + 1, criteria=criteria,
                            created_by_id=actor.id, note=(note or "").strip()[:300] or None)
    db.session.add(version)
    db.session.flush()
    record(actor, "review.rubric", "rubric", version.id, brand_id=brand_id,
           version=version.version, keys=[c["key"] for c in criteria])
    db.session.commit()
    return version


# --- the draw ------------------------------------------------------------------------------

def candidates(brand_id: int, month: str, timezone: str, agent_id: int | None = None
               ) -> list[drawing.Candidate]:
    """Every reply the draw may pick: sent by an agent in the month, acknowledgements of a
    move to private left out (``Message.is_acknowledgement``)."""
    start, end = month_bounds(month, timezone)
    stmt = (db.select(Message.id, Message.agent_id, Message.visibility, Channel.network,
                      Message.text)
            .join(Channel, Channel.id == Message.channel_id)
            .where(Channel.brand_id == brand_id,
                   Message.direction == Direction.OUTBOUND.value,
                   Message.agent_id.is_not(None),
                   Message.is_acknowledgement.is_(False),
                   Message.send_state == SendState.SENT.value,
                   Message.sent_at >= start, Message.sent_at < end))
    if agent_id is not None:
        stmt = stmt.where(Message.agent_id == agent_id)
    return [drawing.Candidate(mid, aid, vis, network, may_carry_humour(text))
            for mid, aid, vis, network, text in db.session.execute(stmt)]


def _aids(message: Message, brand: Brand) -> dict[str, Any]:
    analysis = triage.analyse(message.text, brand.settings)
    return {"language": analysis.language, "polarity": analysis.polarity,
            "subjectivity": analysis.subjectivity,
            "pii": [span.to_dict() for span in analysis.pii],
            "humour": [m.to_dict() for m in humour_markers(message.text)]}


def _fill_items(review: Review, brand: Brand) -> int:
    pool = [c for c in candidates(brand.id, review.month, brand.timezone)
            if c.message_id not in set(review.excluded or [])]
    picks = drawing.draw(pool, seed=review.seed, brand_id=brand.id, month=review.month,
                         sample_size=review.sample_size)
    messages = {m.id: m for m in db.session.scalars(
        db.select(Message).where(Message.id.in_([p.message_id for p in picks])))} \
        if picks else {}
    position: dict[int, int] = {}
    for pick in picks:
        position[pick.agent_id] = position.get(pick.agent_id, 0) + 1
        db.session.add(ReviewItem(review_id=review.id, message_id=pick.message_id,
                                  agent_id=pick.agent_id, stratum=pick.stratum,
                                  position=position[pick.agent_id],
                                  **_aids(messages[pick.message_id], brand)))
    db.session.flush()
    return len(picks)


def _committee_ids() -> list[int]:
    return list(db.session.scalars(db.select(User.id).where(
        User.role.in_(COMMITTEE_ROLES), User.active.is_(True))))


def open_review(brand_id: int, month: str, *, actor: User | None = None,
                seed: str | None = None, now: datetime | None = None) -> Review:
    """Open the brand's review of a past month and draw its sample; commit once.

    ``ReviewError("exists")`` when it is already open (by anyone, even concurrently).
    """
    month = parse_month(month)
    brand = db.session.get(Brand, brand_id)
    if brand is None:
        raise ReviewError("no_brand", "brand")
    if month >= _current_month(now or utcnow(), brand.timezone):
        raise ReviewError("month_not_over", "month")
    if db.session.scalar(db.select(Review.id).filter_by(brand_id=brand_id, month=month)):
        raise ReviewError("exists", "month")
    seed = (seed or secrets.token_hex(8)).strip()
    if not seed or len(seed) > 64:
        raise ReviewError("bad_seed", "seed")
    rubric = ensure_rubric(brand_id)
    review = Review(brand_id=brand_id, month=month, seed=seed, rubric_id=rubric.id,
                    sample_size=settings_for(brand_id).sample_size,
                    opened_by_id=actor.id if actor else None, excluded=[])
    db.session.add(review)
    try:
        # The row first: a concurrent opener waits on the unique key here, then fails,
        # before it spends anything on a draw.
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise ReviewError("exists", "month") from exc
    drawn = _fill_items(review, brand)
    record(actor, "review.open", "review", review.id, brand_id=brand_id, month=month,
           seed=seed, replies=drawn, sample_size=review.sample_size,
           rubric_version=review.rubric.version if review.rubric else None)
    notify(_committee_ids(), "review_opened", {"month": month, "brand": brand.name},
           f"/review/{review.id}")
    try:
        db.session.commit()
    except IntegrityError as exc:  # SQLite reports the clash only at commit
        db.session.rollback()
        raise ReviewError("exists", "month") from exc
    log.info("review %s opened for %s %s: %s replies (seed %s)", review.id, brand.slug,
             month, drawn, seed)
    return review


@dataclass(frozen=True)
class DueOutcome:
    """What one run of the monthly job did."""

    opened: list[int]
    skipped: list[str]


def open_due_reviews(now: datetime | None = None) -> DueOutcome:
    """The monthly job: for each brand whose clock has reached the 1st, open the review of
    the month before if it is not open yet (catch-up after downtime included)."""
    now = now or utcnow()
    opened: list[int] = []
    skipped: list[str] = []
    for brand in list(db.session.scalars(db.select(Brand).order_by(Brand.id))):
        month = previous_month(now, brand.timezone)
        if db.session.scalar(db.select(Review.id).filter_by(brand_id=brand.id, month=month)):
            continue
        start, end = month_bounds(month, brand.timezone)
        if not db.session.scalar(
                db.select(Message.id).join(Channel, Channel.id == Message.channel_id)
                .where(Channel.brand_id == brand.id, Message.agent_id.is_not(None),
                       Message.direction == Direction.OUTBOUND.value,
                       Message.sent_at >= start, Message.sent_at < end).limit(1)):
            skipped.append(f"{brand.slug}:{month}:no replies")
            continue
        try:
            opened.append(open_review(brand.id, month, now=now).id)
        except ReviewError as exc:
            skipped.append(f"{brand.slug}:{month}:{exc.code}")
    return DueOutcome(opened, skipped)


def _require_open(review: Review) -> None:
    if review.status != ReviewStatus.OPEN.value:
        raise ReviewError("closed")


def _reason(text: str | None) -> str:
    reason = " ".join((text or "").split())
    if len(reason) < 3:
        raise ReviewError("reason_required", "reason")
    if len(reason) > 500:
        raise ReviewError("reason_too_long", "reason")
    return reason


def redraw(actor: User, review: Review, reason_text: str) -> Review:
    """Draw the sample again with a new seed (before any score); the reason is audited."""
    _require_open(review)
    reason = _reason(reason_text)
    if any(item.scores for item in review.items) or db.session.scalar(
            db.select(CalibrationScore.id).join(ReviewItem)
            .where(ReviewItem.review_id == review.id).limit(1)):
        raise ReviewError("already_scored")
    old_seed = review.seed
    for item in list(review.items):
        db.session.delete(item)
    db.session.flush()
    review.seed = secrets.token_hex(8)
    review.draws += 1
    db.session.expire(review, ["items"])
    drawn = _fill_items(review, review.brand)
    record(actor, "review.redraw", "review", review.id, reason=reason, old_seed=old_seed,
           seed=review.seed, replies=drawn)
    db.session.commit()
    return review


def swap_item(actor: User, item: ReviewItem, reason_text: str) -> ReviewItem:
    """Put another reply of the same agent and stratum in place of this one (a wrong
    attribution, a test message); the reason and both replies go to the audit trail."""
    review = item.review
    _require_open(review)
    reason = _reason(reason_text)
    used = set(db.session.scalars(db.select(ReviewItem.message_id)
                                  .filter_by(review_id=review.id)))
    used.update(review.excluded or [])
    pool = candidates(review.brand_id, review.month, review.brand.timezone, item.agent_id)
    chosen = drawing.replacement(pool, seed=review.seed, brand_id=review.brand_id,
                                 month=review.month, stratum=item.stratum,
                                 agent_id=item.agent_id, exclude=used)
    if chosen is None:
        raise ReviewError("no_replacement")
    old = item.message_id
    review.excluded = [*(review.excluded or []), old]
    db.session.execute(db.delete(CalibrationScore).where(CalibrationScore.item_id == item.id))
    message = db.session.get(Message, chosen.message_id)
    assert message is not None
    item.message_id = message.id
    item.scores, item.score, item.complete, item.comment = {}, None, False, ""
    item.worth_sharing = False
    item.scored_by_id = item.scored_at = None
    for key, value in _aids(message, review.brand).items():
        setattr(item, key, value)
    record(actor, "review.swap", "review_item", item.id, review_id=review.id,
           reason=reason, removed_message_id=old, added_message_id=message.id,
           stratum=item.stratum)
    db.session.commit()
    return item


# --- scoring -------------------------------------------------------------------------------

def _value(raw: object) -> int | None:
    """A submitted value: an integer, or "na" / None for N/A."""
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in ("na", "n/a")):
        return None
    if isinstance(raw, bool):
        raise ReviewError("not_a_number")
    if isinstance(raw, int):
        return raw
    try:
        return int(str(raw).strip())
    except ValueError as exc:
        raise ReviewError("not_a_number") from exc


def _checked_values(review: Review, raw: Mapping[str, object]) -> dict[str, int | None]:
    criteria = {c.key: c for c in criteria_of(review.rubric.criteria)}
    values: dict[str, int | None] = {}
    for key, given in raw.items():
        if key not in criteria:
            raise ReviewError("unknown_criterion", key)
        value = _value(given)
        try:
            stats.check_value(criteria[key], value)
        except stats.ScoreError as exc:
            raise ReviewError(exc.code, key) from exc
        values[key] = value
    return values


def _rescore(item: ReviewItem, review: Review) -> None:
    criteria = criteria_of(review.rubric.criteria)
    item.complete = stats.is_complete(criteria, item.scores)
    item.score = stats.reply_score(criteria, item.scores)


def score_item(actor: User, item: ReviewItem, values: Mapping[str, object], *,
               comment: str | None = None, worth_sharing: bool | None = None) -> ReviewItem:
    """Save some criteria's scores (the rest keep theirs: a half-done review keeps its state),
    the comment and the "worth sharing" mark. Nothing is saved when one value is refused."""
    review = item.review
    _require_open(review)
    checked = _checked_values(review, values)
    if comment is not None and len(comment) > 2000:
        raise ReviewError("comment_too_long", "comment")
    changes: dict[str, Any] = {}
    if checked:
        item.scores = {**(item.scores or {}), **checked}
        changes["scores"] = checked
    if comment is not None and comment.strip() != item.comment:
        item.comment = comment.strip()
        changes["comment"] = True
    if worth_sharing is not None and worth_sharing != item.worth_sharing:
        item.worth_sharing = worth_sharing
        changes["worth_sharing"] = worth_sharing
    if not changes:
        return item
    _rescore(item, review)
    item.scored_by_id = actor.id
    item.scored_at = utcnow()
    record(actor, "review.score", "review_item", item.id, review_id=review.id, **changes)
    db.session.commit()
    return item


def set_calibration(actor: User, item: ReviewItem, on: bool) -> ReviewItem:
    """Mark or unmark a reply for calibration (blind scoring by every supervisor)."""
    _require_open(item.review)
    if item.calibration != on:
        item.calibration = on
        record(actor, "review.calibration", "review_item", item.id, on=on,
               review_id=item.review_id)
        db.session.commit()
    return item


def calibration_of(item: ReviewItem, rater: User) -> CalibrationScore | None:
    """The rater's own calibration scores of the reply, if any."""
    found: CalibrationScore | None = db.session.scalar(
        db.select(CalibrationScore).filter_by(item_id=item.id, rater_id=rater.id))
    return found


def calibrate(actor: User, item: ReviewItem, values: Mapping[str, object], *,
              submit: bool) -> CalibrationScore:
    """Save a supervisor's blind scores of a calibration reply; ``submit`` seals them (all
    criteria needed), after which the others' scores become visible to them."""
    review = item.review
    _require_open(review)
    if not item.calibration:
        raise ReviewError("not_calibration")
    checked = _checked_values(review, values)
    own = calibration_of(item, actor)
    if own is not None and own.submitted_at is not None:
        raise ReviewError("already_submitted")
    if own is None:
        own = CalibrationScore(item_id=item.id, rater_id=actor.id, scores={})
        db.session.add(own)
    own.scores = {**(own.scores or {}), **checked}
    if submit:
        if not stats.is_complete(criteria_of(review.rubric.criteria), own.scores):
            raise ReviewError("incomplete_calibration")
        own.submitted_at = utcnow()
        record(actor, "review.calibrate", "review_item", item.id, review_id=review.id,
               scores=own.scores)
    db.session.commit()
    return own


# --- closing and reports -------------------------------------------------------------------

def report_figures(review: Review, items: Sequence[ReviewItem]) -> dict[str, Any]:
    """An agent's figures from their scored replies (calibration scores are never used)."""
    criteria = criteria_of(review.rubric.criteria)
    scores = [item.score for item in items if item.score is not None]
    interval = stats.mean_interval(scores, 0.90)
    per: dict[str, float] = {}
    for criterion in criteria:
        values = [stats.criterion_score(criterion, item.scores[criterion.key])
                  for item in items if item.scores.get(criterion.key) is not None]
        if values:
            per[criterion.key] = sum(values) / len(values)
    polarity = [item.polarity for item in items if item.polarity is not None]
    return {"score": interval.mean if interval else None, "replies": len(items),
            "ci_low": interval.low if interval else None,
            "ci_high": interval.high if interval else None, "criteria": per,
            "polarity": sum(polarity) / len(polarity) if polarity else None}


def close_review(actor: User, review: Review) -> list[AgentReport]:
    """Close the review: every reply must be scored; each agent gets a report."""
    _require_open(review)
    missing = [item for item in review.items if not item.complete]
    if missing:
        raise ReviewError("incomplete", detail=len(missing))
    if not review.items:
        raise ReviewError("empty")
    by_agent: dict[int, list[ReviewItem]] = {}
    for item in review.items:
        by_agent.setdefault(item.agent_id, []).append(item)
    reports = []
    for agent_id, items in sorted(by_agent.items()):
        report = AgentReport(review_id=review.id, agent_id=agent_id,
                             **report_figures(review, items))
        db.session.add(report)
        reports.append(report)
    review.status = ReviewStatus.CLOSED.value
    review.closed_at = utcnow()
    review.closed_by_id = actor.id
    db.session.flush()
    for report in reports:
        notify([report.agent_id], "report_ready", {"month": review.month},
               f"/review/reports/{report.id}")
    record(actor, "review.close", "review", review.id, reports=len(reports),
           replies=len(review.items))
    db.session.commit()
    return reports


def _own_report(actor: User, report: AgentReport) -> None:
    if report.agent_id != actor.id:
        raise ReviewError("not_your_report")


def acknowledge(actor: User, report: AgentReport) -> AgentReport:
    """The agent has read their report."""
    _own_report(actor, report)
    if report.acknowledged_at is None:
        report.acknowledged_at = utcnow()
        record(actor, "review.acknowledge", "review_report", report.id)
        db.session.commit()
    return report


def raise_dispute(actor: User, report: AgentReport, item_id: int, criterion: str,
                  proposed_raw: object, reason_text: str) -> Dispute:
    """An agent disputes one criterion's score on one reply of their own report."""
    _own_report(actor, report)
    item = db.session.get(ReviewItem, item_id)
    if item is None or item.review_id != report.review_id or item.agent_id != report.agent_id:
        raise ReviewError("not_your_reply", "item")
    review = report.review
    if criterion not in {c["key"] for c in review.rubric.criteria}:
        raise ReviewError("unknown_criterion", "criterion")
    proposed = _checked_values(review, {criterion: proposed_raw})[criterion]
    original = item.scores.get(criterion)
    if proposed == original:
        raise ReviewError("same_score", "proposed")
    reason = _reason(reason_text)
    if db.session.scalar(db.select(Dispute.id).filter_by(item_id=item.id,
                                                         criterion=criterion).limit(1)):
        raise ReviewError("already_disputed", "criterion")
    dispute = Dispute(report_id=report.id, item_id=item.id, criterion=criterion,
                      original=original, proposed=proposed, reason=reason,
                      raised_by_id=actor.id)
    db.session.add(dispute)
    db.session.flush()
    record(actor, "review.dispute", "review_dispute", dispute.id, report_id=report.id,
           item_id=item.id, criterion=criterion, original=original, proposed=proposed,
           reason=reason)
    notify(_committee_ids(), "dispute_raised", {"month": review.month, "agent": actor.name},
           f"/review/{review.id}/committee#dispute-{dispute.id}")
    db.session.commit()
    return dispute


DECISIONS = ("accept", "partly", "reject")


def answer_dispute(actor: User, dispute: Dispute, decision: str, comment: str,
                   value_raw: object = None) -> Dispute:
    """The supervisor accepts (the proposed score), partly accepts (a score of their own) or
    rejects (final) a dispute, with a comment; the report follows the new score."""
    if dispute.status != DisputeStatus.OPEN.value:
        raise ReviewError("already_answered")
    if decision not in DECISIONS:
        raise ReviewError("bad_decision", "decision")
    comment = " ".join((comment or "").split())
    if len(comment) < 2:
        raise ReviewError("comment_required", "answer")
    item = dispute.item
    review = item.review
    if decision == "accept":
        final, status = dispute.proposed, DisputeStatus.ACCEPTED
    elif decision == "reject":
        final, status = dispute.original, DisputeStatus.REJECTED
    else:
        final = _checked_values(review, {dispute.criterion: value_raw})[dispute.criterion]
        if final in (dispute.original, dispute.proposed):
            raise ReviewError("partly_needs_other_value", "value")
        status = DisputeStatus.PARTLY_ACCEPTED
    dispute.status, dispute.final, dispute.answer = status.value, final, comment
    dispute.answered_by_id, dispute.answered_at = actor.id, utcnow()
    if final != dispute.original:
        item.scores = {**item.scores, dispute.criterion: final}
        _rescore(item, review)
        report = dispute.report
        items = list(db.session.scalars(db.select(ReviewItem).filter_by(
            review_id=review.id, agent_id=report.agent_id)))
        for key, value in report_figures(review, items).items():
            setattr(report, key, value)
    record(actor, "review.dispute_answer", "review_dispute", dispute.id,
           decision=status.value, final=final, original=dispute.original, comment=comment)
    notify([dispute.raised_by_id], "dispute_answered",
           {"month": review.month, "decision": status.value},
           f"/review/reports/{dispute.report_id}")
    db.session.commit()
    return dispute


# --- notifications -------------------------------------------------------------------------

def user_room(user_id: int) -> str:
    """The Socket.IO room of one user's notifications."""
    return f"user:{user_id}"


def notify(user_ids: Sequence[int], kind: str, params: dict[str, Any], link: str) -> None:
    """Add a notification for each user and publish it live (sent after the commit)."""
    for user_id in dict.fromkeys(user_ids):
        note = ReviewNotification(user_id=user_id, kind=kind, params=params, link=link)
        db.session.add(note)
        db.session.flush()
        publish("review.notification", {"id": note.id, "kind": kind, "link": link},
                room=user_room(user_id))


def mark_read(actor: User) -> int:
    """Mark every notification of the user read."""
    result = db.session.execute(
        db.update(ReviewNotification)
        .where(ReviewNotification.user_id == actor.id, ReviewNotification.read_at.is_(None))
        .values(read_at=utcnow()))
    db.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
