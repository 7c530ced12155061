"""The long soak: seeded simulation runs back to back for a while, each on a fresh schema; a report of steps run,
interleavings covered and invariant violations (and, for any violation, the seed that replays it).

    python -m tests.safety.sim.soak --minutes 30 [--steps 200] [--first-seed 1] [--json]

`make soak` runs it for 30 minutes against CAMEOGUARD_TEST_POSTGRES_URL.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.safety.sim.cluster import Simulation, database_for_run, environment_ready


def soak(minutes: float, steps: int, first_seed: int, workdir: Path) -> dict[str, Any]:
    deadline = time.monotonic() + minutes * 60
    totals: dict[str, Any] = {"runs": 0, "steps": 0, "violations": [], "failing_seeds": []}
    actions: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    interleavings: Counter[str] = Counter()
    seed = first_seed
    while time.monotonic() < deadline:
        url, drop = database_for_run(os.environ["CAMEOGUARD_TEST_POSTGRES_URL"])
        try:
            with Simulation(seed, url, workdir / f"seed-{seed}") as sim:
                report = sim.run(steps)
        finally:
            drop()
        totals["runs"] += 1
        totals["steps"] += report.steps
        actions.update(report.actions)
        outcomes.update(report.outcomes)
        interleavings.update(report.interleavings)
        if report.violations:
            totals["failing_seeds"].append(seed)
            totals["violations"] += [{"seed": seed, **v.__dict__} for v in report.violations]
        print(
            f"seed {seed}: {report.steps} steps, {len(report.violations)} violations, "
            f"{len(interleavings)} interleavings covered so far",
            file=sys.stderr,
            flush=True,
        )
        seed += 1
    totals["actions"] = dict(sorted(actions.items()))
    totals["outcomes"] = dict(sorted(outcomes.items()))
    totals["interleavings_covered"] = len(interleavings)
    totals["interleavings"] = dict(sorted(interleavings.items()))
    totals["replay"] = (
        f"CAMEOGUARD_SIM_SEED=<seed> CAMEOGUARD_SIM_STEPS={steps} pytest tests/safety/test_concurrency.py -k randomized"
    )
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--steps", type=int, default=200, help="steps per seed")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()
    why = environment_ready()
    if why:
        print(f"cannot soak: {why}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="cameoguard-soak-") as scratch:
        totals = soak(args.minutes, args.steps, args.first_seed, Path(scratch))
    if args.json:
        print(json.dumps(totals, indent=2))
    else:
        print(
            f"{totals['runs']} runs, {totals['steps']} steps, {totals['interleavings_covered']} interleavings "
            f"covered, {len(totals['violations'])} invariant violations"
        )
        for name, count in totals["interleavings"].items():
            print(f"  {count:6d}  {name}")
        for violation in totals["violations"]:
            print(
                f"  VIOLATION seed {violation['seed']}: {violation['invariant']} {violation['subject']}: "
                f"{violation['detail']}"
            )
    return 1 if totals["violations"] else 0


if __name__ == "__main__":
    sys.exit(main())
