"""`flask storage migrate --to database|s3` and `flask storage check`: the stored files'
backends (app/services/storage.py)."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from app import edge

storage_cli = AppGroup("storage", help="Stored files: move them between backends, check them.")


@storage_cli.command("migrate")
@click.option("--to", "target", type=click.Choice(["database", "s3"]), required=True)
def storage_migrate(target: str) -> None:
    """Move every stored file (and those earlier versions kept under instance/uploads) into the
    backend TARGET, then set PERMITFLOW_STORAGE=TARGET on every machine."""
    from app.services.storage_moves import move_files, other_storage

    state = edge.of(current_app)
    settings = state.settings
    source, destination = other_storage(settings, state.database.engine, target)
    # No object store set up (no bucket): then only the old upload folder's files move.
    reachable = target == "s3" or settings.s3_bucket != ""
    report = move_files(state.database.unit_of_work, source, destination, source_reachable=reachable)
    click.echo(
        f"moved {report.moved} file(s) into {target} ({report.legacy} from the old upload folder); "
        f"{report.already} were there already"
    )


@storage_cli.command("check")
def storage_check() -> None:
    """Every attachment's stored file is present with its recorded size and SHA-256 (exit 1 if not)."""
    from app.services.backup import check_attachments

    with edge.of(current_app).database.unit_of_work(write=False) as session:
        problems = check_attachments(session)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo("every attachment's file is stored and matches its SHA-256")
