"""Celery workers on RabbitMQ against PostgreSQL: two worker processes share the submissions, and one killed with
SIGKILL mid-check leaves its submission to the other, which decides it exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from safety import CameoGuard, Settings, build
from safety.edges.http import create_app
from safety.records import Scope, SubmissionState

# On PostgreSQL too: what this tests is the database's part (locks, claims, transactions, SQL).
pytestmark = pytest.mark.dialects

BROKER_URL = os.environ.get("CAMEOGUARD_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
LEASE_S = 6.0


def _broker_up() -> bool:
    from safety.engine import CeleryEngine

    engine = CeleryEngine(BROKER_URL)
    try:
        return engine.reachable() == "ok"
    finally:
        engine.close()


@pytest.fixture
def cluster(tmp_path: Path, database_url: str) -> Iterator[tuple[CameoGuard, list[subprocess.Popen[str]]]]:
    if not database_url.startswith("postgresql"):
        pytest.skip("workers on several processes are tested on PostgreSQL (SQLite has one writer)")
    if not _broker_up():
        pytest.skip(f"no broker at {BROKER_URL}: start RabbitMQ to run the worker tests")
    home = tmp_path / "home"
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "CAMEOGUARD_HOME": str(home),
        "CAMEOGUARD_DATABASE_URL": database_url,
        "CAMEOGUARD_BROKER_URL": BROKER_URL,
        # A queue of its own: nothing left on the broker by another run reaches these workers.
        "CAMEOGUARD_BROKER_QUEUE": queue,
        "CAMEOGUARD_SUBMISSION_LEASE_S": str(LEASE_S),
        "CAMEOGUARD_HOOK_ALLOWED_DIRS": f'["{tmp_path}"]',
    }
    settings = Settings(
        home=home,
        database_url=database_url,
        broker_url=BROKER_URL,
        broker_queue=queue,
        submission_lease_s=LEASE_S,
        hook_allowed_dirs=(tmp_path,),
    )
    guard = build(settings)
    guard.accounts.add_user("maya")
    cameoguard = Path(sys.executable).with_name("cameoguard")
    workers = [
        subprocess.Popen(
            [str(cameoguard), "worker", "--concurrency", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / f"worker{i}.log", "w"),  # noqa: SIM115 - closed with the process
            text=True,
        )
        for i in range(2)
    ]
    try:
        # Each worker loads every model (and trains the prompt head in this fresh home) before it is ready.
        deadline = time.monotonic() + 200
        while time.monotonic() < deadline:
            logs = [(tmp_path / f"worker{i}.log").read_text() for i in range(2)]
            if all(" ready." in log for log in logs):
                break
            if any(w.poll() is not None for w in workers):
                pytest.fail("a worker exited at start:\n" + "\n".join(logs))
            time.sleep(0.5)
        else:
            pytest.fail("the workers did not start")
        yield guard, workers
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        guard.close()


@pytest.mark.slow
def test_two_workers_decide_every_submission_once_even_when_one_is_killed(
    cluster: tuple[CameoGuard, list[subprocess.Popen[str]]], benign_clip: Path, tmp_path: Path
) -> None:
    guard, workers = cluster
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(benign_clip.read_bytes())
    token = guard.accounts.issue_client("pipeline", [Scope.GENERATE]).token
    api = TestClient(create_app(guard), headers={"Authorization": f"Bearer {token}"})
    ids = []
    for i in range(6):
        answer = api.post(
            "/v1/submissions", json={"creator": "maya", "prompt": f"a calm lake, take {i}", "video_path": str(clip)}
        )
        assert answer.status_code == 202, answer.text
        ids.append(answer.json()["submission_id"])
    victim = workers[0]
    # Kill the first worker as soon as it holds a submission mid-check.
    deadline = time.monotonic() + 120
    killed = None
    while time.monotonic() < deadline and killed is None:
        for submission_id in ids:
            record = guard.submissions.get(submission_id)
            if record.state is SubmissionState.RUNNING and record.worker and f":{victim.pid}:" in record.worker:
                victim.send_signal(signal.SIGKILL)
                killed = submission_id
                break
        time.sleep(0.05)
    assert killed is not None, "the first worker never took a submission"
    victim.wait(timeout=10)

    def all_done() -> bool:
        return all(guard.submissions.get(i).state is SubmissionState.DONE for i in ids)

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not all_done():
        time.sleep(0.5)
    states = {i: guard.submissions.get(i) for i in ids}
    assert all_done(), {i: (r.state.value, r.worker, r.attempts) for i, r in states.items()}
    for submission_id, record in states.items():
        view = guard.videos.show(record.video_id)
        # One outcome, by the checks. The killed worker may have recorded its decision but died before acting on
        # it: then the other worker runs the submission again from the start (never trusting half a run), and the
        # second decision is the one acted on.
        actions = [d.action for d in view.decisions]
        rerun = len(actions) == 2 and record.attempts >= 2
        assert len(actions) == 1 or rerun, (submission_id, actions, view.video.status.value)
        assert view.video.status.value != "checking", submission_id
        assert record.result is not None and record.result["video_id"] == record.video_id
    survivor = states[killed]
    assert survivor.attempts >= 2 and f":{victim.pid}:" not in (survivor.worker or "")
    # Run again from the start: decided by its checks (a calm lake publishes), not held for the fault.
    assert survivor.result is not None and survivor.result["status"] == "published", survivor.result
    assert not list(guard.media.area("published").rglob(".publishing-*"))


class _TaskTable:
    """What `register_tasks` needs of a Celery app: a `task(name=...)` decorator."""

    def __init__(self) -> None:
        self.tasks: dict[str, Callable[..., None]] = {}

    def task(self, name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
        def register(function: Callable[..., None]) -> Callable[..., None]:
            self.tasks[name] = function
            return function

        return register


def test_a_worker_hands_work_back_and_stops_once_the_schema_moved_past_it(services: CameoGuard) -> None:
    """A rolling upgrade is refused, not raced: an old worker that finds the database migrated by a newer version
    requeues the task for an up-to-date worker and stops, instead of writing rows the new schema does not expect."""
    from celery.exceptions import Reject
    from sqlalchemy import text

    from safety.edges.worker import SchemaWatch, register_tasks
    from safety.engine import FINISH_PURGE, RUN_SUBMISSION

    app, stops, now = _TaskTable(), [], [0.0]
    register_tasks(
        app, services, watch=SchemaWatch(services, every_s=30, now=lambda: now[0]), stop=lambda: stops.append(1)
    )
    app.tasks[FINISH_PURGE]()
    with services.database.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_newer'"))
    app.tasks[FINISH_PURGE]()  # read at most every 30 s: not noticed yet
    now[0] = 31.0
    with pytest.raises(Reject) as handed_back:
        app.tasks[FINISH_PURGE]()
    assert handed_back.value.requeue is True and "9999_newer" in str(handed_back.value.reason)
    with pytest.raises(Reject):
        app.tasks[RUN_SUBMISSION]("sub_anything")
    assert stops == [1], "the worker is stopped once"
