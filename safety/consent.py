"""Consent: may this creator put this person's likeness in a video, right now?

A pure function of a `CameoConsent` snapshot and the owner's policy. The gate asks it at check time and again in
the transaction that publishes, so a revocation that lands while a video waits wins.
"""

from __future__ import annotations

from policies import PolicyPack
from safety.domain import CameoConsent, CameoStatus, ConsentLevel, ConsentVerdict
from safety.restrictions import LiteralRestrictions, RestrictionJudge

_LITERAL = LiteralRestrictions()


def consent_verdict(
    state: CameoConsent,
    owner_policy: PolicyPack,
    prompt: str | None = None,
    *,
    restrictions: RestrictionJudge = _LITERAL,
) -> ConsentVerdict:
    """Decide whether `state.creator` may use `state.owner`'s cameo under the owner's policy, for this prompt (or
    transcript). `restrictions` judges the owner's restrictions; the service passes the one that reads meaning,
    and it raises `ModelUnavailable` when it cannot tell, which callers turn into a held video, never a pass."""
    verdict = _level_verdict(state, owner_policy)
    # Restrictions bind others, not the owner (they are an owner's terms for other people's videos), and are only read
    # once the level allows: a refusal by level needs no model, so it cannot fail for want of one.
    if verdict.allowed and prompt is not None and state.owner != state.creator and state.restrictions:
        hits = restrictions.hits(state.restrictions, prompt, owner=state.owner)
        if hits:
            return ConsentVerdict.refuse(
                "likeness.restriction_violated",
                f"{state.owner} does not allow: {', '.join(h.label for h in hits)}",
                {**hits[0].evidence(), "restrictions": [h.evidence() for h in hits]},
            )
    return verdict


def _level_verdict(state: CameoConsent, owner_policy: PolicyPack) -> ConsentVerdict:
    # An owner always may use their own active cameo, whatever level they set: "only me" means only them.
    if state.owner == state.creator:
        if state.cameo_status is CameoStatus.ACTIVE:
            return ConsentVerdict.allow("the owner is the creator")
        return ConsentVerdict.refuse("likeness.no_cameo", f"{state.owner} has no active cameo")
    if state.cameo_status is not CameoStatus.ACTIVE:
        return ConsentVerdict.refuse("likeness.no_cameo", f"{state.owner} has no active cameo")
    # A block beats every level and approval: an owner who blocked someone never has to think about it again.
    if state.blocked:
        return ConsentVerdict.refuse("likeness.no_consent", f"{state.owner} blocked {state.creator}")
    # A guardian's word is needed on top of the teen's own: anyone else (an adult, or an account the app calls a
    # teen) uses a teen's likeness only when both allow it.
    if state.guardian_needed and not state.guardian_allowed:
        return ConsentVerdict.refuse(
            "likeness.guardian_not_allowed", f"{state.owner}'s guardian has not allowed {state.creator}"
        )
    level = state.level
    # A guardian's cap lowers the level in effect without overwriting it: a level set before the cap came (or one
    # the cap is later raised above) is still the owner's own choice.
    if state.level_cap is not None and level.rank > state.level_cap.rank:
        level = state.level_cap
    # The owner's pack, not the creator's, limits the level: a teen's likeness is protected whoever asks.
    if level.value in owner_policy.restricted_cameo_levels:
        # The owner's pack forbids this level (teen cameos): treat it as the strictest level that remains.
        level = ConsentLevel.APPROVED
    # An approval names one creator; "only me" overrides even that, so an owner who withdraws to "only me" does not have
    # to revoke each approval one by one.
    if state.approved and level is not ConsentLevel.ONLY_ME:
        return ConsentVerdict.allow(f"{state.owner} approved {state.creator}")
    if level is ConsentLevel.EVERYONE:
        return ConsentVerdict.allow(f"{state.owner} lets everyone use their cameo")
    if level is ConsentLevel.MUTUALS and state.owner_follows_creator and state.creator_follows_owner:
        return ConsentVerdict.allow(f"{state.owner} and {state.creator} follow each other")
    return ConsentVerdict.refuse(
        "likeness.no_consent", f"{state.owner} has not consented to {state.creator} (level {level.value})"
    )
