"""Scoped API clients, asynchronous submissions with signed callbacks, claims, back-pressure, readiness, metrics."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from safety import CameoGuard, Settings, Submission, build
from safety.clock import FakeClock
from safety.edges.http import create_app
from safety.faces.fake import FakeFaceAnalyzer
from safety.records import NewVideo, Scope, SubmissionState
from safety.usecases.callback_targets import CallbackRefused, CallbackTarget, callback_refusal, pin_callback
from safety.usecases.submissions import QueueFull

# On PostgreSQL too: what this tests is the database's part (locks, claims, transactions, SQL).
pytestmark = pytest.mark.dialects


def _wait(predicate: Any, timeout_s: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


class Receiver:
    """A webhook receiver on loopback that keeps what it was sent."""

    def __init__(self, fail_first: int = 0, *, tls: ssl.SSLContext | None = None) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = fail_first
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = 500 if len(outer.received) <= outer.fail_first else 204
                self.send_response(status)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            # Wrapped before the serving thread starts: swapping the socket under a running `serve_forever` races it.
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(fail_first=1)
    yield server
    server.close()


def test_tokens_act_only_within_their_scopes(people: CameoGuard, clip: Path) -> None:
    app = create_app(people)
    pipeline = people.accounts.issue_client("pipeline", [Scope.GENERATE])
    backend = people.accounts.issue_client("backend", [Scope.APP])
    assert pipeline.scopes == (Scope.GENERATE,) and len(pipeline.webhook_secret) == 64
    as_backend = TestClient(app, headers={"Authorization": f"Bearer {backend.token}"})
    body = {"creator": "maya", "prompt": "a calm lake", "video_path": str(clip)}
    assert as_backend.post("/v1/check", json=body).status_code == 403
    assert as_backend.post("/v1/submissions", json=body).status_code == 403
    as_pipeline = TestClient(app, headers={"Authorization": f"Bearer {pipeline.token}"})
    assert as_pipeline.get("/v1/checks").status_code == 200
    listed = {c.name: c for c in people.accounts.clients()}
    assert listed["pipeline"].scopes == (Scope.GENERATE,) and listed["backend"].active
    people.accounts.revoke_client("pipeline")
    assert as_pipeline.get("/v1/checks").status_code == 401
    assert not {c.name: c for c in people.accounts.clients()}["pipeline"].active


def test_a_submission_is_accepted_at_once_decided_in_the_background_and_called_back_signed(
    people: CameoGuard, clip: Path, receiver: Receiver
) -> None:
    client = people.accounts.issue_client("pipeline", [Scope.GENERATE])
    api = TestClient(create_app(people), headers={"Authorization": f"Bearer {client.token}"})
    answer = api.post(
        "/v1/submissions",
        json={"creator": "maya", "prompt": "a calm lake", "video_path": str(clip), "callback_url": receiver.url},
    )
    assert answer.status_code == 202, answer.text
    accepted = answer.json()
    assert accepted["status"] == "queued" and accepted["video_id"].startswith("vid_")
    done = _wait(
        lambda: (s := api.get(f"/v1/submissions/{accepted['submission_id']}").json())["status"] == "done" and s
    )
    assert done["decision"]["decision"] == "publish" and done["decision"]["video_id"] == accepted["video_id"]
    assert people.videos.show(accepted["video_id"]).video.status.value == "published"
    # The first delivery failed (500) and was retried with backoff; every attempt is logged.
    _wait(lambda: len(receiver.received) >= 2)
    headers, body = receiver.received[-1]
    # Standard Webhooks: verified by the standardwebhooks library itself (signature over id, timestamp and body).
    event = Webhook(client.webhook_secret).verify(body, headers)
    assert event["type"] == "submission.decided" and event["data"]["submission_id"] == accepted["submission_id"]
    assert headers["webhook-id"].startswith("evt_") and headers["webhook-id"] == receiver.received[0][0]["webhook-id"]
    assert "published_path" not in body.decode()
    with pytest.raises(WebhookVerificationError):  # a changed body, or a replay signed long ago, is refused
        Webhook(client.webhook_secret).verify(body.replace(b"publish", b"block!!"), headers)
    deliveries = _wait(lambda: (d := people.submissions.deliveries(accepted["submission_id"])) and len(d) >= 2 and d)
    assert [d.status_code for d in deliveries[:2]] == [500, 204]
    # Another client cannot even see it.
    other = people.accounts.issue_client("other", [Scope.GENERATE])
    peeking = TestClient(create_app(people), headers={"Authorization": f"Bearer {other.token}"})
    assert peeking.get(f"/v1/submissions/{accepted['submission_id']}").status_code == 404


@pytest.fixture
def paused(settings: Settings, fake_faces: FakeFaceAnalyzer) -> Iterator[CameoGuard]:
    """A guard whose background work is sent nowhere, so tests run it by hand, on a clock they move."""
    clock = FakeClock()
    with build(
        settings.model_copy(update={"max_queued_submissions": 2}), face_analyzer=fake_faces, clock=clock
    ) as guard:
        guard.submissions.send = lambda *_args, **_kwargs: None
        guard.accounts.add_user("maya")
        yield guard


def test_a_duplicate_delivery_does_nothing(paused: CameoGuard, clip: Path) -> None:
    record = paused.submissions.submit("pipeline", Submission("maya", "a calm lake", clip))
    first = paused.submissions.run(record.id, worker="w1")
    assert first is not None and first.state is SubmissionState.DONE
    assert paused.submissions.run(record.id, worker="w2") is None
    assert len(paused.videos.show(record.video_id).decisions) == 1
    assert not record.video_path.exists()  # the private copy went with the outcome


def _die_mid_check(guard: CameoGuard, record: Any, worker: str) -> None:
    """What a worker killed mid-check leaves: its claim, the video row in `checking` with no decision, and the
    scratch of a publish it had begun."""
    lease = timedelta(seconds=guard.submissions.limits.lease_s)
    with guard.store.transaction() as tx:
        assert tx.submissions.claim(record.id, worker, lease)
        if tx.videos.find(record.video_id) is None:
            tx.videos.create(
                NewVideo(
                    video_id=record.video_id,
                    creator="maya",
                    prompt="a calm lake",
                    content_sha256="0" * 64,
                    size_bytes=1,
                    duration_s=2.0,
                    width=640,
                    height=360,
                    draft_path=record.video_path,
                    declared_cameos=(),
                    remix_of=None,
                    policy_ref=guard.policies.adult.ref,
                )
            )
    scratch = guard.media.area("published") / record.video_id / ".publishing-dead"
    scratch.mkdir(parents=True, exist_ok=True)
    (scratch / "half.mp4").write_bytes(b"half a re-encode")


def test_a_worker_that_died_mid_check_leaves_the_submission_to_another_which_runs_it_again(
    paused: CameoGuard, clip: Path
) -> None:
    record = paused.submissions.submit("pipeline", Submission("maya", "a calm lake", clip))
    lease = timedelta(seconds=paused.submissions.limits.lease_s)
    _die_mid_check(paused, record, "dead-worker")
    assert paused.submissions.run(record.id, worker="w2") is None  # its claim is still live
    paused.clock.advance(lease * 2)  # type: ignore[attr-defined]
    assert paused.submissions.requeue_unfinished() == [record.id]
    done = paused.submissions.run(record.id, worker="w2")
    # Run again from the start on the row the dead run made: decided once, by the checks, not held for the fault.
    assert done is not None and done.state is SubmissionState.DONE and done.attempts == 2
    assert done.result is not None and done.result["status"] == "published"
    view = paused.videos.show(record.video_id)
    assert view.video.status.value == "published" and len(view.decisions) == 1
    assert not list((paused.media.area("published") / record.video_id).glob(".publishing-*"))


def test_a_submission_whose_every_run_was_cut_short_is_held_with_the_reason(paused: CameoGuard, clip: Path) -> None:
    record = paused.submissions.submit("pipeline", Submission("maya", "a calm lake", clip))
    lease = timedelta(seconds=paused.submissions.limits.lease_s)
    for attempt in range(paused.submissions.limits.max_attempts):
        _die_mid_check(paused, record, f"dead-{attempt}")
        paused.clock.advance(lease * 2)  # type: ignore[attr-defined]
    done = paused.submissions.run(record.id, worker="w4")
    assert done is not None and done.state is SubmissionState.DONE and done.attempts == 4
    assert done.result is not None and done.result["status"] == "held"
    assert paused.videos.show(record.video_id).video.status.value == "held"
    reasons = paused.videos.show(record.video_id).decisions[-1].reasons
    assert any("did not finish in 3 attempts" in str(r) for r in reasons), reasons


def test_back_pressure_answers_429_with_retry_after(paused: CameoGuard, clip: Path) -> None:
    paused.submissions.submit("pipeline", Submission("maya", "one", clip))
    paused.submissions.submit("pipeline", Submission("maya", "two", clip))
    with pytest.raises(QueueFull):
        paused.submissions.submit("pipeline", Submission("maya", "three", clip))
    token = paused.accounts.issue_client("pipeline", [Scope.GENERATE]).token
    api = TestClient(create_app(paused), headers={"Authorization": f"Bearer {token}"})
    refused = api.post("/v1/submissions", json={"creator": "maya", "prompt": "four", "video_path": str(clip)})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


def test_readiness_and_metrics(people: CameoGuard, clip: Path) -> None:
    api = TestClient(create_app(people))
    assert api.get("/ready").status_code == 503  # models not loaded yet
    people.warm_up()
    ready = api.get("/ready")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"
    people.videos.prepublish(Submission("maya", "a calm lake", clip))
    text = api.get("/metrics").text
    assert 'cameoguard_decisions_total{action="publish"} 1' in text
    assert 'cameoguard_check_seconds_bucket{check="likeness",le="+Inf"} 1' in text
    assert "cameoguard_queue_depth 0" in text and "cameoguard_purged_videos_total 0" in text


def test_cli_token_json(people: CameoGuard) -> None:
    # The CLI builds its own guard from the environment; a home of its own shows the JSON shape.
    import contextlib
    import io
    import os

    from safety.edges.cli import main

    out = io.StringIO()
    env = {"CAMEOGUARD_HOME": str(people.settings.home), "CAMEOGUARD_DATABASE_URL": people.settings.database_url or ""}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update({k: v for k, v in env.items() if v})
    try:
        with contextlib.redirect_stdout(out):
            code = main(["hook", "token", "studio", "--scope", "generate", "--scope", "operator", "--json"])
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    assert code == 0
    shown = json.loads(out.getvalue())
    assert set(shown) == {"client", "token", "scopes", "webhook_secret"}
    assert shown["scopes"] == ["generate", "operator"]


def test_the_sweeper_keeps_a_waiting_submissions_files_and_sends_it_again(paused: CameoGuard, clip: Path) -> None:
    import os

    from safety.edges.sweeps import sweep_once

    record = paused.submissions.submit("pipeline", Submission("maya", "a calm lake", clip))
    old = time.time() - 7 * 24 * 3600
    os.utime(record.video_path, (old, old))
    paused.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    sent: list[tuple[Any, ...]] = []
    paused.submissions.send = lambda *args, **_kwargs: sent.append(args)
    report = sweep_once(paused)
    assert record.video_path.is_file() and str(record.video_path) not in report.orphan_files_removed
    assert report.submissions_requeued == [record.id] and sent == [("cameoguard.run_submission", record.id)]


def test_logs_are_json_lines_carrying_the_ids(
    paused: CameoGuard, clip: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import logging

    from safety.logs import use_json_logs

    use_json_logs()
    try:
        record = paused.submissions.submit("pipeline", Submission("maya", "a calm lake", clip))
        paused.submissions.run(record.id, worker="w1")
    finally:
        logging.getLogger("cameoguard").handlers.clear()
        logging.getLogger("cameoguard").propagate = True
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    decided = [line for line in lines if line["message"] == "submission done"]
    assert decided and decided[0]["submission_id"] == record.id and decided[0]["video_id"] == record.video_id
    assert decided[0]["decision"] == "publish" and decided[0]["worker"] == "w1"


def test_with_a_broker_the_scheduled_sweep_runs_on_a_worker(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safety.edges.sweeps import scheduled_sweep
    from safety.engine import SWEEP, CeleryEngine

    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(CeleryEngine, "send", lambda _self, *args, **_kwargs: sent.append(args))
    monkeypatch.setenv("CAMEOGUARD_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
    scheduled_sweep(str(settings.home), settings.database_url)
    assert sent == [(SWEEP,)]


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.5/hook",
        "http://localhost:5432/",
        "http://[::1]/hook",
        "ftp://example.com/hook",
        "http:///nohost",
    ],
)
def test_a_callback_cannot_aim_inside_the_network(url: str) -> None:
    assert callback_refusal(url, ("127.0.0.1",), resolve=False) is not None


def test_allowed_and_public_callback_hosts() -> None:
    assert callback_refusal("http://127.0.0.1:8080/hook", ("127.0.0.1",), resolve=False) is None
    assert callback_refusal("https://hooks.example.com/cameoguard", (), resolve=False) is None
    # When it is sent, the name is looked up: one that does not resolve is not called.
    assert "cannot be resolved" in str(callback_refusal("http://hooks.example.invalid/", (), resolve=True))


def test_the_api_refuses_an_internal_callback(people: CameoGuard, clip: Path) -> None:
    client = TestClient(create_app(people))
    token = people.accounts.issue_client("platform", (Scope.GENERATE,)).token
    answer = client.post(
        "/v1/submissions",
        headers={"Authorization": f"Bearer {token}"},
        json={"creator": "maya", "prompt": "a calm lake", "video_path": str(clip), "callback_url": "http://10.1.2.3/x"},
    )
    assert answer.status_code == 422 and "inside the network" in answer.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",  # NAT64 of 169.254.169.254
        "http://[64:ff9b::a00:5]/hook",  # NAT64 of 10.0.0.5
        "http://[64:ff9b:1::a00:5]/hook",  # local-use NAT64
        "http://[2002:a00:5::1]/hook",  # 6to4 of 10.0.0.5
        "http://[2002:7f00:1::1]/hook",  # 6to4 of 127.0.0.1
        "http://[::10.0.0.5]/hook",  # IPv4-compatible
        "http://[::127.0.0.1]/hook",
        "http://[::ffff:10.0.0.5]/hook",  # IPv4-mapped
        "http://[::ffff:169.254.169.254]/hook",
        "http://[2001:0:4136:e378:8000:63bf:f5ff:fffa]/hook",  # Teredo, client 10.0.0.5
        "http://[fec0::1]/hook",  # site-local
        "http://2130706433/hook",  # 127.0.0.1 as one number
        "http://0x7f.1/hook",
        "http://127.1/hook",
        "http://localhost./hook",
    ],
)
def test_internal_addresses_in_other_forms_are_refused(url: str) -> None:
    """Issue 28.8: an address that carries an internal IPv4 address, or names one in a form the resolver reads,
    is refused by the address it leads to."""
    assert callback_refusal(url, (), resolve=False) is not None
    assert callback_refusal(url, (), resolve=True, resolver=lambda _h, _p: ["8.8.8.8"]) is not None


@pytest.mark.parametrize(
    "url", ["http://[64:ff9b::808:808]/hook", "http://[2002:808:808::1]/hook", "http://[::ffff:8.8.8.8]/hook"]
)
def test_public_addresses_in_embedded_forms_are_allowed(url: str) -> None:
    assert callback_refusal(url, (), resolve=False) is None


def test_every_address_a_name_resolves_to_is_checked_and_the_first_is_pinned() -> None:
    def answers(*found: str) -> Any:
        return lambda _host, _port: list(found)

    with pytest.raises(CallbackRefused, match="inside the network"):
        pin_callback("https://hooks.example.com/x", (), answers("8.8.8.8", "64:ff9b::a00:1"))
    target = pin_callback("https://user:pw@hooks.example.com:8443/x?y=1", (), answers("2606:4700::1", "8.8.8.8"))
    assert target.address == "2606:4700::1"
    assert target.connect_url == "https://user:pw@[2606:4700::1]:8443/x?y=1"
    assert target.host_header == "hooks.example.com:8443"


class _Rebinding:
    """DNS that answers a public address to the first question about `name` and loopback after that."""

    def __init__(self, name: str, first: str) -> None:
        self.name, self.first, self.asked = name, first, 0
        self.real = socket.getaddrinfo

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != self.name:
            return self.real(host, port, *args, **kwargs)
        self.asked += 1
        address = self.first if self.asked == 1 else "127.0.0.1"
        return self.real(address, port, *args, **kwargs)


def test_a_callback_goes_to_the_address_that_was_checked(
    paused: CameoGuard, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 28.8, DNS rebinding: the name resolves to a public address when it is checked and to loopback when it
    is connected to. The delivery connects to the checked address, so the loopback service never sees it."""
    inside = Receiver()
    try:
        port = inside.server.server_address[1]
        dns = _Rebinding("hooks.example", "93.184.216.34")
        monkeypatch.setattr(socket, "getaddrinfo", dns)
        paused.submissions.webhooks.policy = replace(paused.submissions.webhooks.policy, timeout_s=3.0, hosts=())
        record = paused.submissions.submit(
            "pipeline", Submission("maya", "a calm lake", clip), callback_url=f"http://hooks.example:{port}/hook"
        )
        assert not paused.submissions.deliver_callback(record.id, attempt=99)
        assert inside.received == [] and dns.asked == 1
        assert paused.submissions.deliveries(record.id)[-1].status_code is None
    finally:
        inside.close()


def test_a_pinned_callback_keeps_its_host_name(paused: CameoGuard, clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    receiver = Receiver()
    try:
        port = receiver.server.server_address[1]
        monkeypatch.setattr(socket, "getaddrinfo", _Rebinding("hooks.test", "127.0.0.1"))
        paused.submissions.limits = replace(paused.submissions.limits, callback_hosts=("hooks.test",))
        # A loopback receiver answers at once; the limit is generous so that a busy machine cannot fail the test.
        paused.submissions.webhooks.policy = replace(
            paused.submissions.webhooks.policy, hosts=("hooks.test",), timeout_s=60.0
        )
        record = paused.submissions.submit(
            "pipeline", Submission("maya", "a calm lake", clip), callback_url=f"http://hooks.test:{port}/hook"
        )
        assert paused.submissions.deliver_callback(record.id, attempt=1)
        headers, _ = receiver.received[-1]
        assert headers["host"] == f"hooks.test:{port}"
    finally:
        receiver.close()


def test_a_pinned_https_callback_checks_the_certificate_of_its_host_name(
    paused: CameoGuard, clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connected to the checked address, TLS still names the host (SNI) and checks its certificate against it: a
    certificate for `hooks.test` only is accepted; the same request aimed by address alone would not be."""
    cert, key = _certificate_for("hooks.test", tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    receiver = Receiver(tls=context)
    try:
        port = receiver.server.server_address[1]
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        monkeypatch.setattr(socket, "getaddrinfo", _Rebinding("hooks.test", "127.0.0.1"))
        paused.submissions.limits = replace(paused.submissions.limits, callback_hosts=("hooks.test",))
        # A loopback receiver answers at once; the limit is generous so that a busy machine cannot fail the test.
        paused.submissions.webhooks.policy = replace(
            paused.submissions.webhooks.policy, hosts=("hooks.test",), timeout_s=60.0
        )
        record = paused.submissions.submit(
            "pipeline", Submission("maya", "a calm lake", clip), callback_url=f"https://hooks.test:{port}/hook"
        )
        assert paused.submissions.deliver_callback(record.id, attempt=1), paused.submissions.deliveries(record.id)
        assert receiver.received[-1][0]["host"] == f"hooks.test:{port}"
        target = CallbackTarget(f"https://hooks.test:{port}/hook", "hooks.test", "127.0.0.1")
        import httpx

        with pytest.raises(httpx.ConnectError):  # by address alone, the certificate does not match
            httpx.post(target.connect_url, content=b"{}", timeout=60.0)
    finally:
        receiver.close()


def _certificate_for(name: str, folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "receiver.pem", folder / "receiver.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_the_sweeper_leaves_a_submissions_stale_video_to_its_next_run(paused: CameoGuard, clip: Path) -> None:
    """A video left `checking` by a run cut short is its submission's to run again, not the sweeper's to hold."""
    from safety.edges.sweeps import sweep_once

    record = paused.submissions.submit("pipeline", Submission("maya", "a calm lake", clip))
    _die_mid_check(paused, record, "dead-worker")
    paused.clock.advance(timedelta(seconds=paused.settings.stale_checking_s + 60))  # type: ignore[attr-defined]
    sent: list[tuple[Any, ...]] = []
    paused.submissions.send = lambda *args, **_kwargs: sent.append(args)
    report = sweep_once(paused)
    assert report.stale_settled == [] and report.submissions_requeued == [record.id]
    assert paused.videos.show(record.video_id).video.status.value == "checking"
    done = paused.submissions.run(record.id, worker="w2")
    assert done is not None and done.result is not None and done.result["status"] == "published"
