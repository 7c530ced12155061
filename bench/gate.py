"""The gate's own cost against decoding, for a 10 s 720p clip, measured in one run.

Prints, as medians over repetitions: the time to fully decode the clip, the gate's wall time (intake, media
check, prompt rules, consent, decision, persistence, file moves; no model work yet), and both per second of
video. Target: the gate's overhead stays under 5% of the clip's duration. Ratios are computed in the same run
because these machines are noisy.

    .venv/bin/python -m bench.gate [--repeat N] [--json]
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
import json
import statistics
import tempfile
import time
from pathlib import Path

import av

from generator.render import RenderSpec, render_video
from safety import Services, Settings, Submission

CLIP_SECONDS = 10.0


def decode_all(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(container.streams.video[0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-gate-") as scratch:
        root = Path(scratch)
        clip = render_video(
            RenderSpec("a city street at night, rain", seed=1, duration_s=CLIP_SECONDS, width=1280, height=720, fps=30),
            root / "clip.mp4",
        )
        decode_s: list[float] = []
        gate_s: list[float] = []
        with Services(Settings(home=root / "home")) as services:
            services.add_user("bench")
            for i in range(args.repeat):
                started = time.perf_counter()
                frames = decode_all(clip)
                decode_s.append(time.perf_counter() - started)
                started = time.perf_counter()
                result = services.prepublish(
                    Submission(creator="bench", prompt=f"a city street at night {i}", video_path=clip)
                )
                gate_s.append(time.perf_counter() - started)
                assert result.decision.action.value == "publish", result.to_json()
        decode = statistics.median(decode_s)
        gate = statistics.median(gate_s)
        report = {
            "clip": {"seconds": CLIP_SECONDS, "size": "1280x720", "fps": 30, "frames": frames},
            "repeat": args.repeat,
            "decode_s": round(decode, 4),
            "gate_s": round(gate, 4),
            "decode_s_per_video_s": round(decode / CLIP_SECONDS, 4),
            "gate_s_per_video_s": round(gate / CLIP_SECONDS, 4),
            "gate_over_decode": round(gate / decode, 3),
            "gate_overhead_pct_of_duration": round(100 * gate / CLIP_SECONDS, 2),
            "target_overhead_pct": 5.0,
        }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"10 s 720p clip ({frames} frames), median of {args.repeat}:")
    print(f"  full decode      {decode:7.3f} s   ({report['decode_s_per_video_s']:.3f} s per video second)")
    print(f"  gate (no models) {gate:7.3f} s   ({report['gate_s_per_video_s']:.3f} s per video second)")
    print(f"  gate / decode    {report['gate_over_decode']:7.3f}")
    print(f"  gate overhead    {report['gate_overhead_pct_of_duration']:6.2f} % of the clip's duration (target < 5 %)")


if __name__ == "__main__":
    main()
