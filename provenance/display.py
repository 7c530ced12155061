"""Frames as people see them: decoded pictures turned the way their display matrix says.

Phones record a portrait video as landscape pixels plus a rotation in the stream's display matrix; players turn it
upright. Everything that looks at a video (faces, nudity, fingerprints, the watermark reader) and the marking that
re-encodes it must see the picture upright too, or a sideways face goes unrecognised and the label lands sideways.
"""

from __future__ import annotations

import av
import numpy as np
from numpy.typing import NDArray


def quarter_turns(frame: av.VideoFrame) -> int:
    """How many quarter turns counter-clockwise make the frame upright (0 to 3)."""
    degrees = round(float(getattr(frame, "rotation", 0) or 0))
    return (degrees // 90) % 4


def upright(array: NDArray[np.uint8], turns: int) -> NDArray[np.uint8]:
    """A picture (or one plane of it) turned upright."""
    return np.ascontiguousarray(np.rot90(array, k=turns)) if turns else array


def upright_rgb(frame: av.VideoFrame) -> NDArray[np.uint8]:
    """The frame as RGB, turned upright."""
    return upright(np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8), quarter_turns(frame))


def yuv420_planes(frame: av.VideoFrame, *, keep_full_range: bool = False) -> list[NDArray[np.uint8]]:
    """Copies of the frame's Y, U and V planes at 8-bit 4:2:0, each at its own size (a plane's row can be longer
    than its width in memory, and chroma of an odd size rounds up). 10-bit, 4:2:2 and 4:4:4 are converted; with
    `keep_full_range`, full-range video stays full range instead of being squeezed into 16-235."""
    if frame.format.name == "yuv420p":
        yuv = frame
    elif keep_full_range:
        yuv = frame.reformat(format="yuv420p", src_color_range=2, dst_color_range=2)
    else:
        yuv = frame.reformat(format="yuv420p")
    return [
        np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width].copy()
        for plane in yuv.planes
    ]


def frame_from_planes(planes: list[NDArray[np.uint8]]) -> av.VideoFrame:
    """A yuv420p frame from Y, U and V planes (Y of even size)."""
    luma = planes[0]
    out = av.VideoFrame(luma.shape[1], luma.shape[0], "yuv420p")
    for plane, array in zip(out.planes, planes, strict=True):
        buffer = np.zeros((plane.height, plane.line_size), np.uint8)
        buffer[:, : plane.width] = array[: plane.height, : plane.width]
        plane.update(buffer.tobytes())
    return out
