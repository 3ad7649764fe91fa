"""`flask alerts simulate`: a realistic stream of site alerts (扬尘 PM2.5, noise, helmets) sent as
signed messages through POST /api/v1/messages, in process (the app's own HTTP stack) or to a
running server (``--url``), printing each answer.

The client's secret is never an argument (every user of the machine reads arguments in `ps`):
it is asked for without echo on a terminal, else read from the first line of standard input
(``printf '%s\n' "$SECRET" | flask alerts simulate …``)."""

from __future__ import annotations

import json
import random
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from app.services.integrations import signature

alerts_cli = AppGroup("alerts", help="Site alerts: simulate a stream from site sensors.")

# kind: (threshold, typical value range); about a third of the readings go over the threshold.
KINDS = {"pm25": (75.0, (30.0, 180.0)), "noise": (70.0, (50.0, 95.0)), "helmet": (0.5, (0.0, 1.5))}


def alert(project_code: str, rng: random.Random) -> dict[str, object]:
    """One reading of a random kind on the project, as a site_alert message."""
    kind = rng.choice(sorted(KINDS))
    threshold, (low, high) = KINDS[kind]
    value = round(rng.uniform(low, high), 1) if kind != "helmet" else float(rng.random() < 0.3)
    payload = {
        "kind": kind,
        "project_code": project_code,
        "value": value,
        "threshold": threshold,
        "observed_at": datetime.now(UTC).isoformat(timespec="milliseconds"),  # one reading, one body
    }
    return {"name": "site_alert", "correlation": {"project_code": project_code}, "payload": payload}


@alerts_cli.command("simulate")
@click.option("--client", "client_id", required=True, help="the integration client id")
@click.option("--project", "projects", multiple=True, required=True, help="project code (repeatable)")
@click.option("--count", default=20, show_default=True, help="how many alerts")
@click.option("--url", default="", help="a running server's base URL; empty: in process")
@click.option("--seed", default=0, help="random seed (0: a new stream each time)")
def alerts_simulate(client_id: str, projects: tuple[str, ...], count: int, url: str, seed: int) -> None:
    """Send COUNT signed site alerts over the projects and print where each went. The client's
    secret: asked for (not echoed), or the first line of standard input when that is no terminal."""
    secret = read_secret()
    rng = random.Random(seed or None)
    for n in range(count):
        raw = json.dumps(alert(rng.choice(projects), rng), ensure_ascii=False).encode()
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-PermitFlow-Client": client_id,
            "X-PermitFlow-Timestamp": stamp,
            "X-PermitFlow-Signature": signature(secret, stamp, raw),
            "Idempotency-Key": f"simulate-{stamp}-{n}-{rng.random():.8f}",
        }
        status, answer = _post(url, raw, headers)
        click.echo(f"{n + 1:4d} {status} {answer}")


def read_secret() -> str:
    """The client's secret from the terminal (hidden) or the first line of standard input."""
    if sys.stdin.isatty():
        secret = str(click.prompt("Secret of the integration client", hide_input=True))
    else:
        secret = sys.stdin.readline().strip()
    if not secret:
        raise click.UsageError("give the client's secret on standard input (it is never an argument)")
    return secret


def _post(url: str, raw: bytes, headers: dict[str, str]) -> tuple[int, str]:
    if not url:
        response = current_app.test_client().post("/api/v1/messages", data=raw, headers=headers)
        return response.status_code, response.get_data(as_text=True).strip()
    request = urllib.request.Request(url.rstrip("/") + "/api/v1/messages", data=raw, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - the operator's URL
            return answer.status, answer.read().decode().strip()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode().strip()
