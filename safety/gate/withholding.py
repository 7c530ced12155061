"""Withholding: a video that does not publish goes to quarantine, `held` (with a review item) or `blocked`; a refusal
at publish is put on record first; and when another process moved the video meanwhile, the decision that holds now.

Each move is a compare-and-set on the row (`expected`), in one transaction with the file's rename into quarantine;
a `StatusChanged` means someone else moved it, and the caller answers with `moved`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from policies import Action, PolicyPack
from safety.decision import decide
from safety.domain import Decision, Finding, GateResult, Submission, VideoStatus
from safety.errors import StatusChanged, StorageError
from safety.gate.run import GATE_ACTOR, GateParts, GateRun
from safety.mediastore import MediaStore, StoredFile
from safety.records import NewReviewItem, ReviewSource, StatusEffects
from safety.storage import Store, Transaction


def stage_quarantine(
    media: MediaStore, store: Store, source: Path, video_id: str, expected: VideoStatus
) -> tuple[Path, Path]:
    """A copy of a video's file staged for quarantine: (staged, final). When staging fails because a purge that
    landed since the caller's read took the file, `StatusChanged` says so, not that the disk failed."""
    try:
        return media.stage(source, "quarantine", video_id)
    except StorageError:
        with store.transaction() as tx:
            current = tx.videos.get(video_id).status
        if current is not expected:
            raise StatusChanged(video_id, current.value, [expected.value]) from None
        raise


def refuse_at_publish(gate: GateParts, run: GateRun, findings: list[Finding]) -> GateResult:
    """What was read again at publish (consent, the parent, the owners' answers, a failed signature) refuses it:
    record a superseding decision and withhold."""
    policy = gate.policies.by_ref_or_adult(run.decision.policy_ref)
    decision = run.decision
    with gate.store.transaction() as tx:
        current = tx.videos.get(run.video_id, lock=True).status
        if current is not run.expected:
            raise StatusChanged(run.video_id, current.value, [run.expected.value])
        # Judged against every check that ran for this video, not only the republishing decision's own ("review",
        # "consent"): the refusal is the one new finding, and the checks the gate ran are not "missing".
        ran = [*decision.checks_run, *(c for d in tx.decisions.for_video(run.video_id) for c in d.checks_run)]
        judged = replace(decide(findings, policy, dict.fromkeys(ran), decision.timings_ms), facts=decision.facts)
        new_id = tx.decisions.save(run.video_id, judged, GATE_ACTOR, note="consent re-read at publish")
    return withhold(gate, run.decided(new_id, judged), policy)


def withhold(gate: GateParts, run: GateRun, policy: PolicyPack) -> GateResult:
    """Quarantine the file and move the row to `held` (review) or `blocked`; the gate moves it, whoever asked."""
    video_id, decision = run.video_id, run.decision
    status = VideoStatus.HELD if decision.action is Action.REVIEW else VideoStatus.BLOCKED
    if status is run.expected:  # a reviewed video refused again at publish stays where it was
        return GateResult(video_id, run.decision_id, decision, status, None)
    staged, final = stage_quarantine(gate.media, gate.store, run.draft.path, video_id, run.expected)
    try:
        with gate.store.transaction() as tx:
            tx.videos.set_status(
                video_id,
                status,
                expected=run.expected,
                actor=GATE_ACTOR,
                effects=StatusEffects(quarantine_path=final, details={"decision_id": run.decision_id}),
            )
            if status is VideoStatus.HELD:
                _open_review_item(tx, video_id, decision, policy)
            # Renamed inside the transaction: if the commit fails the staged file is removed below.
            gate.media.commit_staged(staged, final)
    except BaseException:
        gate.media.discard(staged, final)
        raise
    return GateResult(video_id, run.decision_id, decision, status, None)


def _open_review_item(tx: Transaction, video_id: str, decision: Decision, policy: PolicyPack) -> None:
    """A review item for the reasons that asked for a person, due within the shortest of their SLAs."""
    held_for = [r for r in decision.reasons if r.action is Action.REVIEW] or list(decision.reasons)
    sla = min((rule.sla_hours for r in held_for if (rule := policy.reason(r.code)) is not None), default=24.0)
    tx.review.open_item(
        NewReviewItem(
            video_id,
            source=ReviewSource.GATE,
            reason_codes=tuple(r.code for r in held_for),
            severity=decision.severity,
            sla_hours=sla,
            policy_ref=decision.policy_ref,
        )
    )


def moved(
    gate: GateParts, video_id: str, decision: Decision, submission: Submission, subjects: Sequence[str]
) -> GateResult:
    """Another process moved the video while this gate worked on it; the decision that holds now.

    Purged (a revocation, a cameo deletion or a parent's purge landed during the checks): blocked, for the consent
    or lineage reason that applies now, recorded and scrubbed as the purge scrubbed the rest. Settled by the sweeper
    or a reviewer: whatever they decided, as stored."""
    with gate.store.transaction() as tx:
        # Consent first, then the video row: the lock order of every consent change.
        findings = gate._consent_findings(tx, submission, subjects, stage="purged")
        video = tx.videos.get(video_id, lock=True)
        if video.status is VideoStatus.PURGED:
            findings += lineage_findings(tx, submission)
            if not findings:
                findings = [
                    Finding(
                        "likeness.no_consent",
                        "consent",
                        "the video was purged while it was being checked: consent for it was withdrawn",
                        evidence={"at": "purged"},
                    )
                ]
            policy = gate.policies.by_ref_or_adult(decision.policy_ref)
            judged = decide(findings, policy, decision.checks_run, decision.timings_ms)
            if judged.action is not Action.BLOCK:
                judged = replace(judged, action=Action.BLOCK)
            decision_id = tx.decisions.save(video_id, judged, GATE_ACTOR, note="purged while it was checked")
            tx.decisions.scrub(video_id)
            return GateResult(video_id, decision_id, judged, VideoStatus.PURGED, None)
        latest = tx.decisions.for_video(video_id)[-1]
    policy = gate.policies.by_ref_or_adult(latest.policy_ref)
    held = replace(decision, action=Action(latest.action), policy_ref=policy.ref)
    return GateResult(video_id, latest.id, held, video.status, video.published_path)


def lineage_findings(tx: Transaction, submission: Submission) -> list[Finding]:
    """A remix may only be published while its parent still is."""
    if submission.remix_of is None:
        return []
    parent = tx.videos.get(submission.remix_of)
    if parent.status is VideoStatus.PUBLISHED and parent.published_path is not None:
        return []
    return [
        Finding(
            "lineage.parent_unavailable",
            "lineage",
            f"the parent video {parent.id} is {parent.status.value}, not published",
            evidence={"parent_video_id": parent.id, "parent_status": parent.status.value},
        )
    ]


def release_draft(gate: GateParts, draft: StoredFile) -> None:
    """Remove the gate's private draft; each submission has its own, so the run that made it removes it."""
    gate.media.discard(draft.path)
