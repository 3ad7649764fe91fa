"""What every page shares: the database session, committing, and the platform's settings."""

from __future__ import annotations

from urllib.parse import urlsplit

from app.edge import commit as commit  # re-exported for the pages
from app.edge import db as db
from app.edge import rollback as rollback
from app.edge import session as session
from app.edge import settings as settings


def safe_next(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, else ``default`` (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 32 for c in target):
        return default
    return target


def no_nul(text: str) -> str:
    """``text`` without NUL: no stored or compared text may hold it (PostgreSQL refuses it)."""
    return text.replace("\x00", "")
