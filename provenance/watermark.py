"""Invisible watermark: a payload spread over every frame's luminance, recovered by averaging frames.

Each payload bit owns a pseudo-random ±1 pattern on a coarse 64x36 grid (seeded by the key); the bits' signed
patterns are summed, scaled to a few grey levels and stretched smoothly over the frame, the same in every frame.
Low spatial frequencies survive rescaling and heavy compression; a constant pattern survives averaging, where
the picture (which moves) partly cancels. Decoding shrinks sampled frames to the grid, removes each frame's own
coarse picture with a high-pass, clips what is left at a few robust deviations (edges of the picture and of the
visible label are large and sparse; the pattern is small and everywhere, so clipping costs it little and keeps a
static edge from outvoting it), averages, and correlates with every bit's pattern. The payload is a 40-bit
token and a CRC-16: a reading is reported only when the CRC holds, so a wrong id is very unlikely to be claimed.
Cost: one saturating add of a precomputed image per frame to embed; one resize per sampled frame to decode.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

GRID = (64, 36)
TOKEN_BITS = 40
CRC_BITS = 16
PAYLOAD_BITS = TOKEN_BITS + CRC_BITS
_HIGH_PASS_SIGMA = 2.0
_CLIP_DEVIATIONS = 2.0


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def new_token() -> int:
    """A random 40-bit token (the registry maps it to a video)."""
    return secrets.randbits(TOKEN_BITS)


def token_bits(token: int) -> NDArray[np.int8]:
    """Token and CRC as ±1 values."""
    raw = token.to_bytes(5, "big")
    word = (token << CRC_BITS) | crc16(raw)
    bits = [(word >> (PAYLOAD_BITS - 1 - i)) & 1 for i in range(PAYLOAD_BITS)]
    return np.array([1 if b else -1 for b in bits], dtype=np.int8)


def bits_token(signs: NDArray[np.float64]) -> int | None:
    """The token when the CRC holds, else None."""
    word = 0
    for value in signs:
        word = (word << 1) | int(value > 0)
    token, crc = word >> CRC_BITS, word & 0xFFFF
    return token if crc16(token.to_bytes(5, "big")) == crc else None


def _patterns(key: int) -> NDArray[np.float32]:
    rng = np.random.default_rng(key)
    return rng.choice(np.array([-1.0, 1.0], np.float32), size=(PAYLOAD_BITS, GRID[1], GRID[0]))


def _high_pass(image: NDArray[np.float32]) -> NDArray[np.float32]:
    blurred = cv2.GaussianBlur(image, (0, 0), _HIGH_PASS_SIGMA)
    out: NDArray[np.float32] = (image - blurred).astype(np.float32)
    return out


@dataclass(frozen=True)
class WatermarkReading:
    """What decoding found."""

    found: bool
    """The CRC held."""
    token: int | None
    """The recovered token."""
    confidence: float
    """Smallest per-bit correlation over its noise level (higher is surer)."""
    frames: int
    """Frames averaged."""


class InvisibleWatermark:
    """Embeds and reads tokens with one key."""

    def __init__(self, key: int, strength: float = 4.0) -> None:
        self.key = key
        self.strength = strength
        self._patterns = _patterns(key)
        self._filters = np.stack([_high_pass(p) for p in self._patterns])
        self._norms = np.sqrt(np.einsum("ijk,ijk->i", self._filters, self._filters))

    def overlay(self, token: int, width: int, height: int) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
        """(add, subtract) images for `cv2.add`/`cv2.subtract`: the token's pattern at frame size."""
        signs = token_bits(token).astype(np.float32)
        field = np.tensordot(signs, self._patterns, axes=1) / np.sqrt(PAYLOAD_BITS) * self.strength
        full = cv2.resize(field.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
        full3 = np.repeat(np.rint(full)[..., None], 3, axis=2)
        positive = np.clip(full3, 0, 255).astype(np.uint8)
        negative = np.clip(-full3, 0, 255).astype(np.uint8)
        return positive, negative

    def read(self, frames: Iterable[NDArray[np.uint8]]) -> WatermarkReading:
        """Average the frames' high-passed luminance and correlate it with every bit's pattern."""
        total = np.zeros((GRID[1], GRID[0]), np.float64)
        count = 0
        for frame in frames:
            grey = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY).astype(np.float32)
            small = np.asarray(cv2.resize(grey, GRID, interpolation=cv2.INTER_AREA), dtype=np.float32)
            residual = _high_pass(small)
            # Scaling by a robust deviation keeps one busy frame from drowning the others; clipping keeps a few
            # strong edges from drowning the pattern.
            deviation = float(np.median(np.abs(residual))) * 1.4826 + 1e-3
            total += np.clip(residual / deviation, -_CLIP_DEVIATIONS, _CLIP_DEVIATIONS)
            count += 1
        if count == 0:
            return WatermarkReading(False, None, 0.0, 0)
        correlations = np.einsum("ijk,jk->i", self._filters, total) / self._norms
        noise = float(np.sqrt(np.mean(correlations**2))) or 1.0
        token = bits_token(correlations)
        confidence = float(np.min(np.abs(correlations)) / noise)
        return WatermarkReading(token is not None, token, round(confidence, 3), count)
