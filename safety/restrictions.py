"""Cameo restrictions: what an owner rules out for their likeness, in their own words. Pure.

`parse_restriction` reads an owner's text ("no politics, no alcohol", "don't show me smoking or vaping", "pas de
politique", "I'm vegetarian: never show me eating meat") into topics of the policy's taxonomy and literal phrases:
the text is cut into clauses, negations and filler ("no", "don't show me", "pas de", "kein", ...) are dropped, and a
clause naming a topic (a whole word of the topic's `names`, accents folded) becomes that topic; a clause naming none
is kept as a phrase (quoted words, and what follows "say", are phrases exactly as written: "don't let me say
'bazinga'"). Restrictions are stored as `topic:<name>` entries and phrases.

Whether a prompt crosses a restriction is a `RestrictionJudge`'s call. `LiteralRestrictions` (here) finds phrases
and topic names word for word; the judge the service runs (`safety.classifiers.restriction_judge`) adds meaning, in
every language its encoder knows, and falls back on nothing: if its model is missing it raises, and the caller
fails closed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from policies.restrictions import RestrictionTaxonomy
from safety.deobfuscate import deobfuscate
from safety.text import contains_phrase, fold_accents, normalise_text

TOPIC_PREFIX = "topic:"
_CLAUSE_SPLIT = re.compile(r"[,;:\n/]|\b(?:or|and|nor|ou|et|ni|o|y|oder|und|noch|e|oppure|nem)\b", flags=re.IGNORECASE)
# Quoted words; a single quote only counts at a word's edge, so "don't" stays one word.
_QUOTED = re.compile(r"[\"“”«»]([^\"“”«»]{1,80})[\"“”«»]|(?<!\w)['‘]([^'‘’]{1,80})['’](?!\w)")
_SAY = re.compile(r"\b(?:say|saying|says|dire|decir|sagen|dizer)\b\s+(.+)$", flags=re.IGNORECASE)
# Words that only carry the negation or the request; dropped from the start of a clause.
_FILLER = {
    "no",
    "not",
    "never",
    "without",
    "don't",
    "dont",
    "do",
    "please",
    "show",
    "put",
    "use",
    "me",
    "my",
    "i",
    "im",
    "i'm",
    "am",
    "let",
    "see",
    "in",
    "any",
    "anything",
    "with",
    "being",
    "doing",
    "videos",
    "video",
    "of",
    "a",
    "an",
    "the",
    "to",
    "ever",
    "pas",
    "de",
    "d'",
    "du",
    "des",
    "la",
    "le",
    "les",
    "jamais",
    "sans",
    "ne",
    "moi",
    "montrez",
    "montre",
    "sin",
    "nunca",
    "nada",
    "mi",
    "mis",
    "kein",
    "keine",
    "keinen",
    "nie",
    "ohne",
    "mich",
    "bitte",
    "niente",
    "mai",
    "senza",
    "non",
    "nessun",
    "nessuna",
    "sem",
    "nao",
    "não",
    "nenhum",
}


@dataclass(frozen=True)
class ParsedRestriction:
    """What an owner's text was understood as."""

    topics: tuple[str, ...]
    """Topics of the taxonomy it names, in order."""
    phrases: tuple[str, ...]
    """Clauses that name no topic, kept as written (lower case)."""

    def stored(self) -> list[str]:
        """The entries kept with the cameo: `topic:<name>` for each topic, then the phrases."""
        return [f"{TOPIC_PREFIX}{t}" for t in self.topics] + list(self.phrases)


def split_stored(restrictions: Sequence[str]) -> ParsedRestriction:
    """Stored entries back into topics and phrases (entries without the prefix are phrases)."""
    topics = tuple(r.removeprefix(TOPIC_PREFIX) for r in restrictions if r.startswith(TOPIC_PREFIX))
    phrases = tuple(r for r in restrictions if not r.startswith(TOPIC_PREFIX))
    return ParsedRestriction(topics, phrases)


def fold(text: str) -> str:
    """Normalised text with accents removed (`élection` reads as `election`), padded for whole-word search."""
    return fold_accents(text)


def _topic_words(taxonomy: RestrictionTaxonomy) -> list[tuple[str, str]]:
    return [(topic.name, fold(name).strip()) for topic in taxonomy.topics for name in topic.names]


def parse_restriction(text: str, taxonomy: RestrictionTaxonomy) -> ParsedRestriction:
    """Topics and phrases in an owner's restriction text."""
    topics: list[str] = []
    phrases: list[str] = []
    words = _topic_words(taxonomy)
    for double, single in _QUOTED.findall(text):
        phrases.append(normalise_text(double or single).strip())
    unquoted = _QUOTED.sub(" ", text)
    for clause in _CLAUSE_SPLIT.split(unquoted):
        said = _SAY.search(clause)
        if said is not None:
            spoken = normalise_text(said.group(1)).strip()
            if spoken and spoken not in {"this", "that", "this word", "that word", "it"}:
                phrases.append(spoken)
            continue
        folded = fold(clause)
        named = [topic for topic, word in words if word and f" {word} " in folded]
        if named:
            topics += named
            continue
        tokens = normalise_text(clause).split()
        while tokens and tokens[0] in _FILLER:
            tokens = tokens[1:]
        if tokens:
            phrases.append(" ".join(tokens))
    return ParsedRestriction(tuple(dict.fromkeys(topics)), tuple(dict.fromkeys(p for p in phrases if p)))


@dataclass(frozen=True)
class RestrictionHit:
    """One restriction a text crosses, with what carried it."""

    restriction: str
    """The stored entry: `topic:<name>` or the phrase."""
    score: float
    """The topic's probability, the phrase's similarity, or 1.0 for a literal match."""
    how: str
    """`literal` or `meaning`."""
    words: tuple[str, ...] = ()
    """The words of the text that carried it, most telling first."""

    @property
    def label(self) -> str:
        """The topic's name or the phrase, for people."""
        return self.restriction.removeprefix(TOPIC_PREFIX)

    def evidence(self) -> dict[str, Any]:
        kind = "topic" if self.restriction.startswith(TOPIC_PREFIX) else "phrase"
        return {kind: self.label, "score": round(self.score, 3), "how": self.how, "words": list(self.words)}


class RestrictionJudge(Protocol):
    """Which of an owner's restrictions a prompt or transcript crosses."""

    def hits(self, restrictions: Sequence[str], text: str, *, owner: str | None = None) -> list[RestrictionHit]:
        """Every crossed restriction of `owner`'s; raises `ModelUnavailable` when it cannot tell (the caller fails
        closed). The owner's own name in the text carries no meaning for their topics."""
        ...


@dataclass
class LiteralRestrictions:
    """Phrases and topic names found word for word (after deobfuscation and accent folding)."""

    taxonomy: RestrictionTaxonomy | None = None
    names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.taxonomy is not None and not self.names:
            # In a prompt, only the words that name a topic beyond doubt: "drinking" names alcohol in "no
            # drinking", not in "drinking orange juice".
            self.names = {t.name: t.literal for t in self.taxonomy.topics}

    def hits(self, restrictions: Sequence[str], text: str, *, owner: str | None = None) -> list[RestrictionHit]:
        readings = (fold(text), fold(deobfuscate(text)))
        found: list[RestrictionHit] = []
        for entry in restrictions:
            if entry.startswith(TOPIC_PREFIX):
                candidates = self.names.get(entry.removeprefix(TOPIC_PREFIX), (entry.removeprefix(TOPIC_PREFIX),))
            else:
                candidates = (entry,)
            for word in candidates:
                needle = fold(word).strip()
                if needle and any(contains_phrase(r, needle) for r in readings):
                    found.append(RestrictionHit(entry, 1.0, "literal", (word,)))
                    break
        return found


__all__ = [
    "TOPIC_PREFIX",
    "LiteralRestrictions",
    "ParsedRestriction",
    "RestrictionHit",
    "RestrictionJudge",
    "fold",
    "parse_restriction",
    "split_stored",
]
