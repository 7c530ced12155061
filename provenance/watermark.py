"""Invisible watermark: an error-corrected payload spread over every frame's luminance, recovered by averaging.

The payload is a 40-bit token and a CRC-16, protected by the rate-1/2, constraint-length-7 convolutional code
(generators 171/133 octal, the one deep-space links and Wi-Fi use): 124 coded bits. Each coded bit owns a pseudo-
random ±1 pattern on a coarse 64x36 grid (seeded by the key); the bits' signed patterns are summed, scaled to a few
grey levels and stretched smoothly over the frame, the same in every frame. Low spatial frequencies survive
rescaling and heavy compression; a constant pattern survives averaging, where the picture (which moves) partly
cancels. Decoding shrinks sampled frames to the grid, removes each frame's own coarse picture with a high-pass,
clips what is left at a few robust deviations (edges of the picture and of the visible label are large and sparse;
the pattern is small and everywhere, so clipping costs it little and keeps a static edge from outvoting it),
averages (a soft vote across frames), correlates with every coded bit's pattern and runs a soft-decision Viterbi
decoder over the correlations. A reading is reported only when the CRC holds, so a wrong id is very unlikely to be
claimed. On 40 rendered clips the code took half-size JPEG-50 copies from 32 to 40 traced. Cost: one saturating add
of a precomputed image to each frame's luma plane to embed; one resize per sampled frame and a 64-state trellis per
video to decode.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

# The mark lives on a 64x36 grid of cells (16:9, coarse enough to survive rescaling and recompression) spread over the
# whole frame; a 40-bit token plus a CRC-16 so a misread is detected rather than returned as another token.
GRID = (64, 36)
TOKEN_BITS = 40
CRC_BITS = 16
PAYLOAD_BITS = TOKEN_BITS + CRC_BITS
# The classic rate-1/2, constraint-length-7 convolutional code (generators 171, 133 octal), decoded by Viterbi: it
# corrects the scattered bit errors that cropping and re-encoding leave.
_CONSTRAINT = 7
_GENERATORS = (0o171, 0o133)
_STATES = 1 << (_CONSTRAINT - 1)
CODED_BITS = 2 * (PAYLOAD_BITS + _CONSTRAINT - 1)
# The mark is read from the high-pass residual (the frame minus its blur), where the picture's own content is weakest;
# each cell's residual is clipped at two standard deviations so one bright edge cannot outvote the rest.
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
    """Token and CRC as ±1 values (+1 for a one bit)."""
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


def _branch_symbols() -> NDArray[np.float64]:
    """±1 output pair (+1 for a one) for every (state, input bit); the state holds the last six inputs."""
    table = np.zeros((_STATES, 2, 2), np.float64)
    for state in range(_STATES):
        for bit in (0, 1):
            register = (bit << (_CONSTRAINT - 1)) | state
            for out, generator in enumerate(_GENERATORS):
                table[state, bit, out] = 1.0 if bin(register & generator).count("1") % 2 else -1.0
    return table


_SYMBOLS = _branch_symbols()


def convolutional_encode(signs: NDArray[np.int8]) -> NDArray[np.float32]:
    """The ±1 payload (+1 for a one) encoded, with six zero tail bits so the trellis ends in state 0."""
    state, coded = 0, []
    bits = [int(s > 0) for s in signs] + [0] * (_CONSTRAINT - 1)
    for bit in bits:
        coded.extend(_SYMBOLS[state, bit])
        state = ((bit << (_CONSTRAINT - 1)) | state) >> 1
    return np.array(coded, np.float32)


def viterbi_decode(soft: NDArray[np.float64]) -> NDArray[np.float64]:
    """Most likely ±1 payload for soft coded symbols (positive leans to a one), by the maximum-correlation path.

    Next state n has two predecessors, ((n << 1) & 63) | p for p in {0, 1}, both reached by input bit n >> 5, so
    each step is two gathers and a max over the 64 states."""
    steps = len(soft) // 2
    payload = steps - (_CONSTRAINT - 1)
    targets = np.arange(_STATES)
    inputs = targets >> (_CONSTRAINT - 2)
    predecessors = np.stack([((targets << 1) & (_STATES - 1)) | p for p in (0, 1)])
    metric = np.full(_STATES, -np.inf)
    metric[0] = 0.0
    chosen = np.zeros((steps, _STATES), np.int64)
    for step in range(steps):
        pair = soft[2 * step : 2 * step + 2]
        branch = _SYMBOLS[predecessors, inputs[None, :]] @ pair
        candidates = metric[predecessors] + branch
        pick = np.argmax(candidates, axis=0)
        metric = candidates[pick, targets]
        if step >= payload:  # tail: only zero inputs are allowed
            metric[inputs == 1] = -np.inf
        chosen[step] = predecessors[pick, targets]
    state, bits = 0, []
    for step in range(steps - 1, -1, -1):
        bits.append(1.0 if state >> (_CONSTRAINT - 2) else -1.0)
        state = int(chosen[step, state])
    return np.array(bits[::-1][:payload], np.float64)


def _patterns(key: int) -> NDArray[np.float32]:
    rng = np.random.default_rng(key)
    return rng.choice(np.array([-1.0, 1.0], np.float32), size=(CODED_BITS, GRID[1], GRID[0]))


def _high_pass(image: NDArray[np.float32]) -> NDArray[np.float32]:
    blurred = cv2.GaussianBlur(image, (0, 0), _HIGH_PASS_SIGMA)
    out: NDArray[np.float32] = (image - blurred).astype(np.float32)
    return out


def _accumulate(frames: Iterable[NDArray[np.uint8]]) -> tuple[NDArray[np.float64], int]:
    """The frames' clipped high-passed luminance on the grid, summed (it does not depend on the key), and how many."""
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
    return total, count


@dataclass(frozen=True)
class WatermarkReading:
    """What decoding found."""

    found: bool
    """The CRC held after error correction."""
    token: int | None
    """The recovered token."""
    confidence: float
    """Correlation of the decoded codeword with what was read, -1 to 1 (1: every coded bit agrees strongly)."""
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

    def overlay_luma(self, token: int, width: int, height: int) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
        """(add, subtract) images for `cv2.add`/`cv2.subtract` on a limited-range luma plane.

        A luma step of d shows as 255/219 d in RGB and in the grey the reader sees, so the field is scaled by
        219/255 to keep `strength` in the reader's grey levels."""
        coded = convolutional_encode(token_bits(token))
        field = np.tensordot(coded, self._patterns, axes=1) / np.sqrt(CODED_BITS) * self.strength * (219 / 255)
        full = np.rint(cv2.resize(field.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR))
        positive = np.clip(full, 0, 255).astype(np.uint8)
        negative = np.clip(-full, 0, 255).astype(np.uint8)
        return positive, negative

    def read(self, frames: Iterable[NDArray[np.uint8]]) -> WatermarkReading:
        """Average the frames' clipped high-passed luminance, correlate with every coded bit, decode."""
        return self.decode(*_accumulate(frames))

    def decode(self, total: NDArray[np.float64], count: int) -> WatermarkReading:
        """Decode an accumulated residual (`_accumulate`) with this key."""
        if count == 0:
            return WatermarkReading(False, None, 0.0, 0)
        correlations = np.einsum("ijk,jk->i", self._filters, total) / self._norms
        payload = viterbi_decode(correlations)
        token = bits_token(payload)
        codeword = convolutional_encode(np.where(payload > 0, 1, -1).astype(np.int8))
        scale = float(np.linalg.norm(correlations)) * np.sqrt(CODED_BITS) or 1.0
        confidence = float(codeword @ correlations) / scale
        return WatermarkReading(token is not None, token, round(confidence, 3), count)


class WatermarkKeyRing(InvisibleWatermark):
    """Embeds with the current key (the first) and reads with every key, current first: after a rotation, marks
    made with a retired key still read. The frames are accumulated once; each further key costs one correlation
    and one Viterbi pass. Each key tried is another chance for a false CRC match (1 in 65,536 per key), which is
    why a reading also has to name a token the registry issued."""

    def __init__(self, keys: Sequence[int], strength: float = 4.0) -> None:
        if not keys:
            raise ValueError("a watermark key ring needs at least one key")
        super().__init__(keys[0], strength)
        self.keys = tuple(keys)
        self._retired = [InvisibleWatermark(key, strength) for key in keys[1:]]

    def read(self, frames: Iterable[NDArray[np.uint8]]) -> WatermarkReading:
        total, count = _accumulate(frames)
        reading = self.decode(total, count)
        for retired in self._retired:
            if reading.found:
                break
            reading = retired.decode(total, count)
        return reading if reading.found else self.decode(total, count)
