"""The HTTP hook: health, JSON and multipart checks, errors as statuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from generator import HttpHook, Studio
from safety import CameoGuard, UnknownUserError
from safety.edges.http import create_app
from tests.safety.gate.test_gate import CHECK_NAMES


@pytest.fixture
def services(memory_services: CameoGuard) -> CameoGuard:
    """These tests need no SQL: the whole gate runs on the in-memory store (the SQL stores keep their own contract
    tests in tests/safety/storage)."""
    return memory_services


@pytest.fixture
def client(people: CameoGuard) -> TestClient:
    token = people.accounts.hook_token("studio")
    return TestClient(create_app(people), headers={"Authorization": f"Bearer {token}"})


def test_health(client: TestClient) -> None:
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/v1/checks").json()["checks"] == CHECK_NAMES


def test_json_check_publishes(client: TestClient, clip: Path) -> None:
    response = client.post(
        "/v1/check", json={"creator": "maya", "prompt": "a calm lake", "video_path": str(clip), "cameos": []}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["decision"] == "publish" and Path(body["published_path"]).is_file()


def test_multipart_upload(client: TestClient, clip: Path) -> None:
    with clip.open("rb") as handle:
        response = client.post(
            "/v1/check",
            data={"creator": "maya", "prompt": "the senator confesses"},
            files={"video": ("clip.mp4", handle, "video/mp4")},
        )
    assert response.status_code == 200, response.text
    assert response.json()["decision"] == "review"


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"creator": "ghost", "prompt": "x", "video_path": "CLIP"}, 422),
        ({"creator": "maya", "prompt": "x", "video_path": "/nonexistent.mp4"}, 403),
        ({"creator": "maya", "prompt": "x", "video_path": "CLIP", "input_image_path": "/etc/passwd"}, 403),
        ({"creator": "maya", "prompt": "x", "video_path": "CLIP", "remix_of": "vid_nope"}, 404),
        ({"creator": "maya"}, 422),
    ],
)
def test_errors_map_to_statuses(client: TestClient, clip: Path, payload: dict[str, str], status: int) -> None:
    body = {k: (str(clip) if v == "CLIP" else v) for k, v in payload.items()}
    response = client.post("/v1/check", json=body)
    assert response.status_code == status
    assert "detail" in response.json()


def test_generator_publishes_through_the_http_hook(people: CameoGuard, client: TestClient) -> None:
    # Starlette's TestClient speaks the httpx client API over ASGI, without a socket.
    studio = Studio(people, hook=HttpHook("http://testserver", client=client))  # type: ignore[arg-type]
    studio.hook.headers = dict(client.headers)  # type: ignore[attr-defined]
    result = studio.generate("theo", "a paper plane over a city", duration_s=1.0)
    assert result["decision"] == "publish"
    with pytest.raises(UnknownUserError):
        studio.generate("ghost", "anything", duration_s=1.0)
