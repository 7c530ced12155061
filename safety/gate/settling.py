"""Settling: what happens to a video after the gate's own run. The sweeper settles a row a dead process left
`checking`; owners' answers settle a video waiting in `pending_owner`; a reviewer's approval or a senior's overturned
appeal publishes a held or blocked one.

Each records its decision in a transaction of its own first (so the outcome is on record even if the process dies
next) and then moves the video through the same publishing or withholding as the gate's own run: the row's status
now is the one the move expects, and a `StatusChanged` (a purge, another reviewer) becomes what holds now.
"""

from __future__ import annotations

from policies import Action
from safety.decision import CHECK_ERROR, decide
from safety.domain import Decision, GateResult, Reason, VideoStatus
from safety.errors import ConflictError, StatusChanged
from safety.gate.publishing import owners_refusal, publish
from safety.gate.run import GateParts, GateRun, recorded_run
from safety.gate.withholding import moved, release_draft, withhold
from safety.records import StatusEffects, UseRequestState, VideoRecord


def settle_stale(
    gate: GateParts, video_id: str, *, actor: str, why: str = "the process running them stopped"
) -> GateResult | None:
    """Hold (or block, as the policy's `check.error` says) a video whose checks never finished because the process
    running them died (or every run of them was cut short: `why`); None when it is no longer `checking`. Never
    publishes."""
    with gate.store.transaction() as tx:
        video = tx.videos.get(video_id, lock=True)
        if video.status is not VideoStatus.CHECKING:
            return None
        policy = gate.policies.by_ref_or_adult(video.policy_ref)
        rule = policy.reason(CHECK_ERROR)
        # Held, not re-run: the file may be what killed the process, and a person decides what happens next.
        stopped = Reason(
            CHECK_ERROR,
            Action.REVIEW,
            rule.severity if rule else 4,
            f"the checks did not finish: {why}",
            rule.text if rule else "",
            {"check": "gate", "error": "Interrupted", "detail": why},
            "gate",
        )
        decision = Decision(Action.REVIEW, (stopped,), {}, (), policy.ref)
        decision_id = tx.decisions.save(video_id, decision, actor, note="settled after an interrupted check")
    draft = video.draft_path
    if draft is None or not draft.is_file():
        # Nothing left to review: block without a file rather than hold an item no one can look at.
        try:
            with gate.store.transaction() as tx:
                tx.videos.set_status(
                    video_id,
                    VideoStatus.BLOCKED,
                    expected=VideoStatus.CHECKING,
                    actor=actor,
                    effects=StatusEffects(details={"decision_id": decision_id}),
                )
        except StatusChanged:
            return None  # the gate (or a purge) got there first
        return GateResult(video_id, decision_id, decision, VideoStatus.BLOCKED, None)
    run = recorded_run(video, draft, decision_id, decision, (), actor=actor)
    try:
        result = withhold(gate, run, policy)
    except StatusChanged:
        return None
    release_draft(gate, run.draft)
    return result


def settle_owner_requests(gate: GateParts, video_id: str, *, actor: str) -> GateResult | None:
    """After an owner answers (or a request expires): a decline or an expiry blocks the video; when every owner asked
    has approved it publishes through the same consent re-read, marking and signing as any publish. None while an
    owner has still to answer, or when the video is no longer waiting."""
    with gate.store.transaction() as tx:
        video = tx.videos.get(video_id)
        if video.status is not VideoStatus.PENDING_OWNER or video.quarantine_path is None:
            return None
        requests = tx.consent.use_requests(video_id=video_id)
        latest = next((d for d in reversed(tx.decisions.for_video(video_id)) if d.action == Action.PUBLISH.value), None)
        facts = tx.decisions.facts(latest.id) if latest is not None else {}
        subjects = tuple(dict.fromkeys([*video.declared_cameos, *tx.videos.owners_in(video_id)]))
    states = {r.owner: r.state for r in requests}
    refusal = owners_refusal(requests)
    if refusal is None and UseRequestState.PENDING in states.values():
        return None
    if refusal is not None:
        # Judged against the checks that ran for it: only the owner's answer is new.
        policy = gate.policies.by_ref_or_adult(video.policy_ref)
        decision = decide([refusal], policy, tuple(latest.checks_run) if latest else ("consent",), {})
        with gate.store.transaction() as tx:
            tx.videos.get(video_id, lock=True)
            decision_id = tx.decisions.save(video_id, decision, actor)
            tx.videos.set_status(
                video_id,
                VideoStatus.BLOCKED,
                expected=VideoStatus.PENDING_OWNER,
                actor=actor,
                effects=StatusEffects(details={"decision_id": decision_id}),
            )
        return GateResult(video_id, decision_id, decision, VideoStatus.BLOCKED, None)
    approved = sorted(states)
    reason = Reason(
        "likeness.owner_approved",
        Action.PUBLISH,
        1,
        f"{', '.join(approved)} approved this use of their likeness",
        "",
        {"owners": approved},
        "consent",
    )
    decision = Decision(Action.PUBLISH, (reason,), {}, ("consent",), video.policy_ref, facts=facts)
    with gate.store.transaction() as tx:
        decision_id = tx.decisions.save(video_id, decision, actor)
    return publish_quarantined(gate, video, decision_id, decision, subjects, actor=actor)


def publish_reviewed(gate: GateParts, video_id: str, decision: Decision, actor: str, note: str = "") -> GateResult:
    """A reviewer's approval of a held (or, on appeal, blocked) video: the same marking, signing and consent
    re-check as the gate's own publish. A revocation while the item waited wins."""
    with gate.store.transaction() as tx:
        video = tx.videos.get(video_id)
        if video.status not in (VideoStatus.HELD, VideoStatus.BLOCKED) or video.quarantine_path is None:
            raise ConflictError(f"video `{video_id}` is {video.status.value}; only held or blocked videos publish")
        subjects = tuple(dict.fromkeys([*video.declared_cameos, *tx.videos.owners_in(video_id)]))
        decision_id = tx.decisions.save(video_id, decision, actor, note=note)
    return publish_quarantined(gate, video, decision_id, decision, subjects, actor=actor)


def publish_quarantined(
    gate: GateParts, video: VideoRecord, decision_id: str, decision: Decision, subjects: tuple[str, ...], *, actor: str
) -> GateResult:
    """Publish a video waiting in quarantine (held, blocked on appeal, or waiting for its owners), through the same
    marking, signing and consent re-read as the gate's own publish."""
    source = video.quarantine_path
    assert source is not None
    # Owners identified by the gate are re-checked too, not only those the creator declared.
    run: GateRun = recorded_run(video, source, decision_id, decision, subjects, actor=actor)
    try:
        result = publish(gate, run)
    except StatusChanged:
        # Purged (or decided by someone else) meanwhile: the outcome says what holds now.
        return moved(gate, video.id, decision, run.submission, subjects)
    if result.status is VideoStatus.PUBLISHED:
        gate.media.discard(source)
    return result
