"""Pages (Jinja2): the reviewer's workspace. Session login with CSRF protection on every form.

The JSON API under /api/ uses bearer tokens and keeps its own error handlers: CSRF is checked
only for this blueprint, and this blueprint's error handlers answer only its own pages.
"""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from .i18n import PermitFlowBabel, select_locale

csrf = CSRFProtect()
babel = PermitFlowBabel()


def init_web(app: Flask) -> None:
    """Register the pages, sessions, CSRF protection and translations on ``app``."""
    settings = app.extensions["permitflow.settings"]
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        # The API is exempt (bearer tokens); the pages' blueprint calls csrf.protect() itself.
        WTF_CSRF_CHECK_DEFAULT=False,
        # Tied to the session; a reviewer may keep a form open for a working day.
        WTF_CSRF_TIME_LIMIT=12 * 3600,
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_DEFAULT_TIMEZONE=settings.timezone,
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    # Importing the page modules registers their views on the blueprint.
    from . import (  # noqa: F401
        admin,
        analyst,
        applicant,
        apply,
        audit_pages,
        complaints,
        dashboard,
        track,
        vendor,
        verify,
    )
    from .views import bp

    app.register_blueprint(bp)
