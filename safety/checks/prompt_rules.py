"""Phrase rules over the prompt: what must never pass, whatever a model scores.

The prompt is read twice: normalised (Unicode compatibility forms, case, punctuation to single spaces) and
deobfuscated (look-alike letters, leetspeak, spelled-out words), so spelling tricks do not slip past; both
readings and the terms are compared with accents folded, so the packs' terms in French, Spanish, German,
Portuguese and Italian match however a writer types them. A rule fires when every one of its term groups matches a
whole word or phrase.
"""

from __future__ import annotations

from policies import PolicyPack, PromptRule
from safety.checks.base import CheckContext, CheckOutcome
from safety.deobfuscate import deobfuscate
from safety.domain import Finding
from safety.text import contains_phrase, fold_accents


def _matches(rule: PromptRule, normalised: str) -> list[str] | None:
    matched: list[str] = []
    for group in rule.term_groups:
        hit = next((term for term in group if contains_phrase(normalised, fold_accents(term))), None)
        if hit is None:
            return None
        matched.append(hit)
    return matched


def rule_findings(policy: PolicyPack, text: str, *, check: str = "prompt_rules") -> list[Finding]:
    """A finding for every rule of the policy that `text` (a prompt, or a transcript) matches."""
    # Accents folded on both sides: `enfant nue` and `niña desnuda` match terms written with or without them.
    readings = (fold_accents(text), fold_accents(deobfuscate(text)))
    findings: list[Finding] = []
    for rule in policy.prompt_rules:
        matched = next((m for reading in readings if (m := _matches(rule, reading)) is not None), None)
        if matched is not None:
            findings.append(
                Finding(
                    rule.code,
                    check,
                    f"prompt matches rule {rule.code}: {', '.join(matched)}",
                    score=1.0,
                    evidence={"matched_terms": matched},
                )
            )
    return findings


class PromptRulesCheck:
    """Applies the policy's `prompt_rules` to the prompt."""

    name = "prompt_rules"

    def run(self, context: CheckContext) -> CheckOutcome:
        return CheckOutcome(tuple(rule_findings(context.policy, context.submission.prompt, check=self.name)))
