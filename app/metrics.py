"""The platform's Prometheus metrics, counted where things happen (requests, steps, sweeps).

The metric objects are process-wide, as prometheus_client means them to be: one process (a gunicorn
worker, an rq worker, the cron process) counts once whatever the number of apps built in it, and in
multiprocess mode (prometheus_client's own ``PROMETHEUS_MULTIPROC_DIR``, read at import) each
process writes its values to files that one scrape adds up. Figures that are the same whichever
process answers (timers due but unfired, queue depths, failed jobs) are not counted here: they are
read from the database and Redis at scrape time (:mod:`app.metrics_scrape`).

Nothing here imports Flask: services count task completions and timer lag through this module.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

# Seconds: pages and API calls answer in milliseconds, an upload or a CSV export in seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Seconds late: a wake-up job runs about a second after the due time; the sweep catches the rest
# within PERMITFLOW_SWEEP_INTERVAL (60 s); hours mean no worker or no sweep ran.
LAG_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 6 * 3600.0, 86400.0)

REQUEST_LATENCY = Histogram(
    "permitflow_http_request_duration_seconds",
    "Time to answer an HTTP request, by route (the URL rule, not the path), method and status.",
    ("route", "method", "status"),
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
TASKS_COMPLETED = Counter(
    "permitflow_tasks_completed_total",
    "Human tasks completed (committed), by process.",
    ("process",),
    registry=REGISTRY,
)
TIMER_LAG = Histogram(
    "permitflow_timer_lag_seconds",
    "How late a timer fired: fired_at - due_at, observed when the firing commits, by timer kind.",
    ("kind",),
    buckets=LAG_BUCKETS,
    registry=REGISTRY,
)
SWEEP_DURATION = Histogram(
    "permitflow_sweep_duration_seconds",
    "Runs of the periodic sweep of missed timers (its _count is the number of sweeps) and their time.",
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
SWEEP_FIRED = Counter(
    "permitflow_sweep_fired_timers_total",
    "Timers the periodic sweep fired (what wake-up jobs missed).",
    registry=REGISTRY,
)
JOBS = Histogram(
    "permitflow_job_duration_seconds",
    "rq jobs run by this worker, by function and outcome (finished or failed), with their time.",
    ("function", "outcome"),
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
