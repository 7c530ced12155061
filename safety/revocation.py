"""Revocation: when consent ends, what was made without it, and everything derived from it, disappears.

Every revocation runs as one transaction that changes the consent and, using the same snapshot, purges: every
video in which the owner appears whose creator no longer has consent (for that video's prompt), plus all videos
derived from those (remixes of remixes, by anyone, found with one recursive query over indexed lineage edges).
Purging unpublishes at once, tombstones, moves fingerprints to the purged bank and records a durable job
listing the files to remove. Files are removed after the commit; `finish_pending` (run by every sweep) completes
any job a crash interrupted. Every step is idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from safety.consent import consent_verdict
from safety.domain import VideoStatus
from safety.gate import PolicyBook
from safety.mediastore import MediaStore
from safety.store import Store, Transaction
from safety.store.repository import PurgeJob


@dataclass(frozen=True)
class PurgeReceipt:
    """What the owner is told: which videos were purged, when and why."""

    receipt_id: str
    """The purge job's id."""
    owner: str
    """Whose likeness it was."""
    creator: str | None
    """Whose consent ended, when one creator's did."""
    reason: str
    """Why."""
    purged: tuple[str, ...]
    """Video ids."""
    at: datetime
    """When the purge was recorded."""
    files_removed: int
    """Files deleted from the media store."""

    def to_json(self) -> dict[str, Any]:
        return {
            "receipt_id": self.receipt_id,
            "owner": self.owner,
            "creator": self.creator,
            "reason": self.reason,
            "purged": list(self.purged),
            "at": self.at.isoformat(),
            "files_removed": self.files_removed,
        }


def videos_without_consent(tx: Transaction, policies: PolicyBook, owner: str) -> dict[str, list[str]]:
    """Unpurged videos the owner appears in whose creator may not use them now, grouped by creator."""
    owner_policy = policies.for_user(tx.get_user(owner))
    refused: dict[str, list[str]] = {}
    for video, _declared in tx.videos_with_owner(owner):
        if video.status is VideoStatus.PURGED or video.creator == owner:
            continue
        verdict = consent_verdict(tx.consent_snapshot(owner, video.creator), owner_policy, video.prompt)
        if not verdict.allowed:
            refused.setdefault(video.creator, []).append(video.id)
    return refused


def purge_in(
    tx: Transaction, roots: Sequence[str], *, owner: str, creator: str | None, reason: str, actor: str
) -> PurgeJob:
    """Purge `roots` and everything derived from them, inside `tx`."""
    return tx.purge_videos([*roots, *tx.descendants(roots)], owner=owner, creator=creator, reason=reason, actor=actor)


def reconcile_in(tx: Transaction, policies: PolicyBook, owner: str, *, reason: str, actor: str) -> list[PurgeJob]:
    """Purge whatever the owner's current settings no longer allow."""
    jobs = []
    for creator, roots in sorted(videos_without_consent(tx, policies, owner).items()):
        jobs.append(purge_in(tx, roots, owner=owner, creator=creator, reason=reason, actor=actor))
    return [job for job in jobs if job.video_ids]


def remove_job_files(media: MediaStore, job: PurgeJob) -> int:
    """Delete a job's files (missing ones are fine: this may be a second attempt)."""
    removed = 0
    for name in job.files:
        path = Path(name)
        if not path.resolve().is_relative_to(media.root):
            continue
        if path.exists():
            removed += 1
        media.discard(path)
    return removed


def finish(store: Store, media: MediaStore, job: PurgeJob) -> PurgeReceipt:
    removed = remove_job_files(media, job)
    with store.transaction() as tx:
        tx.finish_purge_job(job.id)
    return PurgeReceipt(job.id, job.owner, job.creator, job.reason, job.video_ids, job.created_at, removed)


def finish_pending(store: Store, media: MediaStore) -> list[PurgeReceipt]:
    """Complete every purge job whose files a crash left behind."""
    with store.transaction() as tx:
        jobs = tx.pending_purge_jobs()
    return [finish(store, media, job) for job in jobs]


__all__ = [
    "PurgeReceipt",
    "finish",
    "finish_pending",
    "purge_in",
    "reconcile_in",
    "remove_job_files",
    "videos_without_consent",
]
