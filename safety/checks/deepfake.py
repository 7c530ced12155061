"""The deepfake classifier slot: operator-supplied ONNX classifiers, each described by a small model card.

No deepfake detector ships in any pip package, so none runs by default; this check runs only when an operator
has installed a card (`HOME/models/deepfake/NAME.json`) next to its model. A card names the file, its sha256,
the input size, the normalisation, the labels and which label means "fake". A card whose model is missing,
altered or unloadable fails the check (never a pass).

    {"name": "df-v3", "file": "df-v3.onnx", "sha256": "...", "input_size": [224, 224],
     "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "labels": ["real", "fake"], "fake_label": "fake"}
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from policies import PolicyPack
from safety.checks.base import CheckContext, CheckOutcome
from safety.domain import Finding, Submission
from safety.errors import ModelUnavailable
from safety.frames import FrameNeed


@dataclass(frozen=True)
class ModelCard:
    """How to run one classifier."""

    name: str
    """Shown in evidence."""
    file: Path
    """The ONNX model."""
    sha256: str
    """Expected digest of the file."""
    input_size: tuple[int, int]
    """(width, height) the model takes."""
    mean: tuple[float, float, float]
    """Per-channel mean of RGB values scaled to 0-1."""
    std: tuple[float, float, float]
    """Per-channel standard deviation."""
    labels: tuple[str, ...]
    """Output labels in order."""
    fake_label: str
    """The label that means manipulated."""


def read_card(path: Path) -> ModelCard:
    try:
        data = json.loads(path.read_text())
        card = ModelCard(
            name=str(data["name"]),
            file=path.parent / str(data["file"]),
            sha256=str(data["sha256"]).lower(),
            input_size=(int(data["input_size"][0]), int(data["input_size"][1])),
            mean=tuple(float(x) for x in data.get("mean", [0.0, 0.0, 0.0])),  # type: ignore[arg-type]
            std=tuple(float(x) for x in data.get("std", [1.0, 1.0, 1.0])),  # type: ignore[arg-type]
            labels=tuple(str(x) for x in data["labels"]),
            fake_label=str(data["fake_label"]),
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise ModelUnavailable(f"deepfake model card {path.name} is unreadable: {exc}") from None
    if card.fake_label not in card.labels:
        raise ModelUnavailable(f"deepfake model card {path.name}: fake_label is not one of its labels")
    return card


def installed_cards(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


class DeepfakeModel(Protocol):
    """A classifier giving each frame's probability of being manipulated."""

    name: str
    """Shown in evidence."""

    def fake_probabilities(self, frames: list[np.ndarray]) -> np.ndarray:
        """One probability per RGB frame."""
        ...


class OnnxDeepfakeModel:
    """`DeepfakeModel` from an operator's ONNX file, run as its model card says."""

    def __init__(self, card: ModelCard, session: Any) -> None:
        self.card = card
        self.name = card.name
        self._session = session

    def _batch(self, frames: list[np.ndarray]) -> np.ndarray:
        card = self.card
        resized = [cv2.resize(f, card.input_size, interpolation=cv2.INTER_AREA) for f in frames]
        scaled = np.stack(resized).astype(np.float32) / 255.0
        normalised = (scaled - np.array(card.mean, np.float32)) / np.array(card.std, np.float32)
        return np.ascontiguousarray(normalised.transpose(0, 3, 1, 2).astype(np.float32))

    def fake_probabilities(self, frames: list[np.ndarray]) -> np.ndarray:
        inputs = self._batch(frames)
        name = self._session.get_inputs()[0].name
        logits = np.concatenate([self._session.run(None, {name: inputs[i : i + 1]})[0] for i in range(len(inputs))])
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities = exp / exp.sum(axis=1, keepdims=True)
        return np.asarray(probabilities[:, self.card.labels.index(self.card.fake_label)])


def load_onnx_models(cards: list[Path]) -> list[DeepfakeModel]:
    """Every card's model, checked against its sha256; `ModelUnavailable` for any that will not load."""
    import onnxruntime

    models: list[DeepfakeModel] = []
    for path in cards:
        card = read_card(path)
        if not card.file.is_file():
            raise ModelUnavailable(f"deepfake model {card.file} is missing")
        if hashlib.sha256(card.file.read_bytes()).hexdigest() != card.sha256:
            raise ModelUnavailable(f"deepfake model {card.file.name} does not match its card's sha256")
        try:
            session = onnxruntime.InferenceSession(str(card.file), providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - a model that will not load is unavailable
            raise ModelUnavailable(f"deepfake model {card.file.name} will not load: {exc}") from None
        models.append(OnnxDeepfakeModel(card, session))
    return models


class DeepfakeCheck:
    """Runs every installed classifier on sampled frames; the highest 'fake' probability is the score."""

    name = "deepfake"

    def __init__(self, cards: list[Path], *, models: Callable[[], list[DeepfakeModel]] | None = None) -> None:
        self.card_paths = cards
        self._load_models = models or (lambda: load_onnx_models(self.card_paths))
        self._models: list[DeepfakeModel] | None = None
        self._lock = threading.Lock()

    def _load(self) -> list[DeepfakeModel]:
        with self._lock:
            if self._models is None:
                self._models = self._load_models()
            return self._models

    def warm_up(self, policy: PolicyPack) -> None:
        self._load()

    def frame_need(self, policy: PolicyPack, submission: Submission) -> FrameNeed:
        # One frame a second, 16 at most: the classifier judges frames one by one, and face-swap artefacts last for
        # whole shots, so denser sampling adds cost, not evidence.
        return FrameNeed(1.0, 16)

    def run(self, context: CheckContext) -> CheckOutcome:
        models = self._load()
        frames = [f.image for f in context.frames.frames(self.name)]
        findings = []
        for model in models:
            fake = model.fake_probabilities(frames)
            worst = int(np.argmax(fake))
            findings.append(
                Finding(
                    "deepfake.detected",
                    self.name,
                    f"{model.name}: manipulation probability {float(fake[worst]):.2f}",
                    score=float(fake[worst]),
                    evidence={"model": model.name, "frame_index": worst, "frames_scored": len(frames)},
                )
            )
        return CheckOutcome(tuple(findings))
