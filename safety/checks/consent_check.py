"""The consent check for declared cameos: each owner must have an active cameo and have consented to the creator.

Faces found in the video but not declared are the likeness check's job; this check answers for what the creator
said they used. The same verdict is asked again when the video is published.
"""

from __future__ import annotations

from safety.checks.base import CheckContext, CheckOutcome
from safety.consent import consent_verdict
from safety.domain import Finding


class ConsentCheck:
    """`likeness.no_cameo` / `likeness.no_consent` for every declared cameo that is not usable now."""

    name = "consent"

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
            verdict = consent_verdict(state, context.owner_policies[owner], context.submission.prompt)
            if verdict.code is not None:  # refused (a refusal always carries its code)
                findings.append(
                    Finding(
                        verdict.code,
                        self.name,
                        verdict.explanation,
                        evidence={"owner": owner, "declared": True, "level": state.level.value},
                    )
                )
        return CheckOutcome(tuple(findings))
