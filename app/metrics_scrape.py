"""What a Prometheus scrape answers, for the web app's `/metrics` and a worker's exporter alike.

The counters of :mod:`app.metrics` (this process's, or in multiprocess mode every process's that
writes to ``PROMETHEUS_MULTIPROC_DIR``) plus figures read at scrape time, the same whichever
process answers: timers due but unfired (from the database: the backlog a dead worker or a stuck
sweep leaves), the rq queue's depth, failed, scheduled and running jobs and its workers (from Redis),
and whether each dependency answered. A dependency that does not answer gives ``up 0`` and leaves
its figures out rather than failing the whole scrape.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import redis
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from rq import Queue, Worker
from sqlalchemy.exc import SQLAlchemyError

from app import clock, metrics
from app.db import Database
from app.services import timers

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _ThisProcess(Collector):
    """The counters of this process (single-process mode)."""

    def collect(self) -> Iterator[Metric]:
        yield from metrics.REGISTRY.collect()


@dataclass(eq=False)
class _AtScrape(Collector):
    """Figures read from the database and Redis when Prometheus asks."""

    database: Database
    redis: redis.Redis
    queue_name: str

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "permitflow_dependency_up", "1 when the dependency answered this scrape.", labels=["dependency"]
        )
        yield from self._timers(up)
        yield from self._queue(up)
        yield up

    def _timers(self, up: GaugeMetricFamily) -> Iterator[Metric]:
        now = clock.now()
        try:
            with self.database.unit_of_work(write=False) as session:
                count, oldest = timers.due_unfired(session, now)
        except SQLAlchemyError:
            log.warning("metrics: the database did not answer", exc_info=True)
            up.add_metric(["database"], 0)
            return
        up.add_metric(["database"], 1)
        yield GaugeMetricFamily(
            "permitflow_timers_due_unfired", "Timers due now and not fired yet.", value=count
        )
        yield GaugeMetricFamily(
            "permitflow_timers_oldest_due_unfired_seconds",
            "How long the longest-waiting due, unfired timer has been due (0 when none).",
            value=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        )

    def _queue(self, up: GaugeMetricFamily) -> Iterator[Metric]:
        queue = Queue(self.queue_name, connection=self.redis)
        try:
            figures = {
                "queued": queue.count,
                "failed": queue.failed_job_registry.count,
                "scheduled": queue.scheduled_job_registry.count,
                "started": queue.started_job_registry.count,
            }
            workers = Worker.count(queue=queue)
        except redis.RedisError:
            log.warning("metrics: Redis did not answer", exc_info=True)
            up.add_metric(["redis"], 0)
            return
        up.add_metric(["redis"], 1)
        help_texts = {
            "queued": "Jobs waiting in the rq queue (its depth).",
            "failed": "Jobs in the rq queue's failed job registry.",
            "scheduled": "Jobs scheduled for later (timer wake-ups, retries).",
            "started": "Jobs running now.",
        }
        for name, value in figures.items():
            yield _per_queue(f"permitflow_rq_jobs_{name}", help_texts[name], self.queue_name, value)
        yield _per_queue(
            "permitflow_rq_workers", "rq workers listening on the queue.", self.queue_name, workers
        )


def _per_queue(name: str, help_text: str, queue_name: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, help_text, labels=["queue"])
    family.add_metric([queue_name], value)
    return family


def scrape_registry(
    database: Database, connection: redis.Redis, queue_name: str, multiproc_dir: str = ""
) -> CollectorRegistry:
    """The registry one scrape reads: the counters (of every process writing to ``multiproc_dir``
    when set, else of this process) and the figures read at scrape time."""
    registry = CollectorRegistry(auto_describe=False)
    if multiproc_dir:
        MultiProcessCollector(registry, path=multiproc_dir)
    else:
        registry.register(_ThisProcess())
    registry.register(_AtScrape(database, connection, queue_name))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """The Prometheus text format of ``registry``."""
    return generate_latest(registry)


def serve(registry: CollectorRegistry, port: int, address: str = "0.0.0.0") -> Any:  # noqa: S104
    """Serve ``registry`` at ``http://address:port/metrics`` from a daemon thread (a worker's or
    the cron process's exporter: they have no web app to answer)."""
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, addr=address, registry=registry)
    log.info("metrics exporter on %s:%d", address, port)
    return server
