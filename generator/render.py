"""Rendering real MP4 files: procedural scenes, composited faces, remixes.

Every output is H.264 video (yuv420p, a keyframe every two seconds) with an AAC audio track, written to a
temporary file and renamed, so a reader never sees half a video. The scene is drawn from a seed derived from the
prompt and the given seed, so the same request renders the same pictures.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

RGB = NDArray[np.uint8]
_AUDIO_RATE = 48000
_AUDIO_FRAME = 1024


@dataclass(frozen=True)
class RenderSpec:
    """What to render."""

    prompt: str
    """The prompt; it seeds the palette and motion."""
    seed: int = 0
    """Varies the scene for the same prompt."""
    duration_s: float = 4.0
    """Length of the clip."""
    width: int = 640
    """Frame width (even)."""
    height: int = 360
    """Frame height (even)."""
    fps: int = 24
    """Frames per second."""
    faces: Sequence[RGB] = field(default_factory=tuple)
    """Face images (RGB) composited into the scene, each moving on its own path."""


def load_face_image(path: Path) -> RGB:
    """An RGB array from any image file Pillow reads (RGBA and palette images included)."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def _rng(spec: RenderSpec) -> np.random.Generator:
    digest = hashlib.sha256(f"{spec.prompt}\x00{spec.seed}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def _oval_mask(height: int, width: int) -> NDArray[np.float32]:
    mask = np.zeros((height, width), np.float32)
    cv2.ellipse(mask, (width // 2, height // 2), (int(width * 0.46), int(height * 0.48)), 0, 0, 360, 1.0, -1)
    blur = max(3, (min(height, width) // 12) | 1)
    blurred: NDArray[np.float32] = cv2.GaussianBlur(mask, (blur, blur), 0)[..., None].astype(np.float32)
    return blurred


def _prepare_face(face: RGB, target_h: int) -> tuple[RGB, NDArray[np.float32]]:
    scale = target_h / face.shape[0]
    width = max(8, int(face.shape[1] * scale))
    resized = np.asarray(cv2.resize(face, (width, target_h), interpolation=cv2.INTER_AREA), dtype=np.uint8)
    return resized, _oval_mask(target_h, width)


def _paste(frame: RGB, face: RGB, mask: NDArray[np.float32], x: int, y: int) -> None:
    h, w = face.shape[:2]
    fh, fw = frame.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, fw), min(y + h, fh)
    if x0 >= x1 or y0 >= y1:
        return
    region = frame[y0:y1, x0:x1].astype(np.float32)
    patch = face[y0 - y : y1 - y, x0 - x : x1 - x].astype(np.float32)
    alpha = mask[y0 - y : y1 - y, x0 - x : x1 - x]
    frame[y0:y1, x0:x1] = (patch * alpha + region * (1 - alpha)).astype(np.uint8)


def _scene_frames(spec: RenderSpec) -> Iterator[RGB]:
    rng = _rng(spec)
    w, h = spec.width, spec.height
    top = rng.integers(20, 200, 3).astype(np.float32)
    bottom = rng.integers(40, 255, 3).astype(np.float32)
    ramp = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    background = (top * (1 - ramp) + bottom * ramp).astype(np.uint8)
    background = np.repeat(background, w, axis=1)
    shapes = [
        (rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.2, 1.2), rng.uniform(6, h / 6), rng.integers(0, 255, 3))
        for _ in range(int(rng.integers(4, 9)))
    ]
    face_h = int(h * (0.42 if len(spec.faces) <= 1 else 0.32))
    faces = [_prepare_face(face, face_h) for face in spec.faces]
    total = max(1, round(spec.duration_s * spec.fps))
    for index in range(total):
        t = index / spec.fps
        frame = background.copy()
        for x, y, speed, radius, color in shapes:
            cx = int((x + speed * 40 * t) % (w + 2 * radius) - radius)
            cy = int(y + math.sin(t * speed * 2) * radius)
            cv2.circle(frame, (cx, cy), int(radius), tuple(int(c) for c in color), -1, lineType=cv2.LINE_AA)
        for slot, (face, mask) in enumerate(faces):
            lane = (slot + 1) / (len(faces) + 1)
            fx = int(lane * w - face.shape[1] / 2 + math.sin(t * 0.9 + slot) * w * 0.06)
            fy = int(h * 0.5 - face.shape[0] / 2 + math.cos(t * 1.3 + slot) * h * 0.05)
            _paste(frame, face, mask, fx, fy)
        yield frame


def _tone(spec_seed: int, duration_s: float) -> Iterator[NDArray[np.float32]]:
    base = 180.0 + (spec_seed % 7) * 20.0
    total = int(duration_s * _AUDIO_RATE)
    for start in range(0, total, _AUDIO_FRAME):
        n = min(_AUDIO_FRAME, total - start)
        t = (np.arange(start, start + n, dtype=np.float32)) / _AUDIO_RATE
        wave = 0.12 * np.sin(2 * np.pi * base * t) + 0.06 * np.sin(2 * np.pi * base * 1.5 * t)
        yield wave.astype(np.float32)[None, :]


def write_mp4(
    frames: Iterator[RGB],
    out_path: Path,
    *,
    width: int,
    height: int,
    fps: int,
    audio_seed: int,
    sound: NDArray[np.float32] | None = None,
) -> Path:
    """Encode frames and a tone (or `sound`: mono samples at 48 kHz) to an H.264/AAC MP4 at `out_path`,
    atomically."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".rendering-{os.getpid()}-{out_path.name}")
    duration = 0.0
    try:
        with av.open(str(tmp), mode="w", format="mp4") as container:
            video = container.add_stream("libx264", rate=fps)
            video.width, video.height = width, height
            video.pix_fmt = "yuv420p"
            video.codec_context.gop_size = fps * 2
            video.options = {"preset": "veryfast", "crf": "23"}
            audio = container.add_stream("aac", rate=_AUDIO_RATE, layout="mono")
            count = 0
            for rgb in frames:
                container.mux(video.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
                count += 1
            container.mux(video.encode(None))
            duration = count / fps
            sample = 0
            chunks = (
                _tone(audio_seed, duration)
                if sound is None
                else (sound[None, i : i + _AUDIO_FRAME] for i in range(0, sound.size, _AUDIO_FRAME))
            )
            for chunk in chunks:
                aframe = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
                aframe.sample_rate = _AUDIO_RATE
                aframe.pts = sample
                aframe.time_base = Fraction(1, _AUDIO_RATE)
                sample += chunk.shape[1]
                container.mux(audio.encode(aframe))
            container.mux(audio.encode(None))
        os.replace(tmp, out_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out_path


def render_video(spec: RenderSpec, out_path: Path) -> Path:
    """Render a procedural scene with the spec's faces to an MP4."""
    if spec.width % 2 or spec.height % 2:
        raise ValueError("width and height must be even for yuv420p")
    return write_mp4(
        _scene_frames(spec), out_path, width=spec.width, height=spec.height, fps=spec.fps, audio_seed=spec.seed
    )


def render_photo_pan(
    photo: RGB, out_path: Path, *, duration_s: float = 4.0, width: int = 640, height: int = 360
) -> Path:
    """A still photo slowly zoomed, panned and tilted across the frame: what a replay attack on enrollment looks
    like. Every frame is a similarity transform of the same picture, so nothing in it moves non-rigidly."""
    fps = 24
    total = max(1, round(duration_s * fps))
    base = min(width / photo.shape[1], height / photo.shape[0]) * 0.9

    def frames() -> Iterator[RGB]:
        for index in range(total):
            phase = index / max(total - 1, 1)
            scale = base * (1.0 + 0.25 * phase)
            angle = 8.0 * math.sin(phase * math.pi * 2)
            centre = (photo.shape[1] / 2, photo.shape[0] / 2)
            matrix = cv2.getRotationMatrix2D(centre, angle, scale)
            matrix[0, 2] += width / 2 - centre[0] + (phase - 0.5) * width * 0.15
            matrix[1, 2] += height / 2 - centre[1]
            warped = cv2.warpAffine(photo, matrix, (width, height), borderMode=cv2.BORDER_CONSTANT)
            yield np.asarray(warped, dtype=np.uint8)

    return write_mp4(frames(), out_path, width=width, height=height, fps=fps, audio_seed=0)


def _decode(path: Path) -> tuple[list[RGB], int]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = round(float(stream.average_rate or 24))
        return [np.asarray(f.to_ndarray(format="rgb24"), dtype=np.uint8) for f in container.decode(stream)], fps


def remix_video(parent: Path, out_path: Path, *, caption: str, seed: int = 0, trim: float = 0.1) -> Path:
    """Derive a new video from `parent`: re-graded colours, a moving caption band, and `trim` cut from each end."""
    frames, fps = _decode(parent)
    if not frames:
        raise ValueError(f"{parent} has no frames to remix")
    cut = int(len(frames) * trim)
    kept = frames[cut : len(frames) - cut] or frames
    rng = np.random.default_rng(seed)
    grade = np.eye(3, dtype=np.float32) * rng.uniform(0.85, 1.1) + rng.uniform(-0.08, 0.08, (3, 3)).astype(np.float32)
    lift = rng.uniform(-12, 12, 3).astype(np.float32)
    height, width = kept[0].shape[:2]

    def graded() -> Iterator[RGB]:
        for index, frame in enumerate(kept):
            out = np.clip(frame.astype(np.float32) @ grade.T + lift, 0, 255).astype(np.uint8)
            band_y = int(height * 0.82 + math.sin(index / fps * 2) * height * 0.04)
            cv2.rectangle(out, (0, band_y), (width, min(height, band_y + height // 10)), (20, 20, 20), -1)
            cv2.putText(
                out,
                caption[:48],
                (12, band_y + height // 14),
                cv2.FONT_HERSHEY_SIMPLEX,
                height / 720,
                (240, 240, 240),
                1,
            )
            yield out

    return write_mp4(graded(), out_path, width=width, height=height, fps=fps, audio_seed=seed + 1)


def dub(video: Path, voice: Path, out_path: Path) -> Path:
    """`video`'s pictures (the last one held until the voice ends) with the sound file `voice` as its sound track:
    what a generator that speaks (text to speech over the scene) hands the gate."""
    with av.open(str(voice)) as source:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=_AUDIO_RATE)
        sound = np.concatenate(
            [f.to_ndarray().reshape(-1) for frame in source.decode(audio=0) for f in resampler.resample(frame)]
        ).astype(np.float32)
    with av.open(str(video)) as picture:
        stream = picture.streams.video[0]
        fps = round(float(stream.average_rate or 25))
        frames: list[RGB] = [np.asarray(f.to_ndarray(format="rgb24"), np.uint8) for f in picture.decode(video=0)]
    # Half a second of silence after the voice, and pictures for all of it.
    sound = np.concatenate([sound, np.zeros(_AUDIO_RATE // 2, np.float32)])
    needed = max(len(frames), math.ceil(sound.size / _AUDIO_RATE * fps))
    frames += [frames[-1]] * (needed - len(frames))
    height, width = frames[0].shape[:2]
    return write_mp4(iter(frames), out_path, width=width, height=height, fps=fps, audio_seed=0, sound=sound)
