"""The deployment of the integration guide, through its faults (issue 29's "done when"): `cameoguard serve` and two
`cameoguard worker`s, each in a working directory of its own, sharing one media folder, one PostgreSQL database and
one RabbitMQ queue. Five processes start at once on an empty database; a burst of submissions with callbacks and
idempotency keys; a worker killed with SIGKILL mid-check; the broker unreachable for the API; the database
unreachable mid-check for 20 s. Every submission ends decided once, by its checks (none held for the fault), a
repeated key creates nothing, every callback verifies with the standardwebhooks library, and no temp file is left.

Runs in `make hardening` (about two minutes here: two workers load every model, and the outage lasts 20 s).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, make_url, text
from standardwebhooks.webhooks import Webhook

from safety import CameoGuard, Settings, build
from safety.records import SubmissionState
from tests.conftest import POSTGRES_URL
from tests.hardening.tcp_gate import TcpGate
from tests.webhook_receiver import Receiver

BROKER_URL = os.environ.get("CAMEOGUARD_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
LEASE_S = 6.0
CAMEOGUARD = str(Path(sys.executable).with_name("cameoguard"))

pytestmark = pytest.mark.skipif(
    not os.environ.get("CAMEOGUARD_HARDENING") or not POSTGRES_URL,
    reason="the whole deployment through its faults runs in `make hardening` (PostgreSQL and RabbitMQ)",
)


def _until(predicate: Callable[[], Any], timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


class Deployment:
    """The processes, their gates to the database and the broker, and a guard of the test's own (direct)."""

    def __init__(self, root: Path, database: str, clip: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.clip = clip
        url = make_url(database)
        self.db_gate = TcpGate(url.port or 5432)
        self.broker_gate = TcpGate(5672)
        self.database = database
        through_gate = url.set(port=self.db_gate.port).render_as_string(hide_password=False)
        self.queue = f"deploy-{uuid.uuid4().hex[:8]}"
        self.env = {
            **os.environ,
            "CAMEOGUARD_HOME": str(self.home),
            "CAMEOGUARD_DATABASE_URL": through_gate,
            "CAMEOGUARD_BROKER_URL": BROKER_URL,
            "CAMEOGUARD_BROKER_QUEUE": self.queue,
            "CAMEOGUARD_SUBMISSION_LEASE_S": str(LEASE_S),
            "CAMEOGUARD_WORKER_SWEEP_S": "2",
            "CAMEOGUARD_HOOK_ALLOWED_DIRS": str(root),
            "CAMEOGUARD_CALLBACK_ALLOWED_HOSTS": "127.0.0.1",
        }
        self.processes: dict[str, subprocess.Popen[str]] = {}
        self.port = 0

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        folder = self.root / name
        folder.mkdir(exist_ok=True)
        process = subprocess.Popen(
            [CAMEOGUARD, *args],
            cwd=folder,
            env=env or self.env,
            stdout=(folder / "out.log").open("w"),
            stderr=(folder / "err.log").open("w"),
            text=True,
        )
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.root / name / "err.log").read_text() + (self.root / name / "out.log").read_text()

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [CAMEOGUARD, *args], env=self.env, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.db_gate.close()
        self.broker_gate.close()


@pytest.fixture
def deployment(tmp_path: Path, benign_clip: Path) -> Iterator[Deployment]:
    from safety.engine import CeleryEngine

    probe = CeleryEngine(BROKER_URL)
    try:
        if probe.reachable() != "ok":
            pytest.skip(f"no broker at {BROKER_URL}")
    finally:
        probe.close()
    assert POSTGRES_URL is not None
    name = f"deploy_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(benign_clip.read_bytes())
    deployed = Deployment(tmp_path, make_url(POSTGRES_URL).set(database=name).render_as_string(False), clip)
    try:
        yield deployed
    finally:
        deployed.stop()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def _start_all_at_once(deployed: Deployment) -> None:
    """Five processes at once on an empty database: two `migrate`, the API and two workers."""
    with socket_port() as port:
        deployed.port = port
    api_env = {**deployed.env, "CAMEOGUARD_BROKER_URL": BROKER_URL.replace(":5672", f":{deployed.broker_gate.port}")}
    deployed.start("migrate-1", "migrate")
    deployed.start("migrate-2", "migrate")
    deployed.start("api", "serve", "--port", str(deployed.port), env=api_env)
    deployed.start("worker-a", "worker", "--concurrency", "2")
    deployed.start("worker-b", "worker", "--concurrency", "2")
    for name in ("migrate-1", "migrate-2"):
        assert deployed.processes[name].wait(timeout=120) == 0, deployed.log(name)

    def ready() -> bool:
        for name, process in deployed.processes.items():
            assert process.poll() is None or name.startswith("migrate"), deployed.log(name)
        try:
            answer = httpx.get(f"http://127.0.0.1:{deployed.port}/ready", timeout=5)
        except httpx.HTTPError:
            return False
        workers = all(" ready." in deployed.log(w) for w in ("worker-a", "worker-b"))
        return answer.status_code == 200 and workers

    _until(ready, 300, "the API and the workers to be ready")


class socket_port:  # noqa: N801 - a context manager named as a value
    """A free local port."""

    def __enter__(self) -> int:
        import socket

        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        return int(self._socket.getsockname()[1])

    def __exit__(self, *_exc: object) -> None:
        self._socket.close()


def test_the_guides_deployment_keeps_its_promises_through_its_faults(deployment: Deployment) -> None:
    deployed = deployment
    _start_all_at_once(deployed)
    deployed.cli("user", "add", "maya")
    issued = json.loads(deployed.cli("hook", "token", "pipeline", "--scope", "generate", "--json"))
    receiver = Receiver()
    api = httpx.Client(
        base_url=f"http://127.0.0.1:{deployed.port}", headers={"Authorization": f"Bearer {issued['token']}"}, timeout=60
    )
    guard = build(Settings(home=deployed.home, database_url=deployed.database))
    try:
        ids = _burst(deployed, api, receiver)
        killed = _kill_a_worker_mid_check(deployed, guard, ids)
        ids += _submit_with_the_broker_away(deployed, api, receiver)
        ids += _cut_the_database_mid_check(deployed, api, guard, receiver)
        _until(lambda: all(guard.submissions.get(i).state is SubmissionState.DONE for i in ids), 300, "every decision")
        _check_outcomes(deployed, guard, ids, receiver, issued["webhook_secret"])
        assert guard.submissions.get(killed).attempts >= 2, "the killed worker's submission was run again"
        _check_logs(deployed)
    finally:
        receiver.close()
        api.close()
        guard.close()


def _submit(api: httpx.Client, deployed: Deployment, receiver: Receiver, key: str) -> httpx.Response:
    body = {
        "creator": "maya",
        "prompt": f"a calm lake, {key}",
        "video_path": str(deployed.clip),
        "callback_url": receiver.url,
    }
    return api.post("/v1/submissions", json=body, headers={"Idempotency-Key": key})


def _burst(deployed: Deployment, api: httpx.Client, receiver: Receiver) -> list[str]:
    answers = [_submit(api, deployed, receiver, f"burst-{i}") for i in range(12)]
    assert all(a.status_code == 202 for a in answers), [a.text for a in answers]
    again = _submit(api, deployed, receiver, "burst-0")
    assert again.status_code == 202 and again.json() == answers[0].json() and again.headers["idempotent-replayed"]
    return [a.json()["submission_id"] for a in answers]


def _kill_a_worker_mid_check(deployed: Deployment, guard: CameoGuard, ids: list[str]) -> str:
    victim = deployed.processes["worker-a"]

    def running_there() -> str | None:
        for submission_id in ids:
            record = guard.submissions.get(submission_id)
            if record.state is SubmissionState.RUNNING and f":{victim.pid}:" in (record.worker or ""):
                return submission_id
        return None

    held: str = _until(running_there, 120, "worker-a to hold a submission")
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    # The guide's process list stays whole: a new worker takes the dead one's place.
    deployed.start("worker-c", "worker", "--concurrency", "2")
    return held


def _submit_with_the_broker_away(deployed: Deployment, api: httpx.Client, receiver: Receiver) -> list[str]:
    deployed.broker_gate.cut()
    try:
        answers = [_submit(api, deployed, receiver, f"away-{i}") for i in range(2)]
    finally:
        deployed.broker_gate.restore()
    assert [a.status_code for a in answers] == [202, 202], [a.text for a in answers]
    return [a.json()["submission_id"] for a in answers]


def _cut_the_database_mid_check(
    deployed: Deployment, api: httpx.Client, guard: CameoGuard, receiver: Receiver
) -> list[str]:
    answers = [_submit(api, deployed, receiver, f"outage-{i}") for i in range(2)]
    ids = [a.json()["submission_id"] for a in answers]
    _until(lambda: any(guard.submissions.get(i).state is SubmissionState.RUNNING for i in ids), 120, "a check to start")
    deployed.db_gate.cut()
    time.sleep(20)
    deployed.db_gate.restore()
    return ids


def _check_outcomes(deployed: Deployment, guard: CameoGuard, ids: list[str], receiver: Receiver, secret: str) -> None:
    with guard.store.transaction() as tx:
        assert sum(tx.submissions.counts().values()) == len(ids), "a repeated key created nothing"
    for submission_id in ids:
        record = guard.submissions.get(submission_id)
        view = guard.videos.show(record.video_id)
        # Decided by the checks (a calm lake publishes), never held because of a fault.
        assert view.video.status.value == "published", (submission_id, record.attempts, view.decisions)
        assert view.decisions[-1].action == "publish"
    _until(
        lambda: len({_event(b)["data"]["submission_id"] for _h, b in receiver.received}) >= len(ids), 120, "callbacks"
    )
    decided: dict[str, set[str]] = {}
    for headers, body in receiver.received:
        event = Webhook(secret).verify(body, headers)
        if event["type"] == "submission.decided":
            decided.setdefault(event["data"]["submission_id"], set()).add(headers["webhook-id"])
    assert set(decided) == set(ids)
    assert all(len(events) == 1 for events in decided.values()), decided
    media = deployed.home / "media"
    left = [p for pattern in (".publishing-*", ".staged-*", "upload-*", "sub-*") for p in media.rglob(pattern)]
    assert left == [], left


def _check_logs(deployed: Deployment) -> None:
    """One JSON object per log line, from the API and the workers alike (uvicorn's and Celery's records too), each
    submission's lines carrying its ids."""
    decided = []
    for name in ("api", "worker-b", "worker-c"):
        for line in (deployed.root / name / "err.log").read_text().splitlines():
            if line.strip():
                record = json.loads(line)  # raises on a line that is not JSON
                if record["message"] == "submission done":
                    decided.append(record)
    assert decided and all(r["submission_id"].startswith("sub_") and r["video_id"] for r in decided)


def _event(body: bytes) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(body)
    return loaded
