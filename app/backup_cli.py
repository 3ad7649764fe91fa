"""`flask backup create|restore`: the database and the stored files in one file (app/services/backup.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app import edge
from app.db import Database
from app.errors import PermitFlowError

backup_cli = AppGroup("backup", help="Back up and restore the database and the stored files together.")


def _database() -> Database:
    return edge.of(current_app).database


@backup_cli.command("create")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup_create(target: Path) -> None:
    """Write every table and every stored file, from one snapshot, to TARGET (.tar.gz)."""
    from app.services.backup import create_backup

    if target.exists():
        click.echo(f"{target} exists already: name a new file", err=True)
        sys.exit(1)
    with _database().unit_of_work(write=False) as session:
        manifest = create_backup(session, target)
    rows = sum(manifest.rows.values())
    click.echo(
        f"backup written to {target}: {rows} row(s) of {len(manifest.rows)} table(s), "
        f"{len(manifest.files)} file(s), schema {manifest.revision}, "
        f"audit chain of {manifest.audit_head['count']} event(s)"
    )


@backup_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def backup_restore(source: Path) -> None:
    """Restore SOURCE into this empty, migrated database and empty file storage, then check the
    audit chain and every attachment; nothing is kept when a check fails (exit 1)."""
    from app.services.backup import restore_backup

    session = _database().session_factory()
    try:
        report = restore_backup(session, source)
        if not report.ok:
            raise click.ClickException("; ".join(report.problems))
        session.commit()
    except PermitFlowError as error:  # refused before anything was written
        session.rollback()
        click.echo(f"restore refused: {error}", err=True)
        sys.exit(1)
    except click.ClickException as error:  # restored, but a check failed: keep nothing
        session.rollback()  # the files written go with it (services/storage.py)
        click.echo(f"restore failed its checks, nothing kept: {error.message}", err=True)
        sys.exit(1)
    finally:
        session.close()
    click.echo(
        f"restored {sum(report.rows.values())} row(s) and {report.files} file(s); audit chain of "
        f"{report.audit_checked} event(s) intact; every attachment matches its SHA-256"
    )
