"""Revocation as IO: apply a purge plan inside the consent-changing transaction, then remove files after it.

Purging unpublishes at once, tombstones, moves the fingerprints to the purged bank, closes open review items and
records a durable job listing the files to remove. The files go after the commit (`finish`); `finish_pending`
(run by every sweep) completes any job a crash interrupted. Every step is idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol
from weakref import WeakKeyDictionary

from policies import PolicyBook
from safety.mediastore import MediaStore
from safety.records import BankName, PurgeJobRecord, RegistryStatus
from safety.restrictions import RestrictionJudge
from safety.revocation import PurgePlan, PurgeReceipt, plan_purge, refused_by_creator
from safety.storage import (
    AccountStore,
    AuditStore,
    BankStore,
    ConsentStore,
    DecisionStore,
    PurgeStore,
    RegistryStore,
    ReviewStore,
    Store,
    SubmissionStore,
    TrackStore,
    VideoStore,
)


class PurgeStores(Protocol):
    """The stores a purge writes to (a `Transaction` is one)."""

    @property
    def videos(self) -> VideoStore:
        """The videos store."""
        ...

    @property
    def registry(self) -> RegistryStore:
        """The registry store."""
        ...

    @property
    def banks(self) -> BankStore:
        """The banks store."""
        ...

    @property
    def purges(self) -> PurgeStore:
        """The purges store."""
        ...

    @property
    def review(self) -> ReviewStore:
        """The review store."""
        ...

    @property
    def decisions(self) -> DecisionStore:
        """The decisions store."""
        ...

    @property
    def audit(self) -> AuditStore:
        """The audit store."""
        ...

    @property
    def tracks(self) -> TrackStore:
        """The track embeddings store."""
        ...

    @property
    def submissions(self) -> SubmissionStore:
        """The submissions store."""
        ...


class ReconcileStores(PurgeStores, Protocol):
    """What reconciling an owner's videos with their consent reads besides."""

    @property
    def accounts(self) -> AccountStore:
        """The accounts store."""
        ...

    @property
    def consent(self) -> ConsentStore:
        """The consent store."""
        ...


def _relative(name: str, media_root: Path | None) -> str:
    # Jobs keep paths relative to the media root, so a home that is moved or restored from a backup still purges.
    path = Path(name)
    if media_root is not None and path.is_absolute() and path.is_relative_to(media_root):
        return str(path.relative_to(media_root))
    return name


def apply_purge(tx: PurgeStores, plan: PurgePlan, *, actor: str, media_root: Path | None = None) -> PurgeJobRecord:
    """Purge the plan's videos inside the open transaction and record the job of files to remove."""
    # Every row locked first, in one order, before the first audit entry takes the chain's head: a publish holding
    # one of these rows and waiting for the head would otherwise deadlock with this purge.
    for video_id in sorted(plan.video_ids):
        tx.videos.get(video_id, lock=True)
    purged: list[str] = []
    files: list[str] = []
    for video_id in plan.video_ids:
        marked = tx.videos.mark_purged(video_id)
        # Already purged (a second revocation, or the sweeper repeating one): nothing left to mark or scrub.
        if marked is None:
            continue
        previous, paths = marked
        files += [_relative(p, media_root) for p in paths]
        tx.registry.set_status(video_id, RegistryStatus.PURGED)
        # Its manifest stores go with its files (already relative to the media root); the manifests' rows and soft
        # bindings stay, so a stripped copy still resolves, to the tombstone.
        files += tx.registry.purge_manifests(video_id)
        hashes = tx.registry.frame_hashes(video_id)
        # The purged video's frame hashes go to the purged bank: a re-upload of the same footage is then caught at the
        # gate, so a purge cannot be undone by posting the file again.
        if hashes:
            tx.banks.add_entry(
                BankName.PURGED,
                [(h.t, h.digest, h.quality) for h in hashes],
                note=plan.reason,
                source_video_id=video_id,
            )
        tx.purges.tombstone(video_id, plan.reason)
        # A purged video keeps no prompt text and nothing naming the people in it: codes, and digests keyed with a
        # key the database does not hold (a plain hash of a handle is reversed by hashing a list of handles).
        tx.videos.scrub(video_id)
        tx.decisions.scrub(video_id)
        tx.submissions.scrub(video_id)
        tx.tracks.delete_embeddings(video_id)
        # Open review items would show reviewers a video that no longer exists, and an approval could not publish it
        # anyway.
        tx.review.close_items_of(video_id)
        tx.audit.append(
            actor, "video.purged", video_id, {"from": previous.value, "reason": plan.reason, "owner": plan.owner}
        )
        purged.append(video_id)
    return tx.purges.record_job(
        owner=plan.owner, creator=plan.creator, reason=plan.reason, video_ids=purged, files=files, actor=actor
    )


def purge_in(
    tx: PurgeStores,
    roots: Sequence[str],
    *,
    owner: str,
    creator: str | None,
    reason: str,
    actor: str,
    media_root: Path | None = None,
) -> PurgeJobRecord:
    """Purge `roots` and everything derived from them, inside `tx`."""
    plan = plan_purge(owner, creator, reason, roots, tx.videos.descendants(roots))
    return apply_purge(tx, plan, actor=actor, media_root=media_root)


def reconcile_in(
    tx: ReconcileStores,
    policies: PolicyBook,
    owner: str,
    *,
    reason: str,
    actor: str,
    creator: str | None = None,
    media_root: Path | None = None,
    restrictions: RestrictionJudge | None = None,
) -> list[PurgeJobRecord]:
    """Purge whatever the owner's current settings no longer allow, inside `tx`; with `creator`, only that creator's
    videos (and what derives from them), so a receipt lists exactly what this change removed."""
    owner_policy = policies.for_user(tx.accounts.get(owner))
    appearances = [
        (a.video, tx.consent.snapshot(owner, a.video.creator))
        for a in tx.videos.with_owner(owner)
        if creator is None or a.video.creator == creator
    ]
    jobs = [
        purge_in(tx, roots, owner=owner, creator=refused_creator, reason=reason, actor=actor, media_root=media_root)
        for refused_creator, roots in sorted(
            refused_by_creator(owner, owner_policy, appearances, restrictions=restrictions).items()
        )
    ]
    # A creator whose videos were all purged already leaves an empty job: no receipt for a change that removed nothing.
    return [job for job in jobs if job.video_ids]


def remove_job_files(media: MediaStore, job: PurgeJobRecord) -> int:
    """Delete a job's files (missing ones are fine: this may be a second attempt)."""
    removed = 0
    for name in job.files:
        path = Path(name) if Path(name).is_absolute() else media.root / name
        # A job row names files; resolving first means neither a `..` in a stored name nor a link placed in the media
        # folder can make a purge delete outside it.
        if not path.resolve().is_relative_to(media.root):
            continue
        if path.exists():
            removed += 1
        media.discard(path)
    return removed


_log = logging.getLogger("cameoguard.revocation")
# Who hears of finished purges, per store: every purge, whichever use case or sweep made it, ends in `finish`.
_LISTENERS: WeakKeyDictionary[Any, list[Callable[[PurgeReceipt], None]]] = WeakKeyDictionary()


def on_purge_finished(store: Store, listener: Callable[[PurgeReceipt], None]) -> None:
    """Call `listener` with the receipt of every purge of `store`, once its files are gone (the submissions use
    case tells the client that submitted each purged video)."""
    _LISTENERS.setdefault(store, []).append(listener)


def finish(store: Store, media: MediaStore, job: PurgeJobRecord) -> PurgeReceipt:
    """Remove a committed job's files and mark it done; the owner's receipt."""
    # Files before the row: if this dies in between, the job is still pending and `finish_pending` removes what is left
    # (missing files are fine), so a job is never marked done with its files still on disk.
    removed = remove_job_files(media, job)
    with store.transaction() as tx:
        tx.purges.finish_job(job.id)
    receipt = PurgeReceipt(job.id, job.owner, job.creator, job.reason, job.video_ids, job.created_at, removed)
    for listener in _LISTENERS.get(store, ()):
        try:
            listener(receipt)
        except Exception:  # noqa: BLE001 - a listener never undoes or blocks a purge
            _log.exception("purge listener failed", extra={"receipt_id": receipt.receipt_id})
    return receipt


def receipt_of(job: PurgeJobRecord) -> PurgeReceipt:
    """The receipt of a recorded job (files counted as removed once the job finished)."""
    removed = len(job.files) if job.finished else 0
    return PurgeReceipt(job.id, job.owner, job.creator, job.reason, job.video_ids, job.created_at, removed)


def finish_pending(store: Store, media: MediaStore) -> list[PurgeReceipt]:
    """Complete every purge job whose files a crash left behind."""
    with store.transaction() as tx:
        # Read in one short transaction, then finished one by one, each in its own: one job's failure leaves the others
        # done.
        jobs = tx.purges.pending_jobs()
    return [finish(store, media, job) for job in jobs]


__all__ = [
    "apply_purge",
    "finish",
    "finish_pending",
    "on_purge_finished",
    "purge_in",
    "reconcile_in",
    "remove_job_files",
]
