"""What operators watch: readiness, and metrics in the Prometheus text format (built with prometheus-client).

Counts that every process contributes to (decisions by action, submissions by state, the queue, purges) are read
from the database at each scrape, so any replica answers for all of them. What a process counts as it works (check
latency, check errors, decision reasons, queue waits, callbacks: `safety.gate.metrics`) comes from this process,
or, with `PROMETHEUS_MULTIPROC_DIR` set for every process (a directory they share on one machine), from every
process that writes to that directory, workers included. A worker on another machine serves its own with
`cameoguard worker --metrics-port N`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import text

from safety.storage.sql.database import schema_state

if TYPE_CHECKING:
    from safety.wiring import CameoGuard

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


class DatabaseCounts:
    """A collector read at each scrape: what every process did, as the database records it."""

    def __init__(self, services: CameoGuard) -> None:
        self._services = services

    def collect(self) -> Iterator[Metric]:
        with self._services.store.transaction() as tx:
            decisions = tx.decisions.counts()
            submissions = tx.submissions.counts()
            depth = tx.submissions.depth()
            purges = tx.purges.counts()
        decided = CounterMetricFamily(
            "cameoguard_decisions", "Decisions recorded, by action (all processes).", labels=["action"]
        )
        for action, n in sorted(decisions.items()):
            decided.add_metric([action], n)
        yield decided
        states = GaugeMetricFamily("cameoguard_submissions", "Asynchronous submissions by state.", labels=["state"])
        for state, n in sorted(submissions.items()):
            states.add_metric([state], n)
        yield states
        yield GaugeMetricFamily("cameoguard_queue_depth", "Submissions queued or running.", value=depth)
        purged_videos = purges.pop("videos", 0)
        jobs = GaugeMetricFamily(
            "cameoguard_purge_jobs",
            "Purge jobs by state (an unfinished one still has files to remove).",
            labels=["state"],
        )
        for state, n in sorted(purges.items()):
            jobs.add_metric([state], n)
        yield jobs
        yield CounterMetricFamily("cameoguard_purged_videos", "Videos purged (tombstones).", value=purged_videos)


def metrics_text(services: CameoGuard) -> tuple[bytes, str]:
    """Every metric as Prometheus scrapes it, and its content type."""
    shared = CollectorRegistry(auto_describe=True)
    shared.register(DatabaseCounts(services))
    if os.environ.get(MULTIPROC_DIR):
        # Every process sharing the directory, this one included (its values live there too).
        processes = CollectorRegistry()
        MultiProcessCollector(processes)  # type: ignore[no-untyped-call]
    else:
        processes = services.gate.metrics.registry
    return generate_latest(shared) + generate_latest(processes), CONTENT_TYPE_LATEST


def readiness(services: CameoGuard) -> dict[str, Any]:
    """Whether this process can take work, and why not."""
    state: dict[str, Any] = {"models_loaded": services.gate.warmed}
    try:
        if services.sql_database is not None:
            with services.sql_database.connect() as connection:
                connection.execute(text("SELECT 1"))
        state["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        state["database"] = exc.__class__.__name__
    state["broker"] = services.engine.reachable()
    # A store in memory has no schema to fall behind.
    state["schema"] = "unknown" if services.sql_database is not None else "ok"
    if state["database"] == "ok" and services.sql_database is not None:
        try:
            schema = schema_state(services.sql_database.engine)
            # Behind or ahead, this process was not written for the schema it would write to: a load balancer
            # moves traffic to the processes of the version that migrated it.
            state["schema"] = "ok" if schema.up_to_date else schema.describe()
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            state["schema"] = exc.__class__.__name__
    state["ready"] = (
        state["models_loaded"] is True
        and state["database"] == "ok"
        and state["schema"] == "ok"
        and state["broker"] in ("ok", "in-process")
    )
    return state
