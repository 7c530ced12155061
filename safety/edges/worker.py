"""The Celery worker: every model loaded once at start, then tasks as thin wrappers around the use cases.

`cameoguard worker` builds one `CameoGuard` (database, media folder, models), warms every model, and serves tasks
on a pool of threads that share it: the checks spend their time in native code that releases the GIL, so threads
use the cores without a copy of every model per process. Run more workers, on more machines, against the same
database, media folder and broker to scale out.

A rolling upgrade is refused, not raced: a worker checks the schema at start (`build`) and again, at most every
`SchemaWatch.every_s`, before each task. Once a newer version has migrated the database past what this worker
knows, it hands the task back to the broker (requeued for an up-to-date worker), says so in one log line and stops.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from safety.edges.sweeps import sweep_once
from safety.engine import (
    DELIVER_CALLBACK,
    FINISH_PURGE,
    RETRO_SCAN,
    RUN_SUBMISSION,
    SWEEP,
    CeleryEngine,
    callbacks_queue,
)
from safety.errors import ConfigurationError, StorageError
from safety.logs import use_json_logs
from safety.storage.sql.database import schema_state
from safety.usecases.revocation import finish_pending
from safety.wiring import CameoGuard

log = logging.getLogger("cameoguard.worker")


class SchemaMovedOn(Exception):
    """The database was migrated past what this process knows (a newer version is rolling out)."""


class SchemaWatch:
    """Reads the schema's revision at most every `every_s` seconds and raises `SchemaMovedOn` once it is ahead of
    this version (then on every call: the process is to stop)."""

    def __init__(self, guard: CameoGuard, *, every_s: float = 30.0, now: Callable[[], float] = time.monotonic):
        self._guard = guard
        self.every_s = every_s
        self._now = now
        self._checked_at: float | None = None
        self._moved: str | None = None
        self._lock = threading.Lock()

    def check(self) -> None:
        with self._lock:
            if self._moved is None and (self._checked_at is None or self._now() - self._checked_at >= self.every_s):
                database = self._guard.sql_database
                try:
                    state = schema_state(database.engine) if database is not None else None
                except SQLAlchemyError:
                    # The database is away: the task itself rides that out (it runs again, or waits); the schema is
                    # read at the next task.
                    state = None
                else:
                    self._checked_at = self._now()
                if state is not None and state.ahead:
                    self._moved = state.describe()
            if self._moved is not None:
                raise SchemaMovedOn(self._moved)


def _stop_this_worker() -> None:
    # A warm shutdown: tasks in hand finish, nothing new is taken.
    os.kill(os.getpid(), signal.SIGTERM)


def register_tasks(
    app: Any, guard: CameoGuard, *, watch: SchemaWatch | None = None, stop: Callable[[], None] = _stop_this_worker
) -> None:
    """The task names the engine sends, bound to this process's use cases; with `watch`, each task first checks
    that the schema has not moved past this version (if it has, the message goes back to the broker and this
    worker stops)."""
    stopping = threading.Event()

    def current() -> None:
        if watch is None:
            return
        try:
            watch.check()
        except SchemaMovedOn as exc:
            from celery.exceptions import Reject

            if not stopping.is_set():
                stopping.set()
                log.error("stopping: %s", exc)
                stop()
            raise Reject(str(exc), requeue=True) from None

    @app.task(name=RUN_SUBMISSION)  # type: ignore[untyped-decorator]
    def run_submission(submission_id: str) -> None:
        current()
        guard.submissions.run(submission_id)

    @app.task(name=DELIVER_CALLBACK)  # type: ignore[untyped-decorator]
    def deliver_callback(submission_id: str, attempt: int, event: dict[str, Any] | None = None) -> None:
        current()
        guard.submissions.deliver_callback(submission_id, attempt, event)

    @app.task(name=FINISH_PURGE)  # type: ignore[untyped-decorator]
    def finish_purges() -> None:
        current()
        finish_pending(guard.store, guard.media)

    @app.task(name=SWEEP)  # type: ignore[untyped-decorator]
    def sweep() -> None:
        current()
        sweep_once(guard)

    @app.task(name=RETRO_SCAN)  # type: ignore[untyped-decorator]
    def retro_scan(scan_id: str) -> None:
        current()
        guard.retro_scans.run(scan_id)


class PeriodicSweeper:
    """Every `every_s`, this worker offers to take the period's duties: one worker per period across them all (a
    lease row names it). The quick duties run every period: submissions no worker took (the outbox) or a dead worker
    held are sent again, interrupted purges finished. The whole sweep (consent re-checks, retention, stale rows, the
    walk over every file) runs every `FULL_EVERY` periods, under the sweeper's own lock. So nothing needs a process
    beside the workers."""

    LEASE = "sweep-period"
    FULL_LEASE = "sweep-full"
    FULL_EVERY = 5

    def __init__(self, guard: CameoGuard, every_s: float) -> None:
        self._guard = guard
        self.every_s = every_s
        self._holder = f"{socket.gethostname()}:{os.getpid()}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sweeper", daemon=True)
        self.last_was_full = False
        """Whether this worker's last turn ran the whole sweep."""

    def start(self) -> None:
        if self.every_s > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.sweep_if_due()
            except StorageError as exc:
                # The database is away: the next period tries again.
                log.warning("periodic sweep skipped: %s", str(exc).splitlines()[0])
            except Exception:
                log.exception("periodic sweep failed")

    def sweep_if_due(self) -> bool:
        """Take this period's duties if no other worker took them; whether this one did."""
        store = self._guard.store
        with store.transaction() as tx:
            # Held for the whole period and never released: another worker asking within it is told no.
            due = tx.locks.try_lease(self.LEASE, self._holder, timedelta(seconds=self.every_s * 0.9))
        if not due:
            return False
        with store.transaction() as tx:
            # A holder of its own each time: the lease is taken only once it lapsed, never renewed by asking again.
            full_s = self.every_s * self.FULL_EVERY * 0.9
            self.last_was_full = tx.locks.try_lease(self.FULL_LEASE, uuid.uuid4().hex, timedelta(seconds=full_s))
        if self.last_was_full:
            report = sweep_once(self._guard)
            log.info("swept", extra={"requeued": len(report.submissions_requeued), "seconds": round(report.seconds, 2)})
        else:
            requeued = self._guard.submissions.requeue_unfinished()
            finish_pending(store, self._guard.media)
            log.info("quick sweep", extra={"requeued": len(requeued)})
        return True


def _keep_our_logging(**_kwargs: Any) -> None:
    return None


def check_dependencies(guard: CameoGuard) -> dict[str, str]:
    """Whether this worker's broker and database answer: `ok` or why not, for each."""
    state = {"broker": guard.engine.reachable(), "database": "ok"}
    try:
        with guard.store.transaction() as tx:
            tx.submissions.depth()
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        state["database"] = exc.__class__.__name__
    return state


def run_worker(
    guard: CameoGuard,
    *,
    concurrency: int = 2,
    loglevel: str = "INFO",
    callbacks_only: bool = False,
    metrics_port: int | None = None,
) -> None:
    """Serve tasks until stopped (SIGTERM finishes the tasks in hand, then exits). A worker that cannot reach its
    broker at start stops at once (`ConfigurationError`, exit 5) rather than retrying forever; once started, it
    rides out broker outages. With `callbacks_only`, it takes only callbacks (no models are loaded)."""
    engine = guard.engine
    if not isinstance(engine, CeleryEngine):
        raise ConfigurationError(
            "a worker needs a broker: set CAMEOGUARD_BROKER_URL (e.g. amqp://guest:guest@127.0.0.1:5672//)"
        )
    reached = engine.reachable()
    if reached != "ok":
        raise ConfigurationError(
            f"CAMEOGUARD_BROKER_URL: the broker cannot be reached ({reached}); check its host, port, vhost and user"
        )
    # Celery leaves logging alone when someone answers its `setup_logging` signal: its records then reach the root
    # logger, whose handler writes the same JSON lines as ours.
    from celery.signals import setup_logging

    setup_logging.connect(_keep_our_logging, weak=False)
    use_json_logs(everything=True)
    if metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, registry=guard.gate.metrics.registry)
    if not callbacks_only:
        warmed = guard.warm_up()
        log.info("models loaded: %s", warmed)
    register_tasks(engine.app, guard, watch=SchemaWatch(guard))
    sweeper = PeriodicSweeper(guard, guard.settings.worker_sweep_s)
    sweeper.start()
    queues = [callbacks_queue(engine.queue)] if callbacks_only else [engine.queue, callbacks_queue(engine.queue)]
    try:
        engine.app.worker_main(
            [
                "worker",
                "--pool=threads",
                f"--concurrency={concurrency}",
                f"--loglevel={loglevel}",
                f"--queues={','.join(queues)}",
                # One node name per process: several workers on one machine must not share a control queue.
                f"--hostname=cameoguard-{os.getpid()}@%h",
                "--without-gossip",
                "--without-mingle",
            ]
        )
    finally:
        sweeper.stop()
