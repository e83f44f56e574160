"""Read side of the dashboard: sums of rollup rows, never a scan of messages.

A range of any length costs three grouped SUMs over at most (days x channels) rollup rows
(by day, by channel, previous period), all on the (brand_id, day) index.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.dashboard import metrics
from app.extensions import db
from app.models import Brand, BrandReportSettings, Channel, DashboardWatermark, DayRollup
from app.models.types import utcnow


class UnknownChannel(ValueError):
    """The channel asked for is not one of the brand's."""


@dataclass(frozen=True)
class Dashboard:
    """Everything the page shows for one brand, range and channel (or all)."""

    brand: Brand
    range: metrics.DateRange
    previous_range: metrics.DateRange
    channel: Channel | None
    channels: list[Channel]
    figures: metrics.Figures
    previous: metrics.Figures
    by_day: list[tuple[date, metrics.Figures]]
    by_channel: list[tuple[Channel, metrics.Figures]]
    updated_at: datetime | None
    public_page: bool


def brands() -> list[Brand]:
    """Every brand, by name."""
    return list(db.session.scalars(select(Brand).order_by(Brand.name, Brand.id)))


def brand_by_slug(slug: str | None) -> Brand | None:
    """The brand asked for, or the first one when none is named."""
    if slug:
        return db.session.scalar(select(Brand).filter_by(slug=slug))
    return db.session.scalar(select(Brand).order_by(Brand.id).limit(1))


def today_of(brand: Brand, now: datetime | None = None) -> date:
    """The brand's local today."""
    return metrics.local_day(now or utcnow(), ZoneInfo(brand.timezone or "UTC"))


def channel_of(brand: Brand, raw: str | None) -> Channel | None:
    """The channel named in the query string; raises ``UnknownChannel`` if not the brand's."""
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise UnknownChannel(raw)
    channel = db.session.get(Channel, int(raw))
    if channel is None or channel.brand_id != brand.id:
        raise UnknownChannel(raw)
    return channel


def _sum_columns() -> list[Any]:
    table = DayRollup.__table__
    return [func.coalesce(func.sum(table.c[name]), 0).label(name)
            for name in metrics.SUM_COLUMNS]


def _where(stmt: Any, brand_id: int, rng: metrics.DateRange, channel_id: int | None) -> Any:
    stmt = stmt.where(DayRollup.brand_id == brand_id, DayRollup.day >= rng.start,
                      DayRollup.day <= rng.end)
    if channel_id is not None:
        stmt = stmt.where(DayRollup.channel_id == channel_id)
    return stmt


def range_sums(brand_id: int, rng: metrics.DateRange,
               channel_id: int | None = None) -> dict[str, float]:
    """Column sums over a range (one channel or all)."""
    result = db.session.execute(_where(select(*_sum_columns()), brand_id, rng, channel_id))
    return _dicts(result)[0]


def _dicts(result: Any) -> list[dict[str, Any]]:
    names = list(result.keys())
    return [dict(zip(names, row, strict=True)) for row in result]


def load(brand: Brand, rng: metrics.DateRange, channel: Channel | None) -> Dashboard:
    """The dashboard of a brand for a range and a channel (or all)."""
    channel_id = channel.id if channel is not None else None
    previous_range = rng.previous()
    by_day_rows = db.session.execute(_where(
        select(DayRollup.day, *_sum_columns()), brand.id, rng, channel_id)
        .group_by(DayRollup.day))
    per_day = {r["day"]: r for r in _dicts(by_day_rows)}
    channels = list(db.session.scalars(
        select(Channel).where(Channel.brand_id == brand.id).order_by(Channel.id)))
    by_channel_rows = db.session.execute(_where(
        select(DayRollup.channel_id, *_sum_columns()), brand.id, rng, None)
        .group_by(DayRollup.channel_id))
    per_channel = {r["channel_id"]: r for r in _dicts(by_channel_rows)}
    total = metrics.add_rows(per_day.values())
    settings = db.session.get(BrandReportSettings, brand.id)
    return Dashboard(
        brand=brand, range=rng, previous_range=previous_range, channel=channel,
        channels=channels, figures=metrics.figures(total),
        previous=metrics.figures(range_sums(brand.id, previous_range, channel_id)),
        by_day=[(d, metrics.figures(per_day.get(d, metrics.empty_row())))
                for d in rng.each_day()],
        by_channel=[(c, metrics.figures(per_channel.get(c.id, metrics.empty_row())))
                    for c in channels if channel is None or c.id == channel.id],
        updated_at=db.session.scalar(select(DashboardWatermark.run_at)),
        public_page=bool(settings and settings.public_page),
    )


CSV_FIELDS: tuple[str, ...] = (
    "mentions", "threads", "excluded", "answered", "answered_share", "frt_count",
    "frt_median", "frt_p90", "frtb_count", "frtb_median", "frtb_p90", "moved", "moved_share",
    "loop_closed", "loop_closed_share", "sla_first_n", "sla_first_share", "sla_res_n",
    "sla_res_share", "polarity_avg", "negative_share", "surveys_sent", "surveys_answered",
    "response_rate",
)


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    return "" if value is None else value


def to_csv(board: Dashboard) -> str:
    """What the page shows, as CSV: one row per day, one per channel, the total, previous.

    Durations are in seconds, shares are fractions (0-1), computed by the same functions.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    questions = [f"{q}_satisfied_share" for q in metrics.QUESTIONS]
    writer.writerow(["row", "key", *CSV_FIELDS, *questions])

    def write(kind: str, key: str, figs: metrics.Figures) -> None:
        writer.writerow([kind, key, *[_cell(getattr(figs, f)) for f in CSV_FIELDS],
                         *[_cell(figs.questions[q].satisfied_share)
                           for q in metrics.QUESTIONS]])

    write("total", f"{board.range.start.isoformat()}..{board.range.end.isoformat()}",
          board.figures)
    write("previous", f"{board.previous_range.start.isoformat()}.."
          f"{board.previous_range.end.isoformat()}", board.previous)
    for day, figs in board.by_day:
        write("day", day.isoformat(), figs)
    for channel, figs in board.by_channel:
        write("channel", channel.name, figs)
    return out.getvalue()
