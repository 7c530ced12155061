"""Running checks: in parallel, each with its own timeout, failures turned into findings.

A check that raises, times out or lacks its model yields a `check.error` finding; the policy turns that into
review or block. A timed-out check's thread cannot be killed in Python, so it is abandoned: its result, if it ever
comes, is ignored, and its frames are released so the shared decode never waits for it.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from safety.checks.base import Check, CheckContext, CheckOutcome
from safety.decision import CHECK_ERROR
from safety.domain import Finding, TrackEmbedding
from safety.errors import CheckTimeout, InjectedFault

# Only when a policy names no timeout for a check. A check past its timeout counts as failed (`check.error`), never as
# passed, so a generous value costs latency, a tight one costs holds.
DEFAULT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class CheckRun:
    """Everything the checks produced."""

    findings: tuple[Finding, ...]
    """All findings, `check.error` ones included."""
    checks_run: tuple[str, ...]
    """Names of the checks that ran."""
    timings_ms: dict[str, float]
    """Wall time per check."""
    facts: dict[str, Mapping[str, Any]]
    """Facts per check name, from checks that completed."""
    embeddings: tuple[TrackEmbedding, ...] = ()
    """Embeddings from checks that completed (faces, voices), for retroactive scans."""


def _error_finding(name: str, exc: BaseException) -> Finding:
    kind = exc.__class__.__name__
    detail = str(exc) or kind
    return Finding(
        code=CHECK_ERROR,
        check=name,
        message=f"check `{name}` failed: {detail}"[:500],
        evidence={"check": name, "error": kind, "detail": detail[:500]},
    )


def _timed(check: Check, context: CheckContext, fail: bool) -> tuple[CheckOutcome, float]:
    start = time.perf_counter()
    try:
        if fail:
            raise InjectedFault(f"fault injected into `{check.name}` by CAMEOGUARD_FAIL_CHECKS")
        outcome = check.run(context)
    finally:
        # Done, failed or never read: either way the decoder must not wait for this check any more.
        context.frames.release(check.name)
    return outcome, (time.perf_counter() - start) * 1000


def run_checks(
    checks: Sequence[Check],
    context: CheckContext,
    *,
    fail_checks: Collection[str] = (),
    max_workers: int = 4,
) -> CheckRun:
    """Run every check against `context`; never raises for a check's failure."""
    findings: list[Finding] = []
    timings: dict[str, float] = {}
    facts: dict[str, Mapping[str, Any]] = {}
    embeddings: list[TrackEmbedding] = []
    # Threads, not processes: the checks spend their time in native code (FFmpeg, ONNX, dlib's workers) that
    # releases the GIL, and they share the decoded models loaded once per process. Every check that reads frames
    # starts at once (they are submitted first, with a thread each): the shared decoder feeds them side by side,
    # and one left waiting in the pool's queue would stall it.
    readers = [c for c in checks if c.name in context.frames.readers]
    pool = ThreadPoolExecutor(max_workers=max(max_workers, len(readers) + 1), thread_name_prefix="check")
    started = time.perf_counter()
    futures: list[tuple[Check, float, Future[tuple[CheckOutcome, float]]]] = []
    for check in sorted(checks, key=lambda c: c.name not in context.frames.readers):
        policy = context.policy.checks.get(check.name)
        timeout = policy.timeout_s if policy is not None else DEFAULT_TIMEOUT_S
        futures.append((check, timeout, pool.submit(_timed, check, context, check.name in fail_checks)))
    try:
        for check, timeout, future in futures:
            # Each check's budget counts from when all started: they run side by side.
            remaining = max(0.0, timeout - (time.perf_counter() - started))
            try:
                outcome, elapsed = future.result(timeout=remaining)
            except FutureTimeout:
                # Cancelling stops only a check still queued; a running one cannot be stopped from here, so it is
                # released from the frame feed instead, and the decoder stops waiting for it.
                future.cancel()
                context.frames.release(check.name)
                findings.append(_error_finding(check.name, CheckTimeout(f"no result within {timeout:g} s")))
                timings[check.name] = (time.perf_counter() - started) * 1000
                continue
            except Exception as exc:  # noqa: BLE001 - any failure of any check must become a finding
                findings.append(_error_finding(check.name, exc))
                timings[check.name] = (time.perf_counter() - started) * 1000
                continue
            findings.extend(outcome.findings)
            if outcome.facts:
                facts[check.name] = outcome.facts
            embeddings.extend(outcome.embeddings)
            timings[check.name] = elapsed
    finally:
        # A hung check is abandoned, not waited for: its thread may run on, but its late result is ignored.
        pool.shutdown(wait=False, cancel_futures=True)
    return CheckRun(tuple(findings), tuple(c.name for c in checks), timings, facts, tuple(embeddings))
