"""Guardians on both databases: the cap, adults' allowance, the teen pack, uses and take-downs, all audited and all
through the same consent decision and purge as the owner's own changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator import Studio
from safety import AccessDenied, AgeBand, CameoGuard, ConflictError, ConsentLevel, SubmissionError
from tests.safety.gate.test_likeness_gate import card_image


@pytest.fixture
def family(people: CameoGuard, tmp_path: Path) -> CameoGuard:
    """jun (teen) has an active cameo and a guardian, parent; maya and theo are adults."""
    people.accounts.add_user("parent")
    assert people.cameos.enroll_cameo_from_images("jun", [card_image(tmp_path, 40, "jun")]).status.value == "active"
    people.guardians.add("jun", "parent")
    return people


_SEEDS = iter(range(5000, 90000))


def generate(services: CameoGuard, creator: str, **kwargs: Any) -> dict[str, Any]:
    return Studio(services).generate(
        creator, kwargs.pop("prompt", "a walk in the park"), duration_s=1.0, seed=next(_SEEDS), **kwargs
    )


def test_only_an_adult_guards_a_teen(people: CameoGuard) -> None:
    people.accounts.add_user("parent")
    with pytest.raises(ConflictError, match="not a teen"):
        people.guardians.add("maya", "parent")
    with pytest.raises(ConflictError, match="not an adult"):
        people.accounts.add_user("kim", AgeBand.TEEN)
        people.guardians.add("jun", "kim")
    with pytest.raises(AccessDenied, match="not a guardian"):
        people.guardians.cap_level("maya", "jun", ConsentLevel.ONLY_ME)


def test_an_adult_needs_the_guardians_allowance(family: CameoGuard) -> None:
    family.cameos.set_consent_level("jun", ConsentLevel.APPROVED)
    family.cameos.approve("jun", "maya")
    refused = generate(family, "maya", cameos=["jun"])
    assert refused["decision"] == "block"
    assert "likeness.guardian_not_allowed" in {r["code"] for r in refused["reasons"]}
    family.guardians.allow("parent", "jun", "maya")
    allowed = generate(family, "maya", cameos=["jun"])
    assert allowed["decision"] == "publish"
    uses = {u.video.id: u.video.status.value for u in family.guardians.uses("parent", "jun")}
    assert uses == {refused["video_id"]: "blocked", allowed["video_id"]: "published"}
    # Withdrawn: the adult's videos of the teen go, with a receipt, through the same purge as a revocation.
    [receipt] = family.guardians.disallow("parent", "jun", "maya")
    assert set(receipt.purged) == set(uses) and receipt.reason == "guardian_disallowed"
    assert family.videos.show(allowed["video_id"]).video.status.value == "purged"


def test_a_creator_who_says_they_are_a_teen_still_needs_the_guardians_allowance(family: CameoGuard) -> None:
    """Age bands are the app's word: an account registered as a teen through the API is no reason to skip the
    guardian, whose allowance applies to every other creator of the teen's cameo."""
    from fastapi.testclient import TestClient

    from safety.edges.http import create_app
    from safety.records import Scope

    token = family.accounts.issue_client("backend", [Scope.APP]).token
    api = TestClient(create_app(family), headers={"Authorization": f"Bearer {token}"})
    assert api.post("/v1/users", json={"handle": "mallory", "teen": True}).json()["age_band"] == "teen"
    # Approved by the teen, which is all an adult would have, and not enough without the guardian.
    family.cameos.set_consent_level("jun", ConsentLevel.APPROVED)
    family.cameos.approve("jun", "mallory")
    refused = generate(family, "mallory", cameos=["jun"])
    assert refused["decision"] == "block", refused
    assert "likeness.guardian_not_allowed" in {r["code"] for r in refused["reasons"]}
    family.guardians.allow("parent", "jun", "mallory")
    allowed = generate(family, "mallory", cameos=["jun"])
    assert allowed["decision"] == "publish", allowed
    # Withdrawn, the teen creator's video of the teen goes like an adult's.
    [receipt] = family.guardians.disallow("parent", "jun", "mallory")
    assert allowed["video_id"] in receipt.purged
    # The teen's own videos need nobody's allowance.
    assert generate(family, "jun", cameos=["jun"])["decision"] == "publish"


def test_the_cap_lowers_the_level_and_the_teen_cannot_raise_it(family: CameoGuard) -> None:
    family.accounts.add_user("kim", AgeBand.TEEN)
    family.accounts.follow("jun", "kim")
    family.accounts.follow("kim", "jun")
    family.cameos.set_consent_level("jun", ConsentLevel.MUTUALS)
    # The teen pack restricts `mutuals` to approved users anyway; kim, approved by jun and allowed by the
    # guardian (a teen creator needs it as much as an adult), may use it.
    family.cameos.approve("jun", "kim")
    family.guardians.allow("parent", "jun", "kim")
    video = generate(family, "kim", cameos=["jun"])
    assert video["decision"] == "publish"
    receipts = family.guardians.cap_level("parent", "jun", ConsentLevel.ONLY_ME)
    assert [r.purged for r in receipts] == [(video["video_id"],)]
    status = family.cameos.cameo_status("jun")
    assert status is not None and status.level is ConsentLevel.ONLY_ME
    with pytest.raises(ConflictError, match="guardian allows their cameo up to `only_me`"):
        family.cameos.set_consent_level("jun", ConsentLevel.APPROVED)
    family.guardians.cap_level("parent", "jun", ConsentLevel.APPROVED)
    assert family.cameos.set_consent_level("jun", ConsentLevel.APPROVED) == []


def test_the_guardian_chooses_among_teen_packs_and_takes_videos_down(family: CameoGuard) -> None:
    assert family.policies.for_user(family.accounts.user("jun")).name == "teen"
    with pytest.raises(SubmissionError, match="not a teen pack"):
        family.guardians.set_pack("parent", "jun", "default")
    family.guardians.set_pack("parent", "jun", "teen_strict")
    assert family.guardians.controls("parent", "jun").policy_pack == "teen_strict"
    assert family.policies.for_user(family.accounts.user("jun")).name == "teen_strict"
    own = generate(family, "jun", cameos=["jun"])
    assert own["decision"] == "publish" and own["policy"].startswith("teen_strict@")
    receipt = family.guardians.revoke_use("parent", "jun", own["video_id"])
    assert receipt.reason == "guardian_revoked" and receipt.purged == (own["video_id"],)
    with family.store.transaction() as tx:
        by_guardian = [(e.action, e.subject) for e in tx.audit.entries() if e.actor == "guardian:parent"]
    assert {a for a, _ in by_guardian} >= {"guardian.added", "guardian.controls_set"}
    assert any(subject == own["video_id"] for _, subject in by_guardian), "the take-down is audited as the guardian's"


def test_guardian_commands(
    family: CameoGuard, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from safety.edges.cli import main

    monkeypatch.setenv("CAMEOGUARD_DATABASE_URL", family.settings.resolved_database_url)
    home = ["--home", str(family.settings.home)]
    assert main([*home, "user", "add", "lea", "--teen", "--guardian", "parent", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"handle": "lea", "age_band": "teen", "guardians": ["parent"]}
    assert main([*home, "user", "add", "max", "--guardian", "parent"]) == 2, "only teens have guardians"
    capsys.readouterr()
    assert (
        main([*home, "guardian", "cap", "--guardian", "parent", "--teen", "jun", "--level", "approved", "--json"]) == 0
    )
    shown = json.loads(capsys.readouterr().out)
    assert (shown["level_cap"], shown["policy_pack"], shown["guardians"]) == ("approved", "teen", ["parent"])
    assert (
        main([*home, "guardian", "allow", "--guardian", "parent", "--teen", "jun", "--creator", "maya", "--json"]) == 0
    )
    assert json.loads(capsys.readouterr().out)["allowed_creators"] == ["maya"]
    assert main([*home, "guardian", "uses", "--guardian", "maya", "--teen", "jun", "--json"]) == 7, "not her guardian"
    capsys.readouterr()
    assert main([*home, "guardian", "uses", "--guardian", "parent", "--teen", "jun", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"teen": "jun", "videos": []}
