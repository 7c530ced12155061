"""Re-encoding a video with its marks: the visible label and the invisible token.

The visible label ("AI-generated · @handle") moves between the four corners every two seconds, so cropping any one
region leaves it on screen for the rest of the video. The invisible token is added to every frame's luminance. The
work is done on YUV 4:2:0 planes, never on RGB: the watermark lives in luminance anyway. A plain 8-bit 4:2:0 frame
(what nearly every submission decodes to) is marked in the decoder's own buffers and handed to the encoder as it
is: the label touches only its box, the watermark one add on the luma plane, and no whole frame is copied or
converted (the one copy is FFmpeg's, when the decoder still holds the picture as a reference). Other frames (10-bit,
4:2:2, turned, odd-sized, HDR) are converted to such planes first. What is left is FFmpeg's own cost: on 10 s of
720p, marking and encoding take about the CPU time of decode + `drawbox` + libx264 at the same settings
(`bench/speed.py`). Video is re-encoded as H.264; AAC audio is copied, other audio re-encoded as AAC. The output is
written to a temporary name and renamed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
import cv2
import numpy as np
from numpy.typing import NDArray

from provenance.display import frame_from_planes, orientation_of, upright, yuv420_planes
from provenance.errors import MarkingError
from provenance.tonemap import HDR_TRANSFERS, tone_map_frame
from provenance.watermark import InvisibleWatermark

_CORNER_SECONDS = 2.0
# Limited-range BT.601 black and white: what RGB black and white become in the encoded planes.
_LUMA_BLACK, _LUMA_WHITE, _CHROMA_NEUTRAL = 16.0, 235.0, 128.0

RGBGetter = Callable[[], NDArray[np.uint8]]


@dataclass(frozen=True)
class _LabelStamp:
    """The label rendered once for one corner: where it goes and how opaque each of its pixels is."""

    top: int
    left: int
    outline: NDArray[np.float32]
    """Opacity of the black outline, at luma resolution."""
    text: NDArray[np.float32]
    """Opacity of the white text, at luma resolution."""
    chroma: NDArray[np.float32]
    """Opacity of either, at chroma (half) resolution: there the colour is made neutral."""

    def apply(self, planes: list[NDArray[np.uint8]]) -> None:
        """Blend the label into a frame's Y, U and V planes (4:2:0, each at its own size)."""
        rows, cols = self.outline.shape
        luma_plane = planes[0]
        luma = luma_plane[self.top : self.top + rows, self.left : self.left + cols].astype(np.float32)
        luma += (_LUMA_BLACK - luma) * self.outline
        luma += (_LUMA_WHITE - luma) * self.text
        luma_plane[self.top : self.top + rows, self.left : self.left + cols] = np.rint(luma).astype(np.uint8)
        for flat in planes[1:]:
            c_rows, c_cols = self.chroma.shape
            y0, x0 = self.top // 2, self.left // 2
            region = flat[y0 : y0 + c_rows, x0 : x0 + c_cols].astype(np.float32)
            region += (_CHROMA_NEUTRAL - region) * self.chroma
            flat[y0 : y0 + c_rows, x0 : x0 + c_cols] = np.rint(region).astype(np.uint8)


def _label_stamps(text: str, width: int, height: int) -> list[_LabelStamp]:
    scale = max(0.4, height / 720 * 0.9)
    thickness = max(1, round(scale * 2))
    (text_w, text_h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    margin = max(6, height // 40)
    pad = thickness + 2
    # Even offsets and sizes so the patch maps exactly onto the half-resolution chroma planes.
    box_w = min(width, (text_w + 2 * pad + 1) // 2 * 2)
    box_h = min(height, (text_h + base + 2 * pad + 1) // 2 * 2)
    stamps = []
    for corner in range(4):
        x = margin if corner in (0, 3) else width - text_w - margin
        y = margin + text_h if corner in (0, 1) else height - margin - base
        left = min(max(0, (x - pad) // 2 * 2), width - box_w)
        top = min(max(0, (y - text_h - pad) // 2 * 2), height - box_h)
        origin = (x - left, y - top)
        outline = np.zeros((box_h, box_w), np.uint8)
        inner = np.zeros((box_h, box_w), np.uint8)
        cv2.putText(outline, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, 255, thickness + 2, cv2.LINE_AA)
        cv2.putText(inner, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, 255, thickness, cv2.LINE_AA)
        outline_a = (outline / np.float32(255)).astype(np.float32)
        chroma = np.asarray(cv2.resize(outline_a, (box_w // 2, box_h // 2), interpolation=cv2.INTER_AREA), np.float32)
        stamps.append(_LabelStamp(top, left, outline_a, (inner / np.float32(255)).astype(np.float32), chroma))
    return stamps


def _fit(plane: NDArray[np.uint8], height: int, width: int, index: int) -> NDArray[np.uint8]:
    """The plane at the output's size for its kind (luma, or half-size chroma), edges repeated where it is short."""
    rows, cols = (height, width) if index == 0 else ((height + 1) // 2, (width + 1) // 2)
    if plane.shape == (rows, cols):
        return plane
    grown = np.pad(plane, ((0, max(0, rows - plane.shape[0])), (0, max(0, cols - plane.shape[1]))), mode="edge")
    return np.ascontiguousarray(grown[:rows, :cols])


def _fits_as_is(frame: av.VideoFrame, width: int, height: int) -> bool:
    """Whether the decoded frame is already what the encoder takes: 8-bit 4:2:0 at the output's size."""
    return bool(frame.format.name == "yuv420p" and frame.width == width and frame.height == height)


def _own_planes(frame: av.VideoFrame) -> list[NDArray[np.uint8]]:
    """Writable views of a yuv420p frame's Y, U and V planes. The frame gets buffers of its own first when the
    decoder still holds them (a reference picture changed in place would corrupt the frames predicted from it)."""
    frame.make_writable()
    return [
        np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width]
        for plane in frame.planes
    ]


def _rgb_getter(frame: av.VideoFrame) -> RGBGetter:
    def rgb() -> NDArray[np.uint8]:
        return np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)

    return rgb


@dataclass(frozen=True)
class EncoderSettings:
    """How published video is encoded (H.264 in MP4 by default, what every player plays)."""

    codec: str = "libx264"
    """FFmpeg encoder name."""
    preset: str = "superfast"
    """Encoder speed preset."""
    crf: int = 20
    """Constant rate factor (lower is better quality, larger files)."""


_COLOR_FIELDS = ("color_range", "color_primaries", "color_trc", "colorspace")


@dataclass(frozen=True)
class _Picture:
    """What the source shows and how the output lays it out: everything marking a frame needs to know."""

    width: int
    """Output width: the displayed width, made even."""
    height: int
    """Output height: the displayed height, made even."""
    turns: int
    """Quarter turns that make the decoded picture upright."""
    mirror: bool
    """Whether the picture is shown mirrored."""
    rate: Fraction
    """The nominal frame rate (keyframe spacing; each frame keeps its own time)."""
    time_base: Fraction | None
    """The input's clock, kept by the output."""
    transfer: int
    """The source's transfer characteristic (FFmpeg's number)."""
    hdr: bool
    """The transfer is an HDR one: frames are tone-mapped."""
    full_range: bool
    """The source uses full-range levels (kept unless tone-mapped)."""


@dataclass(frozen=True)
class _Marks:
    """The marks burned into every frame: the watermark's luma images and the label at each corner."""

    plus: NDArray[np.uint8]
    minus: NDArray[np.uint8]
    stamps: list[_LabelStamp]


def mark_video(
    source: Path,
    dest: Path,
    *,
    label: str,
    watermark: InvisibleWatermark,
    token: int,
    crf: int | None = None,
    encoder: EncoderSettings | None = None,
    on_frame: Callable[[float, RGBGetter], None] | None = None,
) -> Path:
    """Write `source` to `dest` with the visible label and the invisible token burned in.

    The output keeps the input's timing (variable frame rates included), pixel aspect, colour description and
    every audio track (AAC copied, anything else re-encoded to AAC); it is upright and of even size. `on_frame`
    sees every marked frame as (t, a function returning it as RGB) before it is encoded, so a caller can
    fingerprint the frames it wants without decoding the output again or converting the others."""
    settings = encoder or EncoderSettings()
    if crf is not None:
        settings = EncoderSettings(settings.codec, settings.preset, crf)
    # Written under a temporary name and renamed: a reader never sees half a file, and a failure leaves none.
    tmp = dest.with_name(f".marking-{os.getpid()}-{dest.name}")
    try:
        with av.open(str(source)) as inp, av.open(str(tmp), mode="w", format="mp4") as out:
            vin = inp.streams.video[0]
            vin.thread_type = "AUTO"
            picture = _picture_of(source, inp, vin)
            vout = _video_stream(out, vin, settings, picture)
            audio_out = _audio_streams(inp, out)
            plus, minus = watermark.overlay_luma(token, picture.width, picture.height)
            marks = _Marks(plus, minus, _label_stamps(label, picture.width, picture.height))
            _transcode(inp, out, (vin, vout), audio_out, picture, marks, on_frame)
            out.mux(vout.encode(None))
            for stream, copied in audio_out.values():
                if not copied:
                    out.mux(stream.encode(None))
        os.replace(tmp, dest)
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        tmp.unlink(missing_ok=True)
        raise MarkingError(f"cannot mark {source.name}: {exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def _picture_of(source: Path, inp: Any, vin: Any) -> _Picture:
    """The source's first frame read for its orientation and colour, then the input rewound for the real pass."""
    rate = vin.average_rate or vin.guessed_rate or Fraction(24)
    first = next(inp.decode(vin), None)
    if first is None:
        raise MarkingError(f"cannot mark {source.name}: no frames")
    shown = orientation_of(source, first)
    turns = shown.turns
    inp.seek(0)
    # Published upright, at the displayed size: a portrait phone video is re-encoded portrait, with no
    # rotation left for a player to honour or ignore.
    width, height = (first.height, first.width) if turns % 2 else (first.width, first.height)
    # 4:2:0 H.264 needs even sizes: an odd edge gets one repeated row or column.
    width, height = width + width % 2, height + height % 2
    source_ctx = vin.codec_context
    transfer = int(getattr(first, "color_trc", 0) or getattr(source_ctx, "color_trc", 0) or 0)
    hdr = transfer in HDR_TRANSFERS
    # A tone-mapped frame is limited range whatever the source was.
    full_range = getattr(source_ctx, "color_range", 0) == 2 and not hdr
    return _Picture(width, height, turns, shown.mirror, rate, vin.time_base, transfer, hdr, full_range)


def _video_stream(out: Any, vin: Any, settings: EncoderSettings, picture: _Picture) -> Any:
    """The output's H.264 stream: the input's clock, keyframes every two seconds, the pixel aspect and colour
    description kept."""
    vout: Any = out.add_stream(settings.codec, rate=picture.rate)
    vout.width, vout.height = picture.width, picture.height
    vout.pix_fmt = "yuv420p"
    # The input's clock, so every frame keeps its own time (variable frame rate, 50/60 fps, short clips).
    if vin.time_base is not None:
        vout.time_base = vin.time_base
        vout.codec_context.time_base = vin.time_base
    vout.codec_context.gop_size = max(1, round(float(picture.rate) * 2))
    # Frame threads on every core, as the ffmpeg command runs libx264 (PyAV's default is slice threads:
    # the same CPU, a slightly larger file, and less to run in parallel beside the checks).
    vout.codec_context.thread_type = "FRAME"
    vout.codec_context.thread_count = 0
    vout.options = {"preset": settings.preset, "crf": str(settings.crf)}
    source_ctx = vin.codec_context
    aspect = source_ctx.sample_aspect_ratio
    if aspect is not None and aspect.numerator and aspect != 1:
        # Non-square pixels stay non-square, so the picture keeps its displayed shape (turned if upright).
        vout.codec_context.sample_aspect_ratio = 1 / aspect if picture.turns % 2 else aspect
    if picture.hdr:
        # 8-bit BT.709 cannot carry HDR: it is tone-mapped on purpose, and the output says BT.709.
        for field in _COLOR_FIELDS:
            setattr(vout.codec_context, field, 1)  # BT.709 primaries, transfer and matrix; limited range
    else:
        for field in _COLOR_FIELDS:
            value = getattr(source_ctx, field, None)
            if value:
                setattr(vout.codec_context, field, value)
    return vout


def _audio_streams(inp: Any, out: Any) -> dict[int, tuple[Any, bool]]:
    """An output stream for each input audio stream, by the input's index, and whether its packets are copied."""
    audio_out: dict[int, tuple[Any, bool]] = {}
    for ain in inp.streams.audio:
        # AAC is copied as it is (re-encoding cost a quarter of the whole re-encode); the rest becomes AAC.
        copy = ain.codec_context.name == "aac"
        audio_out[ain.index] = (
            out.add_stream_from_template(ain)
            if copy
            else out.add_stream("aac", rate=ain.codec_context.sample_rate or 48000),
            copy,
        )
    return audio_out


def _transcode(
    inp: Any,
    out: Any,
    video: tuple[Any, Any],
    audio_out: dict[int, tuple[Any, bool]],
    picture: _Picture,
    marks: _Marks,
    on_frame: Callable[[float, RGBGetter], None] | None,
) -> None:
    """One pass over the input: AAC packets copied, other audio re-encoded, every video frame marked and encoded."""
    vin, vout = video
    for packet in inp.demux(vin, *inp.streams.audio):
        target = audio_out.get(packet.stream.index)
        if target is not None and target[1]:
            if packet.dts is not None:  # the demuxer's empty flush packet has none
                packet.stream = target[0]
                out.mux(packet)
            continue
        for frame in packet.decode():
            if isinstance(frame, av.VideoFrame):
                t = frame.time or 0.0
                marked = _marked_frame(frame, t, picture, marks)
                if on_frame is not None:
                    on_frame(t, _rgb_getter(marked))
                out.mux(vout.encode(marked))
            elif target is not None and isinstance(frame, av.AudioFrame):
                # The encoder numbers re-encoded audio itself: it regroups the samples into AAC frames of its own
                # size, so a source frame's time would not fit them.
                frame.pts = None
                out.mux(target[0].encode(frame))


def _marked_frame(frame: av.VideoFrame, t: float, picture: _Picture, marks: _Marks) -> av.VideoFrame:
    """The frame with the watermark and the label of its two seconds' corner, at its own time."""
    in_place = (
        not picture.hdr
        and not picture.turns
        and not picture.mirror
        and _fits_as_is(frame, picture.width, picture.height)
    )
    if in_place:
        # The decoder's own picture, marked where it lies: no copy of the frame but the one that frees it from
        # the decoder (which may still predict from it).
        planes = _own_planes(frame)
        marked = frame
        # The encoder chooses its own frame types; the source's would force its keyframes.
        marked.pict_type = av.video.frame.PictureType.NONE
    else:
        if picture.hdr:
            sdr = av.VideoFrame.from_ndarray(tone_map_frame(frame, picture.transfer), format="rgb24")
            frame_in = sdr.reformat(format="yuv420p", dst_colorspace="ITU709")
        else:
            frame_in = frame
        planes = yuv420_planes(frame_in, keep_full_range=picture.full_range)
        planes = [
            _fit(upright(p, picture.turns, picture.mirror), picture.height, picture.width, i)
            for i, p in enumerate(planes)
        ]
    planes[0][:] = cv2.subtract(cv2.add(planes[0], marks.plus), marks.minus)
    marks.stamps[int(t // _CORNER_SECONDS) % 4].apply(planes)
    if not in_place:
        marked = frame_from_planes(planes)
    if frame.pts is not None and picture.time_base is not None:
        marked.pts, marked.time_base = frame.pts, picture.time_base
    return marked
