"""The audit page's check of the hash chain, worded in the reader's language.

The services name why a check failed (``audit.ChainBreak``) with the facts of the break; the
command line prints the English of ``audit.WHY``, this page the same sentence from the catalogue.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext
from sqlalchemy.orm import Session

from app.services import audit
from app.services.audit import ChainBreak, Problem
from app.services.audit_checkpoints import CheckpointError, read_checkpoints

BREAKS = {
    ChainBreak.LINK: lazy_gettext(
        "its link to the previous event is broken (an event was removed, inserted or reordered)"
    ),
    ChainBreak.RECOMPUTED: lazy_gettext(
        "it has no key id after keyed events (the chain was recomputed without the key)"
    ),
    ChainBreak.UNKNOWN_KEY: lazy_gettext(
        "it names an unknown audit key %(key_id)s (set it in PERMITFLOW_AUDIT_OLD_KEYS)"
    ),
    ChainBreak.CONTENT: lazy_gettext(
        "its content does not match its hash (the event was changed or the chain recomputed)"
    ),
    ChainBreak.CHECKPOINT_DIFFERS: lazy_gettext(
        "it differs from the checkpoint of %(at)s (event %(count)s of the chain then, hash %(hash)s…): "
        "events were deleted, inserted or rewritten"
    ),
    ChainBreak.HEAD_GONE: lazy_gettext(
        "the checkpoint of %(at)s names event %(head_id)s as the chain's head (%(count)s events), which "
        "is gone: the newest events were deleted"
    ),
    ChainBreak.CHECKPOINT_UNREADABLE: lazy_gettext(
        "checkpoint line %(line)s is not a checkpoint (%(error)s)"
    ),
    ChainBreak.CHECKPOINT_UNKNOWN_KEY: lazy_gettext(
        "checkpoint line %(line)s names an unknown audit key %(key_id)s"
    ),
    ChainBreak.CHECKPOINT_FORGED: lazy_gettext(
        "checkpoint line %(line)s is not signed with the audit key (forged or edited)"
    ),
}


def why(problem: Problem) -> str:
    """The reason of a break in the page's language, with its facts."""
    return str(BREAKS[problem.reason]) % {key: str(value) for key, value in problem.facts.items()}


def verify(session: Session, labels: dict[str, Any]) -> dict[str, Any]:
    """The chain checked against the checkpoints, for the page (a forged checkpoint is a break);
    ``labels`` word the action of the broken event."""
    try:
        report = audit.verify_chain(session, read_checkpoints(session))
    except CheckpointError as error:
        return {"checked": 0, "broken": True, "id": None, "action": "", "why": why(error.problem)}
    action = report.broken_action or ""
    return {
        "checked": report.checked,
        "broken": not report.intact,
        # A deletion of the newest events names a checkpoint's event that no longer exists: the
        # message then names no event row.
        "id": report.broken_id if report.broken_action else None,
        "action": str(labels.get(action, action)),
        "why": why(report.problem) if report.problem else "",
    }
