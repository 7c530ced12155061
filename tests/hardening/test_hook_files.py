"""The hook opens a named file once, counts the body bytes it streams, gives up on slow clients and slows down
token guessing."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from generator import RenderSpec, render_video
from safety import CameoGuard, Settings, build
from safety.edges.http import create_app
from safety.faces.fake import FakeFaceAnalyzer
from safety.fakes import fake_models


@pytest.fixture
def hook(
    request: pytest.FixtureRequest, settings: Settings, tmp_path: Path
) -> Iterator[tuple[CameoGuard, TestClient, Path]]:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    # A body has 30 s to arrive unless a test asks for less: a busy machine's test client can take a second.
    body_timeout_s = getattr(request, "param", 30.0)
    tight = settings.model_copy(
        update={"hook_allowed_dirs": (allowed,), "hook_max_body_mb": 0.05, "hook_body_timeout_s": body_timeout_s}
    )
    with build(tight, face_analyzer=FakeFaceAnalyzer(), models=fake_models()) as guard:
        guard.accounts.add_user("maya")
        token = guard.accounts.hook_token("studio")
        yield guard, TestClient(create_app(guard), headers={"Authorization": f"Bearer {token}"}), allowed


def test_a_symlink_in_the_allowed_folder_is_refused(hook: tuple[CameoGuard, TestClient, Path], clip: Path) -> None:
    guard, app, allowed = hook
    link = allowed / "link.mp4"
    link.symlink_to(clip)
    response = app.post("/v1/check", json={"creator": "maya", "prompt": "x", "video_path": str(link)})
    assert response.status_code == 403 and str(clip) not in response.text
    assert app.post("/v1/verify", json={"path": str(link)}).status_code == 403
    nested = allowed / "sub"
    nested.symlink_to(clip.parent, target_is_directory=True)
    inner = app.post("/v1/check", json={"creator": "maya", "prompt": "x", "video_path": str(nested / clip.name)})
    assert inner.status_code == 403, "a symlinked folder leads outside too"
    with guard.store.transaction() as tx:
        assert tx.videos.recent() == []


def test_a_fifo_is_refused_without_hanging(hook: tuple[CameoGuard, TestClient, Path]) -> None:
    _, app, allowed = hook
    fifo = allowed / "pipe.mp4"
    os.mkfifo(fifo)
    started = time.monotonic()
    response = app.post("/v1/check", json={"creator": "maya", "prompt": "x", "video_path": str(fifo)})
    assert response.status_code == 422 and "regular file" in response.text
    assert time.monotonic() - started < 20, "an open() of a FIFO would wait for a writer for ever"


def test_swapping_the_file_for_a_symlink_never_publishes_the_outside_file(
    hook: tuple[CameoGuard, TestClient, Path], clip: Path, tmp_path: Path
) -> None:
    """A file in the allowed folder is swapped for a symlink to a file outside it while requests run: every
    decided video is the inside file, never the outside one."""
    guard, app, allowed = hook
    outside = render_video(RenderSpec("a secret outside the folder", seed=99, duration_s=1.0), tmp_path / "out.mp4")
    outside_sha = hashlib.sha256(outside.read_bytes()).hexdigest()
    target = allowed / "video.mp4"
    target.write_bytes(clip.read_bytes())
    stop = threading.Event()

    def swap() -> None:
        while not stop.is_set():
            spare = allowed / ".swap"
            spare.unlink(missing_ok=True)
            spare.symlink_to(outside)
            os.replace(spare, target)
            time.sleep(0.002)
            spare.write_bytes(clip.read_bytes())
            os.replace(spare, target)
            time.sleep(0.002)

    swapper = threading.Thread(target=swap, daemon=True)
    swapper.start()
    try:
        statuses = [
            app.post(
                "/v1/check", json={"creator": "maya", "prompt": f"race {i}", "video_path": str(target)}
            ).status_code
            for i in range(7)
        ]
    finally:
        stop.set()
        swapper.join()
    assert set(statuses) <= {200, 403, 422}
    with guard.store.transaction() as tx:
        assert all(v.content_sha256 != outside_sha for v in tx.videos.recent())


def test_bodies_are_counted_as_they_stream(hook: tuple[CameoGuard, TestClient, Path]) -> None:
    _, app, _ = hook

    def chunks() -> Iterator[bytes]:
        for _ in range(200):
            yield b"x" * 1024

    for endpoint in ("/v1/check", "/v1/verify"):
        response = app.post(endpoint, content=chunks(), headers={"Content-Type": "application/json"})
        assert response.status_code == 413, endpoint
    upload = app.post("/v1/verify", files={"video": ("big.mp4", b"0" * 200_000, "video/mp4")})
    assert upload.status_code == 413


def test_failed_tokens_are_rate_limited(hook: tuple[CameoGuard, TestClient, Path]) -> None:
    _, app, _ = hook
    bare = TestClient(app.app)
    codes = [bare.get("/v1/checks", headers={"Authorization": f"Bearer guess{i}"}).status_code for i in range(14)]
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}
    assert app.get("/v1/checks").status_code == 200, "a client with a valid token is not slowed by the guesser"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("hook", [1.0], indirect=True)
def test_a_slow_client_times_out(hook: tuple[CameoGuard, TestClient, Path]) -> None:
    guard, _, _ = hook
    token = guard.accounts.hook_token("slow")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(guard), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            head = (
                f"POST /v1/verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
            )
            conn.sendall(head.encode())
            started = time.monotonic()
            answer = conn.recv(4096).decode(errors="replace")
            assert answer.startswith("HTTP/1.1 408"), answer[:80]
            assert time.monotonic() - started < 8
    finally:
        server.should_exit = True
        thread.join(timeout=10)
