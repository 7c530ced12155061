"""Publishing: the one path by which any video becomes `published` (the gate's own decision, a reviewer's approval,
an overturned appeal, the owners' approval), and the wait for owners who approve each use.

    ask?     a short transaction: an owner who declined this video (or let the request expire) refuses it for
             good (blocked, never asked again); owners who approve each use and have not approved it, or were asked
             and have not answered → `pending_owner`
    prepare  no transaction: the draft is marked (or the re-encode begun beside the checks is taken), signed and
             fingerprinted into a staged file; a remix's parent is read first
    commit   the gate's third transaction: consent read again, the row locked and compared, the parent and the
             owners' answers read again, owners asked if one turned approval on meanwhile; then the row turns
             `published`, the registry is written and the staged file renamed into place

Marking and signing take seconds, so they happen outside any transaction; the staged file only becomes the published
one inside the transaction that says so, and is removed if that transaction does not commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from policies import Action, PolicyPack
from provenance import ProvenanceError, Publication
from safety.checks.speech import transcripts
from safety.decision import CHECK_ERROR
from safety.domain import Finding, GateResult, VideoStatus
from safety.errors import StatusChanged
from safety.gate.premark import Premark
from safety.gate.run import AwaitOwners, GateParts, GateRun, PublishRefused, label
from safety.gate.withholding import lineage_findings, moved, refuse_at_publish, release_draft, withhold
from safety.publishing import PreparedPublication
from safety.records import StatusEffects, UseRequestRecord, UseRequestState
from safety.storage import Transaction


def act(gate: GateParts, run: GateRun, policy: PolicyPack, premark: Premark | None) -> GateResult:
    """Transaction 3 of the gate's own run: publish or withhold as decided; the draft is removed either way."""
    try:
        result = publish(gate, run, premark) if run.decision.action is Action.PUBLISH else withhold(gate, run, policy)
    except StatusChanged:
        result = moved(gate, run.video_id, run.decision, run.submission, run.subjects)
    release_draft(gate, run.draft)
    return result


def publish(gate: GateParts, run: GateRun, premark: Premark | None = None) -> GateResult:
    """Publish `run` (or wait for its owners, or refuse it for what was read again); `StatusChanged` when the row is
    no longer `run.expected`."""
    # Owners are heard before any marking: the video waits for them, not the CPU. An owner's no to this video stands
    # (whoever decides later, and even if they stop approving each use): refused, never asked again.
    with gate.store.transaction() as tx:
        answers = tx.consent.use_requests(video_id=run.video_id)
        refusal = owners_refusal(answers)
        awaiting = _awaiting(tx, run, answers) if refusal is None else []
    if (refusal is not None or awaiting) and premark is not None:
        premark.drop()
    if refusal is not None:
        return refuse_at_publish(gate, run, [refusal])
    if awaiting:
        return await_owners(gate, run, awaiting)
    try:
        prepared = _prepare(gate, run, premark)
    except PublishRefused as refused:
        return refuse_at_publish(gate, run, refused.findings)
    except ProvenanceError as exc:
        # A video that cannot be marked or signed is not published unmarked: it is withheld as a failed check.
        failure = Finding(
            CHECK_ERROR,
            "provenance",
            f"marking or signing failed: {exc}",
            evidence={"check": "provenance", "error": exc.__class__.__name__, "detail": str(exc)[:500]},
        )
        return refuse_at_publish(gate, run, [failure])
    try:
        _commit(gate, run, prepared)
    except PublishRefused as refused:
        gate.media.discard(prepared.staged, prepared.final)
        return refuse_at_publish(gate, run, refused.findings)
    except AwaitOwners as waiting:
        gate.media.discard(prepared.staged, prepared.final)
        return await_owners(gate, run, waiting.owners)
    except BaseException:
        gate.media.discard(prepared.staged, prepared.final)
        raise
    return GateResult(run.video_id, run.decision_id, run.decision, VideoStatus.PUBLISHED, prepared.final)


def _commit(gate: GateParts, run: GateRun, prepared: PreparedPublication) -> None:
    """The publishing transaction: everything that may have changed since the decision is read again under lock, and
    the row, the registry and the file move together. Raises `PublishRefused` or `AwaitOwners` (nothing moved)."""
    video_id = run.video_id
    with gate.store.transaction() as tx:
        # Consent again, in the transaction that publishes: a revocation that landed during the checks wins. Locks
        # are taken in one order everywhere (owners' cameo rows, then video rows, then the audit head), as a consent
        # change takes them, so a publish and a purge never deadlock.
        spoken = transcripts(dict(run.decision.facts))
        refusals = gate._consent_findings(tx, run.submission, run.subjects, stage="publish", spoken=spoken)
        # The row lock orders this publish with a concurrent purge or review of the same video.
        video = tx.videos.get(video_id, lock=True)
        if video.status is not run.expected:
            raise StatusChanged(video_id, video.status.value, [run.expected.value])
        refusals += lineage_findings(tx, run.submission)
        # The owners' answers again, under the row's lock: a no that landed since the first look wins here, on every
        # path that publishes (the gate's own, a reviewer's approval, an overturned appeal, the owners' approval).
        answers = tx.consent.use_requests(video_id=video_id)
        if (refusal := owners_refusal(answers)) is not None:
            refusals.append(refusal)
        if refusals:
            raise PublishRefused(refusals)
        # An owner who turned on approval of each use while the checks ran is asked too.
        awaiting = _awaiting(tx, run, answers)
        if awaiting:
            raise AwaitOwners(awaiting)
        tx.videos.set_status(
            video_id,
            VideoStatus.PUBLISHED,
            expected=run.expected,
            actor=run.actor,
            effects=StatusEffects(
                published_path=prepared.final,
                # A video published out of quarantine (a reviewer's approval, its owners' approval) leaves it: the
                # caller deletes that file, so the row must stop naming it.
                clear_quarantine=True,
                details={"decision_id": run.decision_id, "sha256": prepared.sha256},
            ),
        )
        tx.registry.record_publication(
            video_id,
            sha256=prepared.sha256,
            watermark_token=prepared.watermark_token,
            frame_hashes=prepared.frame_hashes,
        )
        # Renamed inside the transaction: if the commit fails the file is removed by the caller, so a published
        # file never exists without its row saying so.
        gate.media.commit_staged(prepared.staged, prepared.final)


def _prepare(gate: GateParts, run: GateRun, premark: Premark | None) -> PreparedPublication:
    """Mark, sign and fingerprint the draft (no transaction open while it runs); the consented cameos go into the
    manifest as opaque ids."""
    submission = run.submission
    with gate.store.transaction() as tx:
        cameo_ids = tuple(c.id for owner in run.subjects if (c := tx.consent.active_cameo(owner)) is not None)
        parent_file: Path | None = None
        if submission.remix_of is not None:
            lineage = lineage_findings(tx, submission)
            if lineage:
                raise PublishRefused(lineage)
            parent_file = tx.videos.get(submission.remix_of).published_path
    publication = Publication(
        video_id=run.video_id,
        decision_id=run.decision_id,
        policy=run.decision.policy_ref,
        cameo_ids=cameo_ids,
        parent_video_id=submission.remix_of,
    )
    if premark is not None:
        marked = premark.take()
    else:
        destination = gate.media.area("published") / run.video_id
        marked = gate.publisher.mark(run.draft.path, destination, label=label(submission))
    return gate.publisher.finish(marked, publication, parent_file=parent_file)


def _awaiting(tx: Transaction, run: GateRun, answers: Sequence[UseRequestRecord]) -> list[str]:
    """Owners in the video still to approve this use: those who approve each use and have not approved it, and those
    asked who have not answered yet (even if they have since stopped approving each use: the request stands)."""
    latest = {r.owner: r.state for r in answers}  # oldest first: each owner's last request is their answer now
    creator = run.submission.creator
    return [
        owner
        for owner in sorted(set(run.subjects))
        if owner != creator
        and latest.get(owner) is not UseRequestState.APPROVED
        and (
            latest.get(owner) is UseRequestState.PENDING
            or tx.consent.snapshot(owner, creator, lock=False).approve_each_use
        )
    ]


def owners_refusal(requests: Sequence[UseRequestRecord]) -> Finding | None:
    """The finding for owners whose answer to this video is no (declined, or not given in time), or None. Each
    owner's latest request is their answer (`requests` come oldest first). Only the owner changes it, by approving
    this video; no reviewer, appeal or change of their settings does."""
    states = {r.owner: r.state for r in requests}
    refused = sorted(o for o, st in states.items() if st in (UseRequestState.DECLINED, UseRequestState.EXPIRED))
    if not refused:
        return None
    declined = any(states[o] is UseRequestState.DECLINED for o in refused)
    return Finding(
        "likeness.owner_declined" if declined else "likeness.owner_approval_expired",
        "consent",
        f"{', '.join(refused)} did not approve this use of their likeness",
        evidence={"owners": refused, "states": {o: states[o].value for o in refused}},
    )


def await_owners(gate: GateParts, run: GateRun, owners: Sequence[str]) -> GateResult:
    """Every check passed, but owners approve each use: the video waits in quarantine (`pending_owner`), one request
    per owner, until they all approve (published), one declines or time runs out (blocked)."""
    staged, final = gate.media.stage(run.draft.path, "quarantine", run.video_id)
    try:
        with gate.store.transaction() as tx:
            tx.videos.set_status(
                run.video_id,
                VideoStatus.PENDING_OWNER,
                expected=run.expected,
                actor=run.actor,
                effects=StatusEffects(
                    quarantine_path=final, details={"decision_id": run.decision_id, "awaiting": list(owners)}
                ),
            )
            for owner in owners:
                tx.consent.request_use(run.video_id, owner, run.submission.creator)
            gate.media.commit_staged(staged, final)
    except BaseException:
        gate.media.discard(staged, final)
        raise
    return GateResult(
        run.video_id, run.decision_id, run.decision, VideoStatus.PENDING_OWNER, None, awaiting_owners=tuple(owners)
    )
