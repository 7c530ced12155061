"""Phrase rules over the prompt: what must never pass, whatever a model scores.

The prompt is read twice: normalised (Unicode compatibility forms, case, punctuation to single spaces) and
deobfuscated (look-alike letters, leetspeak, spelled-out words), so spelling tricks do not slip past. A rule
fires when every one of its term groups matches a whole word or phrase.
"""

from __future__ import annotations

from policies import PromptRule
from safety.checks.base import CheckContext, CheckOutcome
from safety.classifiers.deobfuscate import deobfuscate
from safety.domain import Finding
from safety.text import contains_phrase, normalise_text


def _matches(rule: PromptRule, normalised: str) -> list[str] | None:
    matched: list[str] = []
    for group in rule.term_groups:
        hit = next((term for term in group if contains_phrase(normalised, term)), None)
        if hit is None:
            return None
        matched.append(hit)
    return matched


class PromptRulesCheck:
    """Applies the policy's `prompt_rules` to the normalised prompt."""

    name = "prompt_rules"

    def run(self, context: CheckContext) -> CheckOutcome:
        prompt = context.submission.prompt
        readings = (normalise_text(prompt), normalise_text(deobfuscate(prompt)))
        findings: list[Finding] = []
        for rule in context.policy.prompt_rules:
            matched = next((m for reading in readings if (m := _matches(rule, reading)) is not None), None)
            if matched is not None:
                findings.append(
                    Finding(
                        rule.code,
                        self.name,
                        f"prompt matches rule {rule.code}: {', '.join(matched)}",
                        score=1.0,
                        evidence={"matched_terms": matched},
                    )
                )
        return CheckOutcome(tuple(findings))
