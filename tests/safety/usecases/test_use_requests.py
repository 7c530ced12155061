"""Owner approval of each use, on both databases: a video that passed every check waits in `pending_owner` until
its owners approve (published), one declines or time runs out (blocked); the other checks still run, a revocation
still purges, and the platform hears the outcome through the submission's callback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from generator import Studio
from provenance import read_manifest
from safety import CameoGuard, ConflictError, ConsentLevel, VideoStatus
from safety.edges.http import create_app
from safety.invariants import check_invariants
from safety.records import Scope, UseRequestState
from tests.review_ui.conftest import login
from tests.safety.gate.test_likeness_gate import card_image
from tests.safety.usecases.test_submissions import Receiver, _wait

# On PostgreSQL too: what this tests is the database's part (locks, claims, transactions, SQL).
pytestmark = pytest.mark.dialects

_SEEDS = iter(range(7000, 90000))


@pytest.fixture
def asking(people: CameoGuard, tmp_path: Path) -> CameoGuard:
    """maya lets everyone use her cameo but approves each use."""
    assert people.cameos.enroll_cameo_from_images("maya", [card_image(tmp_path, 20, "maya")]).status.value == "active"
    people.cameos.set_consent_level("maya", ConsentLevel.EVERYONE)
    people.cameos.set_approve_each_use("maya", True)
    return people


def generate(services: CameoGuard, creator: str, prompt: str = "a walk in the park", **kwargs: Any) -> dict[str, Any]:
    return Studio(services).generate(creator, prompt, duration_s=1.0, seed=next(_SEEDS), **kwargs)


def status(services: CameoGuard, video_id: str) -> str:
    return services.videos.show(video_id).video.status.value


def test_a_use_waits_for_the_owner_then_publishes_signed(asking: CameoGuard) -> None:
    result = generate(asking, "theo", cameos=["maya"])
    assert (result["decision"], result["status"], result["awaiting_owners"]) == ("publish", "pending_owner", ["maya"])
    assert result["published_path"] is None and not list(asking.media.area("published").rglob("*.mp4"))
    [waiting] = asking.use_requests.pending("maya")
    assert (waiting.video_id, waiting.creator) == (result["video_id"], "theo")
    assert asking.use_requests.pending("theo") == []
    published = asking.use_requests.approve("maya", result["video_id"])
    assert published is not None and published.status.value == "published" and published.published_path
    assert read_manifest(published.published_path).valid, "published through the same signing as any video"
    assert asking.use_requests.pending("maya") == []
    with pytest.raises(ConflictError, match="already approved"):
        asking.use_requests.decline("maya", result["video_id"])
    # Her own videos never wait for her.
    assert generate(asking, "maya", cameos=["maya"])["status"] == "published"
    assert check_invariants(asking.store, asking.media, asking.policies, quiescent=False).ok


def test_a_declined_or_expired_use_never_publishes(asking: CameoGuard) -> None:
    declined = generate(asking, "theo", cameos=["maya"])
    result = asking.use_requests.decline("maya", declined["video_id"])
    assert result is not None and result.status.value == "blocked"
    assert [r.code for r in result.decision.reasons] == ["likeness.owner_declined"]
    forgotten = generate(asking, "theo", cameos=["maya"])
    asking.use_requests.expire_after = asking.use_requests.expire_after * 0
    from safety.edges.sweeps import sweep_once

    report = sweep_once(asking)
    assert report.owner_requests_expired == [forgotten["video_id"]]
    assert status(asking, forgotten["video_id"]) == "blocked"
    latest = asking.videos.show(forgotten["video_id"]).latest
    assert latest is not None and [r["code"] for r in latest.reasons] == ["likeness.owner_approval_expired"]
    assert not list(asking.media.area("published").rglob("*.mp4"))
    assert check_invariants(asking.store, asking.media, asking.policies, quiescent=True).ok


def test_the_other_checks_still_run_and_a_revocation_still_purges(asking: CameoGuard) -> None:
    held = generate(asking, "theo", "breaking news: the election is cancelled", cameos=["maya"])
    assert held["status"] == "held", "the gate's own checks come first"
    reviews = asking.review_service(quality_share=0.0)
    reviews.add_reviewer("rita", "reviewer", "correct horse 1")
    rita = login(reviews, "rita", 1)
    item = reviews.queue(rita)[0]
    assert reviews.claim(rita, item.id)
    approved = reviews.decide(rita, item.id, "approve", "prompt.election_deception", "satire, labelled")
    assert approved.status.value == "pending_owner", "a reviewer's approval does not replace the owner's"
    waiting = generate(asking, "theo", cameos=["maya"])
    receipts = asking.cameos.set_consent_level("maya", ConsentLevel.ONLY_ME)
    assert {v for r in receipts for v in r.purged} == {held["video_id"], waiting["video_id"]}
    assert asking.use_requests.pending("maya") == []


def test_owners_answer_over_http_and_the_platform_is_called_back(asking: CameoGuard, clip: Path) -> None:
    receiver = Receiver()
    try:
        app = create_app(asking)
        pipeline = asking.accounts.issue_client("pipeline", [Scope.GENERATE])
        backend = asking.accounts.issue_client("backend", [Scope.APP])
        as_pipeline = TestClient(app, headers={"Authorization": f"Bearer {pipeline.token}"})
        as_backend = TestClient(app, headers={"Authorization": f"Bearer {backend.token}"})
        body = {
            "creator": "theo",
            "prompt": "a calm lake",
            "video_path": str(clip),
            "cameos": ["maya"],
            "callback_url": receiver.url,
        }
        accepted = as_pipeline.post("/v1/submissions", json=body).json()
        # Two events: the decision (waiting for the owner) and the owner's approval request.
        _wait(lambda: len(receiver.received) >= 2)
        events = {e["type"]: e["data"] for e in (json.loads(body) for _headers, body in receiver.received)}
        first = events["submission.decided"]
        assert first["decision"]["status"] == "pending_owner" and first["decision"]["awaiting_owners"] == ["maya"]
        asked = events["video.approval_requested"]
        assert asked["video_id"] == accepted["video_id"] and asked["awaiting_owners"] == ["maya"]
        maya = {"X-Acting-User": "maya"}
        listed = as_backend.get("/v1/users/maya/cameo/requests", headers=maya).json()["requests"]
        assert [r["video_id"] for r in listed] == [accepted["video_id"]]
        assert as_backend.get("/v1/users/maya/cameo/requests", headers={"X-Acting-User": "theo"}).status_code == 403
        answer = as_backend.post(
            f"/v1/users/maya/cameo/requests/{accepted['video_id']}", json={"approve": True}, headers=maya
        )
        assert answer.status_code == 200 and answer.json()["status"] == "published"
        _wait(lambda: len(receiver.received) >= 3)
        last = json.loads(receiver.received[-1][1])
        assert last["type"] == "submission.decided" and last["data"]["decision"]["status"] == "published"
        again = as_backend.post(
            f"/v1/users/maya/cameo/requests/{accepted['video_id']}", json={"approve": False}, headers=maya
        )
        assert again.status_code == 409
    finally:
        receiver.close()


def test_cli_permit_requests_and_answers(
    asking: CameoGuard, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from safety.edges.cli import main

    monkeypatch.setenv("CAMEOGUARD_DATABASE_URL", asking.settings.resolved_database_url)
    home = ["--home", str(asking.settings.home)]
    assert (
        main([*home, "cameo", "permit", "--owner", "maya", "--level", "approved", "--approve-each-use", "--json"]) == 0
    )
    assert json.loads(capsys.readouterr().out)["approve_each_use"] is True
    asking.cameos.approve("maya", "theo")
    waiting = generate(asking, "theo", cameos=["maya"])
    assert main([*home, "cameo", "requests", "--owner", "maya", "--json"]) == 0
    [request] = json.loads(capsys.readouterr().out)["requests"]
    assert request["video_id"] == waiting["video_id"] and request["prompt"] == "a walk in the park"
    assert main([*home, "cameo", "decline-use", "--owner", "maya", "--video", waiting["video_id"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "blocked"
    assert main([*home, "cameo", "approve-use", "--owner", "maya", "--video", waiting["video_id"]]) == 4


@pytest.fixture
def theo_asks(people: CameoGuard, tmp_path: Path) -> CameoGuard:
    """theo lets everyone use his cameo but approves each use."""
    assert people.cameos.enroll_cameo_from_images("theo", [card_image(tmp_path, 100, "theo")]).status.value == "active"
    people.cameos.set_consent_level("theo", ConsentLevel.EVERYONE)
    people.cameos.set_approve_each_use("theo", True)
    return people


def _refused_by_theo(services: CameoGuard, answer: str) -> str:
    """maya's video of theo, which theo declines (or lets expire): blocked; the video's id."""
    waiting = generate(services, "maya", cameos=["theo"])
    assert waiting["status"] == "pending_owner"
    if answer == "declined":
        services.use_requests.decline("theo", waiting["video_id"])
    else:
        services.use_requests.expire_after = services.use_requests.expire_after * 0
        assert services.use_requests.expire_overdue() == [waiting["video_id"]]
    assert status(services, waiting["video_id"]) == "blocked"
    return str(waiting["video_id"])


def _overturn_on_appeal(services: CameoGuard, video_id: str) -> str:
    """maya appeals the block and a senior overturns it; the status the video ends in."""
    reviews = services.review_service(quality_share=0.0)
    reviews.add_reviewer("sena", "senior", "correct horse 3")
    sena = login(reviews, "sena", 3)
    item = reviews.appeal(video_id, "maya", "he said yes in person")
    assert reviews.claim(sena, item)
    return reviews.decide(sena, item, "overturn", "likeness.owner_declined").status.value


@pytest.mark.parametrize(
    ("answer", "code"), [("declined", "likeness.owner_declined"), ("expired", "likeness.owner_approval_expired")]
)
def test_an_owners_no_holds_when_an_appeal_is_overturned(theo_asks: CameoGuard, answer: str, code: str) -> None:
    video_id = _refused_by_theo(theo_asks, answer)
    # Turning approval of each use off later does not take back the answer theo gave this video.
    theo_asks.cameos.set_approve_each_use("theo", False)
    assert _overturn_on_appeal(theo_asks, video_id) == "blocked"
    assert status(theo_asks, video_id) == "blocked"
    latest = theo_asks.videos.show(video_id).latest
    assert latest is not None and [r["code"] for r in latest.reasons] == [code]
    assert not list(theo_asks.media.area("published").rglob("*.mp4"))
    assert check_invariants(theo_asks.store, theo_asks.media, theo_asks.policies, quiescent=False).ok


def test_a_declined_owner_is_not_asked_again_after_an_overturn(theo_asks: CameoGuard) -> None:
    video_id = _refused_by_theo(theo_asks, "declined")
    assert _overturn_on_appeal(theo_asks, video_id) == "blocked", "theo's answer stands: no second request"
    assert theo_asks.use_requests.pending("theo") == []
    with theo_asks.store.transaction() as tx:
        asked = [r.state.value for r in tx.consent.use_requests(video_id=video_id)]
    assert asked == ["declined"]
    latest = theo_asks.videos.show(video_id).latest
    assert latest is not None and [r["code"] for r in latest.reasons] == ["likeness.owner_declined"]
    assert check_invariants(theo_asks.store, theo_asks.media, theo_asks.policies, quiescent=False).ok


def test_a_bulk_overturn_does_not_publish_over_an_owners_no(theo_asks: CameoGuard) -> None:
    declined = _refused_by_theo(theo_asks, "declined")
    theo_asks.cameos.set_approve_each_use("theo", False)
    reviews = theo_asks.review_service(quality_share=0.0)
    reviews.add_reviewer("sena", "senior", "correct horse 3")
    sena = login(reviews, "sena", 3)
    item = reviews.appeal(declined, "maya", "he said yes in person")
    [(decided, outcome)] = reviews.decide_many(sena, [item], "overturn", "likeness.owner_declined")
    assert decided == item and not isinstance(outcome, str) and outcome.status.value == "blocked"
    assert status(theo_asks, declined) == "blocked"
    assert check_invariants(theo_asks.store, theo_asks.media, theo_asks.policies, quiescent=False).ok


def test_an_answer_read_in_the_publishing_transaction_wins(people: CameoGuard, tmp_path: Path) -> None:
    """An owner's no that lands after the gate's first look but before the publish commits is read again inside the
    publishing transaction (as consent is): the video is blocked, never published."""
    assert people.cameos.enroll_cameo_from_images("theo", [card_image(tmp_path, 100, "theo")]).status.value == "active"
    people.cameos.set_consent_level("theo", ConsentLevel.EVERYONE)
    original = people.gate._consent_findings

    def answer_first(tx: Any, submission: Any, owners: Any, *, stage: str, spoken: Any = ()) -> Any:
        if stage == "publish":
            [video] = tx.videos.in_status(VideoStatus.CHECKING)
            tx.consent.request_use(video.id, "theo", video.creator)
            tx.consent.answer_use(video.id, "theo", UseRequestState.DECLINED, actor="theo")
        return original(tx, submission, owners, stage=stage, spoken=spoken)

    people.gate._consent_findings = answer_first  # type: ignore[method-assign]
    result = generate(people, "maya", cameos=["theo"])
    assert (result["decision"], result["status"], result["published_path"]) == ("block", "blocked", None)
    assert [r["code"] for r in result["reasons"]] == ["likeness.owner_declined"]
    assert not list(people.media.area("published").rglob("*.mp4"))
    assert check_invariants(people.store, people.media, people.policies, quiescent=False).ok
