"""Intake and ingest: what a submission must be before anything is stored, and the row it gets.

Intake raises `SubmissionError` (or a subclass) for undecidable input and stores nothing: the creator and the
declared owners exist, a remix's parent is published (one that is not is unknown, as `safety.access` answers),
the file is a readable video whose first frames decode in a memory-capped child. Ingest then copies the file into
a private draft and, in one transaction (the gate's first), creates the `checking` row with its lineage edges and
reads the declared owners' consent for the checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from safety.access import hidden
from safety.checks import CheckContext
from safety.checks.runner import DEFAULT_TIMEOUT_S
from safety.domain import Submission, VideoStatus
from safety.errors import ConflictError, InvalidMediaError, SubmissionError, UnknownUserError
from safety.frames import FrameFeed
from safety.gate.checking import check_context, open_feed
from safety.gate.run import Admitted, GateParts
from safety.media import probe, trial_decode
from safety.mediastore import StoredFile
from safety.records import NewVideo

# Intake decodes this many frames in a memory-capped child before any check decodes the file here; the first
# frames are where a decoder sizes its buffers.
_TRIAL_FRAMES = 4


@dataclass(frozen=True)
class Ingested:
    """A submission on record: its row (`checking`), its private draft, and the checks' input."""

    video_id: str
    draft: StoredFile
    feed: FrameFeed
    context: CheckContext


def intake(gate: GateParts, submission: Submission) -> Admitted:
    """Refuse what cannot be decided (nothing is stored); short reads, no transaction held past them."""
    if not submission.creator:
        raise SubmissionError("a creator handle is required")
    with gate.store.transaction() as tx:
        creator = tx.accounts.get(submission.creator)
        if creator.deleted:
            raise UnknownUserError(f"`{creator.handle}` has deleted their account")
        for owner in submission.cameos:
            tx.accounts.get(owner)
        if submission.remix_of is not None:
            parent = tx.videos.get(submission.remix_of)
            if parent.status is not VideoStatus.PUBLISHED:
                # Only a published video can be remixed, and a pipeline may not learn others' statuses here.
                raise hidden(parent.id)
    if submission.input_image_path is not None and not submission.input_image_path.is_file():
        raise InvalidMediaError(f"no such input image: {submission.input_image_path}")
    info = probe(submission.video_path)
    # The creator's age band picks the pack: a teen's video is judged by the teen pack whoever appears in it.
    policy = gate.policies.for_user(creator)
    media_check = policy.checks.get("media")
    trial_decode(
        submission.video_path,
        frames=_TRIAL_FRAMES,
        memory_mb=policy.limits.max_decode_memory_mb,
        timeout_s=media_check.timeout_s if media_check is not None else DEFAULT_TIMEOUT_S,
    )
    return Admitted(creator, policy, info)


def ingest(
    gate: GateParts, submission: Submission, admitted: Admitted, video_id: str | None, *, rerun: bool = False
) -> Ingested:
    """Transaction 1: the draft's row in `checking`, its lineage edges, and the declared owners' consent. With
    `rerun`, the row a run that was cut short left `checking` (with its edges) is taken as it is."""
    # The checks read a private copy: the caller's file may change or vanish while they run.
    draft = gate.media.put_draft(submission.video_path)
    with gate.store.transaction() as tx:
        existing = tx.videos.find(video_id) if rerun and video_id is not None else None
        if existing is not None and existing.status is not VideoStatus.CHECKING:
            raise ConflictError(f"video `{existing.id}` is {existing.status.value}: it is not run again")
        created = (
            existing.id
            if existing is not None
            else tx.videos.create(
                NewVideo(
                    video_id=video_id,
                    creator=admitted.creator.handle,
                    prompt=submission.prompt,
                    content_sha256=draft.sha256,
                    size_bytes=draft.size,
                    duration_s=admitted.info.duration_s,
                    width=admitted.info.width,
                    height=admitted.info.height,
                    draft_path=draft.path,
                    declared_cameos=submission.cameos,
                    remix_of=submission.remix_of,
                    policy_ref=admitted.policy.ref,
                )
            )
        )
        feed = open_feed(gate, draft.path, admitted.policy, submission)
        # Declared owners' consent is read in the transaction that creates the row, so the checks judge the
        # consent that held when the video entered the gate; it is read again before any publish.
        context = check_context(gate, tx, submission, admitted, draft.path, feed)
    return Ingested(created, draft, feed, context)
