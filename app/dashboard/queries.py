"""Read side of the dashboard: sums of rollup rows, never a scan of messages.

A range of any length costs a few grouped SUMs (the series, by channel, the previous period)
over rollup rows: whole months are read from the month rows and only the partial edge months
from the day rows, so two years of 20 channels is about 500 month rows plus the edges.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.dashboard import metrics
from app.extensions import db
from app.models import (
    Brand,
    BrandReportSettings,
    Channel,
    DashboardWatermark,
    DayRollup,
    MonthRollup,
)
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
    grain: str  # "day", "week" or "month": how ``series`` is cut
    series: list[tuple[date, metrics.Figures]]
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


_SUMS: dict[str, list[Any]] = {}


def _sum_columns(model: Any = DayRollup) -> list[Any]:
    # Built once per table: a hundred SUM() expressions cost more to build than to run.
    table = model.__table__
    if table.name not in _SUMS:
        _SUMS[table.name] = [func.coalesce(func.sum(table.c[name]), 0).label(name)
                             for name in metrics.SUM_COLUMNS]
    return _SUMS[table.name]


def _dicts(result: Any) -> list[dict[str, Any]]:
    names = list(result.keys())
    return [dict(zip(names, row, strict=True)) for row in result]


def _add(into: dict[Any, dict[str, float]], key: Any, row: dict[str, Any]) -> None:
    total = into.setdefault(key, metrics.empty_row())
    for column in metrics.SUM_COLUMNS:
        total[column] += row.get(column) or 0


def _parts(rng: metrics.DateRange) -> list[tuple[Any, Any, metrics.DateRange]]:
    """Where a range's rows are: whole months in the month rows, the edges in the day rows."""
    edges, months = metrics.split_months(rng)
    parts: list[tuple[Any, Any, metrics.DateRange]] = [
        (DayRollup, DayRollup.day, edge) for edge in edges]
    if months is not None:
        parts.append((MonthRollup, MonthRollup.month, months))
    return parts


def sums_by_channel(brand_id: int, rng: metrics.DateRange,
                    channel_id: int | None = None) -> dict[int, dict[str, float]]:
    """Column sums per channel over a range (one channel or all)."""
    out: dict[int, dict[str, float]] = {}
    for model, column, part in _parts(rng):
        stmt = select(model.channel_id, *_sum_columns(model)).where(
            model.brand_id == brand_id, column >= part.start, column <= part.end)
        if channel_id is not None:
            stmt = stmt.where(model.channel_id == channel_id)
        for row in _dicts(db.session.execute(stmt.group_by(model.channel_id))):
            _add(out, row["channel_id"], row)
    return out


def range_sums(brand_id: int, rng: metrics.DateRange,
               channel_id: int | None = None) -> dict[str, float]:
    """Column sums over a range (one channel or all)."""
    return metrics.add_rows(sums_by_channel(brand_id, rng, channel_id).values())


def granularity(rng: metrics.DateRange) -> str:
    """How the series is cut: by day up to 92 days, by week up to a year, else by month."""
    if rng.days <= 92:
        return "day"
    return "week" if rng.days <= 366 else "month"


def bucket_start(day: date, grain: str) -> date:
    """The first day of the series bucket holding ``day``."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def series_sums(brand_id: int, rng: metrics.DateRange, channel_id: int | None,
                grain: str) -> dict[date, dict[str, float]]:
    """Column sums per bucket (day, week or month) of the range."""
    out: dict[date, dict[str, float]] = {}
    parts = _parts(rng) if grain == "month" else [(DayRollup, DayRollup.day, rng)]
    for model, column, part in parts:
        stmt = select(column.label("key"), *_sum_columns(model)).where(
            model.brand_id == brand_id, column >= part.start, column <= part.end)
        if channel_id is not None:
            stmt = stmt.where(model.channel_id == channel_id)
        for row in _dicts(db.session.execute(stmt.group_by(column))):
            _add(out, bucket_start(row["key"], grain), row)
    return out


def buckets(rng: metrics.DateRange, grain: str) -> list[date]:
    """Every bucket start of the range, in order."""
    seen: list[date] = []
    for day in rng.each_day():
        start = bucket_start(day, grain)
        if not seen or seen[-1] != start:
            seen.append(start)
    return seen


def load(brand: Brand, rng: metrics.DateRange, channel: Channel | None) -> Dashboard:
    """The dashboard of a brand for a range and a channel (or all)."""
    channel_id = channel.id if channel is not None else None
    previous_range = rng.previous()
    grain = granularity(rng)
    per_bucket = series_sums(brand.id, rng, channel_id, grain)
    channels = list(db.session.scalars(
        select(Channel).where(Channel.brand_id == brand.id).order_by(Channel.id)))
    per_channel = sums_by_channel(brand.id, rng, channel_id)
    total = metrics.add_rows(per_channel.values())
    settings = db.session.get(BrandReportSettings, brand.id)
    return Dashboard(
        brand=brand, range=rng, previous_range=previous_range, channel=channel,
        channels=channels, figures=metrics.figures(total),
        previous=metrics.figures(range_sums(brand.id, previous_range, channel_id)),
        grain=grain,
        series=[(d, metrics.figures(per_bucket.get(d, metrics.empty_row())))
                for d in buckets(rng, grain)],
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
    """What the page shows, as CSV: the total, the previous period, one row per day (week or
    month, as on the page), one per channel.

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
    for day, figs in board.series:
        write(board.grain, day.isoformat(), figs)
    for channel, figs in board.by_channel:
        write("channel", channel.name, figs)
    return out.getvalue()
