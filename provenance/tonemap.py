"""HDR to SDR, on purpose: what the publish step does with BT.2020 PQ or HLG video it re-encodes as 8-bit BT.709.

An 8-bit BT.709 output cannot carry HDR. Squeezing PQ code values into it unchanged gives a washed-out, dim
picture; instead the signal is decoded to light (the PQ EOTF, or HLG's inverse OETF with its system gamma), HDR
reference white (203 nits, ITU-R BT.2408) is mapped to SDR white with a smooth roll-off for highlights, the
colours are moved from BT.2020 to BT.709 primaries, and the BT.709 transfer is applied. The gate reports it
(`media.hdr_tone_mapped`), so nobody mistakes the published file for the HDR original.
"""

from __future__ import annotations

import av
import numpy as np
from numpy.typing import NDArray

# FFmpeg's transfer characteristic codes.
TRC_PQ = 16
TRC_HLG = 18
HDR_TRANSFERS = {TRC_PQ: "PQ", TRC_HLG: "HLG"}
# ITU-R BT.2408 reference (diffuse) white; HLG's nominal peak display; above the knee, highlights are compressed
# smoothly towards SDR white rather than clipped, so a bright sky keeps its gradation instead of turning flat white.
_REFERENCE_WHITE_NITS = 203.0
_HLG_PEAK_NITS = 1000.0
_KNEE = 0.75
# BT.2020 to BT.709 primaries, on linear light (ITU-R BT.2087).
_BT2020_TO_BT709 = np.array(
    [[1.6605, -0.5876, -0.0728], [-0.1246, 1.1329, -0.0083], [-0.0182, -0.1006, 1.1187]], dtype=np.float32
)


def _pq_to_nits(signal: NDArray[np.float32]) -> NDArray[np.float32]:
    m1, m2, c1, c2, c3 = 0.1593017578125, 78.84375, 0.8359375, 18.8515625, 18.6875
    power = np.power(np.clip(signal, 0, 1), 1 / m2)
    linear = np.power(np.maximum(power - c1, 0) / (c2 - c3 * power), 1 / m1)
    return np.asarray(linear * 10000.0, dtype=np.float32)


def _hlg_to_nits(signal: NDArray[np.float32]) -> NDArray[np.float32]:
    a, b, c = 0.17883277, 0.28466892, 0.55991073
    e = np.clip(signal, 0, 1)
    scene = np.where(e <= 0.5, e * e / 3.0, (np.exp((e - c) / a) + b) / 12.0)
    luminance = 0.2627 * scene[..., 0] + 0.6780 * scene[..., 1] + 0.0593 * scene[..., 2]
    # The HLG OOTF: display light rises with scene luminance to the power of the system gamma (1.2 at 1000 nits).
    gain = np.power(np.maximum(luminance, 1e-6), 0.2)[..., None]
    return np.asarray(_HLG_PEAK_NITS * scene * gain, dtype=np.float32)


def _bt709_oetf(linear: NDArray[np.float32]) -> NDArray[np.float32]:
    x = np.clip(linear, 0, 1)
    return np.asarray(np.where(x < 0.018, 4.5 * x, 1.099 * np.power(x, 0.45) - 0.099), dtype=np.float32)


def tone_map_frame(frame: av.VideoFrame, transfer: int) -> NDArray[np.uint8]:
    """An HDR frame as 8-bit BT.709 RGB."""
    rgb = frame.reformat(format="rgb48le", src_colorspace="BT2020", dst_colorspace="BT2020").to_ndarray()
    signal = np.asarray(rgb, dtype=np.float32) / 65535.0
    nits = _pq_to_nits(signal) if transfer == TRC_PQ else _hlg_to_nits(signal)
    relative = nits / _REFERENCE_WHITE_NITS
    # A soft knee: everything up to 75% of reference white is kept as it is, highlights above roll off smoothly
    # towards SDR white instead of clipping (reference white lands at about 91%).
    mapped = np.where(
        relative <= _KNEE, relative, _KNEE + (1 - _KNEE) * (1 - np.exp(-(relative - _KNEE) / (1 - _KNEE)))
    )
    bt709 = np.clip(mapped @ _BT2020_TO_BT709.T, 0, 1)
    return np.asarray(np.rint(_bt709_oetf(bt709) * 255), dtype=np.uint8)
