"""The Celery worker: every model loaded once at start, then tasks as thin wrappers around the use cases.

`cameoguard worker` builds one `CameoGuard` (database, media folder, models), warms every model, and serves tasks
on a pool of threads that share it: the checks spend their time in native code that releases the GIL, so threads
use the cores without a copy of every model per process. Run more workers, on more machines, against the same
database, media folder and broker to scale out.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from safety.edges.sweeps import sweep_once
from safety.engine import DELIVER_CALLBACK, FINISH_PURGE, RETRO_SCAN, RUN_SUBMISSION, SWEEP, CeleryEngine
from safety.logs import use_json_logs
from safety.usecases.revocation import finish_pending
from safety.wiring import CameoGuard

log = logging.getLogger("cameoguard.worker")


def register_tasks(app: Any, guard: CameoGuard) -> None:
    """The task names the engine sends, bound to this process's use cases."""

    @app.task(name=RUN_SUBMISSION)  # type: ignore[untyped-decorator]
    def run_submission(submission_id: str) -> None:
        guard.submissions.run(submission_id)

    @app.task(name=DELIVER_CALLBACK)  # type: ignore[untyped-decorator]
    def deliver_callback(submission_id: str, attempt: int) -> None:
        guard.submissions.deliver_callback(submission_id, attempt)

    @app.task(name=FINISH_PURGE)  # type: ignore[untyped-decorator]
    def finish_purges() -> None:
        finish_pending(guard.store, guard.media)

    @app.task(name=SWEEP)  # type: ignore[untyped-decorator]
    def sweep() -> None:
        sweep_once(guard)

    @app.task(name=RETRO_SCAN)  # type: ignore[untyped-decorator]
    def retro_scan(scan_id: str) -> None:
        guard.retro_scans.run(scan_id)


def run_worker(guard: CameoGuard, *, concurrency: int = 2, loglevel: str = "INFO") -> None:
    """Serve tasks until stopped (SIGTERM finishes the tasks in hand, then exits)."""
    engine = guard.engine
    if not isinstance(engine, CeleryEngine):
        raise SystemExit(
            "a worker needs a broker: set CAMEOGUARD_BROKER_URL (e.g. amqp://guest:guest@127.0.0.1:5672//)"
        )
    use_json_logs()
    warmed = guard.warm_up()
    log.info("models loaded: %s", warmed)
    register_tasks(engine.app, guard)
    engine.app.worker_main(
        [
            "worker",
            "--pool=threads",
            f"--concurrency={concurrency}",
            f"--loglevel={loglevel}",
            f"--queues={engine.queue}",
            # One node name per process: several workers on one machine must not share a control queue.
            f"--hostname=cameoguard-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
    )
