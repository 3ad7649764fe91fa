"""Security headers on every response, pages and API alike.

The Content-Security-Policy allows exactly what the pages load: scripts, styles and fonts from this
origin only (app/static and the vendored libraries of app/web/vendor.py; the pages have no inline
scripts or style elements, and their `<script type="application/json">` data blocks are not executed),
images from this origin and `data:`/`blob:` URLs (the favicon, the diagram libraries' icons and
exports), requests back to this origin only, no plugins, no framing by anyone. The API's Swagger UI
(`/api/v1/docs`, swagger-ui-dist from npm served from this origin) is the one page built by a
library with an inline start-up script: it gets a policy of its own that allows just that.
"""

from __future__ import annotations

from flask import Flask, Response, request

from app.config import Settings

PAGES_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-elem 'self'",
        # Style *attributes* only (never <style> elements): the dashboard's charts (echarts, SVG
        # renderer) lay themselves out with them. They cannot run script.
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
DOCS_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"


def _add_headers(settings: Settings, docs_path: str, response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", DOCS_POLICY if request.path == docs_path else PAGES_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")  # for browsers older than frame-ancestors
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    # Only behind TLS: HSTS over plain HTTP is ignored, and on a development machine it would pin
    # 127.0.0.1 to HTTPS.
    if settings.secure_cookies or settings.production or request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def install(app: Flask, settings: Settings) -> None:
    """Add the security headers to every response of ``app`` (error pages included)."""
    prefix = app.config.get("OPENAPI_URL_PREFIX", "") or ""
    docs_path = f"{prefix.rstrip('/')}/{app.config.get('OPENAPI_SWAGGER_UI_PATH', 'docs')}"
    app.after_request(lambda response: _add_headers(settings, docs_path, response))
