"""Retroactive scans on both databases: a person enrolled or protected after videos of them were published is
found from the stored embeddings (nothing decoded again), and each video is purged, taken down or held as the
policy says, with a receipt for the owner; a scan interrupted mid-way resumes at its cursor."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from generator import Studio
from safety import CameoGuard, ConsentLevel
from safety.invariants import check_invariants
from safety.records import RetroScanState, TemplateSubject
from tests.safety.gate.test_likeness_gate import card_image


@pytest.fixture
def services(memory_services: CameoGuard) -> CameoGuard:
    """These tests need no SQL: the whole gate runs on the in-memory store (the SQL stores keep their own contract
    tests in tests/safety/storage)."""
    return memory_services


_SEEDS = iter(range(11000, 90000))


def publish(services: CameoGuard, creator: str, tmp_path: Path, green: int, **kwargs: Any) -> dict[str, Any]:
    faces = [card_image(tmp_path, green, f"face-{green}-{next(_SEEDS)}")]
    result = Studio(services).generate(
        creator,
        kwargs.pop("prompt", "a walk in the park"),
        face_images=faces,
        duration_s=1.0,
        seed=next(_SEEDS),
        **kwargs,
    )
    assert result["status"] == "published", result["reasons"]
    return result


def finished(services: CameoGuard, scan_id: str | None, timeout_s: float = 60.0) -> Any:
    assert scan_id is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        scan = services.retro_scans.get(scan_id)
        if scan.state is RetroScanState.DONE:
            return scan
        time.sleep(0.1)
    raise AssertionError(f"scan {scan_id} did not finish")


def status(services: CameoGuard, video_id: str) -> str:
    return services.videos.show(video_id).video.status.value


def test_a_new_cameo_owner_is_found_in_what_was_published_and_purged_with_a_receipt(
    people: CameoGuard, tmp_path: Path
) -> None:
    people.accounts.add_user("lin")
    earlier = publish(people, "theo", tmp_path, 50)
    remix = Studio(people).generate(
        "maya", "the same walk, at night", remix_of=earlier["video_id"], duration_s=1.0, seed=next(_SEEDS)
    )
    assert remix["status"] == "published"
    unrelated = publish(people, "theo", tmp_path, 110)
    with people.store.transaction() as tx:
        assert tx.tracks.count() >= 3, "the gate kept the tracks' embeddings"
    result = people.cameos.enroll_cameo_from_images("lin", [card_image(tmp_path, 50, "lin")])
    scan = finished(people, result.scan_id)
    # The remix shows the same face, so the scan may reach it first; either way both go, with receipts for lin.
    found = {f["video_id"]: f for f in scan.found}
    assert earlier["video_id"] in found and set(found) <= {earlier["video_id"], remix["video_id"]}
    assert found[earlier["video_id"]]["code"] == "likeness.no_consent"
    assert found[earlier["video_id"]]["action"].startswith("purged")
    assert status(people, earlier["video_id"]) == "purged" and status(people, remix["video_id"]) == "purged"
    assert status(people, unrelated["video_id"]) == "published"
    receipts = people.cameos.receipts("lin")
    assert {r.reason for r in receipts} == {"retroactive_scan"}
    assert {v for r in receipts for v in r.purged} == {earlier["video_id"], remix["video_id"]}
    with people.store.transaction() as tx:
        assert tx.tracks.published_page("fake-squares-v1", after_video="", videos=100)[0] == [unrelated["video_id"]]
    people.retro_scans.resume_stale(timedelta(0))
    assert check_invariants(people.store, people.media, people.policies, quiescent=False).ok


def test_an_owner_who_consents_keeps_the_video_and_appears_in_it_from_now_on(
    people: CameoGuard, tmp_path: Path
) -> None:
    earlier = publish(people, "theo", tmp_path, 20)
    first = people.cameos.enroll_cameo_from_images("maya", [card_image(tmp_path, 20, "maya")])
    finished(people, first.scan_id)  # her default level is only_me: theo's video goes
    people.cameos.delete_cameo("maya")
    assert status(people, earlier["video_id"]) == "purged"
    kept = publish(people, "theo", tmp_path, 20)
    people.accounts.follow("maya", "theo")
    # Enrolled without the automatic scan (which would judge her default level, only_me): she sets mutuals
    # first, then the scan runs.
    people.cameos._scan = None
    people.cameos.enroll_cameo_from_images("maya", [card_image(tmp_path, 20, "maya-again")])
    people.cameos.set_consent_level("maya", ConsentLevel.MUTUALS)
    scan = people.retro_scans.start_here(TemplateSubject.CAMEO, "maya")
    assert [f["action"] for f in scan.found] == ["kept (the owner consents)"]
    assert status(people, kept["video_id"]) == "published"
    assert [u.video.id for u in people.cameos.cameo_uses("maya") if u.video.id == kept["video_id"]]
    # Now a revocation finds it like any video she appears in.
    receipts = people.cameos.set_consent_level("maya", ConsentLevel.ONLY_ME)
    assert kept["video_id"] in {v for r in receipts for v in r.purged}


def test_a_newly_protected_person_is_taken_down_and_a_lookalike_held(people: CameoGuard, tmp_path: Path) -> None:
    same = publish(people, "theo", tmp_path, 60)
    near = publish(people, "theo", tmp_path, 80)
    result = people.protection.protect("A. Senator", [card_image(tmp_path, 60, "senator")])
    scan = finished(people, result.scan_id)
    found = {f["video_id"]: f for f in scan.found}
    assert found[same["video_id"]]["code"] == "likeness.protected_person"
    assert found[near["video_id"]]["code"] == "likeness.uncertain"
    assert status(people, same["video_id"]) == "blocked" and status(people, near["video_id"]) == "held"
    reviews = people.review_service(quality_share=0.0)
    reviews.add_reviewer("rita", "reviewer", "correct horse 1")
    rita = reviews.whoami(reviews.login("rita", "correct horse 1"))
    [item] = reviews.queue(rita)
    assert item.video_id == near["video_id"] and item.reason_codes == ("likeness.uncertain",)
    assert reviews.claim(rita, item.id)
    # A reviewer who sees a different person publishes it again (re-signed, re-registered).
    again = reviews.decide(rita, item.id, "approve", "likeness.uncertain", "not the senator")
    assert again.status.value == "published" and again.published_path is not None


def test_an_interrupted_scan_resumes_at_its_cursor(people: CameoGuard, tmp_path: Path) -> None:
    videos = [publish(people, "theo", tmp_path, 60)["video_id"] for _ in range(3)]
    people.retro_scans.page_videos = 1
    people.retro_scans.send = None  # this test drives the runs itself
    with people.store.transaction() as tx:
        templates_before = tx.tracks.count()
    assert templates_before >= 3
    people.protection._scan = None  # protect without starting a scan; the test starts it
    people.protection.protect("A. Senator", [card_image(tmp_path, 60, "senator")])
    with people.store.transaction() as tx:
        scan_id = tx.tracks.start_scan("protected", "A. Senator")

    class Crash(Exception):
        pass

    def crash_after_first_page(_searched: int) -> None:
        raise Crash

    with pytest.raises(Crash):
        people.retro_scans.run(scan_id, on_page=crash_after_first_page)
    stopped = people.retro_scans.get(scan_id)
    assert stopped.state is RetroScanState.RUNNING and stopped.videos_searched == 1 and len(stopped.found) == 1
    assert people.retro_scans.resume_stale(timedelta(0)) == [scan_id]
    done = people.retro_scans.get(scan_id)
    assert done.state is RetroScanState.DONE
    assert sorted(f["video_id"] for f in done.found) == sorted(videos), "each video acted on once"
    assert all(status(people, v) == "blocked" for v in videos)
