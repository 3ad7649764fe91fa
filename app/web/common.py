"""What every page shares: the database session, committing, and the platform's settings."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import Database


def db() -> Database:
    database: Database = current_app.extensions["permitflow.db"]
    return database


def session() -> Session:
    return db().session()


def commit() -> None:
    db().session.commit()


def rollback() -> None:
    db().session.rollback()


def settings() -> Settings:
    value: Settings = current_app.extensions["permitflow.settings"]
    return value


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
