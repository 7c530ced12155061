"""Randomized interleavings against two hook replicas on one PostgreSQL (see `tests/safety/sim/cluster.py`): a
short seeded run with faults in the default suite, a replay of one seed that must repeat itself exactly, and the
long soak behind `make soak`."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.safety.sim.cluster import Simulation, database_for_run, environment_ready

pytestmark = pytest.mark.postgres

SEED = int(os.environ.get("CAMEOGUARD_SIM_SEED", "20261201"))
STEPS = int(os.environ.get("CAMEOGUARD_SIM_STEPS", "60"))


@pytest.fixture
def sim_database() -> Iterator[str]:
    why = environment_ready()
    if why:
        pytest.skip(why)
    url, drop = database_for_run(os.environ["CAMEOGUARD_TEST_POSTGRES_URL"])
    try:
        yield url
    finally:
        drop()


def _run(seed: int, steps: int, database_url: str, workdir: Path) -> Simulation:
    with Simulation(seed, database_url, workdir) as sim:
        sim.run(steps)
    return sim


@pytest.mark.slow
def test_randomized_interleavings_keep_every_invariant(sim_database: str, tmp_path: Path) -> None:
    sim = _run(SEED, STEPS, sim_database, tmp_path / "run")
    report = sim.report
    print(json.dumps(report.to_json(), indent=2))
    assert not report.violations, (
        f"seed {SEED} broke an invariant; replay with CAMEOGUARD_SIM_SEED={SEED} "
        f"CAMEOGUARD_SIM_STEPS={STEPS}: {[v.__dict__ for v in report.violations]}\ntrace: {report.trace}"
    )
    assert report.steps == STEPS
    assert sum(report.outcomes.values()) >= STEPS // 4, "the run decided too few submissions to mean much"


@pytest.mark.slow
def test_a_seed_replays_exactly(sim_database: str, tmp_path: Path) -> None:
    """The same seed gives the same steps, the same outcomes and the same final states, faults included."""
    first = _run(7, 30, sim_database, tmp_path / "first").report.trace
    from tests.safety.sim.cluster import database_for_run

    url, drop = database_for_run(os.environ["CAMEOGUARD_TEST_POSTGRES_URL"])
    try:
        second = _run(7, 30, url, tmp_path / "second").report.trace
    finally:
        drop()
    assert first == second


def test_revocation_with_submissions_in_flight_on_both_replicas(sim_database: str, tmp_path: Path) -> None:
    """The platform's case: cora, approved by maya, has four videos of her in flight on two replicas, two paused
    in their checks and two signed and about to publish; maya revokes cora through the API. Every request ends in
    a decision (no storage error, no path), nothing of maya is published, and the invariants hold."""
    with Simulation(1, sim_database, tmp_path / "run", faults=False) as sim:
        ops = [sim.submit(0, creator="cora", owners=("maya",), replica_name=name).split("@")[0] for name in "abab"]
        sim.settle()
        for op in ops[:2]:
            sim.release(op, "checks")
        sim.settle()
        assert sorted(sim.paused().items()) == sorted(
            [(ops[0], "publish"), (ops[1], "publish"), (ops[2], "checks"), (ops[3], "checks")]
        )
        response = sim.app("POST", "/v1/users/maya/cameo/revoked", "maya", {"user": "cora"})
        assert response.status_code == 200
        for op in ops:
            sim.release(op, sim.paused()[op])
        sim.settle()
        outcomes = {op.id: op.status for op in sim.ops}
        assert set(outcomes.values()) <= {"purged", "blocked"}, outcomes
        for sent in sim.ops:
            body = sent.future.result().json()
            assert body["decision"] == "block"
            assert body["reasons"][0]["code"] == "likeness.no_consent", body
        sim.run(0)  # drain, sweep and check every invariant
        assert not sim.report.violations, sim.report.violations
