"""Each place the code relies on the database for isolation, raced by two replicas: two `build()`s with their own
connection pools, started together on a barrier, many rounds. On PostgreSQL these are the proof (row locks,
`SKIP LOCKED`, advisory locks); on SQLite the single writer serialises them and the same assertions hold.

| where | mechanism | raced here |
|---|---|---|
| a video's status move (`tx.videos.set_status`) | row lock + compare-and-set | publish vs purge |
| consent read at publish (`tx.consent.snapshot`) | row lock on the cameo | `test_concurrency` |
| review claims (`tx.review.claim`) | `FOR UPDATE SKIP LOCKED` | two reviewers, one item |
| review decisions (`tx.review.decide`) | row lock + state check | two sessions decide one item |
| the sweeper (`Store.exclusive`) | advisory lock (a lease row on SQLite) | two sweepers |
| the audit chain (`SqlContext.audit`) | row lock on the chain's head | two writers appending |
| submission claims (`tx.submissions.claim`) | conditional UPDATE | two worker processes (`test_workers`) |
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from safety import CameoGuard, Settings, build
from safety.domain import VideoStatus
from safety.edges.sweeps import sweep_once
from safety.errors import ConflictError, StatusChanged
from safety.invariants import check_invariants
from safety.records import NewReviewItem, ReviewSource
from tests.safety.revocation_state import checking_video

# On PostgreSQL too: what this tests is the database's part (locks, claims, transactions, SQL).
pytestmark = pytest.mark.dialects

ROUNDS = 8


@pytest.fixture
def replicas(settings: Settings) -> Iterator[tuple[CameoGuard, CameoGuard]]:
    first = build(settings)
    second = build(settings)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def race(left: Callable[[], Any], right: Callable[[], Any]) -> list[Any]:
    """Run both at once; each result, or the exception it raised."""
    start = threading.Barrier(2)

    def go(fn: Callable[[], Any]) -> Any:
        start.wait()
        try:
            return fn()
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(2) as pool:
        return [f.result() for f in [pool.submit(go, left), pool.submit(go, right)]]


def _held(services: CameoGuard) -> tuple[str, str]:
    """A held video with its review item, as the gate leaves one."""
    services.accounts.ensure_user("theo")
    video_id = checking_video(services, "theo")
    with services.store.transaction() as tx:
        tx.videos.set_status(video_id, VideoStatus.HELD, expected=VideoStatus.CHECKING, actor="test")
        item = tx.review.open_item(
            NewReviewItem(
                video_id,
                source=ReviewSource.GATE,
                reason_codes=("check.error",),
                severity=3,
                sla_hours=1,
                policy_ref="x",
            )
        )
    return video_id, item


def test_a_status_move_and_a_purge_never_both_win(replicas: tuple[CameoGuard, CameoGuard]) -> None:
    a, b = replicas
    for _ in range(ROUNDS):
        video_id, _item = _held(a)

        def publish() -> None:
            with a.store.transaction() as tx:
                tx.videos.set_status(video_id, VideoStatus.PUBLISHED, expected=VideoStatus.HELD, actor="reviewer")

        def purge() -> Any:
            with b.store.transaction() as tx:
                return tx.videos.mark_purged(video_id)

        published, purged = race(publish, purge)
        assert purged is not None and not isinstance(purged, Exception)
        previous, _files = purged
        if isinstance(published, StatusChanged):
            assert previous is VideoStatus.HELD  # the purge went first; the publish learnt it
        else:
            assert published is None and previous is VideoStatus.PUBLISHED  # the publish went first, then the purge
        with a.store.transaction() as tx:
            assert tx.videos.get(video_id).status is VideoStatus.PURGED


def test_two_reviewers_claiming_one_item_get_it_once(replicas: tuple[CameoGuard, CameoGuard]) -> None:
    a, b = replicas
    for _ in range(ROUNDS):
        _video, item = _held(a)

        def claim(services: CameoGuard, who: str) -> bool:
            with services.store.transaction() as tx:
                return tx.review.claim(item, who, timedelta(minutes=5), senior=True)

        results = race(lambda: claim(a, "rita"), lambda: claim(b, "sam"))
        assert sorted(results) == [False, True], results


def test_one_item_is_decided_once(replicas: tuple[CameoGuard, CameoGuard]) -> None:
    a, b = replicas
    for _ in range(ROUNDS):
        _video, item = _held(a)
        with a.store.transaction() as tx:
            assert tx.review.claim(item, "rita", timedelta(minutes=5), senior=True)

        def decide(services: CameoGuard, outcome: str) -> Any:
            with services.store.transaction() as tx:
                return tx.review.decide(item, "rita", outcome, "check.error", "")

        results = race(lambda: decide(a, "approve"), lambda: decide(b, "reject"))
        assert sum(isinstance(r, ConflictError) for r in results) == 1, results
    report = check_invariants(a.store, a.media, a.policies, quiescent=False)
    assert report.ok, report.violations


def test_two_sweepers_never_run_at_once(replicas: tuple[CameoGuard, CameoGuard]) -> None:
    a, b = replicas
    for _ in range(ROUNDS):
        with a.store.exclusive("sweeper", "a", timedelta(seconds=30)) as got:
            assert got
            assert not sweep_once(b).ran, "a second sweeper ran beside the first"

        def hold(services: CameoGuard, holder: str) -> bool:
            with services.store.exclusive("sweeper", holder, timedelta(seconds=30)) as got:
                time.sleep(0.3)  # long enough that the other one arrives while this one holds it
                return got

        results = race(lambda: hold(a, "a"), lambda: hold(b, "b"))
        assert sorted(results) == [False, True], results


def test_the_audit_chain_holds_under_concurrent_writers(replicas: tuple[CameoGuard, CameoGuard]) -> None:
    a, b = replicas

    def writes(services: CameoGuard, prefix: str) -> None:
        for i in range(20):
            services.accounts.add_user(f"{prefix}{i}")

    results = race(lambda: writes(a, "left"), lambda: writes(b, "right"))
    assert results == [None, None], results
    assert a.tracing.verify_audit().ok
