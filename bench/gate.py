"""The gate's own cost against decoding, for a 10 s 720p clip, measured in one run.

Prints, as medians over repetitions (after one warm-up, so model loading is not counted):
- the time to fully decode the clip;
- the gate's own work up to the decision without model checks (intake, media check, prompt rules, consent,
  decision, persistence) against the clip's duration: target under 5%;
- the publish step (marking, C2PA signing, fingerprinting), which only published videos pay;
- the whole gate with every default check (faces, prompt classifier, nudity, banks) and publishing, against the
  5 s budget for a 10 s 720p clip.
Ratios are computed in the same run because these machines are noisy.

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
from safety import CameoGuard, Settings, Submission, build
from safety.checks import ConsentCheck, MediaCheck, PromptRulesCheck

CLIP_SECONDS = 10.0


def decode_all(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(container.streams.video[0]))


def bench_policy(root: Path) -> Path:
    """The default pack with the model checks optional, so the gate can publish without running them."""
    import policies

    text = policies.bundled_pack_path("default").read_text()
    for name in ("prompt_classifier", "likeness", "inputs", "frames_nsfw", "hash_bank"):
        text = text.replace(f"  {name}:\n    required: true", f"  {name}:\n    required: false")
    path = root / "no-models.yaml"
    path.write_text(text)
    return path


def run_gate(services: CameoGuard, clip: Path, repeat: int) -> tuple[list[float], list[float]]:
    """(wall seconds, seconds to the decision) per run, after one warm-up run."""
    services.accounts.ensure_user("bench")
    walls, decisions = [], []
    for i in range(repeat + 1):
        started = time.perf_counter()
        result = services.videos.prepublish(
            Submission(creator="bench", prompt=f"a city street at night {i}", video_path=clip)
        )
        wall = time.perf_counter() - started
        assert result.decision.action.value == "publish", result.to_json()
        if i:
            walls.append(wall)
            decisions.append(result.decision.timings_ms["total"] / 1000)
    return walls, decisions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-gate-") as scratch:
        root = Path(scratch)
        clip = render_video(
            RenderSpec("a city street at night, rain", seed=1, duration_s=CLIP_SECONDS, width=1280, height=720, fps=30),
            root / "clip.mp4",
        )
        decode_s = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            frames = decode_all(clip)
            decode_s.append(time.perf_counter() - started)
        light = Settings(home=root / "light", adult_policy=str(bench_policy(root)))
        with build(light, checks=[MediaCheck(), PromptRulesCheck(), ConsentCheck()]) as services:
            light_walls, light_decisions = run_gate(services, clip, args.repeat)
        with build(Settings(home=root / "full")) as services:
            full_walls, _ = run_gate(services, clip, args.repeat)
    decode = statistics.median(decode_s)
    own = statistics.median(light_decisions)
    publish = statistics.median(w - d for w, d in zip(light_walls, light_decisions, strict=True))
    full = statistics.median(full_walls)
    report = {
        "clip": {"seconds": CLIP_SECONDS, "size": "1280x720", "fps": 30, "frames": frames},
        "repeat": args.repeat,
        "decode_s": round(decode, 4),
        "gate_without_models_s": round(own, 4),
        "gate_without_models_over_decode": round(own / decode, 3),
        "gate_overhead_pct_of_duration": round(100 * own / CLIP_SECONDS, 2),
        "target_overhead_pct": 5.0,
        "publish_step_s": round(publish, 3),
        "whole_gate_all_checks_s": round(full, 3),
        "whole_gate_budget_s": 5.0,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"10 s 720p clip ({frames} frames), medians of {args.repeat} warm runs:")
    print(f"  full decode                  {decode:7.3f} s")
    print(
        f"  gate to decision, no models  {own:7.3f} s   ({report['gate_without_models_over_decode']}x decode; "
        f"{report['gate_overhead_pct_of_duration']} % of the clip's duration, target < 5 %)"
    )
    print(f"  publish step (mark, sign, fingerprint) {publish:7.3f} s")
    print(f"  whole gate, every check, published     {full:7.3f} s   (budget 5 s)")


if __name__ == "__main__":
    main()
