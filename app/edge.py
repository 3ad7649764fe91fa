"""What every edge (API views, pages, jobs, CLI) shares: the app's :class:`AppState` (settings, platform,
database, attempt limits and Redis client), built once by ``create_app``, and the per-request session
committed once. ``state()`` is the one look-up of the current app's parts; nothing else reads
``app.extensions``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import redis
from flask import Flask, current_app
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import Database
from app.services.platform import Platform

if TYPE_CHECKING:
    from app.limits import Limits

STATE_KEY = "permitflow"


@dataclass(frozen=True)
class AppState:
    settings: Settings
    platform: Platform
    database: Database
    limits: Limits
    # One client per app (connections are pooled and opened on first use): dashboard cache, limits.
    redis: redis.Redis


def of(app: Flask) -> AppState:
    found = app.extensions.get(STATE_KEY)
    if not isinstance(found, AppState):
        raise RuntimeError("this Flask app was not built by app.create_app")
    return found


def state() -> AppState:
    return of(current_app)


def db() -> Database:
    return state().database


def session() -> Session:
    return db().session()


def commit() -> None:
    db().session.commit()


def rollback() -> None:
    db().session.rollback()


def settings() -> Settings:
    return state().settings


def platform() -> Platform:
    return state().platform
