"""Operating the service: an Idempotency-Key makes a retried POST safe, submitting is an outbox (202 while the broker
is away, sent when it is back), every event reaches the app as a Standard Webhook, /metrics parses as Prometheus
text (several processes adding up through a shared directory), and workers sweep on a period and refuse to start
without their broker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from standardwebhooks.webhooks import Webhook

from policies import Action
from safety import CameoGuard, Settings, Submission
from safety.domain import Decision
from safety.edges.http import create_app
from safety.records import Scope, SubmissionState
from tests.webhook_receiver import Receiver
from tests.webhook_receiver import wait_for as _wait

# On PostgreSQL too: what this tests is the database's part (locks, claims, transactions, SQL).
pytestmark = pytest.mark.dialects


@pytest.fixture
def pipeline(people: CameoGuard) -> tuple[TestClient, str]:
    client = people.accounts.issue_client("pipeline", [Scope.GENERATE])
    return TestClient(create_app(people), headers={"Authorization": f"Bearer {client.token}"}), client.webhook_secret


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def _submissions(guard: CameoGuard) -> int:
    with guard.store.transaction() as tx:
        return sum(tx.submissions.counts().values())


def test_a_repeated_idempotency_key_gets_the_first_answer_and_creates_nothing(
    people: CameoGuard, pipeline: tuple[TestClient, str], clip: Path
) -> None:
    api, _secret = pipeline
    body = {"creator": "maya", "prompt": "a calm lake", "video_path": str(clip)}
    first = api.post("/v1/submissions", json=body, headers={"Idempotency-Key": "job-1"})
    again = api.post("/v1/submissions", json=body, headers={"Idempotency-Key": "job-1"})
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert _submissions(people) == 1
    other = api.post("/v1/submissions", json={**body, "prompt": "another"}, headers={"Idempotency-Key": "job-1"})
    assert other.status_code == 422 and other.headers["content-type"] == "application/problem+json"
    assert other.json()["type"].endswith("/idempotency-key-reused") and _submissions(people) == 1
    # Keys belong to a client: another client's "job-1" is its own.
    token = people.accounts.issue_client("studio", [Scope.GENERATE]).token
    theirs = api.post(
        "/v1/submissions", json=body, headers={"Idempotency-Key": "job-1", "Authorization": f"Bearer {token}"}
    )
    assert theirs.status_code == 202 and theirs.json()["submission_id"] != first.json()["submission_id"]
    # Without a key, a repeat is a new submission, as before.
    assert api.post("/v1/submissions", json=body).json()["submission_id"] != first.json()["submission_id"]


def test_a_repeated_upload_with_a_new_multipart_boundary_is_the_same_request(
    people: CameoGuard, pipeline: tuple[TestClient, str], clip: Path
) -> None:
    api, _secret = pipeline
    answers = [
        api.post(
            "/v1/submissions",
            data={"creator": "maya", "prompt": "a calm lake"},
            files={"video": ("clip.mp4", clip.read_bytes(), "video/mp4")},
            headers={"Idempotency-Key": "upload-1"},
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [202, 202] and answers[0].json() == answers[1].json()
    assert _submissions(people) == 1


def test_a_key_whose_first_request_failed_on_the_server_runs_afresh(
    people: CameoGuard, pipeline: tuple[TestClient, str], clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safety.errors import StorageError

    api, _secret = pipeline
    body = {"creator": "maya", "prompt": "a calm lake", "video_path": str(clip)}
    real = people.submissions.submit

    def down(*_args: Any, **_kwargs: Any) -> Any:
        raise StorageError("database error: the database is away")

    monkeypatch.setattr(people.submissions, "submit", down)
    assert api.post("/v1/submissions", json=body, headers={"Idempotency-Key": "k"}).status_code == 503
    monkeypatch.setattr(people.submissions, "submit", real)
    assert api.post("/v1/submissions", json=body, headers={"Idempotency-Key": "k"}).status_code == 202
    assert _submissions(people) == 1


def test_with_the_broker_away_a_submission_is_accepted_and_sent_when_it_is_back(
    people: CameoGuard, pipeline: tuple[TestClient, str], clip: Path
) -> None:
    api, _secret = pipeline
    sent: list[tuple[Any, ...]] = []

    def broker_down(*_args: Any, **_kwargs: Any) -> None:
        raise ConnectionRefusedError("[Errno 111] Connection refused")

    people.submissions.limits = replace(people.submissions.limits, requeue_after_s=0.0)
    people.submissions.send = broker_down
    answer = api.post("/v1/submissions", json={"creator": "maya", "prompt": "a calm lake", "video_path": str(clip)})
    assert answer.status_code == 202, answer.text
    accepted = answer.json()
    assert people.submissions.get(accepted["submission_id"]).state is SubmissionState.QUEUED
    assert people.submissions.requeue_unfinished() == []  # still away: the sweep stops and tries again later
    people.submissions.send = lambda *args, **_kwargs: sent.append(args)
    assert people.submissions.requeue_unfinished() == [accepted["submission_id"]]
    assert sent == [("cameoguard.run_submission", accepted["submission_id"])]


def test_with_the_broker_away_an_event_is_kept_and_sent_once_it_is_back(
    people: CameoGuard, pipeline: tuple[TestClient, str], clip: Path
) -> None:
    """Events are an outbox too: a take-down while the broker is away reaches the app once it is back, once; a
    purge drops the kept events of its video (they name people) and keeps its own."""
    api, _secret = pipeline
    sent: list[tuple[Any, ...]] = []
    # The engine only records what it is sent, and the submissions run here, one after the other: each decision's
    # event is handed over before the next step, so nothing is still in flight when the broker goes away.
    people.submissions.send = lambda *args, **_kwargs: sent.append(args)
    ids = []
    for prompt in ("a calm lake", "a quiet forest"):
        body = {"creator": "maya", "prompt": prompt, "video_path": str(clip)}
        ids.append(api.post("/v1/submissions", json=body).json()["submission_id"])
    videos = []
    for submission_id in ids:
        record = people.submissions.run(submission_id)
        assert record is not None and record.state is SubmissionState.DONE
        videos.append(record.video_id)

    def unsent() -> list[dict[str, Any]]:
        with people.store.transaction() as tx:
            return tx.submissions.unsent_events(before=people.store.clock.now() + timedelta(days=1))

    assert unsent() == [] and [a[3]["type"] for a in sent if a[0] == "cameoguard.deliver_callback"] == [
        "submission.decided",
        "submission.decided",
    ]
    sent.clear()

    def broker_down(*_args: Any, **_kwargs: Any) -> None:
        raise ConnectionRefusedError("[Errno 111] Connection refused")

    people.submissions.limits = replace(people.submissions.limits, requeue_after_s=0.0)
    people.submissions.send = broker_down
    policy = people.policies.adult
    people.videos.take_down(videos[0], Decision(Action.BLOCK, (), {}, (), policy.ref), "operator")
    people.submissions.requeue_unfinished()  # still away: kept for the next sweep
    assert [e["type"] for e in unsent()] == ["video.taken_down"]
    people.submissions.send = lambda *args, **_kwargs: sent.append(args)
    people.submissions.requeue_unfinished()
    people.submissions.requeue_unfinished()  # sent already: not again
    assert [(a[0], a[1], a[3]["type"], a[3]["data"]["video_id"]) for a in sent] == [
        ("cameoguard.deliver_callback", ids[0], "video.taken_down", videos[0])
    ]
    sent.clear()
    people.submissions.send = broker_down
    people.videos.take_down(videos[1], Decision(Action.BLOCK, (), {}, (), policy.ref), "operator")
    people.cameos.delete_account("maya")
    people.submissions.send = lambda *args, **_kwargs: sent.append(args)
    people.submissions.requeue_unfinished()
    assert sorted((a[3]["type"], a[3]["data"]["video_id"]) for a in sent) == sorted(
        ("video.purged", v) for v in videos
    ), "the take-down kept before the purge is dropped with the video; the purge's own events are sent"


def test_with_a_real_broker_unreachable_the_api_still_answers_202(
    settings: Settings, fake_faces: Any, models: Any, clip: Path
) -> None:
    from safety import build

    away = settings.model_copy(update={"broker_url": "amqp://guest:guest@127.0.0.1:1//"})
    with build(away, face_analyzer=fake_faces, models=models) as guard:
        guard.accounts.add_user("maya")
        token = guard.accounts.issue_client("pipeline", [Scope.GENERATE]).token
        api = TestClient(create_app(guard), headers={"Authorization": f"Bearer {token}"})
        started = time.monotonic()
        answer = api.post("/v1/submissions", json={"creator": "maya", "prompt": "a lake", "video_path": str(clip)})
        assert answer.status_code == 202, answer.text
        assert time.monotonic() - started < 30  # the broker's retries are short: the client is not kept waiting
        assert guard.submissions.get(answer.json()["submission_id"]).state is SubmissionState.QUEUED


def _events(receiver: Receiver, secret: str) -> list[dict[str, Any]]:
    return [Webhook(secret).verify(body, headers) for headers, body in receiver.received]


def test_take_downs_and_purges_reach_the_app_as_signed_events(
    people: CameoGuard, pipeline: tuple[TestClient, str], clip: Path, receiver: Receiver
) -> None:
    api, secret = pipeline
    videos = []
    for prompt in ("a calm lake", "a quiet forest"):
        body = {"creator": "maya", "prompt": prompt, "video_path": str(clip), "callback_url": receiver.url}
        videos.append(api.post("/v1/submissions", json=body).json()["video_id"])
    _wait(lambda: len(receiver.received) >= 2)
    decided = _events(receiver, secret)
    assert {e["type"] for e in decided} == {"submission.decided"}
    assert all("published_path" not in json.dumps(e) for e in decided)
    policy = people.policies.adult
    people.videos.take_down(videos[0], Decision(Action.BLOCK, (), {}, (), policy.ref), "operator")
    _wait(lambda: len(receiver.received) >= 3)
    taken = _events(receiver, secret)[-1]
    assert taken["type"] == "video.taken_down" and taken["data"]["video_id"] == videos[0]
    receipts = {r.receipt_id for r in people.cameos.delete_account("maya")}
    _wait(lambda: len(receiver.received) >= 5)
    purged = [e for e in _events(receiver, secret) if e["type"] == "video.purged"]
    assert {e["data"]["video_id"] for e in purged} == set(videos)
    assert {e["data"]["receipt"]["receipt_id"] for e in purged} <= receipts and receipts
    ids = [headers["webhook-id"] for headers, _ in receiver.received]
    assert len(set(ids)) == len(ids), "every event has an id of its own"


def test_a_receiver_that_stays_down_is_given_up_with_a_metric_and_a_log_line(
    paused_guard: CameoGuard, clip: Path, caplog: pytest.LogCaptureFixture
) -> None:
    down = Receiver(fail_first=1000)
    try:
        guard = paused_guard
        record = guard.submissions.submit("pipeline", Submission("maya", "a calm lake", clip), callback_url=down.url)
        guard.submissions.webhooks.policy = replace(guard.submissions.webhooks.policy, give_up_s=0.0)
        with caplog.at_level("ERROR", logger="cameoguard.callbacks"):
            assert not guard.submissions.deliver_callback(record.id, 1)
        assert any("given up" in r.getMessage() for r in caplog.records)
        body, _type = _metrics(guard)
        given_up = _samples(body, "cameoguard_callbacks")
        assert given_up[("cameoguard_callbacks_total", (("event", "submission.decided"), ("outcome", "given_up")))] == 1
    finally:
        down.close()


@pytest.fixture
def paused_guard(people: CameoGuard) -> CameoGuard:
    people.submissions.send = lambda *_args, **_kwargs: None
    return people


def _metrics(guard: CameoGuard) -> tuple[str, str]:
    from safety.edges.operability import metrics_text

    body, content_type = metrics_text(guard)
    return body.decode(), content_type


def _samples(text: str, family: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for parsed in text_string_to_metric_families(text):
        if parsed.name == family:
            for sample in parsed.samples:
                found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_parse_as_prometheus_text(people: CameoGuard, clip: Path) -> None:
    people.videos.prepublish(Submission("maya", "a calm lake", clip))
    api = TestClient(create_app(people))
    answer = api.get("/metrics")
    assert answer.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(answer.text)}
    assert {"cameoguard_decisions", "cameoguard_queue_depth", "cameoguard_check_seconds"} <= set(families)
    decided = _samples(answer.text, "cameoguard_decisions")
    assert decided[("cameoguard_decisions_total", (("action", "publish"),))] == 1
    latency = _samples(answer.text, "cameoguard_check_seconds")
    assert latency[("cameoguard_check_seconds_count", (("check", "likeness"),))] == 1
    here = _samples(answer.text, "cameoguard_decided")
    assert here[("cameoguard_decided_total", (("action", "publish"),))] == 1


_WORKER_RECORDS = """
import sys
from policies import Action
from safety.domain import Decision
from safety.gate.metrics import GateMetrics
metrics = GateMetrics()
metrics.record_decision(Decision(Action.PUBLISH, (), {}, (), "default@1", timings_ms={"likeness": 120.0}))
metrics.queue_wait.observe(1.5)
"""


def test_workers_metrics_add_up_in_the_shared_directory(
    people: CameoGuard, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "metrics"
    shared.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared), "PYTHONPATH": os.getcwd()}
    for _ in range(2):  # two worker processes, each recording one check
        subprocess.run([sys.executable, "-c", _WORKER_RECORDS], env=env, check=True, timeout=120)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(shared))
    body, _type = _metrics(people)
    latency = _samples(body, "cameoguard_check_seconds")
    assert latency[("cameoguard_check_seconds_count", (("check", "likeness"),))] == 2
    assert _samples(body, "cameoguard_decided")[("cameoguard_decided_total", (("action", "publish"),))] == 2
    waited = _samples(body, "cameoguard_queue_wait_seconds")
    assert waited[("cameoguard_queue_wait_seconds_count", ())] == 2
    assert "cameoguard_queue_depth" in {f.name for f in text_string_to_metric_families(body)}


def test_one_sweep_per_period_across_workers(settings: Settings, fake_faces: Any, models: Any) -> None:
    from safety import build
    from safety.clock import FakeClock
    from safety.edges.worker import PeriodicSweeper

    with build(settings, face_analyzer=fake_faces, models=models, clock=FakeClock()) as people:
        _sweep_turns(people, PeriodicSweeper(people, 60), PeriodicSweeper(people, 60))


def _sweep_turns(people: CameoGuard, first: Any, second: Any) -> None:
    second._holder = "another-host:1"  # two workers in one test process
    assert first.sweep_if_due() and first.last_was_full, "the first turn sweeps in full"
    assert not second.sweep_if_due()
    people.clock.advance(timedelta(seconds=61))  # type: ignore[attr-defined]
    assert second.sweep_if_due(), "once the period is over, any worker takes its turn"
    assert not second.last_was_full, "the quick duties every period, the whole sweep every few"
    fulls = []
    for _ in range(first.FULL_EVERY):
        people.clock.advance(timedelta(seconds=61))  # type: ignore[attr-defined]
        assert first.sweep_if_due()
        fulls.append(first.last_was_full)
    assert fulls.count(True) == 1, fulls


def _cli(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    cameoguard = Path(sys.executable).with_name("cameoguard")
    return subprocess.run(
        [str(cameoguard), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


# The broker is what is missing here, not anything of the database's: SQLite alone.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_worker_without_its_broker_exits_5_with_one_line_and_ping_fails(settings: Settings) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.getcwd(),
        "CAMEOGUARD_HOME": str(settings.home),
        "CAMEOGUARD_DATABASE_URL": settings.resolved_database_url,
        "CAMEOGUARD_BROKER_URL": "amqp://guest:guest@127.0.0.1:1//",
    }
    started = time.monotonic()
    worker = _cli("worker", env=env)
    assert worker.returncode == 5, worker.stderr
    lines = worker.stderr.strip().splitlines()
    assert len(lines) == 1 and "CAMEOGUARD_BROKER_URL" in lines[0], worker.stderr
    assert time.monotonic() - started < 60
    ping = _cli("worker", "ping", "--json", env=env)
    assert ping.returncode == 1 and json.loads(ping.stdout)["database"] == "ok", ping.stdout + ping.stderr
    assert json.loads(ping.stdout)["broker"] != "ok"


def test_a_callback_that_finds_the_database_away_is_tried_again_not_lost(
    paused_guard: CameoGuard, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safety.errors import StorageError
    from safety.usecases.webhooks import DECIDED, WebhookEvent

    guard = paused_guard
    record = guard.submissions.submit(
        "pipeline", Submission("maya", "a calm lake", clip), callback_url="http://127.0.0.1:9/"
    )
    sent: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    guard.submissions.send = lambda *args, **kwargs: sent.append((args, kwargs))
    webhooks = guard.submissions.webhooks

    def database_away(*_args: Any) -> bool:
        raise StorageError("database error: OperationalError: connection refused")

    monkeypatch.setattr(webhooks, "_deliver", database_away)
    event = WebhookEvent(DECIDED, record.id, {"submission_id": record.id})
    assert not webhooks.deliver(event, 2)
    ((args, kwargs),) = sent
    assert args == ("cameoguard.deliver_callback", record.id, 2, event.message()) and kwargs["delay_s"] > 0


def test_a_refused_request_is_replayed_as_refused(people: CameoGuard, clip: Path) -> None:
    """The route refused before reading the body (the token lacks the scope): the repeat still matches it."""
    token = people.accounts.issue_client("backend", [Scope.APP]).token
    api = TestClient(create_app(people), headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "k"})
    body = {"creator": "maya", "prompt": "a calm lake", "video_path": str(clip)}
    first, again = (api.post("/v1/submissions", json=body) for _ in range(2))
    assert first.status_code == again.status_code == 403 and again.headers["idempotent-replayed"] == "true"
    assert _submissions(people) == 0


def test_ping_answers_0_when_the_broker_and_the_database_answer(settings: Settings) -> None:
    from safety.engine import CeleryEngine

    broker = os.environ.get("CAMEOGUARD_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
    probe = CeleryEngine(broker)
    try:
        if probe.reachable() != "ok":
            pytest.skip(f"no broker at {broker}")
    finally:
        probe.close()
    env = {
        **os.environ,
        "PYTHONPATH": os.getcwd(),
        "CAMEOGUARD_HOME": str(settings.home),
        "CAMEOGUARD_DATABASE_URL": settings.resolved_database_url,
        "CAMEOGUARD_BROKER_URL": broker,
    }
    ping = _cli("worker", "ping", env=env)
    assert ping.returncode == 0 and ping.stdout.startswith("ok"), ping.stdout + ping.stderr


def test_a_run_that_finds_the_database_away_comes_back_later(
    paused_guard: CameoGuard, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safety.errors import StorageError

    guard = paused_guard
    record = guard.submissions.submit("pipeline", Submission("maya", "a calm lake", clip))
    sent: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    guard.submissions.send = lambda *args, **kwargs: sent.append((args, kwargs))

    def away() -> Any:
        raise StorageError("database error: OperationalError: connection refused")

    monkeypatch.setattr(guard.store, "transaction", away)
    assert guard.submissions.run(record.id, worker="w1") is None
    monkeypatch.undo()
    assert sent == [(("cameoguard.run_submission", record.id), {"delay_s": guard.submissions.limits.lease_s})]
    assert guard.submissions.get(record.id).state is SubmissionState.QUEUED
