"""`flask --app wsgi review open 2026-11`: open a past month's review by hand."""

from __future__ import annotations

import click

from app.extensions import db
from app.models import Brand
from app.review import bp, services


@bp.cli.command("open")
@click.argument("month")
@click.option("--brand", "brand_slug", default=None,
              help="Brand slug (default: every brand).")
@click.option("--seed", default=None, help="Draw with this seed instead of a random one.")
def open_command(month: str, brand_slug: str | None, seed: str | None) -> None:
    """Open the review of MONTH (YYYY-MM) and draw its sample."""
    stmt = db.select(Brand).order_by(Brand.id)
    if brand_slug:
        stmt = stmt.filter_by(slug=brand_slug)
    brands = list(db.session.scalars(stmt))
    if not brands:
        raise click.ClickException(f"no brand {brand_slug!r}" if brand_slug else "no brand")
    failed = False
    for brand in brands:
        try:
            review = services.open_review(brand.id, month, seed=seed)
        except services.ReviewError as exc:
            failed = True
            click.echo(f"{brand.slug}: not opened ({exc.code})", err=True)
            continue
        agents = len({item.agent_id for item in review.items})
        click.echo(f"{brand.slug}: review #{review.id} of {review.month} opened, "
                   f"{len(review.items)} replies of {agents} agents, seed {review.seed}")
    if failed:
        raise SystemExit(1)


@bp.cli.command("due")
def due_command() -> None:
    """Run the monthly job once now (opens last month's reviews that are missing)."""
    outcome = services.open_due_reviews()
    click.echo(f"opened: {outcome.opened or 'none'}; skipped: {outcome.skipped or 'none'}")
