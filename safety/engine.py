"""Where background work runs: in this process, or on Celery workers behind a broker.

The work itself is plain use-case methods (run a submission, deliver a callback, finish purge files,
sweep, a retroactive scan); an engine only decides where and when they run. `InProcessEngine` runs them on a small
thread pool of this process (the embedded default: the demo and small deployments need nothing else).
`CeleryEngine` sends them by name to a broker (RabbitMQ or Redis, `CAMEOGUARD_BROKER_URL`), where `cameoguard
worker` processes on any machine with the same database and media folder take them. Nothing is lost if the broker
drops a message: every piece of work is a row first (a queued submission, an unfinished purge, a running scan),
and the sweeper enqueues again what no worker took.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

RUN_SUBMISSION = "cameoguard.run_submission"
DELIVER_CALLBACK = "cameoguard.deliver_callback"
FINISH_PURGE = "cameoguard.finish_purge"
SWEEP = "cameoguard.sweep"
RETRO_SCAN = "cameoguard.retro_scan"
TASK_NAMES = (RUN_SUBMISSION, DELIVER_CALLBACK, FINISH_PURGE, SWEEP, RETRO_SCAN)


class Engine(Protocol):
    """Runs named tasks somewhere, some time."""

    def send(self, task: str, *args: Any, delay_s: float = 0.0) -> None:
        """Run `task(*args)` after `delay_s`; never raises for the task's own failure."""
        ...

    def close(self) -> None:
        """Stop taking work (in-process work already started finishes)."""
        ...

    def reachable(self) -> str:
        """`ok`, `in-process`, or why the broker cannot be reached."""
        ...


TaskTable = dict[str, Callable[..., object]]


class InProcessEngine:
    """Tasks on a thread pool of this process; delays with timers."""

    def __init__(self, tasks: TaskTable, *, workers: int = 2) -> None:
        self._tasks = tasks
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="task")
        self._timers: set[threading.Timer] = set()
        # Guards `_timers` and `_closed` together: a timer firing while `close` runs must either be cancelled or see
        # `_closed`, never submit to a pool that is shutting down.
        self._lock = threading.Lock()
        self._closed = False

    def send(self, task: str, *args: Any, delay_s: float = 0.0) -> None:
        function = self._tasks[task]
        with self._lock:
            if self._closed:
                return  # the row stays queued; the sweeper of the next process enqueues it again
            if delay_s > 0:
                timer = threading.Timer(delay_s, self._fire, args=(function, args))
                timer.daemon = True
                self._timers.add(timer)
                timer.start()
                return
            self._pool.submit(_quietly, function, args)

    def _fire(self, function: Callable[..., object], args: tuple[Any, ...]) -> None:
        with self._lock:
            # Finished timers are dropped here rather than tracked further, so a long-running process does not collect
            # one per delayed task.
            self._timers = {t for t in self._timers if t.is_alive() and t is not threading.current_thread()}
            if self._closed:
                return
            self._pool.submit(_quietly, function, args)

    def reachable(self) -> str:
        return "in-process"

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for timer in self._timers:
                timer.cancel()
        # Outside the lock: running tasks may send follow-up tasks, which take the lock (and are dropped, as `_closed`
        # is set). Queued tasks still run: they were accepted, and their rows expect them.
        self._pool.shutdown(wait=True, cancel_futures=False)


def _quietly(function: Callable[..., object], args: tuple[Any, ...]) -> None:
    # A task records its own outcome in the database; an exception here would only be lost in the pool.
    try:
        function(*args)
    except Exception:
        import logging

        logging.getLogger("cameoguard.tasks").exception("task failed")


class CeleryEngine:
    """Tasks sent by name to a Celery broker; `cameoguard worker` runs them."""

    def __init__(self, broker_url: str, queue: str = "cameoguard") -> None:
        from celery import Celery

        self.queue = queue
        self.app = Celery("cameoguard", broker=broker_url)
        configure(self.app, queue)

    def send(self, task: str, *args: Any, delay_s: float = 0.0) -> None:
        self.app.send_task(task, args=list(args), countdown=delay_s or None)

    def reachable(self) -> str:
        try:
            with self.app.connection_for_write() as connection:
                # One quick try: this answers a health probe, which must say "unreachable" promptly rather than hang on
                # the broker's own retry schedule.
                connection.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:  # noqa: BLE001 - any failure means unreachable
            return exc.__class__.__name__
        return "ok"

    def close(self) -> None:
        self.app.close()


def callbacks_queue(queue: str) -> str:
    """The queue callbacks travel on, beside the checks' queue: a callback never waits behind a check."""
    return f"{queue}.callbacks"


def configure(app: Any, queue: str) -> None:
    """The settings every producer and worker share: late acks (a worker that dies mid-task leaves the message to
    another), one message at a time per worker thread, JSON only, callbacks on their own queue. A send the broker
    cannot take fails within seconds (the caller keeps the work as a row and sends it again later) rather than
    retrying for long while an API request waits."""
    app.conf.update(
        task_routes={DELIVER_CALLBACK: {"queue": callbacks_queue(queue)}},
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1},
        broker_connection_timeout=3,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        result_backend=None,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        task_default_queue=queue,
    )
