"""The prompt classifier: a small trained head over sentence embeddings, learned from the policy's examples.

The encoder is the multilingual one (`safety.classifiers.multilingual`: USE multilingual v3 from its package, in
NumPy; nothing is downloaded), so a prompt in French, Spanish, German, Portuguese or Italian lands beside its English
counterpart. A multinomial logistic regression learns the policy's labelled examples (harmful categories and hard
benign look-alikes, in English and those languages, code-mixed ones too); a deterministic share of each category
is held out for the precision/recall bench. Prompts are deobfuscated before they are embedded. Scores per
category go to the policy's `thresholds`. Training embeds every example (seconds), so a trained head is kept on
disk under the digest of what it was learned from (`PromptHeadStore`) and loaded, not retrained, by every later
process.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import yaml
from numpy.typing import NDArray

from safety.classifiers.multilingual import ENCODER_ID, MultilingualEncoder
from safety.deobfuscate import deobfuscate
from safety.errors import ConfigurationError
from safety.math_threads import one_blas_thread

BENIGN = "benign"


def load_examples(path: Path) -> dict[str, list[str]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"cannot read prompt examples {path}: {exc}") from None
    if not isinstance(data, dict) or BENIGN not in data:
        raise ConfigurationError(f"{path}: prompt examples need categories including `{BENIGN}`")
    return {str(k): [str(p) for p in v] for k, v in data.items() if v}


def is_held_out(prompt: str, share: float) -> bool:
    """Deterministic split: the same prompt is always on the same side."""
    return int(hashlib.sha256(prompt.encode()).hexdigest()[:8], 16) % 1000 < share * 1000


def split(examples: Mapping[str, Sequence[str]], share: float) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    train: list[tuple[str, str]] = []
    held: list[tuple[str, str]] = []
    for category, prompts in examples.items():
        for prompt in prompts:
            (held if is_held_out(prompt, share) else train).append((prompt, category))
    return train, held


@dataclass(frozen=True)
class PromptScores:
    """Probability per category (benign included)."""

    scores: Mapping[str, float]
    """Category → probability."""
    normalised: str
    """The deobfuscated prompt that was scored."""


class PromptScorer(Protocol):
    """Scores prompts per category."""

    def score(self, prompts: Sequence[str]) -> list[PromptScores]:
        """One `PromptScores` per prompt."""
        ...


class PromptClassifierSource(Protocol):
    """Hands out the scorer trained on a policy's examples."""

    def get(self, examples: Path, held_out_share: float) -> PromptScorer:
        """The scorer for these examples (trained once)."""
        ...


@dataclass(frozen=True)
class PromptHead:
    """A trained multinomial logistic regression: what is kept on disk."""

    categories: tuple[str, ...]
    """Class labels, in the order of the rows of `weights`."""
    weights: NDArray[np.float64]
    """(classes, dimensions); one row for a two-class head."""
    bias: NDArray[np.float64]
    """(classes,); one value for a two-class head."""

    @classmethod
    def train(cls, embeddings: NDArray[np.float32], labels: Sequence[str]) -> PromptHead:
        from sklearn.linear_model import LogisticRegression
        from threadpoolctl import threadpool_limits

        head = LogisticRegression(C=8.0, max_iter=2000, class_weight="balanced")
        # One thread, as for the encoder: two processes training at once with spinning BLAS threads crawled. BLAS is
        # limited for the whole process (math_threads); OpenMP's count belongs to this thread alone.
        one_blas_thread()
        with threadpool_limits(limits=1, user_api="openmp"):
            head.fit(embeddings, list(labels))
        return cls(
            tuple(str(c) for c in head.classes_),
            np.asarray(head.coef_, np.float64),
            np.asarray(head.intercept_, np.float64),
        )

    def probabilities(self, embeddings: NDArray[np.float32]) -> NDArray[np.float64]:
        """(prompts, classes), as scikit-learn's `predict_proba` computes them."""
        logits = np.asarray(embeddings, np.float64) @ self.weights.T + self.bias
        if len(self.categories) == 2:
            positive = 1.0 / (1.0 + np.exp(-logits[:, 0]))
            return np.stack([1.0 - positive, positive], axis=1)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        out: NDArray[np.float64] = exp / exp.sum(axis=1, keepdims=True)
        return out


class PromptHeadStore:
    """Trained heads on disk (`.npz`, no pickle), named by the digest of the examples, the held-out share and the
    encoder: a changed examples file trains a new head, an unchanged one is never trained twice."""

    VERSION = "1"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def key(cls, examples: Path, held_out_share: float, encoder_id: str) -> str:
        digest = hashlib.sha256()
        for part in (cls.VERSION, encoder_id, f"{held_out_share:.6f}"):
            digest.update(part.encode() + b"\0")
        try:
            digest.update(examples.read_bytes())
        except OSError as exc:
            raise ConfigurationError(f"cannot read prompt examples {examples}: {exc}") from None
        return digest.hexdigest()

    def load(self, key: str) -> PromptHead | None:
        path = self.folder / f"{key}.npz"
        try:
            with np.load(path, allow_pickle=False) as data:
                return PromptHead(
                    tuple(str(c) for c in data["categories"]), np.asarray(data["weights"]), np.asarray(data["bias"])
                )
        except (OSError, KeyError, ValueError):
            # Missing or damaged: trained again and rewritten, never trusted half-read.
            return None

    def save(self, key: str, head: PromptHead) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.folder / f".{key}.{os.getpid()}.{threading.get_ident()}.npz"
        try:
            with partial.open("wb") as handle:
                np.savez(handle, categories=np.array(head.categories), weights=head.weights, bias=head.bias)
            os.replace(partial, self.folder / f"{key}.npz")
        except OSError:
            partial.unlink(missing_ok=True)  # a read-only cache only costs the next process a retraining


class PromptClassifier:
    """A logistic-regression head over sentence embeddings."""

    def __init__(
        self, encoder: MultilingualEncoder, training: Sequence[tuple[str, str]] = (), *, head: PromptHead | None = None
    ) -> None:
        self.encoder = encoder
        if head is None:
            texts = [deobfuscate(p) for p, _ in training]
            head = PromptHead.train(encoder.encode(texts), [c for _, c in training])
        self.head = head
        self.categories: list[str] = list(head.categories)

    def score(self, prompts: Sequence[str]) -> list[PromptScores]:
        normalised = [deobfuscate(p) for p in prompts]
        probabilities = self.head.probabilities(self.encoder.encode(normalised))
        return [
            PromptScores({c: float(p) for c, p in zip(self.categories, row, strict=True)}, text)
            for row, text in zip(probabilities, normalised, strict=True)
        ]

    def similarity(self, first: str, second: str) -> float:
        a, b = self.encoder.encode([deobfuscate(first), deobfuscate(second)])
        return float(a @ b)


class PromptClassifierCache:
    """One classifier per examples file: in memory, else loaded from the head store, else trained once and saved
    there. Classifiers are kept by the digest of what they learned from, so two caches in one process (two homes,
    as tests have) share them too."""

    def __init__(self, heads: PromptHeadStore | None = None, *, encoder: MultilingualEncoder | None = None) -> None:
        self.encoder = encoder or MultilingualEncoder()
        self.heads = heads
        self._trained: dict[str, PromptClassifier] = {}
        self._lock = threading.Lock()

    def get(self, examples: Path, held_out_share: float) -> PromptClassifier:
        key = PromptHeadStore.key(examples, held_out_share, ENCODER_ID)
        with self._lock:
            if key not in self._trained:
                self._trained[key] = self._build(key, examples, held_out_share)
            return self._trained[key]

    def _build(self, key: str, examples: Path, held_out_share: float) -> PromptClassifier:
        head = self.heads.load(key) if self.heads is not None else None
        if head is not None:
            return PromptClassifier(self.encoder, head=head)
        train, _ = split(load_examples(examples), held_out_share)
        classifier = PromptClassifier(self.encoder, train)
        if self.heads is not None:
            self.heads.save(key, classifier.head)
        return classifier


_SHARED: dict[str, PromptClassifierCache] = {}
_SHARED_LOCK = threading.Lock()


def shared_prompt_classifiers(heads_folder: Path | None = None) -> PromptClassifierCache:
    """The process-wide cache: the encoder loads once per process, and each examples file is trained once ever
    (then loaded from the first `heads_folder` given)."""
    with _SHARED_LOCK:
        cache = _SHARED.setdefault("cache", PromptClassifierCache())
        if cache.heads is None and heads_folder is not None:
            cache.heads = PromptHeadStore(heads_folder)
        return cache
