"""Cameo restrictions on meaning: per-topic recall and false-stop rate on held-out prompts, per language, and the
time a restriction check adds.

Held out (never trained on): a deterministic share of each topic's examples (should be stopped under that topic)
and of its near misses (orange juice for alcohol, a wedding toast for politics, a yoga class for religion: should
not be), plus every topic's held-out examples under the *other* topics (a beer is not politics). Languages are
identified with `langid`. Free-text phrases are measured on a small labelled set below (paraphrases and unrelated
prompts). Target: at least 90% of restricted prompts stopped with at most 5% of the others.

    .venv/bin/python -m bench.restrictions [--json]
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
from collections import defaultdict
from typing import Any

from policies.restrictions import load_restriction_taxonomy
from safety.checks.prompt_classifier import examples_path
from safety.classifiers.multilingual import MultilingualEncoder
from safety.classifiers.restriction_judge import SemanticRestrictions, training_split

# The examples' subject: the owner whose restrictions are judged; the gate drops the owner's name as training does.
OWNER = "lin"

# (restriction phrase, prompt, should it stop the use?)
PHRASES = [
    ("horror movies", "lin being chased by a zombie through a haunted house", True),
    ("horror movies", "lin screaming as a masked killer appears in a slasher film", True),
    ("horror movies", "lin at the beach with friends", False),
    ("horror movies", "lin watching a romantic comedy", False),
    ("swimsuit", "lin in a bikini by the pool", True),
    ("swimsuit", "lin en maillot de bain sur la plage", True),
    ("swimsuit", "lin in a winter coat in the snow", False),
    ("my ex jake", "lin having dinner with her ex boyfriend jake", True),
    ("my ex jake", "lin having dinner with her sister", False),
    ("dancing", "lin dancing salsa at a club", True),
    ("dancing", "lin bailando en una fiesta", True),
    ("dancing", "lin reading in a library", False),
    ("fast food", "lin eating a burger and fries at a drive through", True),
    ("fast food", "lin cooking a vegetable soup at home", False),
    ("bazinga", "lin shouting bazinga at her friends", True),
    ("bazinga", "lin shouting hello at her friends", False),
]


def _language(text: str) -> str:
    import langid

    # The examples' subject (`lin`) is no word of any language; the bench's languages are the issue's six.
    langid.set_languages(["en", "fr", "es", "de", "pt", "it"])
    return str(langid.classify(text.removeprefix("lin "))[0])


def topic_quality(judge: SemanticRestrictions) -> dict[str, Any]:
    taxonomy = judge.taxonomy
    split = training_split(taxonomy)
    threshold = taxonomy.threshold
    per_topic: dict[str, dict[str, Any]] = {}
    by_language: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # stopped, positives, stopped, negatives
    all_pos = [0, 0]
    all_neg = [0, 0]
    wrong: list[dict[str, Any]] = []
    for topic, (_, held_pos, _, held_miss) in split.items():
        others = [p for other, parts in split.items() if other != topic for p in parts[1]]
        tp = sum(judge.topic_scores(p, owner=OWNER)[topic] >= threshold for p in held_pos)
        false_miss = sum(judge.topic_scores(p, owner=OWNER)[topic] >= threshold for p in held_miss)
        false_other = sum(judge.topic_scores(p, owner=OWNER)[topic] >= threshold for p in others)
        for prompt in held_pos:
            row = by_language[_language(prompt)]
            row[0] += judge.topic_scores(prompt, owner=OWNER)[topic] >= threshold
            row[1] += 1
        for prompt in held_miss:
            row = by_language[_language(prompt)]
            score = judge.topic_scores(prompt, owner=OWNER)[topic]
            row[2] += score >= threshold
            row[3] += 1
            if score >= threshold:
                wrong.append({"topic": topic, "prompt": prompt, "score": round(score, 3), "kind": "near miss stopped"})
        for prompt in held_pos:
            score = judge.topic_scores(prompt, owner=OWNER)[topic]
            if score < threshold:
                wrong.append({"topic": topic, "prompt": prompt, "score": round(score, 3), "kind": "missed"})
        negatives = len(held_miss) + len(others)
        per_topic[topic] = {
            "recall": round(tp / len(held_pos), 3) if held_pos else None,
            "positives": len(held_pos),
            "near_misses_stopped": f"{false_miss}/{len(held_miss)}",
            "false_stop_rate": round((false_miss + false_other) / negatives, 3) if negatives else 0.0,
        }
        all_pos[0] += tp
        all_pos[1] += len(held_pos)
        all_neg[0] += false_miss + false_other
        all_neg[1] += negatives
    languages = {
        lang: {
            "recall": round(row[0] / row[1], 3) if row[1] else None,
            "positives": row[1],
            "near_miss_stop_rate": round(row[2] / row[3], 3) if row[3] else None,
            "near_misses": row[3],
        }
        for lang, row in sorted(by_language.items())
    }
    return {
        "threshold": threshold,
        "recall": round(all_pos[0] / all_pos[1], 3),
        "false_stop_rate": round(all_neg[0] / all_neg[1], 3),
        "per_topic": per_topic,
        "per_language": languages,
        "wrong": wrong,
    }


def phrase_quality(judge: SemanticRestrictions) -> dict[str, Any]:
    hits = [(bool(judge.hits([phrase], prompt, owner=OWNER)), expected) for phrase, prompt, expected in PHRASES]
    positives = [h for h, e in hits if e]
    negatives = [h for h, e in hits if not e]
    return {
        "similarity": judge.taxonomy.phrase_similarity,
        "recall": round(sum(positives) / len(positives), 3),
        "false_stop_rate": round(sum(negatives) / len(negatives), 3),
        "pairs": len(PHRASES),
    }


def latency(judge: SemanticRestrictions) -> dict[str, float]:
    restrictions = ["topic:politics", "topic:alcohol", "topic:tobacco", "horror movies"]
    prompts = [f"lin walking a dog number {i} in the park" for i in range(40)]
    times = []
    for prompt in prompts:
        started = time.perf_counter()
        judge.hits(restrictions, prompt)
        times.append(time.perf_counter() - started)
    hit_times = []
    for i in range(10):
        started = time.perf_counter()
        judge.hits(restrictions, f"lin drinking beer number {i} at a bar")
        hit_times.append(time.perf_counter() - started)
    return {
        "ms_per_check_no_hit": round(statistics.median(times) * 1000, 2),
        "ms_per_check_with_hit": round(statistics.median(hit_times) * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    judge = SemanticRestrictions(
        MultilingualEncoder(), load_restriction_taxonomy(), benign_examples=examples_path("prompts.yaml")
    )
    started = time.perf_counter()
    judge.warm_up()
    report: dict[str, Any] = {
        "training_s": round(time.perf_counter() - started, 2),
        "topics": topic_quality(judge),
        "phrases": phrase_quality(judge),
        "latency": latency(judge),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    t = report["topics"]
    print(f"restriction topics on held-out prompts (threshold {t['threshold']}), trained in {report['training_s']} s:")
    for topic, row in t["per_topic"].items():
        print(
            f"  {topic:<12} recall {row['recall']}  (n={row['positives']})  near misses stopped "
            f"{row['near_misses_stopped']}  false stops {row['false_stop_rate']:.3f}"
        )
    print(f"  all topics: recall {t['recall']:.3f}, false stops {t['false_stop_rate']:.3f} (target >= 0.90, <= 0.05)")
    print("  per language:")
    for lang, row in t["per_language"].items():
        print(
            f"    {lang}: recall {row['recall']} (n={row['positives']}), near misses stopped "
            f"{row['near_miss_stop_rate']} (n={row['near_misses']})"
        )
    for item in t["wrong"]:
        print(f"  {item['kind']}: {item['topic']} {item['score']:.2f} {item['prompt']!r}")
    p = report["phrases"]
    print(
        f"free-text phrases (similarity {p['similarity']}): recall {p['recall']:.2f}, false stops "
        f"{p['false_stop_rate']:.2f} on {p['pairs']} pairs"
    )
    lat = report["latency"]
    print(
        f"added latency: {lat['ms_per_check_no_hit']} ms per check without a hit, "
        f"{lat['ms_per_check_with_hit']} ms with one (naming the words that carried it)"
    )


if __name__ == "__main__":
    main()
