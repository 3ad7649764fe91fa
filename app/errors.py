"""Domain errors. Services raise these; each edge (API, pages, CLI, jobs) maps them once."""

from __future__ import annotations


class PermitFlowError(Exception):
    """Base of every error a user can cause. ``status`` is the HTTP status it maps to."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotFound(PermitFlowError):
    status = 404
    code = "not_found"


class NotAuthenticated(PermitFlowError):
    status = 401
    code = "not_authenticated"


class Forbidden(PermitFlowError):
    status = 403
    code = "forbidden"


class Conflict(PermitFlowError):
    """The thing changed under the caller: completed elsewhere, claimed by another, …"""

    status = 409
    code = "conflict"


class InvalidData(PermitFlowError):
    """Submitted data breaks the form's schema; ``errors`` maps field paths to messages."""

    status = 422
    code = "invalid_data"


class TooLarge(PermitFlowError):
    """An upload larger than the configured limit."""

    status = 413
    code = "too_large"


class UnsupportedType(PermitFlowError):
    """An upload whose content is not of an accepted type (whatever its name says)."""

    status = 415
    code = "unsupported_type"


class TooManyRequests(PermitFlowError):
    """Too many attempts from one address; ``retry_after`` says in how many seconds to try again."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int = 0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LoginLocked(TooManyRequests):
    """Logins of this username from this address (or every login from it) are refused for a while."""

    code = "login_locked"


class ProcessInvalid(PermitFlowError):
    """A BPMN file or a form that cannot be deployed."""

    status = 422
    code = "process_invalid"


class CaseInError(PermitFlowError):
    """The case's workflow stopped on a failing script; an admin must look at it."""

    status = 409
    code = "case_error"


class SettingMissing(PermitFlowError):
    """A setting this deployment cannot start without is not set (the message names it)."""

    status = 500
    code = "setting_missing"
