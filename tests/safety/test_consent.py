"""Consent verdicts for every level, block and approval, and teen restrictions."""

from __future__ import annotations

from dataclasses import replace

import pytest

from policies import load_bundled_pack
from safety.consent import consent_verdict
from safety.domain import AgeBand, CameoConsent, CameoStatus, ConsentLevel

ADULT = load_bundled_pack("default")
TEEN = load_bundled_pack("teen")

BASE = CameoConsent(
    owner="maya",
    owner_age_band=AgeBand.ADULT,
    creator="theo",
    cameo_status=CameoStatus.ACTIVE,
    level=ConsentLevel.ONLY_ME,
    approved=False,
    blocked=False,
    owner_follows_creator=False,
    creator_follows_owner=False,
)


@pytest.mark.parametrize(
    ("changes", "allowed"),
    [
        ({}, False),
        ({"approved": True}, False),  # only_me overrides an old approval
        ({"level": ConsentLevel.APPROVED}, False),
        ({"level": ConsentLevel.APPROVED, "approved": True}, True),
        ({"level": ConsentLevel.MUTUALS, "owner_follows_creator": True}, False),
        ({"level": ConsentLevel.MUTUALS, "owner_follows_creator": True, "creator_follows_owner": True}, True),
        ({"level": ConsentLevel.EVERYONE}, True),
        ({"level": ConsentLevel.EVERYONE, "blocked": True}, False),
        ({"level": ConsentLevel.EVERYONE, "cameo_status": None}, False),
        ({"level": ConsentLevel.EVERYONE, "cameo_status": CameoStatus.DELETED}, False),
    ],
)
def test_adult_owner(changes: dict[str, object], allowed: bool) -> None:
    verdict = consent_verdict(replace(BASE, **changes), ADULT)  # type: ignore[arg-type]
    assert verdict.allowed is allowed
    if not allowed:
        assert verdict.code in {"likeness.no_consent", "likeness.no_cameo"}


def test_no_cameo_code() -> None:
    assert consent_verdict(replace(BASE, cameo_status=None), ADULT).code == "likeness.no_cameo"


def test_owner_may_always_use_their_own_active_cameo() -> None:
    assert consent_verdict(replace(BASE, creator="maya"), ADULT).allowed
    assert not consent_verdict(replace(BASE, creator="maya", cameo_status=None), ADULT).allowed


@pytest.mark.parametrize("level", [ConsentLevel.EVERYONE, ConsentLevel.MUTUALS])
def test_teen_cameos_are_usable_only_by_approved_users(level: ConsentLevel) -> None:
    teen = replace(
        BASE, owner_age_band=AgeBand.TEEN, level=level, owner_follows_creator=True, creator_follows_owner=True
    )
    assert not consent_verdict(teen, TEEN).allowed
    assert consent_verdict(replace(teen, approved=True), TEEN).allowed


def test_an_adult_needs_a_guardians_allowance_on_top_of_the_teens_consent() -> None:
    teen = replace(BASE, owner_age_band=AgeBand.TEEN, level=ConsentLevel.APPROVED, approved=True, guardian_needed=True)
    refused = consent_verdict(teen, TEEN)
    assert (refused.allowed, refused.code) == (False, "likeness.guardian_not_allowed")
    assert consent_verdict(replace(teen, guardian_allowed=True), TEEN).allowed
    # The guardian's allowance does not replace the teen's own consent.
    assert not consent_verdict(replace(teen, guardian_allowed=True, approved=False), TEEN).allowed
    # A teen using their own cameo needs nobody's allowance.
    assert consent_verdict(replace(teen, creator="maya"), TEEN).allowed


def test_a_guardians_cap_limits_the_level() -> None:
    mutuals = replace(BASE, level=ConsentLevel.EVERYONE, owner_follows_creator=True, creator_follows_owner=True)
    assert consent_verdict(mutuals, ADULT).allowed
    assert consent_verdict(replace(mutuals, level_cap=ConsentLevel.MUTUALS), ADULT).allowed
    assert not consent_verdict(replace(mutuals, level_cap=ConsentLevel.APPROVED), ADULT).allowed
    assert consent_verdict(replace(mutuals, level_cap=ConsentLevel.APPROVED, approved=True), ADULT).allowed
    assert not consent_verdict(replace(mutuals, level_cap=ConsentLevel.ONLY_ME, approved=True), ADULT).allowed
