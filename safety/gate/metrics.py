"""What the gate counts in this process: decisions by action and reason, check errors, and per-check latency.

The gate records every decision here as it makes it (`record_decision`); the edges read it to answer `/metrics`.
It lives in the gate's package, not at the edge, so the gate depends on nothing above it.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from safety.domain import Decision

# Seconds; a check's latency lands in the first bucket it fits.
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class GateMetrics:
    """Counters and latency histograms of the decisions made in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reasons: Counter[tuple[str, str]] = Counter()
        self.check_errors: Counter[str] = Counter()
        self.latency: dict[str, list[int]] = {}
        self.latency_sum: dict[str, float] = {}

    def record_decision(self, decision: Decision) -> None:
        with self._lock:
            for reason in decision.reasons:
                self.reasons[(decision.action.value, reason.code)] += 1
                if reason.code == "check.error":
                    self.check_errors[str(reason.evidence.get("check", "unknown"))] += 1
            for check, ms in decision.timings_ms.items():
                if check == "total":
                    continue
                seconds = ms / 1000
                counts = self.latency.setdefault(check, [0] * (len(BUCKETS) + 1))
                counts[next((i for i, bound in enumerate(BUCKETS) if seconds <= bound), len(BUCKETS))] += 1
                self.latency_sum[check] = self.latency_sum.get(check, 0.0) + seconds
