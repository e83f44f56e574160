"""Thin views of the tone committee: each action calls one service and never commits."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import bindparam

from app import header
from app.extensions import db
from app.models import (
    AgentReport,
    Brand,
    Dispute,
    DisputeStatus,
    Review,
    ReviewItem,
    ReviewStatus,
    Role,
    User,
)
from app.review import bp, queries, services
from app.review.rubric import RubricError, criteria_of, localized
from app.security import CARE_ROLES, current_actor, roles

COMMITTEE = (Role.SUPERVISOR, Role.ADMIN)


def _(text: str, **values: Any) -> str:
    """gettext, typed (flask_babel ships no type information)."""
    return str(gettext(text, **values))


def review_errors() -> dict[str, str]:
    """Messages of refused committee actions (translated per request)."""
    return {
        "bad_month": _("A month is written YYYY-MM, e.g. 2026-11."),
        "month_not_over": _("Only a month that is over can be reviewed."),
        "exists": _("This month's review is already open."),
        "no_brand": _("Unknown brand."),
        "bad_seed": _("A seed is 1 to 64 characters."),
        "closed": _("This review is closed: its scores can no longer change."),
        "reason_required": _("Give a reason (it is kept in the audit trail)."),
        "reason_too_long": _("The reason is too long (500 characters at most)."),
        "already_scored": _("Replies are already scored: redrawing would lose them."),
        "no_replacement": _("No other reply of this agent in this stratum to swap in."),
        "unknown_criterion": _("Unknown criterion."),
        "not_a_number": _("A score is a whole number of the criterion's scale."),
        "out_of_scale": _("This score is outside the criterion's scale."),
        "na_not_allowed": _("N/A is not allowed for this criterion."),
        "comment_too_long": _("The comment is too long (2,000 characters at most)."),
        "not_calibration": _("This reply is not marked for calibration."),
        "already_submitted": _("Your calibration scores are submitted already."),
        "incomplete_calibration": _("Score every criterion before submitting."),
        "incomplete": _("Some replies are not fully scored yet."),
        "empty": _("This review has no replies."),
        "not_your_report": _("This report is not yours."),
        "not_your_reply": _("This reply is not part of your report."),
        "same_score": _("Propose a score different from the one given."),
        "already_disputed": _("This score was disputed already."),
        "already_answered": _("This dispute was answered already."),
        "bad_decision": _("Choose accept, partly accept or reject."),
        "comment_required": _("A comment is required."),
        "partly_needs_other_value": _("A partial acceptance gives a score other than the "
                                      "original and the proposed one."),
        "bad_sample_size": _("The sample size is a whole number from 1 to 100."),
        "rubric_unchanged": _("Nothing changed in the rubric."),
    }


def rubric_errors() -> dict[str, str]:
    """Messages of a refused rubric."""
    return {
        "bad_key": _("A key is lower-case letters, digits and _ (starting with a letter)."),
        "duplicate_key": _("Two criteria have the same key."),
        "name_required": _("A name in English and in French is required (80 characters at "
                           "most)."),
        "description_too_long": _("A description is 400 characters at most."),
        "weight_not_positive": _("The weight must be a positive number."),
        "bad_scale": _("The scale is binary, 3, 4 or 5 points."),
        "no_criteria": _("A rubric needs at least one criterion."),
        "too_many_criteria": _("A rubric has 12 criteria at most."),
    }


def _message(exc: services.ReviewError) -> str:
    text = review_errors().get(exc.code, _("The action was refused."))
    if exc.code == "incomplete" and exc.detail:
        text += " " + _("%(n)s left.", n=exc.detail)
    return text


def _me() -> User:
    return current_actor()


def _committee() -> bool:
    return bool(current_user.role in (Role.SUPERVISOR.value, Role.ADMIN.value))


def _get(model: Any, ident: int) -> Any:
    found = db.session.get(model, ident)
    if found is None:
        abort(404)
    return found


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _brands() -> list[Brand]:
    return list(db.session.scalars(db.select(Brand).order_by(Brand.name)))


def _unread_parameters() -> dict[str, Any] | None:
    if not current_user.is_authenticated or current_user.role not in CARE_ROLES:
        return None
    return {"unread_user": current_user.id}


# The header and the committee's menu both show it: read once per request, with the
# header's other figures.
header.register("review_unread", queries.unread_select(bindparam("unread_user")),
                _unread_parameters)


@bp.app_context_processor
def _review_globals() -> dict[str, Any]:
    def unread() -> int:
        return header.figure("review_unread")

    return {"review_unread": unread, "review_label": localized,
            "review_locale": lambda: str(get_locale() or "en")}


# --- lists ---------------------------------------------------------------------------------

@bp.route("/")
@roles(CARE_ROLES)
def index() -> Any:
    """Committee home: reviews (committee) or one's own reports (agents)."""
    reviews = list(db.session.scalars(db.select(Review).order_by(Review.month.desc(),
                                                                 Review.id.desc())))
    reports = list(db.session.scalars(
        db.select(AgentReport).join(Review).where(AgentReport.agent_id == current_user.id)
        .order_by(Review.month.desc())))
    open_disputes = list(db.session.scalars(
        db.select(Dispute).filter_by(status=DisputeStatus.OPEN.value)
        .order_by(Dispute.raised_at))) if _committee() else []
    return render_template("review/index.html", reviews=reviews if _committee() else [],
                           reports=reports, open_disputes=open_disputes, brands=_brands(),
                           committee=_committee())


@bp.route("/open", methods=["POST"])
@roles(*COMMITTEE)
def open_month() -> Any:
    """Open a past month's review by hand."""
    try:
        brand_id = int(request.form.get("brand_id", ""))
    except ValueError:
        brand_id = 0
    try:
        review = services.open_review(brand_id, request.form.get("month", ""), actor=_me())
    except services.ReviewError as exc:
        flash(_message(exc), "error")
        return redirect(url_for("review.index")), 303
    flash(_("Review of %(month)s opened: %(n)s replies drawn.", month=review.month,
            n=len(review.items)), "success")
    return redirect(url_for("review.show", review_id=review.id))


# --- one review ----------------------------------------------------------------------------

@bp.route("/<int:review_id>")
@roles(*COMMITTEE)
def show(review_id: int) -> Any:
    """The review: seed, rubric version, agents and their progress, one agent's replies."""
    head = queries.review_page(review_id)
    if head is None:
        abort(404)
    review, first, open_disputes = head
    agents = queries.agent_progress(review)
    wanted = request.args.get("agent", "")
    current = next((a for a in agents if str(a.agent_id) == wanted), None) or next(
        (a for a in agents if a.done < a.replies), agents[0] if agents else None)
    return render_template(
        "review/show.html", review=review, agents=agents, current=current,
        items=queries.agent_items(review, current.agent_id) if current else [],
        done=sum(a.done for a in agents), total=sum(a.replies for a in agents),
        first=first, open_disputes=open_disputes)


@bp.route("/<int:review_id>/redraw", methods=["POST"])
@roles(*COMMITTEE)
def redraw(review_id: int) -> Any:
    """Draw again with a new seed (reason required)."""
    review = _get(Review, review_id)
    try:
        services.redraw(_me(), review, request.form.get("reason", ""))
    except services.ReviewError as exc:
        flash(_message(exc), "error")
        return redirect(url_for("review.show", review_id=review_id)), 303
    flash(_("Sample drawn again with a new seed."), "success")
    return redirect(url_for("review.show", review_id=review_id))


@bp.route("/<int:review_id>/close", methods=["POST"])
@roles(*COMMITTEE)
def close(review_id: int) -> Any:
    """Close the review; each agent gets a report."""
    review = _get(Review, review_id)
    try:
        reports = services.close_review(_me(), review)
    except services.ReviewError as exc:
        flash(_message(exc), "error")
        return redirect(url_for("review.show", review_id=review_id)), 303
    flash(_("Review closed: %(n)s reports sent.", n=len(reports)), "success")
    return redirect(url_for("review.committee", review_id=review_id))


@bp.route("/<int:review_id>/committee")
@roles(*COMMITTEE)
def committee(review_id: int) -> Any:
    """The meeting page: calibration agreement, disputes, reports."""
    review = _get(Review, review_id)
    reports = list(db.session.scalars(db.select(AgentReport).filter_by(review_id=review.id)))
    return render_template("review/committee.html", review=review,
                           calibration=queries.calibration(review),
                           disputes=queries.disputes_of(review),
                           rates=queries.dispute_rates(review), reports=reports,
                           criteria={c["key"]: c for c in review.rubric.criteria})


@bp.route("/<int:review_id>/export.csv")
@roles(*COMMITTEE)
def export(review_id: int) -> Any:
    """Every sampled reply of the review with its scores, one row each."""
    review = _get(Review, review_id)
    keys = [c["key"] for c in review.rubric.criteria]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["review", "month", "seed", "rubric_version", "agent", "item", "message",
                     "stratum", "language", "polarity", "subjectivity", *keys, "score",
                     "worth_sharing", "calibration", "comment", "text"])
    for row in queries.review_overview(review):
        for item in row.items:
            writer.writerow([
                review.id, review.month, review.seed, review.rubric.version, row.agent.name,
                item.id, item.message_id, item.stratum, item.language or "",
                "" if item.polarity is None else f"{item.polarity:.3f}",
                "" if item.subjectivity is None else f"{item.subjectivity:.3f}",
                *[("" if k not in item.scores else
                   "N/A" if item.scores[k] is None else item.scores[k]) for k in keys],
                "" if item.score is None else f"{item.score * 100:.1f}",
                int(item.worth_sharing), int(item.calibration), item.comment,
                _csv_safe(item.message.text)])
    name = f"review-{review.brand.slug}-{review.month}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _csv_safe(text: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet: customers write those.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


# --- one reply -----------------------------------------------------------------------------

def _item_page(item: ReviewItem, status: int = 200, error: str | None = None) -> Any:
    review = item.review
    own = services.calibration_of(item, _me()) if item.calibration else None
    # A calibration reply is scored blind: its official scores stay hidden from a
    # supervisor who has not sealed their own calibration scores (unless they gave them).
    hidden = (item.calibration and item.scored_by_id not in (None, current_user.id)
              and (own is None or own.submitted_at is None))
    previous, following = queries.neighbours(item)
    return render_template("review/item.html", item=item, review=review,
                           ctx=queries.reply_context(item), criteria=review.rubric.criteria,
                           hidden=hidden, previous=previous, following=following,
                           error=error), status


@bp.route("/items/<int:item_id>")
@roles(*COMMITTEE)
def item(item_id: int) -> Any:
    """Score one reply (keyboard: digits, n, j/k, arrows)."""
    found = queries.load_item(item_id)
    if found is None:
        abort(404)
    return _item_page(found)


def _posted_scores(criteria: list[dict[str, Any]]) -> dict[str, object]:
    values: dict[str, object] = {}
    for c in criteria:
        raw = request.form.get(f"c_{c['key']}")
        if raw is not None and raw != "":
            values[c["key"]] = raw
    return values


@bp.route("/items/<int:item_id>/score", methods=["POST"])
@roles(*COMMITTEE)
def score(item_id: int) -> Any:
    """Save scores, comment, "worth sharing" (form post, or JSON for the keyboard page)."""
    found: ReviewItem = _get(ReviewItem, item_id)
    # The form sends a hidden "0" before the checkbox's "1": the last value is the state.
    posted = request.form.getlist("worth_sharing")
    sharing = posted[-1] if posted else None
    try:
        saved = services.score_item(
            _me(), found, _posted_scores(found.review.rubric.criteria),
            comment=request.form.get("comment"),
            worth_sharing=None if sharing is None else sharing in ("1", "on", "true"))
    except services.ReviewError as exc:
        db.session.rollback()
        if _wants_json():
            return {"ok": False, "error": _message(exc), "field": exc.field}, 400
        return _item_page(_get(ReviewItem, item_id), 400, _message(exc))
    if _wants_json():
        return {"ok": True, "scores": saved.scores, "complete": saved.complete,
                "score": None if saved.score is None else round(saved.score * 100, 1),
                "worth_sharing": saved.worth_sharing}
    flash(_("Scores saved."), "success")
    target = request.form.get("next")
    if target == "next":
        _prev, following = queries.neighbours(saved)
        if following:
            return redirect(url_for("review.item", item_id=following))
    return redirect(url_for("review.item", item_id=item_id))


@bp.route("/items/<int:item_id>/swap", methods=["POST"])
@roles(*COMMITTEE)
def swap(item_id: int) -> Any:
    """Swap the reply for another of the same stratum (reason required)."""
    found = _get(ReviewItem, item_id)
    try:
        services.swap_item(_me(), found, request.form.get("reason", ""))
    except services.ReviewError as exc:
        db.session.rollback()
        flash(_message(exc), "error")
        return redirect(url_for("review.item", item_id=item_id)), 303
    flash(_("Reply swapped for another of the same stratum."), "success")
    return redirect(url_for("review.item", item_id=item_id))


@bp.route("/items/<int:item_id>/calibration", methods=["POST"])
@roles(*COMMITTEE)
def toggle_calibration(item_id: int) -> Any:
    """Mark or unmark the reply for calibration."""
    found = _get(ReviewItem, item_id)
    try:
        services.set_calibration(_me(), found, request.form.get("on") == "1")
    except services.ReviewError as exc:
        flash(_message(exc), "error")
    return redirect(url_for("review.item", item_id=item_id)), 303


@bp.route("/items/<int:item_id>/calibrate", methods=["GET", "POST"])
@roles(*COMMITTEE)
def calibrate(item_id: int) -> Any:
    """Blind calibration scoring; the others' scores show once one's own are submitted."""
    found: ReviewItem = _get(ReviewItem, item_id)
    error = None
    if request.method == "POST":
        try:
            services.calibrate(_me(), found, _posted_scores(found.review.rubric.criteria),
                               submit=request.form.get("submit") == "1")
        except services.ReviewError as exc:
            db.session.rollback()
            error = _message(exc)
            found = _get(ReviewItem, item_id)
        else:
            flash(_("Calibration scores saved."), "success")
            return redirect(url_for("review.calibrate", item_id=item_id))
    own = services.calibration_of(found, _me())
    sealed = own is not None and own.submitted_at is not None
    others = [s for s in queries.calibration_sets(found) if s.rater_id != current_user.id] \
        if sealed else []
    return render_template("review/calibrate.html", item=found, review=found.review,
                           ctx=queries.reply_context(found), own=own, sealed=sealed,
                           others=others, criteria=found.review.rubric.criteria,
                           error=error), 400 if error else 200


# --- reports and disputes ------------------------------------------------------------------

def _report(report_id: int) -> AgentReport:
    found: AgentReport = _get(AgentReport, report_id)
    if found.agent_id != current_user.id and not _committee():
        abort(404)  # an agent sees their own reports only
    return found


@bp.route("/reports/<int:report_id>")
@roles(CARE_ROLES)
def report(report_id: int) -> Any:
    """An agent's monthly report: score with its interval, per criterion, comments."""
    found = _report(report_id)
    items = list(db.session.scalars(db.select(ReviewItem).filter_by(
        review_id=found.review_id, agent_id=found.agent_id).order_by(ReviewItem.position)))
    disputes = list(db.session.scalars(db.select(Dispute).filter_by(report_id=found.id)
                                       .order_by(Dispute.raised_at)))
    return render_template("review/report.html", report=found, review=found.review,
                           items=items, disputes=disputes,
                           criteria=found.review.rubric.criteria,
                           mine=found.agent_id == current_user.id)


@bp.route("/reports/<int:report_id>/acknowledge", methods=["POST"])
@roles(CARE_ROLES)
def acknowledge(report_id: int) -> Any:
    """The agent acknowledges their report."""
    found = _report(report_id)
    try:
        services.acknowledge(_me(), found)
    except services.ReviewError as exc:
        flash(_message(exc), "error")
        return redirect(url_for("review.report", report_id=report_id)), 303
    flash(_("Report acknowledged."), "success")
    return redirect(url_for("review.report", report_id=report_id))


@bp.route("/reports/<int:report_id>/dispute", methods=["POST"])
@roles(CARE_ROLES)
def dispute(report_id: int) -> Any:
    """The agent disputes one score with a reason and the score they propose."""
    found = _report(report_id)
    try:
        item_id = int(request.form.get("item_id", ""))
    except ValueError:
        item_id = 0
    try:
        services.raise_dispute(_me(), found, item_id, request.form.get("criterion", ""),
                               request.form.get("proposed", ""), request.form.get("reason", ""))
    except services.ReviewError as exc:
        db.session.rollback()
        flash(_message(exc), "error")
        return redirect(url_for("review.report", report_id=report_id,
                                _anchor=f"item-{item_id}")), 303
    flash(_("Dispute sent to the supervisors."), "success")
    return redirect(url_for("review.report", report_id=report_id))


@bp.route("/disputes/<int:dispute_id>/answer", methods=["POST"])
@roles(*COMMITTEE)
def answer(dispute_id: int) -> Any:
    """Accept, partly accept or reject a dispute, with a comment."""
    found: Dispute = _get(Dispute, dispute_id)
    review_id = found.report.review_id
    try:
        services.answer_dispute(_me(), found, request.form.get("decision", ""),
                                request.form.get("answer", ""), request.form.get("value"))
    except services.ReviewError as exc:
        db.session.rollback()
        flash(_message(exc), "error")
        return redirect(url_for("review.committee", review_id=review_id,
                                _anchor=f"dispute-{dispute_id}")), 303
    flash(_("Dispute answered."), "success")
    return redirect(url_for("review.committee", review_id=review_id,
                            _anchor=f"dispute-{dispute_id}"))


# --- trends, library, notifications --------------------------------------------------------

@bp.route("/trends")
@roles(CARE_ROLES)
def trends() -> Any:
    """Score per criterion and polarity across months: an agent's own, or (committee) any
    agent's and the team's."""
    agents: list[User] = []
    agent: User | None = _me()
    if _committee():
        agents = list(db.session.scalars(
            db.select(User).where(User.id.in_(db.select(AgentReport.agent_id)))
            .order_by(User.name)))
        raw = request.args.get("agent", "")
        agent = next((a for a in agents if str(a.id) == raw), None)
    trend = queries.agent_trend(agent.id) if agent else queries.team_trend()
    locale = str(get_locale() or "en")
    names = {key: localized(trend.labels.get(key), locale) or key for key in trend.criteria}
    chart = json.dumps({"months": trend.months, "score": trend.score,
                        "criteria": trend.criteria, "polarity": trend.polarity,
                        "names": names, "score_label": _("Score"),
                        "polarity_label": _("Average polarity")})
    # Inside a <script type="application/json">: a "</" in a criterion name must not end it.
    return render_template("review/trends.html", trend=trend, agent=agent, agents=agents,
                           chart=chart.replace("</", "<\\/"))


@bp.route("/library")
@roles(CARE_ROLES)
def library() -> Any:
    """Replies the committee marked worth sharing, by category and language."""
    category = request.args.get("category") or None
    language = request.args.get("language") or None
    return render_template("review/library.html", category=category, language=language,
                           items=queries.library(category, language))


@bp.route("/notifications")
@roles(CARE_ROLES)
def notifications() -> Any:
    """One's own committee notifications."""
    return render_template("review/notifications.html",
                           notes=queries.notifications(current_user.id))


@bp.route("/notifications/read", methods=["POST"])
@roles(CARE_ROLES)
def read_notifications() -> Any:
    """Mark all one's notifications read."""
    services.mark_read(_me())
    return redirect(url_for("review.notifications"))


# --- settings and rubric -------------------------------------------------------------------

def _brand_arg() -> Brand:
    brands = _brands()
    if not brands:
        abort(404)
    raw = request.values.get("brand_id", "")
    if not raw:
        return brands[0]
    found = next((b for b in brands if str(b.id) == raw), None)
    if found is None:
        abort(404)  # never save one brand's settings under another's name
    return found


@bp.route("/settings", methods=["GET", "POST"])
@roles(*COMMITTEE)
def settings() -> Any:
    """The brand's committee settings (sample size per agent and month)."""
    brand = _brand_arg()
    error = None
    if request.method == "POST":
        try:
            services.save_settings(_me(), brand.id, request.form.get("sample_size", ""))
        except services.ReviewError as exc:
            error = _message(exc)
        else:
            flash(_("Committee settings saved."), "success")
            return redirect(url_for("review.settings", brand_id=brand.id))
    return render_template("review/settings.html", brand=brand, brands=_brands(),
                           current=services.settings_for(brand.id),
                           value=request.form.get("sample_size") if error else None,
                           error=error), 400 if error else 200


@bp.route("/rubric", methods=["GET", "POST"])
@roles(Role.ADMIN)
def rubric() -> Any:
    """Edit the brand's rubric; saving makes a new version (past reviews keep theirs)."""
    brand = _brand_arg()
    current = services.ensure_rubric(brand.id)
    rows: list[dict[str, Any]] = []
    problems: list[tuple[int | None, str]] = []
    error = None
    if request.method == "POST":
        rows = _rubric_rows()
        try:
            saved = services.save_rubric(_me(), brand.id, rows, request.form.get("note", ""))
        except RubricError as exc:
            problems = exc.problems
        except services.ReviewError as exc:
            error = _message(exc)
        else:
            flash(_("Rubric saved as version %(v)s.", v=saved.version), "success")
            return redirect(url_for("review.rubric", brand_id=brand.id))
    if not rows:
        rows = [_row_of(c) for c in current.criteria]
    rows += [{} for _i in range(max(0, len(current.criteria) + 2 - len(rows)))]
    versions = list(db.session.scalars(
        db.select(type(current)).filter_by(brand_id=brand.id)
        .order_by(type(current).version.desc())))
    status = 400 if problems or error else 200
    return render_template("review/rubric.html", brand=brand, brands=_brands(),
                           current=current, rows=rows, versions=versions, error=error,
                           problems=problems, messages=rubric_errors()), status


def _row_of(criterion: dict[str, Any]) -> dict[str, Any]:
    return {"key": criterion["key"], "name_en": criterion["name"].get("en", ""),
            "name_fr": criterion["name"].get("fr", ""),
            "description_en": criterion["description"].get("en", ""),
            "description_fr": criterion["description"].get("fr", ""),
            "weight": f"{criterion['weight']:g}", "points": str(criterion["points"]),
            "na_allowed": criterion.get("na_allowed"), "critical": criterion.get("critical")}


def _rubric_rows() -> list[dict[str, Any]]:
    count = min(int(request.form.get("rows", "0") or 0) if
                (request.form.get("rows", "0") or "0").isdigit() else 0, 30)
    fields = ("key", "name_en", "name_fr", "description_en", "description_fr", "weight",
              "points", "na_allowed", "critical", "remove")
    return [{f: request.form.get(f"{f}_{i}", "") for f in fields} for i in range(count)]


def criterion_label(criteria: list[dict[str, Any]], key: str) -> str:
    """A criterion's name in the reader's language."""
    for c in criteria:
        if c["key"] == key:
            return localized(c["name"], str(get_locale() or "en"))
    return key


def value_label(criteria: list[dict[str, Any]], key: str, value: int | None) -> str:
    """A stored value as shown: N/A, no/yes for a binary criterion, else the number."""
    if value is None:
        return _("N/A")
    for c in criteria:
        if c["key"] == key and c["points"] == 2:
            return _("yes") if value else _("no")
    return str(value)


def scale_of(criterion: dict[str, Any]) -> list[int]:
    """The values a criterion's scale offers."""
    crit = criteria_of([criterion])[0]
    return list(range(crit.lowest, crit.highest + 1))


def notification_text(kind: str, params: dict[str, Any]) -> str:
    """The text of a notification, in the reader's language."""
    decisions = {"accepted": _("accepted"), "partly_accepted": _("partly accepted"),
                 "rejected": _("rejected")}
    texts = {
        "review_opened": _("The tone committee of %(month)s is open (%(brand)s).",
                           month=params.get("month", ""), brand=params.get("brand", "")),
        "report_ready": _("Your report of %(month)s is ready.", month=params.get("month", "")),
        "dispute_raised": _("%(agent)s disputed a score of %(month)s.",
                            agent=params.get("agent", ""), month=params.get("month", "")),
        "dispute_answered": _("Your dispute (%(month)s) was %(decision)s.",
                              month=params.get("month", ""),
                              decision=decisions.get(params.get("decision", ""), "")),
    }
    return texts.get(kind, kind)


def status_text(status: str) -> str:
    """Labels of review and dispute states."""
    return {ReviewStatus.OPEN.value: _("Open"), ReviewStatus.CLOSED.value: _("Closed"),
            DisputeStatus.ACCEPTED.value: _("Accepted"),
            DisputeStatus.PARTLY_ACCEPTED.value: _("Partly accepted"),
            DisputeStatus.REJECTED.value: _("Rejected"),
            "pending": _("Waiting for an answer")}.get(status, status)


def mark_spans(text: str, humour: list[dict[str, Any]], pii: list[dict[str, Any]]) -> Markup:
    """The reply with its humour markers and personal-data spans highlighted (escaped)."""
    spans = sorted([(int(h["start"]), int(h["end"]), "humour") for h in humour or []]
                   + [(int(p["start"]), int(p["end"]), "pii") for p in pii or []])
    out: list[str] = []
    at = 0
    for start, end, kind in spans:
        if start < at or end > len(text):
            continue  # overlapping or stale span: the text stays plain there
        out.append(str(escape(text[at:start])))
        out.append(f'<mark class="{kind}">{escape(text[start:end])}</mark>')
        at = end
    out.append(str(escape(text[at:])))
    return Markup("".join(out))


@bp.app_context_processor
def _review_helpers() -> dict[str, Any]:
    return {"criterion_label": criterion_label, "value_label": value_label,
            "scale_of": scale_of, "notification_text": notification_text,
            "review_status": status_text, "pct": _pct, "mark_spans": mark_spans}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}"
