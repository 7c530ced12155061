"""Phrase rules over the prompt: what must never pass, whatever a model scores.

The prompt is normalised first (Unicode compatibility forms, case, punctuation and separators to single spaces)
so that trivial spacing and punctuation tricks do not slip past. A rule fires when every one of its term groups
matches a whole word or phrase.
"""

from __future__ import annotations

import re
import unicodedata

from policies import PromptRule
from safety.checks.base import CheckContext
from safety.domain import Finding

_NON_WORD = re.compile(r"[^\w']+|_+")


def normalise_prompt(text: str) -> str:
    """Lower-case NFKC text with every run of non-word characters turned into one space."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " " + " ".join(_NON_WORD.sub(" ", folded).split()) + " "


def _matches(rule: PromptRule, normalised: str) -> list[str] | None:
    matched: list[str] = []
    for group in rule.term_groups:
        hit = next((term for term in group if f" {normalise_prompt(term).strip()} " in normalised), None)
        if hit is None:
            return None
        matched.append(hit)
    return matched


class PromptRulesCheck:
    """Applies the policy's `prompt_rules` to the normalised prompt."""

    name = "prompt_rules"

    def run(self, context: CheckContext) -> list[Finding]:
        normalised = normalise_prompt(context.submission.prompt)
        findings: list[Finding] = []
        for rule in context.policy.prompt_rules:
            matched = _matches(rule, normalised)
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
        return findings
