"""Re-encoding a video with its marks: the visible label and the invisible token.

The visible label ("AI-generated · @handle") moves between the four corners every two seconds, so cropping any
one region leaves it on screen for the rest of the video. The invisible token is added to every frame. Video is
re-encoded as H.264; audio is re-encoded as AAC. The output is written to a temporary name and renamed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import av.error
import cv2
import numpy as np
from numpy.typing import NDArray

from provenance.errors import MarkingError
from provenance.watermark import InvisibleWatermark

_CORNER_SECONDS = 2.0


def _draw_label(frame: NDArray[np.uint8], text: str, t: float) -> None:
    height, width = frame.shape[:2]
    scale = max(0.4, height / 720 * 0.9)
    thickness = max(1, round(scale * 2))
    (text_w, text_h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    margin = max(6, height // 40)
    corner = int(t // _CORNER_SECONDS) % 4
    x = margin if corner in (0, 3) else width - text_w - margin
    y = margin + text_h if corner in (0, 1) else height - margin - base
    cv2.putText(frame, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness + 2, cv2.LINE_AA)
    cv2.putText(frame, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness, cv2.LINE_AA)


def mark_video(
    source: Path,
    dest: Path,
    *,
    label: str,
    watermark: InvisibleWatermark,
    token: int,
    crf: int = 20,
    on_frame: Callable[[float, NDArray[np.uint8]], None] | None = None,
) -> Path:
    """Write `source` to `dest` with the visible label and the invisible token burned in.

    `on_frame` sees every marked frame (t, RGB) as it is encoded, so a caller can fingerprint without decoding
    the output again."""
    tmp = dest.with_name(f".marking-{os.getpid()}-{dest.name}")
    try:
        with av.open(str(source)) as inp, av.open(str(tmp), mode="w", format="mp4") as out:
            vin = inp.streams.video[0]
            vin.thread_type = "AUTO"
            rate = vin.average_rate or Fraction(24)
            vout = out.add_stream("libx264", rate=rate)
            vout.width, vout.height = vin.codec_context.width, vin.codec_context.height
            vout.pix_fmt = "yuv420p"
            vout.codec_context.gop_size = max(1, round(float(rate) * 2))
            vout.options = {"preset": "superfast", "crf": str(crf)}
            ain = inp.streams.audio[0] if inp.streams.audio else None
            aout = out.add_stream("aac", rate=ain.codec_context.sample_rate or 48000) if ain else None
            plus, minus = watermark.overlay(token, vout.width, vout.height)
            streams = [s for s in (vin, ain) if s is not None]
            for packet in inp.demux(*streams):
                for frame in packet.decode():
                    if isinstance(frame, av.VideoFrame):
                        pixels = np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
                        rgb = np.asarray(cv2.subtract(cv2.add(pixels, plus), minus), dtype=np.uint8)
                        _draw_label(rgb, label, frame.time or 0.0)
                        if on_frame is not None:
                            on_frame(frame.time or 0.0, rgb)
                        out.mux(vout.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
                    elif aout is not None and isinstance(frame, av.AudioFrame):
                        frame.pts = None
                        out.mux(aout.encode(frame))
            out.mux(vout.encode(None))
            if aout is not None:
                out.mux(aout.encode(None))
        os.replace(tmp, dest)
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        tmp.unlink(missing_ok=True)
        raise MarkingError(f"cannot mark {source.name}: {exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest
