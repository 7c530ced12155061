"""Staydown: which altered copies of a banked video the hash banks catch, and that unrelated videos match nothing.

Two bank items (real footage from the face fixtures when present, else a rendered clip; and a rendered clip) are
hashed as banks hash them; each altered copy is hashed as a submission and matched against both. The table says,
per alteration, whether the right item was found (and nothing else), with a line per family of alterations (caught
of tried); then how many unrelated videos matched anything (the target is none): plain clips, and the same clips
cut, tilted, and put side by side with each other in split screens. The submission-side hashing is timed against
the earlier hashing (the frame whole in its dihedral variants, plus picture-in-picture insets, with `pdqhash` as it
then was) on the same frames, and against that same hashing on today's PDQ routine (what the new families cost by
themselves).

    .venv/bin/python -m bench.staydown [--json]
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import os

# One BLAS thread, as the gate runs (safety/math_threads.py); set before NumPy loads it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

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
from provenance.segments import (
    SegmentHash,
    _dihedral,
    bank_hashes,
    inset_boxes,
    inset_crop,
    match_segments,
    query_frames,
    shrink,
    trim_borders,
)
from safety.checks.hash_bank import StillQueryHasher

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


def _tilt(degrees: float) -> Callable[[Frame], Frame]:
    """Turned on the same canvas, the corners left black."""

    def turn(frame: Frame) -> Frame:
        height, width = frame.shape[:2]
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
        return np.asarray(cv2.warpAffine(frame, matrix, (width, height), flags=cv2.INTER_LINEAR), dtype=np.uint8)

    return turn


def _portrait(across: float) -> Callable[[Frame], Frame]:
    """Cut to 9:16 at full height, the kept part `across` of the way from the left edge to the right."""

    def cut(frame: Frame) -> Frame:
        height, width = frame.shape[:2]
        keep = height * 9 // 16
        left = round((width - keep) * across)
        return frame[:, left : left + keep]

    return cut


def _fit(frame: Frame, width: int, height: int) -> Frame:
    """Scaled to fit a `width` x `height` panel, the rest black."""
    scale = min(width / frame.shape[1], height / frame.shape[0])
    small = _resize(frame, max(2, round(frame.shape[1] * scale)), max(2, round(frame.shape[0] * scale)))
    panel = np.zeros((height, width, 3), np.uint8)
    top, left = (height - small.shape[0]) // 2, (width - small.shape[1]) // 2
    panel[top : top + small.shape[0], left : left + small.shape[1]] = small
    return panel


def _fill(frame: Frame, width: int, height: int) -> Frame:
    """Scaled to cover a `width` x `height` panel and cut to it at the centre."""
    scale = max(width / frame.shape[1], height / frame.shape[0])
    big = _resize(frame, max(width, round(frame.shape[1] * scale)), max(height, round(frame.shape[0] * scale)))
    top, left = (big.shape[0] - height) // 2, (big.shape[1] - width) // 2
    return big[top : top + height, left : left + width]


def _grid(panels: list[Frame], columns: int, rows: int, width: int, height: int, place: str) -> Frame:
    """Panels side by side (`columns`) and above each other (`rows`) on a `width` x `height` canvas, each fitted,
    filled or squeezed (`place`), with a 4-pixel white divider between them."""
    canvas = np.full((height, width, 3), 255, np.uint8)
    cell_w, cell_h = width // columns, height // rows
    for k, frame in enumerate(panels[: columns * rows]):
        x, y = (k % columns) * cell_w, (k // columns) * cell_h
        w, h = cell_w - (4 if k % columns < columns - 1 else 0), cell_h - (4 if k // columns < rows - 1 else 0)
        placed = (
            _fit(frame, w, h) if place == "fit" else _fill(frame, w, h) if place == "fill" else _resize(frame, w, h)
        )
        canvas[y : y + h, x : x + w] = placed
    return canvas


def alterations(fps: float) -> dict[str, Callable[[list[Frame], list[Frame]], tuple[list[Frame], float]]]:
    def each(fn: Callable[[Frame], Frame]) -> Callable[[list[Frame], list[Frame]], tuple[list[Frame], float]]:
        return lambda frames, other: ([fn(f) for f in frames], fps)

    def split(
        columns: int, rows: int, place: str, *, first: bool, portrait: bool = False, mirrored: bool = False
    ) -> Callable[[list[Frame], list[Frame]], tuple[list[Frame], float]]:
        """The item in one panel of a split screen (the first, or the last), other footage in the rest."""

        def make(frames: list[Frame], other: list[Frame]) -> tuple[list[Frame], float]:
            height, width = frames[0].shape[:2]
            size = (height * 9 // 16 // 2 * 2, height) if portrait else (width, height)
            out = []
            for i, f in enumerate(frames):
                item = np.ascontiguousarray(f[:, ::-1]) if mirrored else f
                fillers = [other[(i + 17 * k) % len(other)] for k in range(columns * rows - 1)]
                out.append(_grid([item, *fillers] if first else [*fillers, item], columns, rows, *size, place))
            return out, fps

        return make

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
        "rotate 90": each(lambda f: np.ascontiguousarray(np.rot90(f))),
        "tilt 3 (black corners)": each(_tilt(3)),
        "tilt -5 (black corners)": each(_tilt(-5)),
        "tilt 8 (black corners)": each(_tilt(8)),
        "tilt -4, mirrored": each(lambda f: np.ascontiguousarray(_tilt(-4)(f)[:, ::-1])),
        "tilt 4, crop 10% (centre)": each(lambda f: crop(0.05, 0.05, 0.05, 0.05)(_tilt(4)(f))),
        "side by side (fit)": split(2, 1, "fit", first=True),
        "side by side, on the right (fit)": split(2, 1, "fit", first=False),
        "side by side (cropped to fill)": split(2, 1, "fill", first=True),
        "side by side (squeezed)": split(2, 1, "squeeze", first=False),
        "top and bottom (fit)": split(1, 2, "fit", first=True),
        "top and bottom (squeezed)": split(1, 2, "squeeze", first=False),
        "top and bottom on 9:16 (cropped to fill)": split(1, 2, "fill", first=False, portrait=True),
        "three side by side (fit)": split(3, 1, "fit", first=False),
        "2x2 grid": split(2, 2, "fit", first=False),
        "side by side, mirrored (cropped to fill)": split(2, 1, "fill", first=True, mirrored=True),
        "crop to 9:16 (left)": each(_portrait(0.0)),
        "crop to 9:16 (30% from left)": each(_portrait(0.3)),
        "crop to 9:16 (right)": each(_portrait(1.0)),
        "crop to 9:16 (centre), mirrored": each(lambda f: np.ascontiguousarray(_portrait(0.5)(f)[:, ::-1])),
        "crop to 9:16 (63% from left), scaled up": each(lambda f: _resize(_portrait(0.63)(f), 720, 1280)),
        "tilt 4, crop to 9:16 (centre)": each(lambda f: _portrait(0.5)(_tilt(4)(f))),
    }


FAMILIES = (
    ("tilt", "tilt"),
    ("split screen", ("side by side", "top and bottom", "three side by side", "2x2 grid")),
    ("9:16 crop", "crop to 9:16"),
)


def family(name: str) -> str:
    """The family an alteration belongs to: a new one (tilts, split screens, 9:16 cuts) or the earlier ones."""
    for label, prefixes in FAMILIES:
        if name.startswith(prefixes):
            return label
    return "earlier families"


def _earlier_dihedral(frame: Frame, side: int) -> tuple[list[bytes], int]:
    """The dihedral hashes as the earlier hashing made them: `pdqhash`'s bindings."""
    import pdqhash

    hashes, quality = pdqhash.compute_dihedral(np.ascontiguousarray(shrink(frame, side)))
    return [np.packbits(np.asarray(h, dtype=np.uint8)).tobytes() for h in hashes], int(quality)


def baseline_hashes(
    frames: list[tuple[float, Frame]], dihedral: Callable[[Frame, int], tuple[list[bytes], int]] = _earlier_dihedral
) -> list[SegmentHash]:
    """The submission-side hashing before tilts, split screens and 9:16 strips: each frame trimmed and hashed in
    its dihedral variants at 512 px, plus picture-in-picture insets (looked for every fourth frame) at 128 px;
    with PDQ as it then was (`pdqhash`), or with the `dihedral` given (today's, to tell what the new families
    cost apart from what the faster PDQ saves)."""
    out: list[SegmentHash] = []
    boxes: list[tuple[int, int, int, int]] = []
    for i, (t, frame) in enumerate(frames):
        small = shrink(frame)
        if i % 4 == 0:
            boxes = inset_boxes(small)
        for region, side in [(trim_borders(small), 512), *((inset_crop(small, box), 128) for box in boxes)]:
            digests, quality = dihedral(region, side)
            if quality >= 25:
                out += [SegmentHash(t, d, quality) for d in digests]
    return out


def hashed(frames: list[tuple[float, Frame]]) -> list[SegmentHash]:
    """A submission's hashes as the hash-bank check makes them (a still frame repeats the last one hashed anew)."""
    hasher = StillQueryHasher()
    for t, frame in frames:
        hasher.add(t, frame)
    return hasher.hashes


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
        hash_s = {"baseline": 0.0, "now": 0.0, "baseline_new_pdq": 0.0}
        hash_counts = {"baseline": 0, "now": 0}
        sampled = 0
        # (kind of submission, seconds hashing now, seconds hashing as before) per query
        costs: list[tuple[str, float, float]] = []

        def query(path: Path, kind: str) -> list[str]:
            nonlocal sampled
            started = time.perf_counter()
            frames = list(query_frames(str(path)))
            decoded = time.perf_counter()
            found = match_segments(hashed(frames), index, times)
            query_s.append(time.perf_counter() - started)
            hash_s["now"] += time.perf_counter() - decoded
            now_s = time.perf_counter() - decoded
            started = time.perf_counter()
            baseline = baseline_hashes(frames)
            baseline_s = time.perf_counter() - started
            hash_s["baseline"] += baseline_s
            costs.append((kind, now_s, baseline_s))
            started = time.perf_counter()
            baseline_hashes(frames, _dihedral)
            hash_s["baseline_new_pdq"] += time.perf_counter() - started
            hash_counts["baseline"] += len(baseline)
            hash_counts["now"] += len(hashed(frames))
            sampled += len(frames)
            return [m.key for m in found]

        for key, path in items.items():
            timed_frames, fps = decode(path)
            frames = [f for _, f in timed_frames][: int(fps * 6)]
            for name, alter in alterations(fps).items():
                altered, out_fps = alter(frames, other_frames)
                copy = encode(altered, out_fps, root / "copy.mp4", crf=38 if "CRF" in name else 23)
                keys = query(copy, "ordinary" if family(name) == "earlier families" else family(name))
                rows.append(
                    {
                        "item": key,
                        "alteration": name,
                        "family": family(name),
                        "caught": key in keys,
                        "wrong": [k for k in keys if k != key],
                    }
                )
        prompts = [
            "a lake at dawn",
            "fireworks over a harbour",
            "a busy market",
            "snow on pine trees",
            "a desert road",
            "a cat on a sofa",
            "rain on a window",
            "a city at night",
        ]
        clips = [
            render_video(RenderSpec(p, seed=100 + k, duration_s=4.0, width=640, height=360), root / f"u{k}.mp4")
            for k, p in enumerate(prompts)
        ]
        clip_frames = [[f for _, f in decode(c)[0]] for c in clips]
        unrelated: list[dict[str, Any]] = []
        for prompt, clip in zip(prompts, clips, strict=True):
            unrelated.append({"video": prompt, "matched": query(clip, "ordinary")})
        # The new families made of unrelated footage only: two or four unrelated clips sharing a screen, and cuts
        # and tilts of unrelated clips.
        made: dict[str, list[Frame]] = {}
        count = min(len(f) for f in clip_frames)
        for k in range(0, len(clips), 2):
            a, b = clip_frames[k], clip_frames[k + 1]
            made[f"{prompts[k]} | {prompts[k + 1]} (fit)"] = [
                _grid([a[i], b[i]], 2, 1, 640, 360, "fit") for i in range(count)
            ]
            made[f"{prompts[k]} | {prompts[k + 1]} (fill)"] = [
                _grid([a[i], b[i]], 2, 1, 640, 360, "fill") for i in range(count)
            ]
            made[f"{prompts[k]} / {prompts[k + 1]} (squeezed)"] = [
                _grid([a[i], b[i]], 1, 2, 640, 360, "squeeze") for i in range(count)
            ]
            made[f"{prompts[k]} / {prompts[k + 1]} on 9:16 (fill)"] = [
                _grid([a[i], b[i]], 1, 2, 202, 360, "fill") for i in range(count)
            ]
            made[f"{prompts[k]}, tilted 5"] = [_tilt(5)(f) for f in a[:count]]
            made[f"{prompts[k + 1]}, cut to 9:16 (left)"] = [_portrait(0.0)(f) for f in b[:count]]
        made["2x2 grid of four"] = [_grid([c[i] for c in clip_frames[:4]], 2, 2, 640, 360, "fit") for i in range(count)]
        made["three side by side (fill)"] = [
            _grid([c[i] for c in clip_frames[4:7]], 3, 1, 640, 360, "fill") for i in range(count)
        ]
        for name, made_frames in made.items():
            clip = encode(made_frames, 30, root / "made.mp4")
            kind = "9:16 crop" if "9:16" in name and "/" not in name else "tilt" if "tilted" in name else "split screen"
            unrelated.append({"video": name, "matched": query(clip, kind)})
    families: dict[str, list[int]] = {}
    for row in rows:
        tally = families.setdefault(row["family"], [0, 0, 0])
        tally[0] += 1 if row["caught"] and not row["wrong"] else 0
        tally[1] += 1 if row["wrong"] else 0
        tally[2] += 1
    ratio_by_kind = {
        kind: round(sum(c[1] for c in costs if c[0] == kind) / sum(c[2] for c in costs if c[0] == kind), 2)
        for kind in dict.fromkeys(c[0] for c in costs)
    }
    report = {
        "bank_hash_s_per_item": round(bank_s / len(items), 3),
        "bank_hashes_per_item_second": round(len(entries) / len(items) / 6.0, 1),
        "query_s_median": round(float(np.median(query_s)), 3),
        "query_hash_ms_per_frame": round(1000 * hash_s["now"] / sampled, 2),
        "baseline_hash_ms_per_frame": round(1000 * hash_s["baseline"] / sampled, 2),
        "query_hash_ratio": round(hash_s["now"] / hash_s["baseline"], 2),
        "query_hash_ratio_same_pdq": round(hash_s["now"] / hash_s["baseline_new_pdq"], 2),
        "query_hash_ratio_by_kind": ratio_by_kind,
        "query_hashes_per_frame": round(hash_counts["now"] / sampled, 1),
        "baseline_hashes_per_frame": round(hash_counts["baseline"] / sampled, 1),
        "families": {k: {"caught": v[0], "false": v[1], "tried": v[2]} for k, v in families.items()},
        "rows": rows,
        "unrelated_matched": sum(1 for u in unrelated if u["matched"]),
        "unrelated": unrelated,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print("staydown: alteration x caught (right item found, nothing else)")
    names = list(dict.fromkeys(r["alteration"] for r in rows))
    print(f"  {'alteration':42s} {'footage':>8s} {'rendered':>9s}")
    for name in names:
        marks = []
        for key in items:
            row = next(r for r in rows if r["alteration"] == name and r["item"] == key)
            marks.append("yes" if row["caught"] and not row["wrong"] else ("WRONG" if row["wrong"] else "no"))
        print(f"  {name:42s} {marks[0]:>8s} {marks[1]:>9s}")
    print("  per family: caught / false (another item found) of tried")
    for label, (caught_n, wrong_n, tried) in families.items():
        print(f"    {label:40s} caught {caught_n}/{tried}, false {wrong_n}")
    caught = sum(1 for r in rows if r["caught"] and not r["wrong"])
    print(f"  caught {caught}/{len(rows)}; unrelated videos matched: {report['unrelated_matched']}/{len(unrelated)}")
    for u in unrelated:
        if u["matched"]:
            print(f"    unrelated {u['video']!r} matched {u['matched']}")
    bank_per_item, query_median = report["bank_hash_s_per_item"], report["query_s_median"]
    print(
        f"  hashing a 6 s bank item {bank_per_item} s ({report['bank_hashes_per_item_second']} hashes a second);"
        f" matching a copy {query_median} s (median, decode included)"
    )
    print(
        f"  submission hashing {report['query_hash_ms_per_frame']} ms a frame against"
        f" {report['baseline_hash_ms_per_frame']} ms for the frame and insets alone: {report['query_hash_ratio']}x;"
        f" {report['query_hashes_per_frame']} hashes a frame against {report['baseline_hashes_per_frame']}"
    )
    print(
        f"  against the earlier hashing on today's PDQ routine (what the new families cost apart from what the"
        f" faster PDQ saves): {report['query_hash_ratio_same_pdq']}x"
    )
    by_kind = ", ".join(f"{kind} {ratio}x" for kind, ratio in ratio_by_kind.items())
    print(f"  submission hashing against the earlier hashing, by kind of submission: {by_kind}")


if __name__ == "__main__":
    main()
