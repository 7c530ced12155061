"""The prompt classifier check: a score per harmful category; the policy's thresholds decide."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from policies import PolicyPack
from safety.checks.base import CheckContext, CheckOutcome
from safety.classifiers.prompt import BENIGN, PromptClassifierSource
from safety.domain import Finding
from safety.errors import ModelUnavailable


def examples_path(name: str) -> Path:
    """A bundled examples file (`policies/examples/NAME`) by name, or a path."""
    bundled = Path(str(resources.files("policies") / "examples" / name))
    return bundled if bundled.is_file() else Path(name)


class PromptClassifierCheck:
    """`prompt.<category>` findings with scores (dropped by the policy below the review band)."""

    name = "prompt_classifier"

    def __init__(self, cache: PromptClassifierSource) -> None:
        self.cache = cache

    def warm_up(self, policy: PolicyPack) -> None:
        settings = policy.prompt_classifier
        if settings is not None:
            self.cache.get(examples_path(settings.examples), settings.held_out_share).score(["a warm-up prompt"])

    def run(self, context: CheckContext) -> CheckOutcome:
        settings = context.policy.prompt_classifier
        if settings is None:
            raise ModelUnavailable(f"policy {context.policy.ref} names no prompt classifier examples")
        classifier = self.cache.get(examples_path(settings.examples), settings.held_out_share)
        result = classifier.score([context.submission.prompt])[0]
        findings = tuple(
            Finding(
                f"prompt.{category}",
                self.name,
                f"prompt scores {score:.2f} for {category}",
                score=score,
                evidence={"category": category, "score": round(score, 4)},
            )
            for category, score in sorted(result.scores.items())
            if category != BENIGN
        )
        return CheckOutcome(findings, {"scores": {k: round(v, 4) for k, v in result.scores.items()}})
