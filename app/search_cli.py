"""`flask search reindex`: index every case for the case search (services/search_index.py) - the
backfill for cases from before the index existed, or after the indexed fields changed. Safe to
run again; the step path keeps the index current from then on."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app import edge

search_cli = AppGroup("search", help="The case search index.")


@search_cli.command("reindex")
@click.option("--batch", default=500, show_default=True, help="Cases per transaction.")
def search_reindex(batch: int) -> None:
    """Index every case again, one transaction per batch (an interrupted run resumes by running again)."""
    from app.services.search_index import reindex

    database = edge.of(current_app).database
    done = 0
    with database.unit_of_work() as session:
        for done in reindex(session, batch=max(1, batch)):
            session.commit()
            session.expunge_all()  # a million cases need not stay in memory
            click.echo(f"indexed {done} case(s)")
    click.echo(f"indexed {done} case(s) in all")
