"""Cameo restrictions understood and enforced on meaning: parsing into topics and phrases, the literal and the
semantic judge, the gate and the purge of existing videos, and failing closed without the model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from policies import PolicyValidationError
from policies.restrictions import load_restriction_taxonomy, parse_restriction_taxonomy
from safety import CameoGuard
from safety.classifiers.restriction_judge import SemanticRestrictions
from safety.domain import CameoStatus, ConsentLevel, Submission
from safety.errors import ModelUnavailable
from safety.restrictions import LiteralRestrictions, RestrictionHit, parse_restriction

# These tests judge what the real models hear and read.
pytestmark = pytest.mark.real_models

TAXONOMY = load_restriction_taxonomy()


@pytest.mark.parametrize(
    ("text", "topics", "phrases"),
    [
        ("no politics, no alcohol", ("politics", "alcohol"), ()),
        ("don't show me smoking or vaping", ("tobacco",), ()),
        ("pas de politique", ("politics",), ()),
        ("sin política ni alcohol", ("politics", "alcohol"), ()),
        ("keine Werbung und kein Alkohol", ("advertising", "alcohol"), ()),
        ("I'm vegetarian: never show me eating meat", ("meat",), ()),
        ("don't let me say 'bazinga'", (), ("bazinga",)),
        ("no horror movies", (), ("horror movies",)),
        ("no politics, never with my ex Jake", ("politics",), ("ex jake",)),
    ],
)
def test_a_restriction_is_read_as_topics_and_phrases(
    text: str, topics: tuple[str, ...], phrases: tuple[str, ...]
) -> None:
    parsed = parse_restriction(text, TAXONOMY)
    assert (parsed.topics, parsed.phrases) == (topics, phrases)


def test_the_taxonomy_validator_names_every_problem_with_its_line() -> None:
    text = (
        "threshold: 2\nphrase_similarity: 0.5\nheld_out_share: 0.2\ntopics:\n  Bad Name:\n    names: [x]\n"
        "  alcohol:\n    names: [alcohol]\n    examples: [a, b]\n    near_misses: [c]\n"
    )
    with pytest.raises(PolicyValidationError) as caught:
        parse_restriction_taxonomy(text, "t.yaml")
    lines = sorted((i.line, i.message) for i in caught.value.issues)
    assert [line for line, _ in lines] == [1, 5, 9]
    assert "below 1" in lines[0][1] and "lower-case" in lines[1][1] and "at least 4" in lines[2][1]


def test_literal_judge_finds_phrases_and_topic_names_word_for_word() -> None:
    judge = LiteralRestrictions(TAXONOMY)
    hits = judge.hits(["topic:politics", "jake"], "lin at an ÉLECTION party with j4ke")
    assert [(h.label, h.how) for h in hits] == [("politics", "literal"), ("jake", "literal")]


@pytest.fixture(scope="module")
def judge(tmp_path_factory: pytest.TempPathFactory) -> SemanticRestrictions:
    from safety.checks.prompt_classifier import examples_path
    from safety.classifiers.multilingual import MultilingualEncoder
    from safety.classifiers.prompt import PromptHeadStore

    return SemanticRestrictions(
        MultilingualEncoder(),
        TAXONOMY,
        benign_examples=examples_path("prompts.yaml"),
        heads=PromptHeadStore(tmp_path_factory.mktemp("heads")),
    )


@pytest.mark.parametrize(
    ("restriction", "prompt"),
    [
        ("no alcohol", "lin drinking beer at a bar"),
        ("no alcohol", "lin tasting red wine at a vineyard"),
        ("no politics", "lin endorsing a candidate for mayor"),
        ("don't show me smoking or vaping", "lin smoking a cigarette on a rooftop"),
        ("pas de politique", "lin soutient le maire sortant aux élections"),
        ("no alcohol", "lin bebiendo cerveza en un bar"),
        ("no horror movies", "lin screaming as a masked killer appears in a slasher film"),
    ],
)
def test_a_use_crossing_the_meaning_is_stopped(judge: SemanticRestrictions, restriction: str, prompt: str) -> None:
    hits = judge.hits(parse_restriction(restriction, TAXONOMY).stored(), prompt)
    assert hits, f"{prompt!r} passed {restriction!r}"
    assert hits[0].words, "a hit names the words that carried it"


@pytest.mark.parametrize(
    ("restriction", "prompt"),
    [
        ("no alcohol", "lin drinking orange juice at breakfast"),
        ("no politics", "lin giving a toast at a wedding"),
        ("no religion", "lin at a yoga class in the park"),
        ("no horror movies", "lin at the beach with friends"),
    ],
)
def test_near_misses_pass(judge: SemanticRestrictions, restriction: str, prompt: str) -> None:
    assert judge.hits(parse_restriction(restriction, TAXONOMY).stored(), prompt) == []


def test_held_out_near_misses_pass_in_every_language(judge: SemanticRestrictions) -> None:
    """The taxonomy's held-out share (never trained on): no near miss stopped for its own topic, in any language,
    and most restricted prompts stopped (the bench reports the figures per topic and language)."""
    from safety.classifiers.restriction_judge import training_split

    threshold = TAXONOMY.threshold
    stopped, caught, positives = [], 0, 0
    for topic, (_, held_positives, _, held_near_misses) in training_split(TAXONOMY).items():
        stopped += [p for p in held_near_misses if judge.topic_scores(p, owner="lin")[topic] >= threshold]
        caught += sum(judge.topic_scores(p, owner="lin")[topic] >= threshold for p in held_positives)
        positives += len(held_positives)
    assert stopped == []
    assert caught / positives >= 0.85


def _world(services: CameoGuard) -> None:
    for handle in ("lin", "theo"):
        services.accounts.add_user(handle)
    with services.store.transaction() as tx:
        tx.consent.create_cameo("lin", face_model="test", status=CameoStatus.ACTIVE)
        tx.consent.set_level("lin", ConsentLevel.EVERYONE)


def test_the_gate_and_the_purge_enforce_the_meaning(services: CameoGuard, clip: Path) -> None:
    _world(services)
    published = services.videos.prepublish(Submission("theo", "lin drinking beer at a bar", clip, ("lin",)))
    assert published.status.value == "published"
    result = services.cameos.restrict("lin", "no alcohol")
    assert (result.topics, result.phrases) == (("alcohol",), ())
    assert [r.purged for r in result.receipts] == [(published.video_id,)], "the existing video was purged"
    refused = services.videos.prepublish(Submission("theo", "lin tasting merlot at a vineyard", clip, ("lin",)))
    reason = next(r for r in refused.decision.reasons if r.code == "likeness.restriction_violated")
    assert refused.decision.action.value == "block"
    assert reason.evidence["topic"] == "alcohol" and reason.evidence["how"] == "meaning", reason.evidence
    words = set(reason.evidence["words"])
    assert words and words <= {"lin", "tasting", "merlot", "at", "a", "vineyard"}
    # The same clip is now in the purged bank (stay-down), so judge only the restriction here.
    fine = services.videos.prepublish(Submission("theo", "lin drinking orange juice", clip, ("lin",)))
    assert "likeness.restriction_violated" not in [r.code for r in fine.decision.reasons]


def test_without_the_model_a_restricted_use_is_not_published(services: CameoGuard, clip: Path) -> None:
    _world(services)
    services.cameos.restrict("lin", "no alcohol")

    class Broken:
        def hits(self, restrictions: Sequence[str], text: str, *, owner: str | None = None) -> list[RestrictionHit]:
            raise ModelUnavailable("the multilingual sentence encoder is unavailable: gone")

    services.gate.restrictions = Broken()
    for check in services.gate.checks:
        if check.name == "consent":
            check.restrictions = Broken()  # type: ignore[attr-defined]
    result = services.videos.prepublish(Submission("theo", "lin at the beach", clip, ("lin",)))
    assert result.status.value != "published"
    assert "check.error" in [r.code for r in result.decision.reasons]
