"""Consent: may this creator put this person's likeness in a video, right now?

A pure function of a `CameoConsent` snapshot and the owner's policy. The gate asks it at check time and again in
the transaction that publishes, so a revocation that lands while a video waits wins.
"""

from __future__ import annotations

from collections.abc import Sequence

from policies import PolicyPack
from safety.classifiers.deobfuscate import deobfuscate
from safety.domain import CameoConsent, CameoStatus, ConsentLevel, ConsentVerdict
from safety.text import contains_phrase, normalise_text


def parse_restrictions(text: str) -> list[str]:
    """Phrases from an owner's restriction text: `no politics, no alcohol` → [`politics`, `alcohol`]."""
    phrases: list[str] = []
    for part in text.replace(";", ",").replace("\n", ",").split(","):
        words = normalise_text(part).split()
        while words and words[0] in {"no", "not", "never", "without"}:
            words = words[1:]
        if words:
            phrases.append(" ".join(words))
    return list(dict.fromkeys(phrases))


def violated_restrictions(restrictions: Sequence[str], prompt: str) -> list[str]:
    """The owner's restriction phrases the prompt contains."""
    readings = (normalise_text(prompt), normalise_text(deobfuscate(prompt)))
    return [phrase for phrase in restrictions if any(contains_phrase(r, phrase) for r in readings)]


def consent_verdict(state: CameoConsent, owner_policy: PolicyPack, prompt: str | None = None) -> ConsentVerdict:
    """Decide whether `state.creator` may use `state.owner`'s cameo under the owner's policy, for this prompt."""
    verdict = _level_verdict(state, owner_policy)
    if verdict.allowed and prompt is not None and state.owner != state.creator:
        hits = violated_restrictions(state.restrictions, prompt)
        if hits:
            return ConsentVerdict.refuse(
                "likeness.restriction_violated", f"{state.owner} does not allow: {', '.join(hits)}"
            )
    return verdict


def _level_verdict(state: CameoConsent, owner_policy: PolicyPack) -> ConsentVerdict:
    if state.owner == state.creator:
        if state.cameo_status is CameoStatus.ACTIVE:
            return ConsentVerdict.allow("the owner is the creator")
        return ConsentVerdict.refuse("likeness.no_cameo", f"{state.owner} has no active cameo")
    if state.cameo_status is not CameoStatus.ACTIVE:
        return ConsentVerdict.refuse("likeness.no_cameo", f"{state.owner} has no active cameo")
    # A block beats every level and approval: an owner who blocked someone never has to think about it again.
    if state.blocked:
        return ConsentVerdict.refuse("likeness.no_consent", f"{state.owner} blocked {state.creator}")
    level = state.level
    # The owner's pack, not the creator's, limits the level: a teen's likeness is protected whoever asks.
    if level.value in owner_policy.restricted_cameo_levels:
        # The owner's pack forbids this level (teen cameos): treat it as the strictest level that remains.
        level = ConsentLevel.APPROVED
    if state.approved and level is not ConsentLevel.ONLY_ME:
        return ConsentVerdict.allow(f"{state.owner} approved {state.creator}")
    if level is ConsentLevel.EVERYONE:
        return ConsentVerdict.allow(f"{state.owner} lets everyone use their cameo")
    if level is ConsentLevel.MUTUALS and state.owner_follows_creator and state.creator_follows_owner:
        return ConsentVerdict.allow(f"{state.owner} and {state.creator} follow each other")
    return ConsentVerdict.refuse(
        "likeness.no_consent", f"{state.owner} has not consented to {state.creator} (level {level.value})"
    )
