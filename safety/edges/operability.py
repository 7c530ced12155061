"""What operators watch: readiness, and metrics in Prometheus' text format.

Counts that every process contributes to (decisions by action, submissions by state, the queue) are read from the
database, so any replica answers for all of them. What only this process sees (how long each check took, how
often it failed, which reasons its decisions carried) is counted here as the gate reports it (`record_decision`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from safety.gate.metrics import BUCKETS
from safety.storage.sql.database import schema_state

if TYPE_CHECKING:
    from safety.wiring import CameoGuard


def _label(value: str) -> str:
    return value.replace("\\\\", "\\\\\\\\").replace('"', '\\\\"').replace("\\n", " ")


def prometheus_text(services: CameoGuard) -> str:
    """Every metric, as Prometheus scrapes it."""
    lines: list[str] = []

    def family(name: str, kind: str, help_text: str, samples: Mapping[str, float]) -> None:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        lines.extend(f"{name}{labels} {value:g}" for labels, value in samples.items())

    with services.store.transaction() as tx:
        decisions = tx.decisions.counts()
        submissions = tx.submissions.counts()
        depth = tx.submissions.depth()
        purges = tx.purges.counts()
    family(
        "cameoguard_decisions_total",
        "counter",
        "Decisions recorded, by action (all processes).",
        {f'{{action="{_label(a)}"}}': n for a, n in sorted(decisions.items())},
    )
    family(
        "cameoguard_submissions",
        "gauge",
        "Asynchronous submissions by state.",
        {f'{{state="{_label(s)}"}}': n for s, n in sorted(submissions.items())},
    )
    family("cameoguard_queue_depth", "gauge", "Submissions queued or running.", {"": depth})
    purged_videos = purges.pop("videos", 0)
    family(
        "cameoguard_purge_jobs",
        "gauge",
        "Purge jobs by state (an unfinished one still has files to remove).",
        {f'{{state="{_label(s)}"}}': n for s, n in sorted(purges.items())},
    )
    family("cameoguard_purged_videos_total", "counter", "Videos purged (tombstones).", {"": purged_videos})
    metrics = services.gate.metrics
    with metrics._lock:
        family(
            "cameoguard_decision_reasons_total",
            "counter",
            "Reasons of the decisions made by this process.",
            {f'{{action="{_label(a)}",reason="{_label(c)}"}}': n for (a, c), n in sorted(metrics.reasons.items())},
        )
        family(
            "cameoguard_check_errors_total",
            "counter",
            "Checks that failed or timed out in this process.",
            {f'{{check="{_label(c)}"}}': n for c, n in sorted(metrics.check_errors.items())},
        )
        lines.append("# HELP cameoguard_check_seconds Wall time of each check in this process.")
        lines.append("# TYPE cameoguard_check_seconds histogram")
        for check, counts in sorted(metrics.latency.items()):
            running = 0
            for bound, count in zip([*BUCKETS, float("inf")], counts, strict=True):
                running += count
                edge = "+Inf" if bound == float("inf") else f"{bound:g}"
                lines.append(f'cameoguard_check_seconds_bucket{{check="{_label(check)}",le="{edge}"}} {running}')
            lines.append(f'cameoguard_check_seconds_sum{{check="{_label(check)}"}} {metrics.latency_sum[check]:g}')
            lines.append(f'cameoguard_check_seconds_count{{check="{_label(check)}"}} {running}')
    return "\\n".join(lines) + "\\n"


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
