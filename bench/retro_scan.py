"""Retroactive scans, measured in one run: published videos searched per second from stored track embeddings, at
100k and 1M stored tracks (SQLite, the embedded default), against the baseline a scan without stored embeddings
would pay: decoding each published video again and running the face pipeline on it (the real dlib models on a
rendered 2 s clip with a face, measured here).

Tracks are synthetic (random 128-d vectors, 3 per video, like the gate keeps per face track); one of them in every
thousand videos lies near the scanned person, so the scan also acts (those videos are held or purged, which is part
of the cost). Rows are bulk-inserted; the scan is the real `RetroScans.run` (paging, leases, cursor, acting).

    .venv/bin/python -m bench.retro_scan [--json] [--sizes 100000,1000000]
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
from datetime import UTC, datetime
from typing import Any

import numpy as np

from generator.render import RenderSpec, render_video
from policies import load_bundled_pack
from safety import Settings, build
from safety.faces.dlib_analyzer import DlibFaceAnalyzer
from safety.faces.fake import FakeFaceAnalyzer
from safety.faces.video import FacePipelineParams, analyse_video
from safety.records import TemplateSubject
from safety.storage.sql.tables import TrackEmbeddingRow, VideoRow

TRACKS_PER_VIDEO = 3
DIM = 128
MODEL = "dlib-resnet-v1"


def _fill(settings: Settings, tracks: int, person: np.ndarray, rng: np.random.Generator) -> int:
    """Bulk-insert published videos and their track embeddings; one video in a thousand shows `person`."""
    videos = tracks // TRACKS_PER_VIDEO
    now = datetime.now(UTC)
    with build(settings, face_analyzer=FakeFaceAnalyzer()) as services:
        services.accounts.add_user("creator")
        engine = services.database.engine
        batch = 20_000
        with engine.begin() as conn:
            for start in range(0, videos, batch):
                ids = [f"vid_{i:020d}" for i in range(start, min(videos, start + batch))]
                conn.execute(
                    VideoRow.__table__.insert(),  # type: ignore[attr-defined]
                    [
                        {
                            "id": vid,
                            "creator": "creator",
                            "prompt": "a synthetic video",
                            "status": "published",
                            "content_sha256": "0" * 64,
                            "size_bytes": 1,
                            "duration_s": 2.0,
                            "width": 640,
                            "height": 360,
                            "declared_cameos": [],
                            "policy_ref": "",
                            "created_at": now,
                            "updated_at": now,
                        }
                        for vid in ids
                    ],
                )
                vectors = rng.normal(0, 0.08, size=(len(ids) * TRACKS_PER_VIDEO, DIM)).astype(np.float32)
                for n in range(0, len(ids), 1000):  # one video in a thousand shows the person
                    vectors[n * TRACKS_PER_VIDEO] = person + rng.normal(0, 0.01, DIM).astype(np.float32)
                conn.execute(
                    TrackEmbeddingRow.__table__.insert(),  # type: ignore[attr-defined]
                    [
                        {
                            "video_id": ids[i // TRACKS_PER_VIDEO],
                            "kind": "face",
                            "track": i % TRACKS_PER_VIDEO,
                            "t": 0.0,
                            "model_id": MODEL,
                            "vector": vectors[i].tobytes(),
                        }
                        for i in range(len(vectors))
                    ],
                )
    return videos


def scan_rate(tracks: int, folder: Path) -> dict[str, Any]:
    rng = np.random.default_rng(tracks)
    person = rng.normal(0, 0.08, DIM).astype(np.float32)
    settings = Settings(home=folder / f"home-{tracks}")
    started = time.perf_counter()
    videos = _fill(settings, tracks, person, rng)
    filled_s = time.perf_counter() - started
    with build(settings, face_analyzer=FakeFaceAnalyzer()) as services:
        services.accounts.add_user("nia")
        with services.store.transaction() as tx:
            tx.templates.add_templates(TemplateSubject.PROTECTED, "nia", MODEL, [person.tobytes()])
            scan_id = tx.tracks.start_scan(TemplateSubject.PROTECTED.value, "nia")
        started = time.perf_counter()
        scan = services.retro_scans.run(scan_id)
        seconds = time.perf_counter() - started
    return {
        "tracks": tracks,
        "videos": videos,
        "fill_s": round(filled_s, 1),
        "scan_s": round(seconds, 2),
        "videos_per_s": round(scan.videos_searched / seconds),
        "found": len(scan.found),
        "expected_found": (videos + 999) // 1000,
    }


def redecode_rate(folder: Path, runs: int = 3) -> dict[str, Any]:
    """What a scan without stored embeddings pays per video: decode it and run the face pipeline again."""
    from generator.demo import sample_photos
    from generator.render import load_face_image

    _, portrait = sample_photos()
    clip = render_video(
        RenderSpec("a man giving a speech", seed=3, duration_s=2.0, faces=(load_face_image(portrait),)),
        folder / "face.mp4",
    )
    analyzer = DlibFaceAnalyzer()
    pack = load_bundled_pack("default")
    params = FacePipelineParams(
        sample_fps=pack.likeness.sample_fps,
        max_frames=pack.likeness.max_frames,
        thorough_frames=pack.likeness.thorough_frames,
        min_face_px=pack.likeness.min_face_px,
    )
    analyse_video(clip, analyzer, params)  # models loaded outside the timing
    started = time.perf_counter()
    for _ in range(runs):
        report = analyse_video(clip, analyzer, params)
    seconds = (time.perf_counter() - started) / runs
    return {"seconds_per_video": round(seconds, 3), "videos_per_s": round(1 / seconds, 2), "tracks": len(report.tracks)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--sizes", default="100000,1000000")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        baseline = redecode_rate(folder)
        rows = [scan_rate(int(size), folder) for size in args.sizes.split(",")]
    for row in rows:
        row["speedup_vs_redecode"] = round(row["videos_per_s"] / baseline["videos_per_s"])
    result = {"baseline_redecode": baseline, "scans": rows}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"baseline: decoding a published video again and finding its faces: {baseline['seconds_per_video']} s/video")
    for row in rows:
        print(
            f"{row['tracks']:>9,} stored tracks ({row['videos']:,} videos): scanned in {row['scan_s']} s, "
            f"{row['videos_per_s']:,} videos/s = {row['speedup_vs_redecode']:,}x the re-decode; "
            f"found {row['found']} of {row['expected_found']} planted"
        )


if __name__ == "__main__":
    main()
