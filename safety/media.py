"""Reading video files: probing what a file is, sampling its frames, and reading its sound for speech models.

This is the IO edge for media. `probe` refuses anything that is not a readable video with a clear
`InvalidMediaError`; `trial_decode` decodes the first frames in a child process under the policy's memory limit
before any check decodes the file in this one (a hostile stream can ask a decoder for far more memory than its
size suggests). The decode the checks read is `safety.frames`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np
from numpy.typing import NDArray

from provenance.tonemap import HDR_TRANSFERS
from safety.domain import MediaInfo
from safety.errors import CheckFailure, InvalidMediaError

# 16 kHz mono: what the speech and voice models were trained on, so audio is resampled once here rather than in each
# check.
AUDIO_RATE = 16_000
"""Speech models (transcription, voices) take 16 kHz mono."""


def probe(path: Path) -> MediaInfo:
    """What `path` is; `InvalidMediaError` when it is missing, empty, unreadable or has no video stream."""
    if not path.exists():
        raise InvalidMediaError(f"no such file: {path}")
    if not path.is_file():
        raise InvalidMediaError(f"not a regular file: {path}")
    size = path.stat().st_size
    if size == 0:
        raise InvalidMediaError(f"empty file: {path}")
    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            video = next((s for s in container.streams if s.type == "video"), None)
            if video is None:
                raise InvalidMediaError(f"no video stream in {path}")
            ctx: Any = video.codec_context
            # The longest duration any header announces: a hostile file may make one of them huge.
            duration_s = 0.0
            if video.duration is not None and video.time_base is not None:
                duration_s = float(video.duration * video.time_base)
            if container.duration is not None:
                duration_s = max(duration_s, container.duration / av.time_base)
            rate = video.average_rate or video.guessed_rate
            return MediaInfo(
                container=container.format.name if container.format is not None else "unknown",
                # The codec, not the decoder: AV1 decoded by libdav1d is still `av1` to the policy.
                video_codec=ctx.codec.canonical_name if ctx.codec is not None else ctx.name,
                width=int(ctx.width),
                height=int(ctx.height),
                duration_s=duration_s,
                fps=float(rate) if rate else 0.0,
                has_audio=any(s.type == "audio" for s in container.streams),
                hdr=HDR_TRANSFERS.get(int(getattr(ctx, "color_trc", 0) or 0)),
                size_bytes=size,
            )
    except InvalidMediaError:
        raise
    except (av.error.FFmpegError, OSError, ValueError, UnicodeDecodeError, AttributeError, TypeError) as exc:
        # Hostile files find odd corners of the demuxers; anything unexpected means "not a video we accept".
        raise InvalidMediaError(f"not a readable video: {path.name}: {exc}") from None


_TRIAL_CHILD = Path(__file__).with_name("media_trial_child.py")
_TRIAL_EXIT_MEMORY, _TRIAL_EXIT_UNDECODABLE = 3, 4


def trial_decode(path: Path, *, frames: int, memory_mb: int, timeout_s: float) -> None:
    """Decode the first `frames` frames in a child capped at `memory_mb` beyond its own; `InvalidMediaError` when
    that needs more memory or time, or the file does not decode. Costs a child start (about 0.2 s)."""
    # A child, not a thread: a decoder that allocates without bound or spins inside C code cannot be stopped from
    # Python, but a process can be capped (rlimit) and killed. `-I` keeps the child's imports to what this install
    # ships.
    command = [sys.executable, "-I", str(_TRIAL_CHILD), str(path), str(frames), str(memory_mb)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise InvalidMediaError(f"{path.name}: decoding its first frames took longer than {timeout_s:g} s") from None
    # The child prints its reason as its last line; anything before it is the decoder's own chatter.
    reason = (done.stdout.strip().splitlines() or [""])[-1]
    if done.returncode in (_TRIAL_EXIT_MEMORY, _TRIAL_EXIT_UNDECODABLE):
        # Out of memory shows up in many guises (a thread that cannot start, "invalid data"), so the refusal
        # names the limit it was decoded under rather than guessing which it was.
        raise InvalidMediaError(
            f"{path.name} does not decode within the policy's limits "
            f"(limits.max_decode_memory_mb = {memory_mb}): {reason}"
        )
    if done.returncode != 0:
        # Killed (the kernel's OOM killer, a signal) or crashed inside the decoder: never a file we accept.
        raise InvalidMediaError(f"{path.name}: the trial decode failed (exit {done.returncode})")


def read_audio(path: Path, max_seconds: float = 600.0) -> NDArray[np.float32] | None:
    """The first audio track as 16 kHz mono float32 (at most `max_seconds`), or None when there is none; a track
    that cannot be decoded is a `CheckFailure`."""

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                return None
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
            chunks: list[NDArray[np.float32]] = []
            total = 0
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    samples = out.to_ndarray().reshape(-1).astype(np.float32)
                    chunks.append(samples)
                    total += samples.size
                # Stops decoding, not just keeping: a long or endless audio track costs no more than `max_seconds` of
                # work.
                if total >= max_seconds * AUDIO_RATE:
                    break
            # Flush the resampler: it holds back the last few milliseconds until told the input ended.
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1).astype(np.float32))
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise CheckFailure(f"the audio track cannot be decoded: {exc}") from None
    return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
