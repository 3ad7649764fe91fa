"""The admin console (管理控制台, the blueprint `admin`), for administrators only.

Importing the package registers the views of every section on the blueprint.
"""

from __future__ import annotations

from . import calendar, groups, settings, users, webhooks
from .console import bp

__all__ = ["bp", "calendar", "groups", "settings", "users", "webhooks"]
