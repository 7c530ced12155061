"""API v1 for apps and operators: owner views with an explicit acting user, problem+json errors, offline docs,
the OpenAPI document, and range downloads of published files."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from safety import CameoGuard, Settings, Submission, build
from safety.edges.http import create_app
from safety.edges.http.errors import PROBLEM_BASE, PROBLEM_TYPES
from safety.faces.fake import FakeFaceAnalyzer
from safety.fakes import fake_models
from safety.records import Scope


@pytest.fixture
def services(memory_services: CameoGuard) -> CameoGuard:
    """These tests need no SQL: the whole gate runs on the in-memory store (the SQL stores keep their own contract
    tests in tests/safety/storage)."""
    return memory_services


@pytest.fixture
def app_api(people: CameoGuard) -> TestClient:
    token = people.accounts.issue_client("backend", [Scope.APP]).token
    return TestClient(create_app(people), headers={"Authorization": f"Bearer {token}"})


def test_an_owner_sees_and_removes_the_videos_with_their_likeness(
    people: CameoGuard, app_api: TestClient, clip: Path
) -> None:
    theo = {"X-Acting-User": "theo"}
    assert app_api.post("/v1/users", json={"handle": "lin"}).status_code == 201
    # A video with theo declared but no cameo of his: blocked, and still listed among his uses.
    held = people.videos.prepublish(Submission("maya", "maya and theo at the beach", clip, cameos=("theo",)))
    uses = app_api.get("/v1/users/theo/cameo/uses", headers=theo)
    assert uses.status_code == 200
    listed = {u["video_id"]: u for u in uses.json()["uses"]}
    assert held.video_id in listed and listed[held.video_id]["declared"] is True
    # Another user may not look, nor act for theo.
    assert app_api.get("/v1/users/theo/cameo/uses", headers={"X-Acting-User": "maya"}).status_code == 403
    assert app_api.get("/v1/users/theo/cameo/uses").status_code == 422  # no acting user named
    removed = app_api.delete(f"/v1/users/theo/cameo/uses/{held.video_id}", headers=theo)
    assert removed.status_code == 200, removed.text
    assert held.video_id in removed.json()["purged"]
    receipts = app_api.get("/v1/users/theo/receipts", headers=theo).json()["receipts"]
    assert any(held.video_id in r["purged"] for r in receipts)
    # Who looked at theo's likeness, through which client, is on record.
    with people.store.transaction() as tx:
        reads = [(e.actor, e.action, e.details["client"]) for e in tx.audit.entries() if e.action.startswith("api.")]
    assert ("theo", "api.cameo_uses_read", "backend") in reads and ("theo", "api.receipts_read", "backend") in reads


def test_errors_are_problem_json_with_stable_types(people: CameoGuard, app_api: TestClient) -> None:
    missing = app_api.get("/v1/videos/vid_nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    body = missing.json()
    assert body["type"] == PROBLEM_BASE + "unknown-video" and body["status"] == 404 and body["detail"]
    unauthorized = TestClient(create_app(people)).get("/v1/videos/vid_nope")
    assert unauthorized.status_code == 401 and unauthorized.json()["type"] == PROBLEM_BASE + "unauthorized"
    wrong_scope = app_api.post("/v1/check", json={})
    assert wrong_scope.status_code == 403 and wrong_scope.json()["type"] == PROBLEM_BASE + "forbidden"
    assert {t.removeprefix(PROBLEM_BASE) for t in [body["type"]]} <= set(PROBLEM_TYPES)


def test_docs_work_offline_and_the_schema_declares_the_bearer_scheme(people: CameoGuard) -> None:
    client = TestClient(create_app(people))
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower() and "http" not in docs.text.split("<body>")[0].lower().replace(
        "http-equiv", ""
    )
    schema = client.get("/openapi.json").json()
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    for path in ("/v1/submissions", "/v1/users/{handle}/cameo/uses", "/v1/videos/{video_id}/file"):
        assert path in schema["paths"], path
    accepted = schema["paths"]["/v1/submissions"]["post"]["responses"]
    assert "202" in accepted and "429" in accepted
    assert {"Problem", "SubmissionAccepted", "SubmissionStatus"} <= set(schema["components"]["schemas"])


def test_published_files_download_with_ranges(people: CameoGuard, app_api: TestClient, clip: Path) -> None:
    result = people.videos.prepublish(Submission("maya", "a calm lake", clip))
    assert result.published_path is not None
    whole = result.published_path.read_bytes()
    part = app_api.get(f"/v1/videos/{result.video_id}/file", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == whole[100:200]
    assert app_api.get(f"/v1/videos/{result.video_id}/file").content == whole
    shown = app_api.get(f"/v1/videos/{result.video_id}").json()
    assert shown["status"] == "published" and shown["file_url"] == f"/v1/videos/{result.video_id}/file"
    assert "published_path" not in shown


def test_cameo_management_for_an_app_and_banks_and_protection_for_operators(
    people: CameoGuard, app_api: TestClient, clip: Path, tmp_path: Path
) -> None:
    from tests.safety.gate.test_likeness_gate import card_image

    maya = {"X-Acting-User": "maya"}
    assert people.cameos.enroll_cameo_from_images("maya", [card_image(tmp_path, 20, "maya")]).status.value == "active"
    assert app_api.put("/v1/users/maya/cameo/level", json={"level": "approved"}, headers=maya).status_code == 200
    assert app_api.post("/v1/users/maya/cameo/approved", json={"user": "theo"}, headers=maya).status_code == 200
    restricted = app_api.put("/v1/users/maya/cameo/restrictions", json={"text": "no politics"}, headers=maya)
    assert restricted.status_code == 200 and restricted.json()["topics"] == ["politics"]
    assert app_api.post("/v1/users/maya/cameo/revoked", json={"user": "theo"}, headers=maya).status_code == 200
    assert app_api.post("/v1/users/maya/cameo/blocked", json={"user": "jun"}, headers=maya).status_code == 200
    # theo cannot manage maya's cameo.
    assert (
        app_api.post(
            "/v1/users/maya/cameo/approved", json={"user": "theo"}, headers={"X-Acting-User": "theo"}
        ).status_code
        == 403
    )
    challenge = app_api.post("/v1/users/maya/cameo/challenge", headers=maya)
    assert challenge.status_code == 201
    not_a_video = app_api.post(
        "/v1/users/maya/cameo", headers=maya, files={"video": ("v.mp4", b"not a video", "video/mp4")}
    )
    assert not_a_video.status_code == 422 and not_a_video.json()["type"].endswith("/invalid-media")
    assert app_api.delete("/v1/users/maya/cameo", headers=maya).status_code == 200
    # Banks and protected people are for operators only.
    assert app_api.get("/v1/banks").status_code == 403
    ops = TestClient(
        create_app(people),
        headers={"Authorization": f"Bearer {people.accounts.issue_client('ops', [Scope.OPERATOR]).token}"},
    )
    added = ops.post("/v1/banks/known_bad", files={"video": ("bad.mp4", clip.read_bytes(), "video/mp4")})
    assert added.status_code == 201, added.text
    entry = added.json()
    assert [i["id"] for i in ops.get("/v1/banks").json()["items"]] == [entry["id"]]
    assert ops.delete(f"/v1/banks/items/{entry['id']}").status_code == 200
    image = card_image(tmp_path, 60, "figure").read_bytes()
    person = ops.post("/v1/protected", data={"name": "A Public Figure"}, files={"image": ("f.png", image, "image/png")})
    assert person.status_code == 201, person.text
    assert [p["name"] for p in ops.get("/v1/protected").json()["people"]] == ["A Public Figure"]
    assert ops.delete("/v1/protected/A Public Figure").status_code == 200


def test_error_details_name_no_server_path() -> None:
    from safety.edges.http.errors import without_paths

    assert without_paths("/srv/home/media/tmp/api-x/image-0.png shows 0 faces") == "image-0.png shows 0 faces"
    assert (
        without_paths("cannot read /a/b/c.mp4: gone; see https://x.org/a/b")
        == "cannot read c.mp4: gone; see https://x.org/a/b"
    )


def test_unfollowing_ends_what_only_the_mutual_follow_allowed(
    people: CameoGuard, app_api: TestClient, tmp_path: Path
) -> None:
    from generator import Studio
    from safety import ConsentLevel
    from tests.safety.gate.test_likeness_gate import card_image

    assert people.cameos.enroll_cameo_from_images("maya", [card_image(tmp_path, 20, "maya")]).status.value == "active"
    people.cameos.set_consent_level("maya", ConsentLevel.MUTUALS)
    studio = Studio(people)
    made = studio.generate("theo", "maya on a swing", cameos=["maya"], duration_s=1.5, seed=1)
    other = studio.generate("theo", "a quiet lake", duration_s=1.5, seed=2)
    assert made["decision"] == other["decision"] == "publish"
    assert app_api.delete("/v1/users/maya/follows/theo", headers={"X-Acting-User": "theo"}).status_code == 403
    answer = app_api.delete("/v1/users/maya/follows/theo", headers={"X-Acting-User": "maya"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["purged"][0]["purged"] == [made["video_id"]]
    assert people.videos.show(made["video_id"]).video.status.value == "purged"
    assert people.videos.show(other["video_id"]).video.status.value == "published"
    # Unfollowing again changes nothing.
    assert app_api.delete("/v1/users/maya/follows/theo", headers={"X-Acting-User": "maya"}).json()["purged"] == []


def test_deleting_an_account_removes_its_videos_and_follows_and_keeps_the_handle(
    people: CameoGuard, app_api: TestClient, clip: Path
) -> None:
    own = people.videos.prepublish(Submission("maya", "a calm lake", clip))
    assert own.status.value == "published" and own.published_path is not None
    assert app_api.delete("/v1/users/maya", headers={"X-Acting-User": "theo"}).status_code == 403
    answer = app_api.delete("/v1/users/maya", headers={"X-Acting-User": "maya"})
    assert answer.status_code == 200, answer.text
    assert [v for r in answer.json()["purged"] for v in r["purged"]] == [own.video_id]
    assert people.videos.show(own.video_id).video.status.value == "purged" and not own.published_path.exists()
    with people.store.transaction() as tx:
        assert not tx.accounts.follows("theo", "maya") and tx.accounts.get("maya").deleted
    assert app_api.post("/v1/users", json={"handle": "maya"}).status_code == 409  # the handle stays taken
    refused = people.videos.prepublish  # a deleted account cannot submit
    with pytest.raises(Exception, match="deleted"):
        refused(Submission("maya", "again", clip))
    assert app_api.delete("/v1/users/maya", headers={"X-Acting-User": "maya"}).status_code == 409


PUBLIC_FACTS = {"video_id", "creator", "status", "created_at", "remix_of", "remixes", "provenance", "file_url"}


def _client(people: CameoGuard, name: str, *scopes: Scope) -> TestClient:
    token = people.accounts.issue_client(name, list(scopes)).token
    return TestClient(create_app(people), headers={"Authorization": f"Bearer {token}"})


def test_a_videos_full_record_goes_to_its_creator_its_owners_and_operators_only(
    people: CameoGuard, app_api: TestClient, tmp_path: Path
) -> None:
    from generator import Studio
    from safety import ConsentLevel
    from tests.safety.gate.test_likeness_gate import card_image

    studio = Studio(people)
    assert people.cameos.enroll_cameo_from_images("maya", [card_image(tmp_path, 20, "maya")]).status.value == "active"
    people.cameos.set_consent_level("maya", ConsentLevel.APPROVED)
    people.cameos.approve("maya", "theo")
    own = studio.generate("theo", "maya by the lake", cameos=["maya"], duration_s=1.0, seed=31)
    assert own["decision"] == "publish", own
    held_remix = studio.generate(
        "theo", "breaking news: the election is cancelled", remix_of=own["video_id"], duration_s=1.0, seed=32
    )
    public_remix = studio.generate("maya", "a neon remix", remix_of=own["video_id"], duration_s=1.0, seed=33)
    assert (held_remix["decision"], public_remix["decision"]) == ("review", "publish"), (held_remix, public_remix)
    people.protection.protect("A. Senator", [card_image(tmp_path, 60, "senator")])
    lookalike = studio.generate(
        "theo", "a man waving at a crowd", face_images=[card_image(tmp_path, 80, "lookalike")], duration_s=1.0, seed=5
    )
    assert lookalike["decision"] == "review" and "A. Senator" in str(lookalike["reasons"])

    pipeline = _client(people, "pipeline", Scope.GENERATE)
    ops = _client(people, "ops", Scope.OPERATOR)
    strangers: dict[str, Callable[[str], Any]] = {
        "generate-only token": lambda path: pipeline.get(path, headers={"X-Acting-User": "theo"}),
        "app without acting user": app_api.get,
        "another user": lambda path: app_api.get(path, headers={"X-Acting-User": "jun"}),
    }
    unknown = app_api.get("/v1/videos/vid_nope").json()
    for who, get in strangers.items():
        public = get(f"/v1/videos/{own['video_id']}")
        assert public.status_code == 200, (who, public.text)
        assert set(public.json()) == PUBLIC_FACTS, who
        facts = public.json()
        assert (facts["creator"], facts["status"], facts["remix_of"]) == ("theo", "published", None)
        assert facts["remixes"] == [public_remix["video_id"]], f"{who} sees a held remix"
        assert facts["provenance"] == {"registry": "live", "c2pa_signed": True}
        assert get(f"/v1/videos/{public_remix['video_id']}").json()["remix_of"] == own["video_id"]
        for secret in (lookalike, held_remix):
            answer = get(f"/v1/videos/{secret['video_id']}")
            assert answer.status_code == 404, (who, answer.text)
            # Word for word what an unknown id gets: neither the status nor the existence leaks.
            body = answer.json()
            assert body["type"] == unknown["type"]
            assert body["detail"].replace(secret["video_id"], "vid_nope") == unknown["detail"]
            assert get(f"/v1/videos/{secret['video_id']}/file").status_code == 404, who

    theo, maya = {"X-Acting-User": "theo"}, {"X-Acting-User": "maya"}
    creator_view = app_api.get(f"/v1/videos/{lookalike['video_id']}", headers=theo).json()
    assert creator_view["prompt"] == "a man waving at a crowd" and "A. Senator" in str(creator_view["decisions"])
    assert app_api.get(f"/v1/videos/{lookalike['video_id']}/file", headers=theo).status_code == 409
    assert set(app_api.get(f"/v1/videos/{own['video_id']}", headers=theo).json()["remixes"]) == {
        held_remix["video_id"],
        public_remix["video_id"],
    }
    owner_view = app_api.get(f"/v1/videos/{own['video_id']}", headers=maya).json()
    assert owner_view["prompt"] == "maya by the lake" and owner_view["decisions"]
    assert app_api.get(f"/v1/videos/{lookalike['video_id']}", headers=maya).status_code == 404, "maya is not in it"
    operator_view = ops.get(f"/v1/videos/{lookalike['video_id']}").json()
    assert operator_view["status"] == "held" and "A. Senator" in str(operator_view["decisions"])


def test_no_route_tells_a_user_of_a_video_they_may_not_see(people: CameoGuard, app_api: TestClient, clip: Path) -> None:
    """Reports, appeals, removals, answers and remixes of a video that is not published answer what an unknown id
    gets, for anyone who is not its creator, an owner in it or an operator."""
    held = people.videos.prepublish(Submission("theo", "breaking news: the election is cancelled", clip))
    assert held.status.value == "held"
    jun, maya = {"X-Acting-User": "jun"}, {"X-Acting-User": "maya"}
    calls: dict[str, Callable[[str], Any]] = {
        "report": lambda vid: app_api.post(f"/v1/videos/{vid}/reports", json={"reason": "x"}, headers=jun),
        "appeal": lambda vid: app_api.post(f"/v1/videos/{vid}/appeals", json={"text": "x"}, headers=jun),
        "remove a use": lambda vid: app_api.delete(f"/v1/users/maya/cameo/uses/{vid}", headers=maya),
        "answer a request": lambda vid: app_api.post(
            f"/v1/users/maya/cameo/requests/{vid}", json={"approve": True}, headers=maya
        ),
    }
    for name, call in calls.items():
        hidden, missing = call(held.video_id), call("vid_missing")
        assert hidden.status_code == missing.status_code == 404, (name, hidden.text, missing.text)
        assert hidden.json()["type"] == missing.json()["type"], name
        assert hidden.json()["detail"].replace(held.video_id, "vid_missing") == missing.json()["detail"], name
    # A request the owner was never asked is not found (404 `not-found`, as the problem table says), not a 422.
    answer = calls["answer a request"](held.video_id)
    assert answer.json()["type"] == PROBLEM_BASE + "not-found"
    # A pipeline may not learn a video's status by remixing it.
    pipeline = _client(people, "pipeline", Scope.GENERATE)
    remix = pipeline.post(
        "/v1/check",
        data={"creator": "maya", "prompt": "a remix", "remix_of": held.video_id},
        files={"video": ("clip.mp4", clip.read_bytes(), "video/mp4")},
    )
    assert remix.status_code == 404 and "held" not in remix.text, remix.text
    # The creator still reports and appeals their own, and anyone reports what is published.
    published = people.videos.prepublish(Submission("maya", "a calm lake", clip))
    assert (
        app_api.post(f"/v1/videos/{published.video_id}/reports", json={"reason": "x"}, headers=jun).status_code == 201
    )
    assert (
        app_api.post(
            f"/v1/videos/{held.video_id}/reports", json={"reason": "x"}, headers={"X-Acting-User": "theo"}
        ).status_code
        == 201
    )


# --- every error of every route is a problem; /ready while loading; request bodies in the OpenAPI document --------


def _is_problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM_BASE + kind and body["status"] == status and body["title"], body
    assert kind in PROBLEM_TYPES
    return body


def test_every_kind_of_error_is_a_problem_with_a_stable_type(people: CameoGuard, clip: Path) -> None:
    token = people.accounts.issue_client("all", [Scope.GENERATE, Scope.APP, Scope.OPERATOR]).token
    api = TestClient(create_app(people), headers={"Authorization": f"Bearer {token}"}, raise_server_exceptions=False)
    # Validation, by FastAPI (a declared body) and by a route reading its own body: every failing field is listed.
    declared = _is_problem(api.post("/v1/users", json={"handle": "", "teen": "perhaps"}), 422, "invalid-request")
    assert {e["field"] for e in declared["errors"]} == {"body.handle", "body.teen"}
    own = _is_problem(api.post("/v1/submissions", json={"prompt": 3}), 422, "invalid-request")
    assert {e["field"] for e in own["errors"]} >= {"body.creator", "body.prompt", "body.video_path"}
    assert all({"field", "message", "type"} <= set(e) for e in own["errors"])
    upload = _is_problem(api.post("/v1/check", files={"video": ("c.mp4", b"x")}), 422, "invalid-request")
    assert [e["field"] for e in upload["errors"]] == ["body.creator"]
    _is_problem(api.post("/v1/verify", content=b"not json"), 422, "invalid-request")
    _is_problem(api.get("/v1/banks", params={"bank": "nonsense"}), 422, "invalid-request")
    # Unknown routes and methods.
    _is_problem(api.get("/no/such/route"), 404, "not-found")
    not_allowed = _is_problem(api.put("/v1/check", json={}), 405, "method-not-allowed")
    assert not_allowed["detail"]
    # A range outside the file keeps its Content-Range header.
    result = people.videos.prepublish(Submission("maya", "a calm lake", clip))
    size = result.published_path.stat().st_size if result.published_path else 0
    outside = api.get(f"/v1/videos/{result.video_id}/file", headers={"Range": f"bytes={size + 10}-{size + 20}"})
    _is_problem(outside, 416, "range-not-satisfiable")
    assert outside.headers["content-range"] == f"bytes */{size}"
    _is_problem(api.get(f"/v1/videos/{result.video_id}/file", headers={"Range": "pages=1-2"}), 400, "invalid-request")


def test_an_unexpected_exception_is_a_500_problem_without_paths_or_tracebacks(
    people: CameoGuard, caplog: pytest.LogCaptureFixture
) -> None:
    token = people.accounts.issue_client("backend", [Scope.APP]).token

    def broken(_handle: str) -> list[Any]:
        raise RuntimeError(f"boom in {people.settings.home.resolve()}/secret/file.py line 12")

    people.cameos.cameo_uses = broken  # type: ignore[method-assign,assignment]
    api = TestClient(create_app(people), headers={"Authorization": f"Bearer {token}"}, raise_server_exceptions=False)
    response = api.get("/v1/users/maya/cameo/uses", headers={"X-Acting-User": "maya"})
    body = _is_problem(response, 500, "internal")
    assert "boom" not in response.text and "secret" not in response.text and "Traceback" not in response.text
    assert str(people.settings.home.resolve()) not in response.text
    # The operator finds the traceback in the log under the reference the caller was given.
    logged = [r for r in caplog.records if body["reference"] in r.getMessage()]
    assert logged and logged[0].exc_info is not None


def test_ready_answers_503_while_the_models_load_in_the_background(people: CameoGuard) -> None:
    """`serve` opens the port first: the server answers while the models load, and `/ready` says 503 (a problem
    carrying the readiness fields) until they have loaded."""
    release = threading.Event()
    loaded = people.warm_up

    def slow_warm_up() -> dict[str, float]:
        assert release.wait(120)
        return loaded()

    people.warm_up = slow_warm_up  # type: ignore[method-assign]
    with TestClient(create_app(people, warm_up_in_background=True)) as api:
        assert api.get("/health").status_code == 200
        waiting = _is_problem(api.get("/ready"), 503, "not-ready")
        assert waiting["models_loaded"] is False and "models_loaded" in waiting["detail"]
        assert waiting["database"] == "ok" and waiting["schema"] == "ok"
        release.set()
        deadline = time.monotonic() + 120
        while api.get("/ready").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        ready = api.get("/ready")
        assert ready.status_code == 200 and ready.json()["ready"] is True


def test_ready_reports_a_model_that_failed_to_load(people: CameoGuard) -> None:
    def failing() -> dict[str, float]:
        raise RuntimeError("the face model file is missing")

    people.warm_up = failing  # type: ignore[method-assign]
    with TestClient(create_app(people, warm_up_in_background=True)) as api:
        deadline = time.monotonic() + 60
        while "failed" not in str(api.get("/ready").json().get("models_loaded")) and time.monotonic() < deadline:
            time.sleep(0.05)
        body = _is_problem(api.get("/ready"), 503, "not-ready")
        assert body["models_loaded"] == "failed: RuntimeError: the face model file is missing"


def test_ready_is_503_when_the_schema_moved_past_this_version(settings: Settings) -> None:
    """A rolling upgrade: once a newer version migrated the database, an older API process stops being ready, so a
    load balancer sends its traffic to the newer processes."""
    from sqlalchemy import text

    with build(settings, face_analyzer=FakeFaceAnalyzer(), models=fake_models()) as guard:
        guard.warm_up()
        api = TestClient(create_app(guard))
        assert api.get("/ready").status_code == 200
        with guard.database.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999_newer'"))
        body = _is_problem(api.get("/ready"), 503, "not-ready")
        assert "9999_newer" in body["schema"] and "schema" in body["detail"]


def test_the_openapi_document_declares_every_request_body(people: CameoGuard) -> None:
    schema = TestClient(create_app(people)).get("/openapi.json").json()
    for path in ("/v1/check", "/v1/submissions", "/v1/verify"):
        content = schema["paths"][path]["post"]["requestBody"]["content"]
        assert {"application/json", "multipart/form-data"} <= set(content), path
        assert content["multipart/form-data"]["schema"]["properties"]["video"]["format"] == "binary"
    submission = schema["paths"]["/v1/submissions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"creator", "video_path"} <= set(submission["required"]) and "callback_url" in submission["properties"]
    assert (
        "path"
        in schema["paths"]["/v1/verify"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    )
    # Every operation that takes a body says what it is; the two without one read nothing from theirs.
    without = {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in ("post", "put", "patch") and "requestBody" not in operation
    }
    assert without == {"PUT /v1/users/{handle}/follows/{other}", "POST /v1/users/{handle}/cameo/challenge"}
