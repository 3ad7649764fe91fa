"""The scheduled audit checkpoint (registered by ``worker.py --cron``)."""

from __future__ import annotations

from app.services.audit_checkpoints import write_checkpoint

from .runner import in_transaction


def checkpoint_audit() -> int:
    """Append a signed checkpoint of the audit chain's head; returns the chain's length."""
    return in_transaction(lambda session: write_checkpoint(session).count, write=False)
