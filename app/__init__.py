"""PermitFlow: BPMN-driven approval platform for construction administrations."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import Settings

FILES_PER_REQUEST = 8  # the most files one page posts: six complaint photos or documents, and room
FORM_MARGIN_BYTES = 1024 * 1024  # the typed fields and multipart framing around the files


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the web app. No work happens at import time; migrations are a deploy step."""
    from .db import Database
    from .extensions import PermitFlowApi
    from .services import platform

    settings = Settings.from_env(**(overrides or {})).resolved()
    app = Flask(__name__, instance_path=settings.instance_path)
    app.config.update(_flask_config(settings))
    from . import edge, http_headers, json_input
    from .extensions import redis_connection
    from .limits import Limits
    from .web import request_log

    _behind_proxies(app, settings)
    request_log.install(app)  # first: it times what every other hook adds
    json_input.install(app)
    http_headers.install(app, settings)
    current = platform.Platform.build(settings)
    database = Database(settings.database_url, info={platform.INFO_KEY: current})
    from .services import storage

    current.storage = storage.build(settings, database.engine)
    storage.install(database.session_factory, current.storage)
    client = redis_connection(settings)
    app.extensions[edge.STATE_KEY] = edge.AppState(
        settings=settings,
        platform=current,
        database=database,
        limits=Limits.build(settings, client),
        redis=client,
    )

    from .jobs.dispatch import RqDispatcher
    from .services import unit_of_work

    unit_of_work.install(database.session_factory, RqDispatcher(settings))

    from .api import register_api
    from .cli import register_cli

    api = PermitFlowApi(app)
    register_api(app, api)
    register_cli(app)

    from .web import init_web
    from .web.errors import register_error_handlers

    init_web(app)
    # After the API and the pages: one answer to every error, JSON for the API, pages for people.
    register_error_handlers(app, api.handle_http_exception)

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        database.session.remove()

    return app


def _behind_proxies(app: Flask, settings: Settings) -> None:
    """Behind N reverse proxies the connecting address is the last proxy's: trust exactly N hops
    of X-Forwarded-For/-Proto (rate limits, audit and the request log then see the client). Never
    more: a client could otherwise name any address it likes."""
    if settings.proxy_hops > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops
        )


def _flask_config(settings: Settings) -> dict[str, Any]:
    """Flask's and flask-smorest's configuration from the settings."""
    return dict(
        SECRET_KEY=settings.secret_key,
        # The whole request: a form posts several files (complaint photos, an application's documents),
        # each checked against max_upload_bytes where it is read.
        MAX_CONTENT_LENGTH=FILES_PER_REQUEST * settings.max_upload_bytes + FORM_MARGIN_BYTES,
        TESTING=settings.testing,
        JSON_SORT_KEYS=False,
        API_TITLE="PermitFlow API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # swagger-ui-dist from npm (package.json), served by app/web/vendor.py: no CDN.
        OPENAPI_SWAGGER_UI_URL="/vendor/swagger-ui-dist/",
        # Swagger UI would otherwise send the spec to validator.swagger.io for its badge: nothing
        # leaves a government network from this page.
        OPENAPI_SWAGGER_UI_CONFIG={"validatorUrl": None},
        API_SPEC_OPTIONS={
            "info": {
                "description": "PermitFlow public HTTP API. Errors always have the shape "
                "{code, status, message, errors}."
            },
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        },
    )
