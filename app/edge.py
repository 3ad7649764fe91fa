"""What every edge (API views, pages, jobs) shares: the current app's database, its session,
committing once per request, and the settings."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import Database
from app.services.platform import Platform


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


def platform() -> Platform:
    value: Platform = current_app.extensions["permitflow.platform"]
    return value
