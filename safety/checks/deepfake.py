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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from provenance import sampled_frames
from safety.checks.base import CheckContext, CheckOutcome
from safety.domain import Finding
from safety.errors import ModelUnavailable


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


class DeepfakeCheck:
    """Runs every installed classifier on sampled frames; the highest 'fake' probability is the score."""

    name = "deepfake"

    def __init__(self, cards: list[Path]) -> None:
        self.card_paths = cards
        self._sessions: list[tuple[ModelCard, Any]] | None = None
        self._lock = threading.Lock()

    def _load(self) -> list[tuple[ModelCard, Any]]:
        with self._lock:
            if self._sessions is None:
                import onnxruntime

                sessions = []
                for path in self.card_paths:
                    card = read_card(path)
                    if not card.file.is_file():
                        raise ModelUnavailable(f"deepfake model {card.file} is missing")
                    if hashlib.sha256(card.file.read_bytes()).hexdigest() != card.sha256:
                        raise ModelUnavailable(f"deepfake model {card.file.name} does not match its card's sha256")
                    try:
                        session = onnxruntime.InferenceSession(str(card.file), providers=["CPUExecutionProvider"])
                    except Exception as exc:  # noqa: BLE001 - a model that will not load is unavailable
                        raise ModelUnavailable(f"deepfake model {card.file.name} will not load: {exc}") from None
                    sessions.append((card, session))
                self._sessions = sessions
            return self._sessions

    @staticmethod
    def _batch(card: ModelCard, frames: list[np.ndarray]) -> np.ndarray:
        resized = [cv2.resize(f, card.input_size, interpolation=cv2.INTER_AREA) for f in frames]
        scaled = np.stack(resized).astype(np.float32) / 255.0
        normalised = (scaled - np.array(card.mean, np.float32)) / np.array(card.std, np.float32)
        return np.ascontiguousarray(normalised.transpose(0, 3, 1, 2).astype(np.float32))

    def run(self, context: CheckContext) -> CheckOutcome:
        models = self._load()
        frames = [f for _, f in sampled_frames(str(context.video_path), 1.0, 16)]
        findings = []
        for card, session in models:
            inputs = self._batch(card, frames)
            name = session.get_inputs()[0].name
            logits = np.concatenate([session.run(None, {name: inputs[i : i + 1]})[0] for i in range(len(inputs))])
            exp = np.exp(logits - logits.max(axis=1, keepdims=True))
            probabilities = exp / exp.sum(axis=1, keepdims=True)
            fake = probabilities[:, card.labels.index(card.fake_label)]
            worst = int(np.argmax(fake))
            findings.append(
                Finding(
                    "deepfake.detected",
                    self.name,
                    f"{card.name}: manipulation probability {float(fake[worst]):.2f}",
                    score=float(fake[worst]),
                    evidence={"model": card.name, "frame_index": worst, "frames_scored": len(frames)},
                )
            )
        return CheckOutcome(tuple(findings))
