"""Command-line entries: `flask --app wsgi seed-demo`, `serve`, and later `scheduler`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app


def init_app(app: Flask) -> None:
    """Register the commands."""

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Create demo users, brand, channels and threads (idempotent)."""
        from app.demo.services import FB_PAGE_ID, X_ACCOUNT_ID, seed_demo

        root = store = None
        if current_app.config["SANDBOX"]:
            from app.sandbox.store import Brand as SandboxBrand
            from app.sandbox.store import SandboxStore

            root = current_app.config["PUBLIC_URL"].rstrip("/") + "/sandbox"
            store = SandboxStore(current_app.config["SANDBOX_DB"], SandboxBrand(
                X_ACCOUNT_ID, "MarketplaceCare", FB_PAGE_ID, "Marketplace"))
        report = seed_demo(Path(current_app.instance_path), sandbox=store, sandbox_root=root)
        click.echo(f"Demo data: {report.created_users} users and {report.created_threads} "
                   "threads created (existing data kept).")
        click.echo("Demo accounts (log in at " + current_app.config["PUBLIC_URL"] + "):")
        for key, (email, password) in report.passwords.items():
            click.echo(f"  {key:<11} {email:<22} {password}")

    @app.cli.command("scheduler")
    def scheduler_command() -> None:
        """Run the scheduled jobs (pollers, reconciliation, escalation) in this process."""
        import signal

        from app.jobs.registry import JOBS, SchedulerRunner
        from app.triage import prepare_process

        prepare_process()
        # The app object itself (not the context proxy), for the scheduler's threads.
        runner = SchedulerRunner(app)
        signal.signal(signal.SIGTERM, lambda *_: runner.stop())
        click.echo("Jobs: channels.sync, poll:<channel id>, "
                   + ", ".join(spec.id for spec in JOBS))
        try:
            runner.run()
        except KeyboardInterrupt:
            runner.stop()

    @app.cli.command("dashboard-rebuild")
    @click.option("--brand", "slug", default=None, help="one brand's slug (default: all)")
    def dashboard_rebuild_command(slug: str | None) -> None:
        """Rebuild the dashboard's facts and rollups from the raw tables."""
        from app.dashboard.upkeep import rebuild
        from app.extensions import db
        from app.models import Brand

        brand_id = None
        if slug:
            brand = db.session.scalar(db.select(Brand).filter_by(slug=slug))
            if brand is None:
                raise click.BadParameter(f"no brand {slug!r}", param_hint="--brand")
            brand_id = brand.id
        click.echo(f"{rebuild(brand_id)} rollup rows written.")

    @app.cli.command("rotate-keys")
    def rotate_keys_command() -> None:
        """Re-encrypt channel credentials with the newest key of CARE_FERNET_KEYS."""
        from app.channels.services import rotate_keys

        click.echo(f"{rotate_keys()} channel(s) re-encrypted with the newest key.")
