"""Flask-Migrate (Alembic), bound only where migrations run: ``flask db`` and scripts.

The web process never migrates, and Flask-Migrate imports Alembic, Mako and Pygments with it
(about 11 MB of resident memory per process). ``create_app`` therefore registers a ``db``
command group that binds Flask-Migrate the first time one of its commands is looked up, and
binds it at once only in a process that has already imported Flask-Migrate itself (a
migration test, a script calling ``flask_migrate.upgrade``), where it costs nothing more.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask

from app.extensions import db

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def bind_migrations(app: Flask) -> click.Group:
    """Bind Flask-Migrate to ``app`` (once) and return its ``db`` command group."""
    from flask_migrate import Migrate

    if "migrate" not in app.extensions:
        # Registers Flask-Migrate's own group as ``db``, in place of the stand-in below.
        Migrate(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    group = app.cli.commands["db"]
    if not isinstance(group, click.Group):
        raise RuntimeError("Flask-Migrate did not register its `db` command group")
    return group


class LazyMigrationsCommand(click.Command):
    """``flask db …``: stands in for Flask-Migrate's group until the command line uses it.

    click builds a subcommand's context with the command's own ``make_context`` and then
    invokes ``context.command``: handing over the real group's context runs the real group
    (its options, its subcommands, its help) exactly as if it had been registered.
    """

    def __init__(self, app: Flask) -> None:
        super().__init__("db", help="Perform database migrations.")
        self.app = app

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        """Bind Flask-Migrate, then parse the arguments as its ``db`` group."""
        return bind_migrations(self.app).make_context(info_name, args, parent=parent, **extra)


def init_app(app: Flask) -> None:
    """Register ``flask db``; bind at once when this process already loaded Flask-Migrate."""
    if "flask_migrate" in sys.modules:
        bind_migrations(app)
    else:
        app.cli.add_command(LazyMigrationsCommand(app))
