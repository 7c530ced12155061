"""Provenance costs, measured in one run on a 10 s 1280x720 clip.

- C2PA signing of the published file against a plain sha256 pass over the same file (target: ≤ 1.5x).
- Invisible watermark: embedding (per frame) and reading (per sampled frame); the whole marking re-encode.
- The whole publish step (mark, sign, fingerprint) against the gate's 5 s budget.
- `verify` of a stripped copy (half size, low quality, no manifest).

    .venv/bin/python -m bench.provenance [--json]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder comes first on sys.path, and this file would shadow the `provenance` package; the
# repository root goes there instead. (`python -m bench.provenance` needs none of this.)
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import json
import shutil
import statistics
import tempfile
import time
from typing import Any

import cv2
import numpy as np

from generator.render import RenderSpec, render_video, write_mp4
from provenance import Publication, mark_video, new_token, sampled_frames, sha256_file
from safety import Settings, build
from tests.conftest import reencode_copy  # the same copy the tests make


def timed(fn: Any, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-provenance-") as scratch:
        root = Path(scratch)
        clip = render_video(
            RenderSpec("fireworks over a harbour", seed=2, duration_s=10.0, width=1280, height=720, fps=30),
            root / "clip.mp4",
        )
        with build(Settings(home=root / "home")) as services:
            publisher = services.publisher
            marked = root / "marked.mp4"
            mark_s = timed(
                lambda: mark_video(clip, marked, label="AI-generated | @bench", watermark=publisher.watermark, token=1),
                repeat=2,
            )
            signed = root / "signed.mp4"
            publication = Publication("vid_bench", "dec_bench", "default@bench")
            sign_s = timed(lambda: publisher.signer.sign(marked, signed, publication))
            sha_s = timed(lambda: sha256_file(marked))
            # Signing hashes the whole file: on a small file its fixed cost dominates, so also a ~20 MB one.
            rng = np.random.default_rng(0)
            noise = (rng.integers(0, 255, (720, 1280, 3), dtype=np.uint8) for _ in range(90))
            large = write_mp4(noise, root / "large.mp4", width=1280, height=720, fps=30, audio_seed=0)
            signed_large = root / "signed_large.mp4"
            sign_large_s = timed(lambda: publisher.signer.sign(large, signed_large, publication))
            sha_large_s = timed(lambda: sha256_file(large))

            def copy_then_hash() -> None:
                shutil.copyfile(large, root / "copied.mp4")
                sha256_file(root / "copied.mp4")

            copy_hash_s = timed(copy_then_hash)
            luma = cv2.cvtColor(next(f for _, f in sampled_frames(str(clip), 1.0, 1)), cv2.COLOR_RGB2GRAY)
            plus, minus = publisher.watermark.overlay_luma(new_token(), 1280, 720)
            embed_ms = timed(lambda: cv2.subtract(cv2.add(luma, plus), minus), repeat=50) * 1000
            frames = [f for _, f in sampled_frames(str(marked), 0.25, 40)]
            read_ms = timed(lambda: publisher.watermark.read(frames), repeat=3) * 1000 / len(frames)
            prepare_s = timed(
                lambda: publisher.prepare(clip, root / "out", publication, label="AI-generated | @bench"), repeat=2
            )
            services.accounts.add_user("bench")
            from generator import Studio  # the real path: render, gate, publish

            result = Studio(services).generate(
                "bench", "fireworks over a harbour", seed=2, duration_s=10.0, size=(1280, 720)
            )
            copy = reencode_copy(Path(result["published_path"]), root / "copy.mp4")
            verify_s = timed(lambda: services.tracing.verify(copy), repeat=2)
            traced = services.tracing.verify(copy)
        report = {
            "clip": "10 s, 1280x720, 30 fps",
            "file_mb": round(marked.stat().st_size / 1e6, 2),
            "sha256_s": round(sha_s, 4),
            "c2pa_sign_s": round(sign_s, 4),
            "sign_over_sha256": round(sign_s / sha_s, 2),
            "large_file_mb": round(large.stat().st_size / 1e6, 1),
            "large_sha256_s": round(sha_large_s, 4),
            "large_c2pa_sign_s": round(sign_large_s, 4),
            "large_sign_over_sha256": round(sign_large_s / sha_large_s, 2),
            "large_copy_and_sha256_s": round(copy_hash_s, 4),
            "large_sign_over_copy_and_sha256": round(sign_large_s / copy_hash_s, 2),
            "watermark_embed_ms_per_frame": round(embed_ms, 2),
            "watermark_read_ms_per_frame": round(read_ms, 2),
            "marking_reencode_s": round(mark_s, 3),
            "publish_step_s": round(prepare_s, 3),
            "gate_budget_s": 5.0,
            "verify_stripped_copy_s": round(verify_s, 3),
            "stripped_copy_traced_by": traced.traced_by,
            "stripped_copy_traced_to_right_video": traced.video_id == result["video_id"],
        }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{report['clip']}, marked file {report['file_mb']} MB")
    print(f"  C2PA sign {report['c2pa_sign_s']} s vs sha256 {report['sha256_s']} s: {report['sign_over_sha256']}x")
    print(
        f"  on a {report['large_file_mb']} MB file: sign {report['large_c2pa_sign_s']} s vs sha256 "
        f"{report['large_sha256_s']} s: {report['large_sign_over_sha256']}x (target ≤ 1.5x); against copying the "
        f"file and hashing the copy ({report['large_copy_and_sha256_s']} s), which signing must also do: "
        f"{report['large_sign_over_copy_and_sha256']}x"
    )
    print(
        f"  watermark embed {report['watermark_embed_ms_per_frame']} ms/frame, "
        f"read {report['watermark_read_ms_per_frame']} ms/frame"
    )
    print(f"  marking re-encode {report['marking_reencode_s']} s; whole publish step {report['publish_step_s']} s")
    print(
        f"  verify of a stripped half-size copy {report['verify_stripped_copy_s']} s, traced by "
        f"{report['stripped_copy_traced_by']} to the right video: {report['stripped_copy_traced_to_right_video']}"
    )


if __name__ == "__main__":
    main()
