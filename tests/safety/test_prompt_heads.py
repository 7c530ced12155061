"""The prompt classifier's encoder in NumPy, its heads kept on disk, and what it stops on held-out prompts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from safety.classifiers.prompt import PromptClassifierCache, PromptHead, PromptHeadStore

# These tests judge what the real models hear and read.
pytestmark = pytest.mark.real_models


def _toy(classes: int, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, 16))
    labels = [f"c{i % classes}" for i in range(120)]
    points = np.stack([centres[int(label[1:])] + rng.normal(scale=0.8, size=16) for label in labels])
    return points.astype(np.float32), labels


@pytest.mark.parametrize("classes", [2, 4])
def test_a_head_scores_as_scikit_learn_does(classes: int) -> None:
    from sklearn.linear_model import LogisticRegression

    points, labels = _toy(classes)
    head = PromptHead.train(points, labels)
    reference = LogisticRegression(C=8.0, max_iter=2000, class_weight="balanced").fit(points, labels)
    assert list(head.categories) == [str(c) for c in reference.classes_]
    np.testing.assert_allclose(head.probabilities(points), reference.predict_proba(points), atol=1e-6)


def test_heads_are_stored_by_what_they_learned_from(tmp_path: Path) -> None:
    store = PromptHeadStore(tmp_path / "heads")
    examples = tmp_path / "examples.yaml"
    examples.write_text("benign: [a cat]\nviolence: [a fight]\n")
    key = store.key(examples, 0.2, "encoder")
    assert store.load(key) is None
    points, labels = _toy(3)
    head = PromptHead.train(points, labels)
    store.save(key, head)
    loaded = store.load(key)
    assert loaded is not None and loaded.categories == head.categories
    np.testing.assert_array_equal(loaded.probabilities(points), head.probabilities(points))
    # Another share, another encoder or other examples: another head.
    assert store.key(examples, 0.3, "encoder") != key
    assert store.key(examples, 0.2, "other") != key
    examples.write_text("benign: [a dog]\nviolence: [a fight]\n")
    assert store.key(examples, 0.2, "encoder") != key
    # A damaged file is not trusted: it reads as missing and is trained again.
    (tmp_path / "heads" / f"{key}.npz").write_bytes(b"not a head")
    assert store.load(key) is None
    assert not list((tmp_path / "heads").glob(".*"))  # no partial files left


def test_a_second_process_loads_the_head_instead_of_training(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from safety.checks.prompt_classifier import examples_path

    examples = examples_path("prompts.yaml")
    first = PromptClassifierCache(PromptHeadStore(tmp_path))
    trained = first.get(examples, 0.2)
    assert len(list(tmp_path.glob("*.npz"))) == 1

    def no_training(*_args: object, **_kwargs: object) -> PromptHead:
        raise AssertionError("trained again")

    monkeypatch.setattr(PromptHead, "train", no_training)
    second = PromptClassifierCache(PromptHeadStore(tmp_path))
    loaded = second.get(examples, 0.2)
    prompts = ["a sunny beach at noon", "a bloody fight in an alley"]
    for a, b in zip(trained.score(prompts), loaded.score(prompts), strict=True):
        assert a.scores == pytest.approx(b.scores, abs=1e-9)


def test_the_cache_is_under_home_unless_a_cache_dir_is_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from safety import Settings

    monkeypatch.delenv("CAMEOGUARD_CACHE_DIR", raising=False)
    assert Settings(home=tmp_path / "home").cache_root == tmp_path / "home" / "cache"
    monkeypatch.setenv("CAMEOGUARD_CACHE_DIR", str(tmp_path / "shared"))
    assert Settings(home=tmp_path / "home").cache_root == tmp_path / "shared"


def test_held_out_benign_look_alikes_pass_and_harm_is_caught() -> None:
    """The labelled set's held-out share (never trained on), at the default pack's prompt bands: at most 5% of
    benign look-alikes stopped in every language, and at least 95% of harmful prompts flagged."""
    import langid

    from policies import load_bundled_pack
    from safety.checks.prompt_classifier import examples_path
    from safety.classifiers.prompt import BENIGN, PromptScores, load_examples, shared_prompt_classifiers, split

    policy = load_bundled_pack("default")
    assert policy.prompt_classifier is not None
    share = policy.prompt_classifier.held_out_share
    path = examples_path(policy.prompt_classifier.examples)
    classifier = shared_prompt_classifiers().get(path, share)
    _, held = split(load_examples(path), share)
    scores = classifier.score([prompt for prompt, _ in held])
    bands = {c: policy.thresholds[f"prompt.{c}"].review for c in classifier.head.categories if c != BENIGN}

    def flagged(result: PromptScores) -> bool:
        return any(band is not None and result.scores.get(c, 0.0) >= band for c, band in bands.items())

    langid.set_languages(["en", "fr", "es", "de", "pt", "it"])
    benign: dict[str, list[bool]] = {}
    harmful: list[bool] = []
    for (prompt, label), result in zip(held, scores, strict=True):
        if label == BENIGN:
            benign.setdefault(str(langid.classify(prompt)[0]), []).append(flagged(result))
        else:
            harmful.append(flagged(result))
    assert all(sum(stops) / len(stops) <= 0.05 for stops in benign.values()), benign
    assert sum(harmful) / len(harmful) >= 0.95
