"""`flask processes export [--dir DIR]`: the deployed processes, as the database holds them, back
into files (the git workflow's way back from editor deploys)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app import edge


@click.command("export")
@with_appcontext
@click.option(
    "--dir",
    "target",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write DIR/processes/ and DIR/forms/ instead of the configured processes and forms folders.",
)
def processes_export(target: Path | None) -> None:
    """Write the current version of every process (its BPMN, the BPMN files it calls, its decision
    tables and forms) as files, so a git checkout can commit what was deployed from the editor."""
    from app.services import deployed_tree

    state = edge.of(current_app)
    folder = Path(state.settings.processes_dir) if target is None else target / "processes"
    forms = Path(state.settings.forms_dir) if target is None else target / "forms"
    with state.database.unit_of_work() as session:
        written = deployed_tree.write_to(session, folder, forms)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"exported {len(written)} file(s) of the deployed processes")
