"""Frames as people see them: decoded pictures turned the way their display matrix says.

Phones record a portrait video as landscape pixels plus a rotation in the stream's display matrix; players turn it
upright. Everything that looks at a video (faces, nudity, fingerprints, the watermark reader) and the marking that
re-encodes it must see the picture upright too, or a sideways face goes unrecognised and the label lands sideways.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Orientation:
    """How to turn decoded pictures into what a viewer sees."""

    turns: int = 0
    """Quarter turns counter-clockwise (0 to 3), after the mirror."""
    mirror: bool = False
    """Flip left to right first (a display matrix with a negative determinant, e.g. a front camera)."""


def quarter_turns(frame: av.VideoFrame) -> int:
    """How many quarter turns counter-clockwise make the frame upright (0 to 3), by its display matrix."""
    degrees = round(float(getattr(frame, "rotation", 0) or 0))
    return (degrees // 90) % 4


def _moov(path: Path, limit: int = 64 << 20) -> bytes | None:
    """The `moov` box of an MP4/MOV file, found by walking the top-level boxes (media data is skipped, not read)."""
    try:
        with path.open("rb") as handle:
            while True:
                header = handle.read(8)
                if len(header) < 8:
                    return None
                size, kind = struct.unpack(">I4s", header)
                body = size - 8
                if size == 1:
                    body = struct.unpack(">Q", handle.read(8))[0] - 16
                elif size == 0:
                    return handle.read(limit) if kind == b"moov" else None
                if kind == b"moov":
                    return handle.read(min(body, limit)) if body >= 0 else None
                if body < 0:
                    return None
                handle.seek(body, 1)
    except (OSError, struct.error, OverflowError, ValueError):
        return None


def _track_matrix(path: Path) -> tuple[int, int, int, int] | None:
    """(a, b, c, d) of the first video track's header matrix in an MP4 or MOV file, or None."""
    data = _moov(path)
    if data is None:
        return None
    start = 0
    while (trak := data.find(b"trak", start)) >= 0:
        start = trak + 4
        end = data.find(b"trak", start)
        box = data[trak : end if end > 0 else len(data)]
        handler = box.find(b"hdlr")
        if handler < 0 or box[handler + 12 : handler + 16] != b"vide":
            continue
        header = box.find(b"tkhd")
        if header < 0:
            return None
        at = header + 8 + (32 if box[header + 4] == 1 else 20) + 16
        if at + 16 > len(box):
            return None
        a, b, _, c, d = struct.unpack(">iiiii", box[at : at + 20])
        return a, b, c, d
    return None


def orientation_of(path: str | Path, frame: av.VideoFrame) -> Orientation:
    """How to show this file's frames. The frame's rotation covers plain turns; a mirrored display matrix (which
    the rotation alone misreads as a half turn) is read from the MP4/MOV track header."""
    matrix = _track_matrix(Path(path)) if str(path).lower().endswith((".mp4", ".mov", ".m4v")) else None
    if matrix is not None:
        a, b, c, d = matrix
        if a * d - b * c < 0:
            # Flip first, then the remaining rotation: with the flip taken out, (a, b) is a pure rotation.
            degrees = -math.degrees(math.atan2(-b, -a))
            return Orientation(round(degrees / 90) % 4, True)
    return Orientation(quarter_turns(frame), False)


def upright(array: NDArray[np.uint8], turns: int, mirror: bool = False) -> NDArray[np.uint8]:
    """A picture (or one plane of it) as shown: mirrored if asked, then turned."""
    if mirror:
        array = array[:, ::-1]
    return np.ascontiguousarray(np.rot90(array, k=turns)) if turns or mirror else array


def upright_rgb(frame: av.VideoFrame, orientation: Orientation | None = None) -> NDArray[np.uint8]:
    """The frame as RGB, as shown (by its own rotation unless the file's orientation is given)."""
    shown = orientation or Orientation(quarter_turns(frame), False)
    return upright(np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8), shown.turns, shown.mirror)


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
