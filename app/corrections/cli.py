"""``flask --app wsgi triage export``: agents' corrections as labelled JSON lines."""

from __future__ import annotations

import sys
from datetime import datetime

import click
from flask.cli import AppGroup

from app.corrections.services import export_lines

triage_cli = AppGroup("triage", help="Triage corrections made by agents.")


@triage_cli.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="File to write (default: standard output), e.g. "
                   "tone/data/corrections/export.jsonl, which `make train` reads.")
@click.option("--since", type=click.DateTime(), default=None,
              help="Only corrections made since this date.")
def export_command(output: str | None, since: datetime | None) -> None:
    """Write each corrected thread's text with the agent's labels, one JSON line each."""
    count = 0
    with (open(output, "w", encoding="utf-8") if output else sys.stdout) as out:
        for line in export_lines(since):
            out.write(line + "\n")
            count += 1
    click.echo(f"{count} corrected threads exported.", err=True)
