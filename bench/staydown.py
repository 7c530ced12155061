"""Staydown: which altered copies of a banked video the hash banks catch, and that unrelated videos match nothing.

Two bank items (real footage from the face fixtures when present, else a rendered clip; and a rendered clip) are
hashed as banks hash them; each altered copy is hashed as a submission and matched against both. The table says,
per alteration, whether the right item was found (and nothing else); then how many of a set of unrelated videos
matched anything (the target is none).

    .venv/bin/python -m bench.staydown [--json]
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from typing import Any

import av
import cv2
import numpy as np

from generator.render import RenderSpec, render_video
from provenance import FingerprintIndex
from provenance.segments import bank_hashes, match_segments, query_frames, query_hashes

FIXTURE = _HERE.parent.parent / "shared" / "fixtures" / "faces" / "_video" / "short_hamilton_clip.mp4"
Frame = np.ndarray
Alteration = Callable[[list[tuple[float, Frame]], list[tuple[float, Frame]]], tuple[list[Frame], float]]


def decode(path: Path) -> tuple[list[tuple[float, Frame]], float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or 25)
        frames = [(f.time or 0.0, f.to_ndarray(format="rgb24")) for f in container.decode(stream)]
    return frames, fps


def encode(frames: list[Frame], fps: float, out: Path, crf: int = 23) -> Path:
    height, width = frames[0].shape[:2]
    with av.open(str(out), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=round(fps))
        stream.width, stream.height = width // 2 * 2, height // 2 * 2
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "veryfast", "crf": str(crf)}
        for frame in frames:
            image = np.ascontiguousarray(frame[: stream.height, : stream.width])
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode(None))
    return out


def _resize(frame: Frame, width: int, height: int) -> Frame:
    return np.asarray(cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _pip(frame: Frame, background: Frame) -> Frame:
    canvas = _resize(background, frame.shape[1], frame.shape[0]).copy()
    small = _resize(frame, frame.shape[1] // 2 // 2 * 2, frame.shape[0] // 2 // 2 * 2)
    canvas[24 : 24 + small.shape[0], 40 : 40 + small.shape[1]] = small
    return canvas


def _overlay(frame: Frame) -> Frame:
    """A repost's small marks: a handle in a corner and a logo."""
    out = frame.copy()
    height, width = frame.shape[:2]
    cv2.putText(out, "@reposted", (12, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
    cv2.rectangle(out, (width - 60, height - 44), (width - 12, height - 12), (250, 200, 0), -1)
    return out


def alterations(fps: float) -> dict[str, Callable[[list[Frame], list[Frame]], tuple[list[Frame], float]]]:
    def each(fn: Callable[[Frame], Frame]) -> Callable[[list[Frame], list[Frame]], tuple[list[Frame], float]]:
        return lambda frames, other: ([fn(f) for f in frames], fps)

    def crop(left: float, top: float, right: float, bottom: float) -> Callable[[Frame], Frame]:
        return lambda f: f[
            int(f.shape[0] * top) : f.shape[0] - int(f.shape[0] * bottom),
            int(f.shape[1] * left) : f.shape[1] - int(f.shape[1] * right),
        ]

    return {
        "re-encode (CRF 38)": each(lambda f: f),
        "mirror": each(lambda f: np.ascontiguousarray(f[:, ::-1])),
        "crop 20% (centre)": each(crop(0.1, 0.1, 0.1, 0.1)),
        "crop 20% (one side)": each(crop(0.2, 0.0, 0.0, 0.0)),
        "crop to 9:16 (centre)": each(
            lambda f: f[:, (f.shape[1] - f.shape[0] * 9 // 16) // 2 : (f.shape[1] + f.shape[0] * 9 // 16) // 2]
        ),
        "scale to 1/3": each(lambda f: _resize(f, f.shape[1] // 3, f.shape[0] // 3)),
        "letterbox": each(
            lambda f: cv2.copyMakeBorder(
                f, f.shape[0] // 3, f.shape[0] // 3, 0, 0, cv2.BORDER_CONSTANT, value=(0, 0, 0)
            )
        ),
        "grayscale": each(lambda f: np.repeat(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)),
        "small overlays": each(_overlay),
        "frame rate halved": lambda frames, other: (frames[::2], fps / 2),
        "speed 0.75x": lambda frames, other: (frames, fps * 0.75),
        "speed 1.5x": lambda frames, other: (frames, fps * 1.5),
        "trimmed to a middle 3 s": lambda frames, other: (frames[int(fps * 1.5) : int(fps * 4.5)], fps),
        "6 s of other footage prepended": lambda frames, other: (
            [_resize(o, frames[0].shape[1], frames[0].shape[0]) for o in other] + frames,
            fps,
        ),
        "6 s of other footage appended": lambda frames, other: (
            frames + [_resize(o, frames[0].shape[1], frames[0].shape[0]) for o in other],
            fps,
        ),
        "picture-in-picture": lambda frames, other: (
            [_pip(f, other[i % len(other)]) for i, f in enumerate(frames)],
            fps,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-staydown-") as scratch:
        root = Path(scratch)
        rendered = render_video(
            RenderSpec("a red kite over green hills", seed=31, duration_s=6.0, width=640, height=360), root / "b2.mp4"
        )
        first = (
            FIXTURE
            if FIXTURE.is_file()
            else render_video(
                RenderSpec("city lights at night", seed=32, duration_s=6.0, width=640, height=360), root / "b1.mp4"
            )
        )
        other = render_video(
            RenderSpec("waves on a rocky shore", seed=33, duration_s=6.0, width=640, height=360), root / "other.mp4"
        )
        items = {"item:footage": first, "item:rendered": rendered}
        entries: list[tuple[str, bytes]] = []
        times: list[float] = []
        started = time.perf_counter()
        for key, path in items.items():
            for h in bank_hashes(str(path)):
                entries.append((key, h.digest))
                times.append(h.t)
        bank_s = time.perf_counter() - started
        index = FingerprintIndex(entries)
        other_frames = [f for _, f in decode(other)[0]][:150]
        rows: list[dict[str, Any]] = []
        query_s: list[float] = []
        for key, path in items.items():
            timed_frames, fps = decode(path)
            frames = [f for _, f in timed_frames][: int(fps * 6)]
            for name, alter in alterations(fps).items():
                altered, out_fps = alter(frames, other_frames)
                copy = encode(altered, out_fps, root / "copy.mp4", crf=38 if "CRF" in name else 23)
                started = time.perf_counter()
                found = match_segments(query_hashes(query_frames(str(copy))), index, times)
                query_s.append(time.perf_counter() - started)
                keys = [m.key for m in found]
                rows.append(
                    {"item": key, "alteration": name, "caught": key in keys, "wrong": [k for k in keys if k != key]}
                )
        unrelated = []
        for seed, prompt in enumerate(
            [
                "a lake at dawn",
                "fireworks over a harbour",
                "a busy market",
                "snow on pine trees",
                "a desert road",
                "a cat on a sofa",
                "rain on a window",
                "a city at night",
            ]
        ):
            clip = render_video(
                RenderSpec(prompt, seed=100 + seed, duration_s=4.0, width=640, height=360), root / f"u{seed}.mp4"
            )
            found = match_segments(query_hashes(query_frames(str(clip))), index, times)
            unrelated.append({"video": prompt, "matched": [m.key for m in found]})
    report = {
        "bank_hash_s_per_item": round(bank_s / len(items), 3),
        "query_s_median": round(float(np.median(query_s)), 3),
        "rows": rows,
        "unrelated_matched": sum(1 for u in unrelated if u["matched"]),
        "unrelated": unrelated,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print("staydown: alteration x caught (right item found, nothing else)")
    names = list(dict.fromkeys(r["alteration"] for r in rows))
    print(f"  {'alteration':34s} {'footage':>8s} {'rendered':>9s}")
    for name in names:
        marks = []
        for key in items:
            row = next(r for r in rows if r["alteration"] == name and r["item"] == key)
            marks.append("yes" if row["caught"] and not row["wrong"] else ("WRONG" if row["wrong"] else "no"))
        print(f"  {name:34s} {marks[0]:>8s} {marks[1]:>9s}")
    caught = sum(1 for r in rows if r["caught"] and not r["wrong"])
    print(f"  caught {caught}/{len(rows)}; unrelated videos matched: {report['unrelated_matched']}/{len(unrelated)}")
    bank_per_item, query_median = report["bank_hash_s_per_item"], report["query_s_median"]
    print(f"  hashing a 6 s bank item {bank_per_item} s; matching a copy {query_median} s (median)")


if __name__ == "__main__":
    main()
