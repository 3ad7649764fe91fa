"""Every error of the app, answered once: an HTML page for a page request, JSON for the API.

Registered on the app (not on a blueprint), so unknown addresses and errors raised before a view
runs (a refused CSRF token, a request over the size limit) are answered too. A request gets JSON
in the API's documented shape `{code, status, message, errors}` when its path is under /api/ or
its `Accept` header prefers JSON to HTML (the pages' own scripts ask so); anyone else gets a page
in the chosen language that says what happened and where to go next. Under /api/ the answers are
exactly the API's (flask-smorest's handler, the service's message); elsewhere the message is the
page's, translated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from app.engine.form_rules import RuleMessage
from app.errors import (
    CaseInError,
    Conflict,
    Forbidden,
    InvalidData,
    NotAuthenticated,
    NotFound,
    PermitFlowError,
    TooManyRequests,
)
from app.extensions import error_json
from app.problem_words import api_language

from . import common, uploads
from .auth import current_user

log = logging.getLogger(__name__)

TASK_AREA = "inbox"  # the blueprint of the task pages, whose refusals speak of the task


# ---------------------------------------------------------------- who gets JSON


def wants_json() -> bool:
    """The API, and any request whose `Accept` header prefers JSON to HTML.

    `*/*` (curl, a plain fetch) and a browser's header get the page; `Accept: application/json`
    gets JSON; with equal weights, naming JSON outright wins over reaching HTML by a wildcard."""
    if request.path.startswith("/api/"):
        return True
    accept = request.accept_mimetypes
    json_q, html_q = accept.quality("application/json"), accept.quality("text/html")
    if json_q != html_q:
        return json_q > html_q
    named = {value for value, _quality in accept}
    return "application/json" in named and "text/html" not in named


def _page_json(status: int, message: str, errors: dict[str, list[str]] | None = None) -> Response:
    return error_json(status, message, errors or {})


# ---------------------------------------------------------------- what a page says


def message_for(err: PermitFlowError) -> str:
    """A refused task action in words (the task page shows it as a message or an error page)."""
    if isinstance(err, Conflict):
        return gettext(
            "This task changed while you were working on it: it was completed or claimed by "
            "someone else. Nothing was saved."
        )
    if isinstance(err, Forbidden):
        return gettext(
            "You are not allowed to do this: the task belongs to a group you are not in. Nothing was changed."
        )
    if isinstance(err, NotFound):
        return gettext("This task or page does not exist.")
    if isinstance(err, CaseInError):
        return gettext("The case stopped on an error; an administrator must resolve it first.")
    if isinstance(err, InvalidData):
        return gettext("Some of the information is not valid. Nothing was saved.")
    return gettext("The request could not be carried out. Nothing was changed.")


def _texts(status: int) -> tuple[str, str]:
    """The title and the explanation of an error page, by HTTP status."""
    if status == 400:
        return gettext("The request could not be read"), gettext(
            "The page sent something this site cannot read. Nothing was changed: go back and try again."
        )
    if status == 401:
        return gettext("Please log in"), gettext(
            "This page is for logged-in users. Log in, and you will come back here."
        )
    if status == 403:
        return gettext("Not allowed"), gettext(
            "You are not allowed to open this page or to do this: it is kept for a role or a group "
            "you are not in. Nothing was changed."
        )
    if status == 404:
        return gettext("Not found"), gettext(
            "This page does not exist, or what it would show is not there. Check the address, or "
            "start again from the home page."
        )
    if status == 405:
        return gettext("Not possible this way"), gettext(
            "This address cannot be used like this (for example, a form was sent to a page that only "
            "shows things). Nothing was changed."
        )
    if status == 409:
        return gettext("Changed meanwhile"), gettext(
            "Someone else changed this while you were working on it. Nothing was saved: reload the "
            "page and try again."
        )
    if status == 413:
        return gettext("The file is too large"), gettext(
            "Files may be at most %(num)d MB. Nothing was saved: go back and choose a smaller file.",
            num=uploads.max_mb(),
        )
    if status == 415:
        return gettext("This kind of file is not accepted"), gettext(
            "Only PDF, JPEG and PNG files are accepted (the type is read from the file itself)."
        )
    if status == 422:
        return gettext("Could not be done"), gettext(
            "Some of the information is not valid. Nothing was saved."
        )
    if status == 429:
        return gettext("Too many attempts"), gettext(
            "Too many requests came from your network in a short time. Nothing was changed: wait a "
            "few minutes and try again."
        )
    if status == 503:
        return gettext("Busy right now"), gettext(
            "The service is busy. Nothing was changed: try again in a moment."
        )
    if status >= 500:
        return gettext("Something went wrong"), gettext(
            "An internal error occurred and has been logged. Nothing was changed."
        )
    return gettext("Could not be done"), gettext("The request could not be carried out. Nothing was changed.")


def _back_link() -> str | None:
    """Where the visitor came from, if it was another page of this site."""
    referrer = request.referrer or ""
    host = request.host_url.rstrip("/")
    if not referrer.startswith(host + "/"):
        return None
    target = common.safe_next(referrer[len(host) :], "")
    return target if target and target != request.full_path.rstrip("?") and target != request.path else None


def error_page(
    status: int, title: str, message: str, headers: dict[str, str] | None = None
) -> ResponseReturnValue:
    """The error page: what happened, and the ways on (home, back, log in)."""
    try:
        viewer = current_user()
        html = render_template(
            "error.html",
            status=status,
            title=title,
            message=message,
            viewer=viewer,
            back=_back_link(),
            login=None if viewer is not None else url_for("account.login", next=request.path),
        )
    except Exception:  # the page itself failed (the database is down): a page with no lookups
        log.exception("the error page could not be rendered")
        common.rollback()
        html = str(
            Markup("<!doctype html><title>{0}</title><h1>{1}</h1><p>{2}</p><p><a href='/'>⌂</a></p>").format(
                status, title, message
            )
        )
    return html, status, headers or {}


def _answer(
    status: int,
    title: str,
    message: str,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> ResponseReturnValue:
    """The page, or the JSON of a page request that asked for JSON."""
    if wants_json():
        response = _page_json(status, message, errors)
        response.headers.update(headers or {})
        return response
    return error_page(status, title, message, headers)


# ---------------------------------------------------------------- the handlers


def _http_error(api_handler: Callable[[HTTPException], Any]) -> Callable[[HTTPException], Any]:
    def handle(err: HTTPException) -> ResponseReturnValue:
        common.rollback()
        status = err.code or 500  # Flask has logged an unhandled exception before it came here
        if request.path.startswith("/api/"):
            if status == 500:
                return error_json(500, "internal error; it has been logged", {})
            return api_handler(err)  # type: ignore[no-any-return]
        if isinstance(err, CSRFError):
            title, message = (
                gettext("The form has expired"),
                gettext(
                    "The form expired or did not come from this site. Nothing was changed: "
                    "go back, reload the page and try again."
                ),
            )
        else:
            title, message = _texts(status)
        allowed = getattr(err, "valid_methods", None) if status == 405 else None
        headers = {"Allow": ", ".join(allowed)} if allowed else {}
        return _answer(status, title, message, headers=headers)

    return handle


def _in_api_language(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """A form's own rule messages (x-rules) in the request's Accept-Language; the rest as they are."""
    language = api_language()
    return {
        key: [m.said(language) if isinstance(m, RuleMessage) else m for m in messages]
        for key, messages in errors.items()
    }


def _domain_error(err: PermitFlowError) -> ResponseReturnValue:
    common.rollback()
    headers = (
        {"Retry-After": str(err.retry_after)} if isinstance(err, TooManyRequests) and err.retry_after else {}
    )
    if request.path.startswith("/api/"):
        response = error_json(err.status, err.message, _in_api_language(err.errors))
        response.headers.update(headers)
        return response
    if isinstance(err, NotAuthenticated):
        if wants_json():
            return _page_json(401, _texts(401)[1])
        return redirect(url_for("account.login", next=request.path))
    title, message = _texts(err.status)
    if request.blueprint == TASK_AREA or isinstance(err, CaseInError):
        message = message_for(err)
    return _answer(err.status, title, message, err.errors, headers)


def _busy(err: OperationalError) -> ResponseReturnValue:
    common.rollback()
    log.warning("database busy: %s", err)
    if request.path.startswith("/api/"):
        return error_json(503, "the service is busy; try again in a moment", {})
    title, message = _texts(503)
    return _answer(503, title, message)


def register_error_handlers(app: Flask, api_handler: Callable[[HTTPException], Any]) -> None:
    """Answer every error of ``app``; ``api_handler`` is the API's own answer to HTTP errors."""
    app.register_error_handler(HTTPException, _http_error(api_handler))
    app.register_error_handler(PermitFlowError, _domain_error)
    app.register_error_handler(OperationalError, _busy)
