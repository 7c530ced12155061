"""Calibrate the default face model's match threshold on the face fixtures, and test it on held-out data.

Calibration set: each person's `train*` photos and portraits. Held out: their `test*`, low-resolution and
partial photos, and faces in the real clip (Lin-Manuel Miranda's mid shot and far shot, Barack Obama in the
audience). Genuine and impostor distances on the calibration set give the threshold (the largest with at most
1% of impostor pairs accepted); the held-out set then measures what the gate would do: an appearance of an
enrolled or protected person is *found* when it matches or falls in the near-match band (held for review), and
another person is *wrongly matched* when they match confidently.

    .venv/bin/python -m bench.calibrate_likeness [--fixtures ../shared/fixtures/faces] [--out bench/results]

Writes `likeness_calibration.json` and `likeness_calibration.png` (distance histograms with the thresholds).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder comes first on sys.path, and bench/provenance.py would shadow the `provenance`
# package; the repository root goes there instead. (`python -m bench.NAME` needs none of this.)
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import itertools
import json
from pathlib import Path
from typing import Any

import av
import numpy as np

from policies import load_bundled_pack
from safety.faces.analyzer import Embedding, RGBImage
from safety.faces.dlib_analyzer import MODEL_ID, DlibFaceAnalyzer
from safety.faces.photos import load_rgb

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = ["alex_lacamoire", "biden", "kit_harington", "lin_manuel_miranda", "obama", "rose_leslie"]


def largest_face(analyzer: DlibFaceAnalyzer, image: RGBImage, jitters: int = 0) -> Embedding | None:
    faces = analyzer.detect(image) or analyzer.detect(image, thorough=True)
    if not faces:
        return None
    face = max(faces, key=lambda f: f.box.width * f.box.height)
    return analyzer.embed(image, face, jitters=jitters)


def clip_faces(
    analyzer: DlibFaceAnalyzer, clip: Path, start: float, end: float, every: int, thorough: bool
) -> list[Embedding]:
    out: list[Embedding] = []
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        for index, frame in enumerate(container.decode(stream)):
            t = frame.time or 0.0
            if not (start <= t <= end) or index % every:
                continue
            image = np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
            faces = analyzer.detect(image, thorough=thorough)
            out.extend(analyzer.embed(image, f) for f in faces)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fixtures", type=Path, default=ROOT.parent / "shared" / "fixtures" / "faces")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    if not args.fixtures.is_dir():
        raise SystemExit(f"face fixtures not found at {args.fixtures}")
    analyzer = DlibFaceAnalyzer()
    thresholds = load_bundled_pack("default").likeness.models[MODEL_ID]

    calibration: dict[str, list[Embedding]] = {}
    held_out: dict[str, list[tuple[str, Embedding]]] = {}
    for person in PEOPLE:
        for path in sorted((args.fixtures / person).iterdir()):
            vector = largest_face(analyzer, load_rgb(path))
            if vector is None:
                print(f"no face found in {path.name} ({person}); counted as missed if held out")
            is_calibration = path.stem.startswith("train") or path.stem == "portrait"
            if is_calibration and vector is not None:
                calibration.setdefault(person, []).append(vector)
            elif not is_calibration:
                held_out.setdefault(person, []).append(
                    (path.name, vector if vector is not None else np.full(128, 9, np.float32))
                )

    genuine = [
        float(np.linalg.norm(a - b)) for vectors in calibration.values() for a, b in itertools.combinations(vectors, 2)
    ]
    impostor = [
        float(np.linalg.norm(a - b))
        for (p, va), (q, vb) in itertools.combinations(calibration.items(), 2)
        for a in va
        for b in vb
    ]
    candidates = sorted(set(round(x, 3) for x in genuine + impostor))
    far_ok = [t for t in candidates if np.mean(np.array(impostor) <= t) <= 0.01]
    chosen = max(far_ok) if far_ok else 0.0

    clip = args.fixtures / "_video" / "short_hamilton_clip.mp4"
    video_sets = {
        "lin_manuel_miranda": [("clip 3.6-7.85 s", v) for v in clip_faces(analyzer, clip, 3.6, 7.85, 6, False)],
    }
    audience = clip_faces(analyzer, clip, 8.85, 8.95, 1, True)
    gallery = {p: v for p, v in calibration.items()}

    def nearest(vector: Embedding) -> tuple[str, float]:
        return min(
            ((p, min(float(np.linalg.norm(vector - g)) for g in gs)) for p, gs in gallery.items()), key=lambda x: x[1]
        )

    found = total = 0
    wrong = others = 0
    rows = []
    appearances = [(p, name, v) for p, items in held_out.items() for name, v in items]
    appearances += [(p, name, v) for p, items in video_sets.items() for name, v in items]
    for person, name, vector in appearances:
        who, dist = nearest(vector)
        own = min(float(np.linalg.norm(vector - g)) for g in gallery[person])
        hit = own <= thresholds.uncertain_distance and who == person
        total += 1
        found += hit
        rows.append(
            {
                "person": person,
                "source": name,
                "own_distance": round(own, 3),
                "nearest": who,
                "nearest_distance": round(dist, 3),
            }
        )
        for other, gs in gallery.items():
            if other == person:
                continue
            others += 1
            wrong += min(float(np.linalg.norm(vector - g)) for g in gs) <= thresholds.match_distance
    obama_audience = min((min(float(np.linalg.norm(v - g)) for g in gallery["obama"]) for v in audience), default=None)

    report: dict[str, Any] = {
        "model": MODEL_ID,
        "calibration": {
            "people": len(calibration),
            "genuine_pairs": len(genuine),
            "impostor_pairs": len(impostor),
            "genuine_distance": {"min": min(genuine), "median": float(np.median(genuine)), "max": max(genuine)},
            "impostor_distance": {"min": min(impostor), "median": float(np.median(impostor)), "max": max(impostor)},
            "threshold_at_far_1pct": chosen,
            "tar_at_that_threshold": float(np.mean(np.array(genuine) <= chosen)),
        },
        "policy": {"match_distance": thresholds.match_distance, "uncertain_distance": thresholds.uncertain_distance},
        "held_out": {
            "appearances": total,
            "found": found,
            "found_rate": found / total if total else 0.0,
            "other_person_comparisons": others,
            "wrongly_matched": wrong,
            "wrong_match_rate": wrong / others if others else 0.0,
            "obama_in_audience_distance": obama_audience,
            "rows": rows,
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "likeness_calibration.json").write_text(json.dumps(report, indent=2))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, axes = plt.subplots(figsize=(8, 4))
        axes.hist(genuine, bins=30, alpha=0.6, label=f"same person ({len(genuine)} pairs)", color="tab:green")
        axes.hist(impostor, bins=30, alpha=0.6, label=f"different people ({len(impostor)} pairs)", color="tab:red")
        axes.axvline(thresholds.match_distance, color="black", label=f"match ≤ {thresholds.match_distance}")
        axes.axvline(
            thresholds.uncertain_distance,
            color="grey",
            linestyle="--",
            label=f"review ≤ {thresholds.uncertain_distance}",
        )
        axes.set_xlabel("distance between 128-D dlib descriptors")
        axes.set_ylabel("pairs")
        axes.set_title("Face fixtures: calibration distances")
        axes.legend()
        figure.tight_layout()
        figure.savefig(args.out / "likeness_calibration.png", dpi=100)
    except ImportError:
        print("matplotlib not installed: no plot")
    cal, held = report["calibration"], report["held_out"]
    print(json.dumps({k: v for k, v in cal.items()}, indent=2))
    print(
        f"held out: found {found}/{total} appearances ({held['found_rate']:.1%}); "
        f"wrongly matched {wrong}/{others} other-person comparisons ({held['wrong_match_rate']:.2%}); "
        f"Obama in the audience at distance {obama_audience}"
    )


if __name__ == "__main__":
    main()
