"""Running the checks: the draft's one decode with a reader for every check that looks at frames or listens, what
the checks are given (the context), and the run itself.

Nothing here holds a transaction while the checks run: they take seconds, and a row lock held that long would stall
revocations and reviewers. The context is built inside the ingest transaction (the declared owners' consent as it
stood when the video entered the gate); the checks then read only the context.
"""

from __future__ import annotations

from pathlib import Path

from policies import PolicyPack
from safety.checks import CheckContext, CheckRun, run_checks
from safety.checks.base import HearsSound, WatchesFrames
from safety.domain import Submission
from safety.frames import FrameFeed
from safety.gate.run import Admitted, GateParts
from safety.storage import Transaction


def open_feed(gate: GateParts, draft: Path, policy: PolicyPack, submission: Submission) -> FrameFeed:
    """The draft's one decode, with a reader for every check that looks at frames."""
    feed = FrameFeed(draft)
    for check in gate.checks:
        if isinstance(check, WatchesFrames) and (need := check.frame_need(policy, submission)) is not None:
            feed.subscribe(check.name, need)
        if isinstance(check, HearsSound) and check.hears(policy, submission):
            feed.want_sound()
    return feed


def check_context(
    gate: GateParts, tx: Transaction, submission: Submission, admitted: Admitted, draft: Path, feed: FrameFeed
) -> CheckContext:
    """What the checks read: the submission as intake admitted it, the draft and its decode, and the declared owners'
    consent and policies, read in `tx` (the ingest transaction)."""
    consent = {owner: tx.consent.snapshot(owner, admitted.creator.handle) for owner in submission.cameos}
    owner_policies = {owner: gate.policies.for_user(tx.accounts.get(owner)) for owner in submission.cameos}
    return CheckContext(
        submission=submission,
        creator=admitted.creator,
        video_path=draft,
        media=admitted.info,
        policy=admitted.policy,
        frames=feed,
        cameo_consent=consent,
        owner_policies=owner_policies,
    )


def run_all(gate: GateParts, feed: FrameFeed, context: CheckContext) -> CheckRun:
    """Every check over the one decode, each with its policy's timeout; a raise, a timeout or a missing model is a
    `check.error` finding, never an exception. No transaction is open."""
    with feed:
        feed.start()
        return run_checks(gate.checks, context, fail_checks=gate.fail_checks, max_workers=gate.check_workers)
