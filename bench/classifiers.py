"""Classifier quality and speed, measured in one run.

- Prompt classifier: precision and recall per category on the held-out share of the labelled examples (never
  trained on), at the default policy's review band, plus the share of held-out benign prompts flagged at all; and
  per language (identified with `langid`): recall and false-stop rate (target: benign look-alikes stopped at most
  5% in every language). The threat category per language: recall of held-out threats and the share of every
  other held-out prompt (benign look-alikes such as "I could kill for a coffee", and other harms) it flags.
- Speed: prompt scoring per prompt; frame nudity per frame; PDQ per frame; bank lookups at 10k and 1M hashes.
  Target: all classifier work for a 10 s clip well under a second of the gate's 5 s budget.

    .venv/bin/python -m bench.classifiers [--json]
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import json
import statistics
import time
from typing import Any

import numpy as np
from PIL import Image

from policies import load_bundled_pack
from provenance import FingerprintIndex, pdq
from safety.checks.frames_nsfw import open_nsfw
from safety.checks.prompt_classifier import examples_path
from safety.classifiers.prompt import BENIGN, load_examples, shared_prompt_classifiers, split


def prompt_quality() -> dict[str, Any]:
    policy = load_bundled_pack("default")
    assert policy.prompt_classifier is not None
    path = examples_path(policy.prompt_classifier.examples)
    share = policy.prompt_classifier.held_out_share
    classifier = shared_prompt_classifiers().get(path, share)
    _, held = split(load_examples(path), share)
    results = classifier.score([p for p, _ in held])
    per_category: dict[str, dict[str, float]] = {}
    categories = sorted({c for _, c in held} - {BENIGN})
    for category in categories:
        band = policy.thresholds[f"prompt.{category}"].review or 0.5
        tp = fp = fn = 0
        for (_, label), result in zip(held, results, strict=True):
            flagged = result.scores.get(category, 0.0) >= band
            tp += flagged and label == category
            fp += flagged and label != category
            fn += (not flagged) and label == category
        per_category[category] = {
            "band": band,
            "precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
            "recall": round(tp / (tp + fn), 3) if tp + fn else 1.0,
            "support": tp + fn,
        }
    harmful = [(label != BENIGN, r) for (_, label), r in zip(held, results, strict=True)]

    def any_flagged(result: Any) -> bool:
        return any(result.scores.get(c, 0) >= (policy.thresholds[f"prompt.{c}"].review or 0.5) for c in categories)

    import langid

    langid.set_languages(["en", "fr", "es", "de", "pt", "it"])
    per_language: dict[str, dict[str, Any]] = {}
    for (prompt, label), result in zip(held, results, strict=True):
        row = per_language.setdefault(
            str(langid.classify(prompt)[0]), {"harmful": 0, "caught": 0, "benign": 0, "stopped": 0}
        )
        if label == BENIGN:
            row["benign"] += 1
            row["stopped"] += any_flagged(result)
        else:
            row["harmful"] += 1
            row["caught"] += any_flagged(result)
    for row in per_language.values():
        row["recall"] = round(row["caught"] / row["harmful"], 3) if row["harmful"] else None
        row["false_stop_rate"] = round(row["stopped"] / row["benign"], 3) if row["benign"] else None
    threat_band = policy.thresholds["prompt.threat"].review or 0.5
    threats: dict[str, dict[str, Any]] = {}
    for (prompt, label), result in zip(held, results, strict=True):
        row = threats.setdefault(
            str(langid.classify(prompt)[0]), {"threats": 0, "caught": 0, "others": 0, "flagged": 0}
        )
        flagged = result.scores.get("threat", 0.0) >= threat_band
        if label == "threat":
            row["threats"] += 1
            row["caught"] += flagged
        else:
            row["others"] += 1
            row["flagged"] += flagged
    for row in threats.values():
        row["recall"] = round(row["caught"] / row["threats"], 3) if row["threats"] else None
        row["false_positive_rate"] = round(row["flagged"] / row["others"], 3) if row["others"] else None
    caught = sum(1 for bad, r in harmful if bad and any_flagged(r))
    bad_total = sum(1 for bad, _ in harmful if bad)
    benign_flagged = sum(1 for bad, r in harmful if not bad and any_flagged(r))
    benign_total = sum(1 for bad, _ in harmful if not bad)
    bands = {c: policy.thresholds[f"prompt.{c}"].review or 0.5 for c in categories}
    false_stops = [
        {
            "prompt": prompt,
            "flagged": {c: round(r.scores.get(c, 0.0), 2) for c in categories if r.scores.get(c, 0) >= bands[c]},
        }
        for (prompt, label), r in zip(held, results, strict=True)
        if label == BENIGN and any_flagged(r)
    ]
    started = time.perf_counter()
    for prompt, _ in held:
        classifier.score([prompt])
    per_prompt_ms = (time.perf_counter() - started) * 1000 / len(held)
    return {
        "held_out_prompts": len(held),
        "per_category": per_category,
        "any_harm_recall": round(caught / bad_total, 3),
        "per_language": dict(sorted(per_language.items())),
        "threat_per_language": {"band": threat_band, **dict(sorted(threats.items()))},
        "benign_flagged_rate": round(benign_flagged / benign_total, 3),
        "benign_stopped": false_stops,
        "ms_per_prompt": round(per_prompt_ms, 2),
    }


def speed() -> dict[str, Any]:
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (360, 640, 3), dtype=np.uint8)
    model = open_nsfw()
    images = [Image.fromarray(frame)] * 10
    model.score_images(images[:1])
    started = time.perf_counter()
    model.score_images(images)
    nsfw_ms = (time.perf_counter() - started) * 100
    started = time.perf_counter()
    for _ in range(20):
        pdq(frame)
    pdq_ms = (time.perf_counter() - started) * 50
    lookups = {}
    for size in (10_000, 1_000_000):
        raw = rng.integers(0, 256, (size, 32), dtype=np.uint8)
        index = FingerprintIndex([(f"bank:{i // 20}", raw[i].tobytes()) for i in range(size)])
        query = raw[size // 2].copy()
        query[:4] ^= 0xFF
        times = []
        for _ in range(50):
            started = time.perf_counter()
            index.near(query.tobytes(), 40)
            times.append(time.perf_counter() - started)
        lookups[str(size)] = round(statistics.median(times) * 1000, 3)
    frames_per_clip = 20
    clip_ms = frames_per_clip * (nsfw_ms + pdq_ms + lookups["1000000"])
    return {
        "nsfw_ms_per_frame": round(nsfw_ms, 2),
        "pdq_ms_per_frame": round(pdq_ms, 2),
        "bank_lookup_ms_per_frame": lookups,
        "classifier_ms_for_10s_clip": round(clip_ms, 1),
        "budget_ms": 5000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = {"prompt": prompt_quality(), "speed": speed()}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    p, s = report["prompt"], report["speed"]
    print(f"prompt classifier on {p['held_out_prompts']} held-out prompts (never trained on):")
    for category, row in p["per_category"].items():
        print(
            f"  {category:<20} precision {row['precision']:.2f}  recall {row['recall']:.2f}  "
            f"(n={row['support']}, band {row['band']})"
        )
    print(
        f"  any harmful category flagged: recall {p['any_harm_recall']:.2f}; "
        f"benign prompts flagged {p['benign_flagged_rate']:.2f}; {p['ms_per_prompt']} ms per prompt"
    )
    print("  per language (langid):")
    for language, row in p["per_language"].items():
        print(
            f"    {language}: recall {row['recall']} (n={row['harmful']}), benign stopped "
            f"{row['false_stop_rate']} (n={row['benign']})"
        )
    threat = dict(p["threat_per_language"])
    print(f"  threat category per language (band {threat.pop('band')}):")
    for language, row in threat.items():
        print(
            f"    {language}: recall {row['recall']} (n={row['threats']}), other prompts flagged "
            f"{row['false_positive_rate']} (n={row['others']})"
        )
    for item in p["benign_stopped"]:
        print(f"  benign stopped: {item['prompt']!r} {item['flagged']}")
    print(
        f"nudity {s['nsfw_ms_per_frame']} ms/frame, PDQ {s['pdq_ms_per_frame']} ms/frame, bank lookup "
        f"{s['bank_lookup_ms_per_frame']['10000']} ms at 10k and {s['bank_lookup_ms_per_frame']['1000000']} ms "
        f"at 1M hashes per frame"
    )
    print(f"classifier work for a 10 s clip (20 frames): {s['classifier_ms_for_10s_clip']} ms of a 5000 ms budget")


if __name__ == "__main__":
    main()
