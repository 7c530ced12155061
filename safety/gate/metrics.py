"""What this process counts, in Prometheus' own types: the reasons of its decisions, check errors, per-check latency,
how long submissions waited in the queue, and callbacks (delivered, given up, their delay after the event).

The gate records every decision here as it makes it (`record_decision`); the submissions use case records queue
waits and callbacks. Each `GateMetrics` has its own registry, so several services in one process (tests) count
apart. With `PROMETHEUS_MULTIPROC_DIR` set before the process starts, prometheus-client keeps the values in that
directory instead of in memory, so an API process serving `/metrics` adds up every worker that shares the directory
(`safety.edges.operability`). It lives in the gate's package, not at the edge, so the gate depends on nothing above
it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram

if TYPE_CHECKING:
    from safety.domain import Decision

# Seconds; a check's latency lands in the first bucket it fits.
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Seconds a submission waits for a worker, or a callback for its receiver.
WAIT_BUCKETS = (0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)


class GateMetrics:
    """Counters and histograms of the work done in this process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.decided = Counter(
            "cameoguard_decided",
            "Decisions made by this process (or by every process sharing the metrics directory), by action.",
            ["action"],
            registry=self.registry,
        )
        self.reasons = Counter(
            "cameoguard_decision_reasons",
            "Reasons of the decisions made by this process (or by every process sharing the metrics directory).",
            ["action", "reason"],
            registry=self.registry,
        )
        self.check_errors = Counter(
            "cameoguard_check_errors", "Checks that failed or timed out.", ["check"], registry=self.registry
        )
        self.check_seconds = Histogram(
            "cameoguard_check_seconds", "Wall time of each check.", ["check"], buckets=BUCKETS, registry=self.registry
        )
        self.queue_wait = Histogram(
            "cameoguard_queue_wait_seconds",
            "How long a submission waited between being accepted and a worker taking it.",
            buckets=WAIT_BUCKETS,
            registry=self.registry,
        )
        self.callbacks = Counter(
            "cameoguard_callbacks",
            "Callback deliveries by event type and outcome (delivered, failed, given_up; lost: neither the database "
            "nor the broker took the event).",
            ["event", "outcome"],
            registry=self.registry,
        )
        self.callback_delay = Histogram(
            "cameoguard_callback_delay_seconds",
            "From an event to its callback's delivery (the receiver answered 2xx).",
            buckets=WAIT_BUCKETS,
            registry=self.registry,
        )

    def record_decision(self, decision: Decision) -> None:
        self.decided.labels(decision.action.value).inc()
        for reason in decision.reasons:
            self.reasons.labels(decision.action.value, reason.code).inc()
            if reason.code == "check.error":
                self.check_errors.labels(str(reason.evidence.get("check", "unknown"))).inc()
        for check, ms in decision.timings_ms.items():
            if check != "total":
                self.check_seconds.labels(check).observe(ms / 1000)
