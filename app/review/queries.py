"""Read models of the committee pages: a reply in context, agreement, disputes, trends."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BindParameter, ScalarSelect
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import (
    AgentReport,
    CalibrationScore,
    Direction,
    Dispute,
    DisputeStatus,
    Message,
    Review,
    ReviewItem,
    ReviewNotification,
    ReviewStatus,
    RubricVersion,
    Survey,
    Thread,
    Ticket,
    User,
)
from app.outbox.composer import FACEBOOK_MAX, X_MAX, platform_length
from app.review import stats
from app.review.rubric import criteria_of
from app.surveys.services import masked_comment

BEFORE = 5  # customer messages shown before the reply


@dataclass
class ReplyContext:
    """A sampled reply with what came before and after it."""

    message: Message
    thread: Thread
    before: list[Message]
    after_inbound: int
    next_inbound: Message | None
    ticket: Ticket | None
    length: int
    limit: int
    signed: bool
    survey: Survey | None = None  # the thread's satisfaction survey, once answered
    survey_comment: str = ""  # its comment, personal data masked


def reply_context(item: ReviewItem) -> ReplyContext:
    """The reply in its thread: the messages before it, the ticket, whether the customer came
    back after it; the channel's length limit and whether the signature is there."""
    message = item.message
    # Few round trips: the page's server time is a target (p99 < 50 ms), and each query is
    # a wait on the database that grows with the machine's load.
    thread = db.session.get(Thread, message.thread_id, options=[joinedload(Thread.channel)])
    assert thread is not None
    before = list(db.session.scalars(
        db.select(Message).where(Message.thread_id == thread.id,
                                 Message.platform_created_at <= message.platform_created_at,
                                 Message.id != message.id)
        .options(joinedload(Message.agent), joinedload(Message.author))
        .order_by(Message.platform_created_at.desc(), Message.id.desc()).limit(BEFORE)))
    before.reverse()
    # The customer's next message and how many followed, in one query (a window count).
    after = db.session.execute(
        db.select(Message, db.func.count().over())
        .where(Message.thread_id == thread.id, Message.direction == Direction.INBOUND.value,
               Message.platform_created_at > message.platform_created_at)
        .order_by(Message.platform_created_at, Message.id).limit(1)).first()
    next_inbound, after_count = (after[0], int(after[1])) if after else (None, 0)
    ticket = db.session.get(Ticket, thread.ticket_id) if thread.ticket_id else None
    survey = db.session.scalar(db.select(Survey).where(Survey.thread_id == thread.id,
                                                       Survey.answered_at.is_not(None)))
    network = thread.channel.network
    agent = item.agent
    signature = agent.display_signature if agent else ""
    return ReplyContext(
        message=message, thread=thread, before=before, after_inbound=after_count,
        next_inbound=next_inbound, ticket=ticket,
        length=platform_length(network, message.text),
        limit=X_MAX if network == "x" else FACEBOOK_MAX,
        signed=bool(signature) and signature in message.text, survey=survey,
        survey_comment=masked_comment(survey) if survey else "")


def load_item(item_id: int) -> ReviewItem | None:
    """A sampled reply with its review, rubric, message and agent (one query)."""
    return db.session.get(ReviewItem, item_id, options=[
        joinedload(ReviewItem.review).joinedload(Review.rubric),
        joinedload(ReviewItem.message), joinedload(ReviewItem.agent)])


@dataclass
class AgentProgress:
    """One agent's row on the review page."""

    agent: User
    items: list[ReviewItem] = field(default_factory=list)

    @property
    def done(self) -> int:
        """Replies fully scored."""
        return sum(1 for i in self.items if i.complete)


def review_overview(review: Review) -> list[AgentProgress]:
    """Agents of the review and their sampled replies, in order."""
    items = db.session.scalars(
        db.select(ReviewItem).where(ReviewItem.review_id == review.id)
        .options(joinedload(ReviewItem.agent), joinedload(ReviewItem.message))
        .order_by(ReviewItem.agent_id, ReviewItem.position)).unique()
    rows: dict[int, AgentProgress] = {}
    for item in items:
        rows.setdefault(item.agent_id, AgentProgress(item.agent)).items.append(item)
    return sorted(rows.values(), key=lambda r: r.agent.name.lower())


@dataclass
class AgentCount:
    """One agent's progress on the review page (counted in SQL, not loaded)."""

    agent_id: int
    name: str
    replies: int
    done: int


def agent_progress(review: Review) -> list[AgentCount]:
    """Each agent of the review with their number of sampled and fully scored replies."""
    rows = db.session.execute(
        db.select(ReviewItem.agent_id, User.name, db.func.count(ReviewItem.id),
                  db.func.sum(db.case((ReviewItem.complete.is_(True), 1), else_=0)))
        .join(User, User.id == ReviewItem.agent_id)
        .where(ReviewItem.review_id == review.id)
        .group_by(ReviewItem.agent_id, User.name).order_by(User.name))
    return [AgentCount(agent_id, name, replies, int(done or 0))
            for agent_id, name, replies, done in rows]


def agent_items(review: Review, agent_id: int) -> list[ReviewItem]:
    """One agent's sampled replies, in order."""
    return list(db.session.scalars(
        db.select(ReviewItem).where(ReviewItem.review_id == review.id,
                                    ReviewItem.agent_id == agent_id)
        .options(joinedload(ReviewItem.message)).order_by(ReviewItem.position)))


def first_to_score(review: Review) -> int | None:
    """The first reply not fully scored, in scoring order."""
    return to_score_and_open_disputes(review)[0]


def _to_score_and_open_disputes(review_id: Any) -> tuple[Any, Any]:
    first = (db.select(ReviewItem.id).where(ReviewItem.review_id == review_id,
                                            ReviewItem.complete.is_(False))
             .order_by(ReviewItem.agent_id, ReviewItem.position).limit(1).scalar_subquery())
    disputes = (db.select(db.func.count(Dispute.id))
                .join(AgentReport, AgentReport.id == Dispute.report_id)
                .where(AgentReport.review_id == review_id,
                       Dispute.status == DisputeStatus.OPEN.value).scalar_subquery())
    return first, disputes


def to_score_and_open_disputes(review: Review) -> tuple[int | None, int]:
    """The first reply not fully scored (scoring order) and the number of open disputes,
    in one round trip."""
    first, disputes = _to_score_and_open_disputes(review.id)
    row = db.session.execute(db.select(first, disputes)).one()
    return row[0], int(row[1] or 0)


def review_page(review_id: int) -> tuple[Review, int | None, int] | None:
    """The review page's head in one query: the review with its brand and rubric, the first
    reply left to score and the number of open disputes (None: no such review)."""
    first, disputes = _to_score_and_open_disputes(Review.id)
    row = db.session.execute(
        db.select(Review, first, disputes).where(Review.id == review_id)
        .options(joinedload(Review.brand), joinedload(Review.rubric))).first()
    if row is None:
        return None
    return row[0], row[1], int(row[2] or 0)


def neighbours(item: ReviewItem) -> tuple[int | None, int | None]:
    """The previous and next reply of the review (scoring order: agent, then position)."""
    here = db.tuple_(ReviewItem.agent_id, ReviewItem.position)
    mine = db.tuple_(db.literal(item.agent_id), db.literal(item.position))
    base = db.select(ReviewItem.id).where(ReviewItem.review_id == item.review_id).limit(1)
    previous = base.where(here < mine).order_by(ReviewItem.agent_id.desc(),
                                                ReviewItem.position.desc()).scalar_subquery()
    following = base.where(here > mine).order_by(ReviewItem.agent_id,
                                                 ReviewItem.position).scalar_subquery()
    row = db.session.execute(db.select(previous, following)).one()
    return row[0], row[1]


# --- calibration ---------------------------------------------------------------------------

@dataclass
class CriterionAgreement:
    """Krippendorff's alpha (ordinal) of one criterion over the calibration replies."""

    key: str
    alpha: float | None
    raters: int
    units: int

    @property
    def ambiguous(self) -> bool:
        """Below the acceptable agreement: the wording is to be fixed."""
        return self.alpha is not None and self.alpha < stats.ALPHA_ACCEPTABLE


@dataclass
class Calibration:
    """The committee's calibration figures."""

    criteria: list[CriterionAgreement]
    differing: list[tuple[ReviewItem, float, list[CalibrationScore]]]
    items: list[ReviewItem]
    submitted: dict[int, int]  # item id -> number of sealed score sets


def calibration(review: Review) -> Calibration:
    """Agreement per criterion between supervisors' sealed calibration scores, and the
    replies where they differ most (spread of their reply scores)."""
    items = list(db.session.scalars(db.select(ReviewItem).filter_by(
        review_id=review.id, calibration=True).order_by(ReviewItem.id)))
    scores = list(db.session.scalars(
        db.select(CalibrationScore).options(joinedload(CalibrationScore.rater))
        .where(CalibrationScore.item_id.in_([i.id for i in items]),
               CalibrationScore.submitted_at.is_not(None)))) if items else []
    raters = sorted({s.rater_id for s in scores})
    by_item: dict[int, dict[int, CalibrationScore]] = defaultdict(dict)
    for s in scores:
        by_item[s.item_id][s.rater_id] = s
    criteria = criteria_of(review.rubric.criteria)
    agreement = []
    for criterion in criteria:
        units = [[by_item[i.id][r].scores.get(criterion.key) if r in by_item[i.id] else None
                  for r in raters] for i in items]
        agreement.append(CriterionAgreement(
            criterion.key, stats.krippendorff_alpha(units, "ordinal"),
            stats.pairable_raters(units), sum(1 for u in units
                                              if sum(v is not None for v in u) >= 2)))
    differing = []
    for item in items:
        sets = list(by_item[item.id].values())
        spread = stats.spread(stats.reply_score(criteria, s.scores) for s in sets)
        if len(sets) >= 2:
            differing.append((item, spread, sets))
    differing.sort(key=lambda row: -row[1])
    return Calibration(agreement, differing[:10], items,
                       {i.id: len(by_item[i.id]) for i in items})


# --- disputes ------------------------------------------------------------------------------

def disputes_of(review: Review, status: str | None = None) -> list[Dispute]:
    """The review's disputes, newest first."""
    stmt = (db.select(Dispute).join(AgentReport, AgentReport.id == Dispute.report_id)
            .where(AgentReport.review_id == review.id)
            .options(joinedload(Dispute.raised_by), joinedload(Dispute.item))
            .order_by(Dispute.raised_at.desc()))
    if status:
        stmt = stmt.where(Dispute.status == status)
    return list(db.session.scalars(stmt))


def dispute_rates(review: Review) -> dict[str, dict[str, int]]:
    """Per criterion: how many scores were disputed and how many were changed."""
    counts: dict[str, dict[str, int]] = {c["key"]: {"disputed": 0, "changed": 0, "scores": 0}
                                         for c in review.rubric.criteria}
    for item_scores, in db.session.execute(db.select(ReviewItem.scores)
                                           .filter_by(review_id=review.id)):
        for key in item_scores or {}:
            if key in counts:
                counts[key]["scores"] += 1
    for d in disputes_of(review):
        row = counts.setdefault(d.criterion, {"disputed": 0, "changed": 0, "scores": 0})
        row["disputed"] += 1
        if d.status in (DisputeStatus.ACCEPTED.value, DisputeStatus.PARTLY_ACCEPTED.value):
            row["changed"] += 1
    return counts


def open_disputes_count() -> int:
    """Disputes waiting for an answer, for the committee's menu."""
    return db.session.scalar(db.select(db.func.count(Dispute.id))
                             .filter_by(status=DisputeStatus.OPEN.value)) or 0


# --- trends --------------------------------------------------------------------------------

@dataclass
class Trend:
    """Scores per month (0..100), per criterion, and the replies' average polarity."""

    months: list[str]
    score: list[float | None]
    criteria: dict[str, list[float | None]]
    polarity: list[float | None]
    labels: dict[str, Any]


def _rubric_labels(brand_ids: set[int]) -> dict[str, Any]:
    labels: dict[str, Any] = {}
    for version in db.session.scalars(db.select(RubricVersion)
                                      .where(RubricVersion.brand_id.in_(brand_ids))
                                      .order_by(RubricVersion.version)):
        for c in version.criteria:
            labels[c["key"]] = c["name"]
    return labels


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def agent_trend(agent_id: int) -> Trend:
    """An agent's reports, month by month (closed reviews)."""
    reports = list(db.session.scalars(
        db.select(AgentReport).join(Review).where(AgentReport.agent_id == agent_id)
        .options(joinedload(AgentReport.review)).order_by(Review.month)))
    keys = list(dict.fromkeys(k for r in reports for k in r.criteria))
    return Trend(
        months=[r.review.month for r in reports],
        score=[_pct(r.score) for r in reports],
        criteria={k: [_pct(r.criteria.get(k)) for r in reports] for k in keys},
        polarity=[None if r.polarity is None else round(r.polarity, 3) for r in reports],
        labels=_rubric_labels({r.review.brand_id for r in reports}))


def team_trend() -> Trend:
    """The whole team, month by month: every scored reply of the closed reviews."""
    reviews = list(db.session.scalars(
        db.select(Review).where(Review.status == ReviewStatus.CLOSED.value)
        .options(selectinload(Review.items), joinedload(Review.rubric))
        .order_by(Review.month, Review.brand_id)))
    months: dict[str, list[ReviewItem]] = defaultdict(list)
    rubrics: dict[str, Review] = {}
    for review in reviews:
        months[review.month].extend(review.items)
        rubrics[review.month] = review
    per_month: list[dict[str, float | None]] = []
    score: list[float | None] = []
    polarity: list[float | None] = []
    for month, items in months.items():
        criteria = criteria_of(rubrics[month].rubric.criteria)
        scores = [i.score for i in items if i.score is not None]
        score.append(_pct(sum(scores) / len(scores)) if scores else None)
        pols = [i.polarity for i in items if i.polarity is not None]
        polarity.append(round(sum(pols) / len(pols), 3) if pols else None)
        row: dict[str, float | None] = {}
        for criterion in criteria:
            values = [stats.criterion_score(criterion, i.scores[criterion.key]) for i in items
                      if i.scores.get(criterion.key) is not None]
            row[criterion.key] = _pct(sum(values) / len(values)) if values else None
        per_month.append(row)
    keys = list(dict.fromkeys(k for row in per_month for k in row))
    crit_values = {k: [row.get(k) for row in per_month] for k in keys}
    return Trend(list(months), score, crit_values, polarity,
                 _rubric_labels({r.brand_id for r in reviews}))


# --- library and notifications -------------------------------------------------------------

def library(category: str | None, language: str | None, limit: int = 100
            ) -> list[ReviewItem]:
    """Replies marked worth sharing, newest month first, filtered by category and language."""
    stmt = (db.select(ReviewItem).join(Review).join(Message, Message.id == ReviewItem.message_id)
            .join(Thread, Thread.id == Message.thread_id)
            .where(ReviewItem.worth_sharing.is_(True))
            .options(joinedload(ReviewItem.message), joinedload(ReviewItem.agent),
                     joinedload(ReviewItem.review))
            .order_by(Review.month.desc(), ReviewItem.id.desc()).limit(limit))
    if category:
        stmt = stmt.where(Thread.category == category)
    if language:
        stmt = stmt.where(ReviewItem.language == language)
    return list(db.session.scalars(stmt).unique())


def unread_select(user_id: int | BindParameter[int]) -> ScalarSelect[int]:
    """A user's unread notifications, counted, as a scalar sub-select (the page header reads
    it with its other figures: ``app.header``)."""
    return db.select(db.func.count(ReviewNotification.id)).where(
        ReviewNotification.user_id == user_id,
        ReviewNotification.read_at.is_(None)).scalar_subquery()


def notifications(user_id: int, limit: int = 50) -> list[ReviewNotification]:
    """A user's notifications, newest first."""
    return list(db.session.scalars(db.select(ReviewNotification)
                                   .filter_by(user_id=user_id)
                                   .order_by(ReviewNotification.id.desc()).limit(limit)))


def calibration_sets(item: ReviewItem) -> list[CalibrationScore]:
    """The sealed calibration scores of a reply, with their raters."""
    return list(db.session.scalars(
        db.select(CalibrationScore).options(joinedload(CalibrationScore.rater))
        .where(CalibrationScore.item_id == item.id, CalibrationScore.submitted_at.is_not(None))
        .order_by(CalibrationScore.submitted_at)))
