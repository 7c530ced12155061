"""Likeness in the gate with the deterministic fake analyzer, on SQLite and PostgreSQL.

Cameo owners found in a video (declared or not) need consent at decision time and again at publish; protected
persons are blocked; near matches are held; restrictions are honoured; enrollment refuses impersonation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from generator import Studio
from safety import CameoGuard, ConflictError, ConsentLevel, to_json
from safety.faces.fake import face_card


@pytest.fixture
def services(memory_services: CameoGuard) -> CameoGuard:
    """These tests need no SQL: the whole gate runs on the in-memory store (the SQL stores keep their own contract
    tests in tests/safety/storage)."""
    return memory_services


def card_image(tmp_path: Path, green: int, name: str) -> Path:
    canvas = np.zeros((200, 200, 3), np.uint8)
    canvas[52:148, 52:148] = face_card(green)
    path = tmp_path / f"{name}.png"
    Image.fromarray(canvas).save(path)
    return path


@pytest.fixture
def cameos(people: CameoGuard, tmp_path: Path) -> CameoGuard:
    """maya's and theo's cameos are fake-face cards; maya is only_me."""
    assert people.cameos.enroll_cameo_from_images("maya", [card_image(tmp_path, 20, "maya")]).status.value == "active"
    assert people.cameos.enroll_cameo_from_images("theo", [card_image(tmp_path, 100, "theo")]).status.value == "active"
    return people


_SEEDS = iter(range(1000, 100000))


def generate(services: CameoGuard, creator: str, **kwargs: Any) -> dict[str, Any]:
    # A new scene each time: identical content to a purged video would (rightly) match the purged bank.
    kwargs.setdefault("duration_s", 1.0)
    kwargs.setdefault("seed", next(_SEEDS))
    return Studio(services).generate(creator, kwargs.pop("prompt", "a walk in the park"), **kwargs)


def codes(result: dict[str, Any]) -> list[str]:
    return [r["code"] for r in result["reasons"]]


def test_own_cameo_publishes_and_is_identified(cameos: CameoGuard) -> None:
    result = generate(cameos, "maya", cameos=["maya"])
    assert result["decision"] == "publish", result["reasons"]
    assert codes(result) == ["likeness.identified"]
    maya = [f for f in result["faces"] if f["identity"] == "maya"]
    assert maya and maya[0]["t_end"] >= 0.5, result["faces"]


def test_declared_cameo_without_consent_then_with(cameos: CameoGuard) -> None:
    refused = generate(cameos, "theo", cameos=["maya"])
    assert refused["decision"] == "block" and "likeness.no_consent" in codes(refused)
    cameos.cameos.set_consent_level("maya", ConsentLevel.MUTUALS)
    assert generate(cameos, "theo", cameos=["maya"])["decision"] == "publish"
    assert generate(cameos, "jun", cameos=["maya"])["decision"] == "block"
    cameos.cameos.set_consent_level("maya", ConsentLevel.APPROVED)
    cameos.cameos.approve("maya", "jun")
    assert generate(cameos, "jun", cameos=["maya"])["decision"] == "publish"
    cameos.cameos.block("maya", "jun")
    assert generate(cameos, "jun", cameos=["maya"])["decision"] == "block"


def test_undeclared_face_is_found_and_needs_consent(cameos: CameoGuard, tmp_path: Path) -> None:
    leaked = generate(cameos, "jun", face_images=[card_image(tmp_path, 20, "leak")])
    assert leaked["decision"] == "block"
    refusal = next(r for r in leaked["reasons"] if r["code"] == "likeness.no_consent")
    assert refusal["evidence"]["owner"] == "maya" and refusal["evidence"]["declared"] is False
    video = cameos.videos.show(leaked["video_id"]).video
    assert video.declared_cameos == ()


def test_protected_person_is_blocked_with_their_name(cameos: CameoGuard, tmp_path: Path) -> None:
    to_json(cameos.protection.protect("A. Senator", [card_image(tmp_path, 60, "senator")]))
    result = generate(cameos, "theo", face_images=[card_image(tmp_path, 60, "again")])
    assert result["decision"] == "block"
    reason = next(r for r in result["reasons"] if r["code"] == "likeness.protected_person")
    assert reason["evidence"]["person"] == "A. Senator"
    assert [p.name for p in cameos.protection.protected_people()] == ["A. Senator"]
    cameos.protection.unprotect("A. Senator")
    assert generate(cameos, "theo", face_images=[card_image(tmp_path, 60, "later")])["decision"] == "publish"


def test_near_match_is_held_for_review(cameos: CameoGuard, tmp_path: Path) -> None:
    to_json(cameos.protection.protect("A. Senator", [card_image(tmp_path, 60, "senator")]))
    result = generate(cameos, "theo", face_images=[card_image(tmp_path, 80, "lookalike")])
    assert result["decision"] == "review", result["faces"]
    reason = next(r for r in result["reasons"] if r["code"] == "likeness.uncertain")
    assert reason["evidence"]["person"] == "A. Senator"


def test_restriction_is_checked_against_the_prompt(cameos: CameoGuard) -> None:
    cameos.cameos.set_consent_level("maya", ConsentLevel.EVERYONE)
    understood = cameos.cameos.restrict("maya", "no politics, no horror movies")
    assert (understood.topics, understood.phrases) == (("politics",), ("horror movies",))
    refused = generate(cameos, "theo", cameos=["maya"], prompt="maya talking about POLITICS at dinner")
    assert "likeness.restriction_violated" in codes(refused) and refused["decision"] == "block"
    dinner = generate(cameos, "theo", cameos=["maya"], prompt="maya at dinner")
    assert dinner["decision"] == "publish", dinner["reasons"]
    own = generate(cameos, "maya", cameos=["maya"], prompt="maya talking about politics at dinner")
    assert own["decision"] == "publish", own["reasons"]


def test_enrollment_refuses_someone_elses_face_and_protected_people(cameos: CameoGuard, tmp_path: Path) -> None:
    to_json(cameos.protection.protect("A. Senator", [card_image(tmp_path, 60, "senator")]))
    taken = cameos.cameos.enroll_cameo_from_images("jun", [card_image(tmp_path, 20, "maya-again")])
    assert taken.status.value == "rejected"
    assert [r.code for r in taken.assessment.reasons] == ["enroll.matches_other_user"]
    protected = cameos.cameos.enroll_cameo_from_images("jun", [card_image(tmp_path, 60, "senator-again")])
    assert [r.code for r in protected.assessment.reasons] == ["enroll.protected_person"]
    with pytest.raises(ConflictError):
        cameos.cameos.enroll_cameo_from_images("maya", [card_image(tmp_path, 20, "twice")])


def test_revocation_between_check_and_publish_covers_identified_faces(cameos: CameoGuard, tmp_path: Path) -> None:
    cameos.cameos.set_consent_level("maya", ConsentLevel.EVERYONE)
    original = cameos.gate._consent_findings
    calls: list[str] = []

    def revoke_first(tx: Any, submission: Any, owners: Any, *, stage: str, spoken: Any = ()) -> Any:
        calls.append(stage)
        if stage == "publish":
            tx.consent.set_level("maya", ConsentLevel.ONLY_ME)
        return original(tx, submission, owners, stage=stage, spoken=spoken)

    cameos.gate._consent_findings = revoke_first  # type: ignore[method-assign]
    result = generate(cameos, "theo", face_images=[card_image(tmp_path, 20, "maya-face")])
    assert calls == ["identified", "input_image", "publish"]
    assert result["decision"] == "block" and result["published_path"] is None
    assert "likeness.no_consent" in codes(result)


def test_challenges_are_single_use_and_personal(cameos: CameoGuard) -> None:
    challenge = cameos.cameos.issue_challenge("jun")
    assert len(challenge.digits) == 4 and sorted(challenge.turns) == ["left", "right"]
    with cameos.store.transaction() as tx, pytest.raises(ConflictError, match="not issued"):
        tx.consent.take_challenge(challenge.id, "theo")
    with cameos.store.transaction() as tx:
        tx.consent.take_challenge(challenge.id, "jun")
    with cameos.store.transaction() as tx, pytest.raises(ConflictError, match="already used"):
        tx.consent.take_challenge(challenge.id, "jun")
