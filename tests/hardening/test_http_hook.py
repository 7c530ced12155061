"""The HTTP hook is not open, and holds under a bounded loopback load."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from generator import RenderSpec, render_video
from safety import CameoGuard, Settings, Submission, build
from safety.edges.http import create_app
from safety.faces.fake import FakeFaceAnalyzer
from safety.fakes import fake_models

FULL = os.environ.get("CAMEOGUARD_HARDENING") == "1"


def test_tokens_are_required_hashed_and_rotatable(people: CameoGuard, clip: Path) -> None:
    app = TestClient(create_app(people))
    body = {"creator": "maya", "prompt": "a lake", "video_path": str(clip)}
    assert app.post("/v1/check", json=body).status_code == 401
    assert app.post("/v1/check", json=body, headers={"Authorization": "Bearer nope"}).status_code == 401
    first = people.accounts.hook_token("studio")
    assert app.post("/v1/check", json=body, headers={"Authorization": f"Bearer {first}"}).status_code == 200
    second = people.accounts.hook_token("studio")  # rotation
    assert app.post("/v1/check", json=body, headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert app.post("/v1/check", json=body, headers={"Authorization": f"Bearer {second}"}).status_code == 200
    from sqlalchemy import text

    with people.database.engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM hook_clients")).scalars().all()
    assert stored and second not in stored and first not in stored


def test_limits_and_paths(settings: Settings, clip: Path, tmp_path: Path) -> None:
    limited = settings.model_copy(update={"hook_requests_per_minute": 3, "hook_max_body_mb": 0.01})
    with build(limited, face_analyzer=FakeFaceAnalyzer(), models=fake_models()) as services:
        services.accounts.add_user("maya")
        token = services.accounts.hook_token("studio")
        app = TestClient(create_app(services), headers={"Authorization": f"Bearer {token}"})
        outside = str(shutil.copy(clip, Path("/tmp") / f"outside-{os.getpid()}.mp4"))
        try:
            assert (
                app.post("/v1/check", json={"creator": "maya", "prompt": "x", "video_path": outside}).status_code == 403
            )
        finally:
            Path(outside).unlink()
        traversal = f"{tmp_path}/../../../etc/passwd"
        assert (
            app.post("/v1/check", json={"creator": "maya", "prompt": "x", "video_path": traversal}).status_code == 403
        )
        with clip.open("rb") as handle:
            big = app.post("/v1/check", data={"creator": "maya"}, files={"video": ("a.mp4", handle, "video/mp4")})
        assert big.status_code in (413, 429)
        statuses = [app.post("/v1/check", content=b"{").status_code for _ in range(4)]
        assert 429 in statuses
        assert app.get("/health").status_code == 200


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(people: CameoGuard) -> Iterator[tuple[str, str]]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(people), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", people.accounts.hook_token("load")
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def test_bounded_load_on_loopback(people: CameoGuard, served: tuple[str, str], tmp_path: Path) -> None:
    base_url, token = served
    inputs: list[tuple[str, str, Path]] = []
    prompts = ["a kite over the sea", "breaking news: the election is cancelled", "a calm harbour at dawn"]
    for index, prompt in enumerate(prompts):
        path = render_video(
            RenderSpec(prompt, seed=index, duration_s=1.0, width=320, height=180), tmp_path / f"{index}.mp4"
        )
        inputs.append(("maya" if index % 2 else "theo", prompt, path))
    serial = [people.videos.prepublish(Submission(c, p, v)).to_json()["decision"] for c, p, v in inputs]

    clients, rounds = (6, 5) if FULL else (3, 2)

    def client_run(worker: int) -> list[tuple[int, dict[str, Any]]]:
        answers = []
        with httpx.Client(base_url=base_url, timeout=120, headers={"Authorization": f"Bearer {token}"}) as http:
            for _ in range(rounds):
                for index, (creator, prompt, path) in enumerate(inputs):
                    response = http.post(
                        "/v1/check", json={"creator": creator, "prompt": prompt, "video_path": str(path)}
                    )
                    assert response.status_code == 200, response.text
                    answers.append((index, response.json()))
        return answers

    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = [a for batch in pool.map(client_run, range(clients)) for a in batch]
    assert len(results) == clients * rounds * len(inputs), "every request answered"
    for index, answer in results:
        assert answer["decision"] == serial[index], "decisions under load equal the serial ones"
    video_ids = [a["video_id"] for _, a in results]
    assert len(set(video_ids)) == len(video_ids)
    paths = [a["published_path"] for _, a in results if a["published_path"]]
    assert len(set(paths)) == len(paths), "nothing published twice"
    with people.store.transaction() as tx:
        published = [v for v in tx.videos.recent(limit=1000) if v.status.value == "published"]
    assert len(published) == len(paths) + serial.count("publish")
    assert people.tracing.verify_audit().ok
