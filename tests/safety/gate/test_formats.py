"""Formats a generator or a phone emits publish right: odd chroma sizes, odd sizes in 4:4:4, a rotated phone video
(published upright), AV1 and MPEG-4 Part 2. Each is decided, marked, signed and traced back by `verify`."""

from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from safety import CameoGuard, Submission, to_json


def clip(path: Path, *, width: int, height: int, codec: str = "libx264", pix_fmt: str = "yuv420p") -> Path:
    """2 s of moving texture with a red block in the top-left corner (to see where it ends up)."""
    rng = np.random.default_rng(7)
    texture = rng.integers(0, 255, (height // 8 + 2, width // 8 + 2, 3), dtype=np.uint8)
    with av.open(str(path), "w", format="mp4") as container:
        stream: Any = container.add_stream(codec, rate=12)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        for i in range(24):
            big = np.kron(np.roll(texture, i, axis=1), np.ones((8, 8, 1), np.uint8))[:height, :width]
            image = np.ascontiguousarray(big)
            image[: height // 4, : width // 4] = (230, 20, 20)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode(None))
    return path


def rotate_display(path: Path) -> Path:
    """Write a phone's portrait display matrix (rotate 90 degrees clockwise) into the MP4's track header."""
    data = bytearray(path.read_bytes())
    at = data.find(b"tkhd")
    version = data[at + 4]
    matrix = at + 8 + (32 if version == 1 else 20) + 16  # after the times, ids, duration, layer and volume
    data[matrix : matrix + 36] = struct.pack(">9I", 0, 0x00010000, 0, 0xFFFF0000, 0, 0, 0, 0, 0x40000000)
    path.write_bytes(bytes(data))
    return path


def mirror_display(path: Path) -> Path:
    """Write a front camera's mirrored display matrix (flip left to right) into the MP4's track header."""
    data = bytearray(path.read_bytes())
    at = data.find(b"tkhd")
    version = data[at + 4]
    matrix = at + 8 + (32 if version == 1 else 20) + 16
    width = 640 << 16
    data[matrix : matrix + 36] = struct.pack(">9I", 0xFFFF0000, 0, 0, 0, 0x00010000, 0, width, 0, 0x40000000)
    path.write_bytes(bytes(data))
    return path


def first_frame(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format="rgb24"), round(frame.rotation or 0)


CASES: dict[str, dict[str, Any]] = {
    "640x358 (odd chroma height)": {"width": 640, "height": 358},
    "720x406 (odd chroma height)": {"width": 720, "height": 406},
    "641x361 4:4:4 (odd sizes)": {"width": 641, "height": 361, "pix_fmt": "yuv444p"},
    "AV1": {"width": 320, "height": 184, "codec": "libsvtav1"},
    "MPEG-4 Part 2": {"width": 320, "height": 180, "codec": "mpeg4"},
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_format_publishes_and_traces(people: CameoGuard, tmp_path: Path, case: str) -> None:
    spec = CASES[case]
    source = clip(tmp_path / "in.mp4", **spec)
    result = to_json(people.videos.prepublish(Submission("maya", "a calm lake", source)))
    assert result["decision"] == "publish", result["reasons"]
    published = Path(result["published_path"])
    image, rotation = first_frame(published)
    expected = (spec["height"] + spec["height"] % 2, spec["width"] + spec["width"] % 2)
    assert image.shape[:2] == expected and rotation == 0
    traced = to_json(people.tracing.verify(published))
    assert traced["video_id"] == result["video_id"] and traced["status"] == "live"


def test_a_rotated_phone_video_is_published_upright(people: CameoGuard, tmp_path: Path) -> None:
    source = rotate_display(clip(tmp_path / "phone.mp4", width=640, height=360))
    assert first_frame(source)[1] == -90, "the fixture carries a portrait display matrix"
    result = to_json(people.videos.prepublish(Submission("maya", "a portrait walk", source)))
    assert result["decision"] == "publish", result["reasons"]
    image, rotation = first_frame(Path(result["published_path"]))
    assert image.shape[:2] == (640, 360) and rotation == 0, "portrait pixels, nothing left for a player to turn"
    corner = image[20:60, 300:340].astype(int)  # the red block was top-left; turned clockwise it is top-right
    assert corner[..., 0].mean() > 150 and corner[..., 1].mean() < 100
    traced = to_json(people.tracing.verify(Path(result["published_path"])))
    assert traced["video_id"] == result["video_id"] and traced["fingerprint"]["video_id"] == result["video_id"]


def rich_clip(
    path: Path,
    *,
    fmt: str = "mp4",
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    size: tuple[int, int] = (320, 180),
    steps_ms: list[int] | None = None,
    rate: int = 12,
    frames: int = 24,
    audio_tracks: int = 0,
    aspect: Fraction | None = None,
    full_range: bool = False,
) -> Path:
    """A clip with the timing, sampling, aspect, colour range and audio tracks asked for."""
    width, height = size
    rng = np.random.default_rng(3)
    texture = rng.integers(40, 220, (height // 8 + 2, width // 8 + 2, 3), dtype=np.uint8)
    with av.open(str(path), "w", format=fmt) as container:
        stream: Any = container.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.time_base = stream.codec_context.time_base = Fraction(1, 1000)
        if aspect is not None:
            stream.codec_context.sample_aspect_ratio = aspect
        if full_range:
            stream.codec_context.color_range = 2
        audio: list[Any] = [container.add_stream("aac", rate=48000, layout="mono") for _ in range(audio_tracks)]
        t = 0
        for i in range(frames):
            image = np.ascontiguousarray(
                np.kron(np.roll(texture, i, axis=1), np.ones((8, 8, 1), np.uint8))[:height, :width]
            )
            frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format=pix_fmt)
            frame.pts, frame.time_base = t, Fraction(1, 1000)
            t += steps_ms[i % len(steps_ms)] if steps_ms else round(1000 / rate)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        for track in audio:
            for k in range(round(t / 1000 * 48000 / 1024) + 1):
                samples = np.sin(np.arange(1024, dtype=np.float32) / 20 + k).reshape(1, -1).astype(np.float32) * 0.1
                chunk = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
                chunk.sample_rate, chunk.pts = 48000, k * 1024
                container.mux(track.encode(chunk))
            container.mux(track.encode(None))
    return path


def described(path: Path) -> dict[str, Any]:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        frames = [f.time or 0.0 for f in container.decode(video)]
    with av.open(str(path)) as container:
        ctx = container.streams.video[0].codec_context
        return {
            "size": (ctx.width, ctx.height),
            "last_t": frames[-1],
            "frames": len(frames),
            "aspect": ctx.sample_aspect_ratio,
            "range": ctx.color_range,
            "audio": len(container.streams.audio),
        }


MATRIX: dict[str, dict[str, Any]] = {
    "10-bit 4:2:0": {"pix_fmt": "yuv420p10le"},
    "4:2:2": {"pix_fmt": "yuv422p"},
    "WebM VP9": {"fmt": "webm", "codec": "libvpx-vp9"},
    "Matroska H.264": {"fmt": "matroska"},
    "MOV H.264": {"fmt": "mov"},
    "variable frame rate": {"steps_ms": [33, 33, 200, 33, 400, 33, 100]},
    "60 fps": {"rate": 60, "frames": 60},
    "very short (3 frames)": {"frames": 3},
    "two audio tracks": {"audio_tracks": 2},
    "non-square pixels (4:3)": {"aspect": Fraction(4, 3)},
    "full-range colour": {"pix_fmt": "yuvj420p", "full_range": True},
}


@pytest.mark.parametrize("case", list(MATRIX))
def test_the_published_file_keeps_what_the_input_said(people: CameoGuard, tmp_path: Path, case: str) -> None:
    spec = MATRIX[case]
    suffix = {"webm": "webm", "matroska": "mkv", "mov": "mov"}.get(spec.get("fmt", "mp4"), "mp4")
    source = rich_clip(tmp_path / f"in.{suffix}", **spec)
    before = described(source)
    result = to_json(people.videos.prepublish(Submission("maya", "a calm lake", source)))
    assert result["decision"] == "publish", result["reasons"]
    after = described(Path(result["published_path"]))
    assert after["size"] == before["size"] and after["frames"] == before["frames"]
    frame_s = 1 / max(1, spec.get("rate", 12))
    assert abs(after["last_t"] - before["last_t"]) <= frame_s + 1e-3, (before, after)
    assert after["audio"] == before["audio"]
    if spec.get("aspect"):
        assert after["aspect"] == spec["aspect"]
    if spec.get("full_range"):
        assert after["range"] == 2
    assert to_json(people.tracing.verify(Path(result["published_path"])))["video_id"] == result["video_id"]


def hdr_clip(path: Path, transfer: int) -> Path:
    """BT.2020 10-bit HDR (PQ = 16, HLG = 18): a grey field at about reference white with a saturated red block."""
    white = 0.58 if transfer == 16 else 0.75  # 203 nits in PQ; HLG's reference white
    with av.open(str(path), "w", format="mp4") as container:
        stream: Any = container.add_stream("libx264", rate=12)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p10le"
        ctx = stream.codec_context
        ctx.color_primaries, ctx.color_trc, ctx.colorspace = 9, transfer, 9
        for i in range(24):
            image = np.full((180, 320, 3), int(white * 65535), np.uint16)
            image[:45, :80] = (int(0.75 * 65535), 0, 0)
            image[120:, (i * 8) % 300 :][:, :20] = int(0.3 * 65535)
            frame = av.VideoFrame.from_ndarray(image, format="rgb48le").reformat(
                format="yuv420p10le", dst_colorspace="BT2020"
            )
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


@pytest.mark.parametrize(("transfer", "name"), [(16, "PQ"), (18, "HLG")])
def test_hdr_is_tone_mapped_on_purpose_and_said_so(
    people: CameoGuard, tmp_path: Path, transfer: int, name: str
) -> None:
    result = to_json(
        people.videos.prepublish(Submission("maya", "a bright room", hdr_clip(tmp_path / "hdr.mp4", transfer)))
    )
    assert result["decision"] == "publish", result["reasons"]
    said = next(r for r in result["reasons"] if r["code"] == "media.hdr_tone_mapped")
    assert said["evidence"]["transfer"] == name
    with av.open(result["published_path"]) as container:
        ctx = container.streams.video[0].codec_context
        assert (ctx.color_primaries, ctx.color_trc, ctx.colorspace) == (1, 1, 1), "tagged as what it is: BT.709"
        image = next(container.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    grey, red = image[80:100, 150:200].mean(axis=(0, 1)), image[15:30, 20:40].mean(axis=(0, 1))
    assert grey.min() > 200 and np.ptp(grey) < 12, f"reference white stays near SDR white, neutral: {grey}"
    assert red[0] > 180 and red[1] < 90 and red[2] < 90, f"red stays red: {red}"


def test_a_mirrored_display_matrix_is_honoured(people: CameoGuard, tmp_path: Path) -> None:
    source = mirror_display(clip(tmp_path / "selfie.mp4", width=640, height=360))
    result = to_json(people.videos.prepublish(Submission("maya", "a selfie", source)))
    assert result["decision"] == "publish", result["reasons"]
    image, rotation = first_frame(Path(result["published_path"]))
    assert image.shape[:2] == (360, 640) and rotation == 0
    right, left = image[20:60, 560:620].astype(int), image[20:60, 20:80].astype(int)
    assert right[..., 0].mean() > 150 and right[..., 1].mean() < 100, "the red block, mirrored, is top-right"
    assert not (left[..., 0].mean() > 150 and left[..., 1].mean() < 100)
