"""Sending one webhook delivery: signed like the messages endpoint, over a connection to the address
that passed the URL check, with a timeout on every step, never following a redirect.

Headers: `X-PermitFlow-Event` (the event type), `X-PermitFlow-Delivery` (the delivery's id, the
same on every attempt and re-send: receivers drop what they already have), `X-PermitFlow-Timestamp`
(Unix seconds of this attempt) and `X-PermitFlow-Signature` = hex HMAC-SHA256(secret, timestamp +
"." + raw body). Only the status code of the answer is read.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime

from app.errors import InvalidData

from . import webhook_urls
from .signed_body import signature
from .webhook_errors import ANSWERED, NO_ANSWER, REFUSED, UNREACHABLE, UNSENDABLE, error

USER_AGENT = "PermitFlow-Webhook/1"


@dataclass(frozen=True)
class Outgoing:
    """What one attempt sends."""

    url: str
    event: str
    uid: str
    body: str
    secret: str


@dataclass(frozen=True)
class Answer:
    """How one attempt went: the receiver's status code (None when none came) and why it failed."""

    status: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a checked address, with the certificate checked against the URL's host name."""

    def __init__(self, target: webhook_urls.Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: webhook_urls.Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def send(outgoing: Outgoing, *, allow: str, timeout: float, now: datetime) -> Answer:
    """One attempt. Never raises for the receiver's or the network's failures: they are the answer."""
    try:
        target = webhook_urls.check(outgoing.url, allow)
    except InvalidData as err:
        return Answer(None, error(REFUSED, reason=err.errors["url"][0]))
    body = outgoing.body.encode()
    stamp = str(int(now.timestamp()))
    pinned = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = pinned(target, timeout)
    default_port = 443 if target.scheme == "https" else 80
    try:
        connection.putrequest("POST", target.path, skip_host=True, skip_accept_encoding=True)
        host = target.host if target.port == default_port else f"{target.host}:{target.port}"
        headers = {
            "Host": host,
            "Content-Type": "application/json; charset=utf-8",
            "Content-Length": str(len(body)),
            "User-Agent": USER_AGENT,
            "X-PermitFlow-Event": outgoing.event,
            "X-PermitFlow-Delivery": outgoing.uid,
            "X-PermitFlow-Timestamp": stamp,
            "X-PermitFlow-Signature": signature(outgoing.secret, stamp, body),
        }
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        status = connection.getresponse().status
    except TimeoutError:
        return Answer(None, error(NO_ANSWER, seconds=f"{timeout:g}"))
    except (OSError, http.client.HTTPException) as err:
        return Answer(None, error(UNREACHABLE, detail=f"{type(err).__name__}: {err}"))
    except (UnicodeError, ValueError) as err:  # a URL stored before it was checked: an answer, not a crash
        return Answer(None, error(UNSENDABLE, detail=f"{type(err).__name__}: {err}"))
    finally:
        connection.close()
    return Answer(status, None if 200 <= status < 300 else error(ANSWERED, status=status))
