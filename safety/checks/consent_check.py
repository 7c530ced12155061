"""The consent check for declared cameos: each owner must have an active cameo and have consented to the creator.

Faces found in the video but not declared are the likeness check's job; this check answers for what the creator
said they used. The same verdict is asked again when the video is published.
"""

from __future__ import annotations

from policies import PolicyPack
from safety.checks.base import CheckContext, CheckOutcome
from safety.consent import consent_verdict
from safety.domain import Finding
from safety.restrictions import LiteralRestrictions, RestrictionJudge


class ConsentCheck:
    """`likeness.no_cameo` / `likeness.no_consent` / `likeness.restriction_violated` for every declared cameo that
    is not usable now. The owners' restrictions are judged by `restrictions` (on meaning, in the service); a judge
    that cannot tell raises, and the runner makes that a `check.error`: held, never passed."""

    name = "consent"

    def __init__(self, restrictions: RestrictionJudge | None = None) -> None:
        self.restrictions: RestrictionJudge = restrictions or LiteralRestrictions()

    def warm_up(self, policy: PolicyPack) -> None:
        warm = getattr(self.restrictions, "warm_up", None)
        if warm is not None:
            warm()

    def run(self, context: CheckContext) -> CheckOutcome:
        findings: list[Finding] = []
        for owner in context.submission.cameos:
            state = context.cameo_consent.get(owner)
            if state is None:
                findings.append(
                    Finding(
                        "likeness.no_cameo", self.name, f"`{owner}` is not a registered user", evidence={"owner": owner}
                    )
                )
                continue
            verdict = consent_verdict(
                state, context.owner_policies[owner], context.submission.prompt, restrictions=self.restrictions
            )
            if verdict.code is not None:  # refused (a refusal always carries its code)
                findings.append(
                    Finding(
                        verdict.code,
                        self.name,
                        verdict.explanation,
                        evidence={"owner": owner, "declared": True, "level": state.level.value, **verdict.evidence},
                    )
                )
        return CheckOutcome(tuple(findings))
