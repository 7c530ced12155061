"""Stores about videos: rows and lineage, decisions, the provenance registry, hash banks and purges."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from safety.domain import Decision, TrackEmbedding, VideoStatus
from safety.records import (
    BankEntryRecord,
    BankName,
    BindingMatch,
    DecisionRecord,
    ManifestRecord,
    NewVideo,
    OwnerAppearance,
    PurgeJobRecord,
    RegistryStatus,
    RetroScanRecord,
    RetroScanState,
    StatusEffects,
    StoredFrameHash,
    VideoRecord,
)


class VideoStore(Protocol):
    """Videos and their lineage."""

    def create(self, video: NewVideo) -> str:
        """A new video row in `checking`, with its remix and declared-cameo edges; its id (`video.video_id` when
        given: an asynchronous submission fixes it when it is accepted)."""
        ...

    def find(self, video_id: str) -> VideoRecord | None:
        """The video, or None when there is none."""
        ...

    def add_cameo_edge(self, video_id: str, owner: str) -> None:
        """Record that the video contains the owner's likeness (idempotent)."""
        ...

    def get(self, video_id: str, *, lock: bool = False) -> VideoRecord:
        """The video; with `lock`, its row stays locked until the transaction ends."""
        ...

    def recent(self, creator: str | None = None, limit: int = 100) -> list[VideoRecord]:
        """Newest first, optionally of one creator."""
        ...

    def remixes_of(self, video_id: str) -> list[str]:
        """Direct remixes."""
        ...

    def set_status(
        self,
        video_id: str,
        status: VideoStatus,
        *,
        expected: VideoStatus | frozenset[VideoStatus],
        actor: str,
        effects: StatusEffects = StatusEffects(),
    ) -> VideoStatus:
        """Move a video from `expected` to `status` (the draft goes once decided), with `effects` on its files, its
        policy and its audit entry, under the row's lock; the status it had. Raises `StatusChanged` when another
        process moved it first, and `ConflictError` for a move the state machine (`domain.VIDEO_TRANSITIONS`) does
        not allow."""
        ...

    def mark_purged(self, video_id: str) -> tuple[VideoStatus, tuple[str, ...]] | None:
        """Purge the row (no file paths remain); (previous status, the files the purge removes), or None when
        already purged. A `checking` video's draft is not among them: the gate running its checks owns it."""
        ...

    def scrub(self, video_id: str) -> None:
        """Keep only keyed digests (`audit.personal_digest`) of a purged video's prompt and declared owners."""
        ...

    def with_owner(self, owner: str) -> list[OwnerAppearance]:
        """Every video the owner appears in, declared or identified, newest first."""
        ...

    def owners_in(self, video_id: str) -> list[str]:
        """Cameo owners a video contains."""
        ...

    def owners_with_videos(self) -> list[str]:
        """Owners who appear in any unpurged video."""
        ...

    def descendants(self, video_ids: Sequence[str]) -> list[str]:
        """Every video derived from these, transitively."""
        ...

    def file_paths(self) -> set[str]:
        """Every file a video row points at."""
        ...

    def in_status(self, *statuses: VideoStatus) -> list[VideoRecord]:
        """Every video in one of `statuses`, oldest first (for checkers; a deployment's whole table)."""
        ...

    def published_paths(self) -> list[tuple[str, str]]:
        """(video id, file) of every published video."""
        ...

    def checking_before(self, older_than: datetime) -> list[str]:
        """Videos still `checking` and untouched since `older_than` (their gate process died)."""
        ...

    def held_before(self, older_than: datetime) -> list[str]:
        """Held videos untouched since `older_than`."""
        ...


class DecisionStore(Protocol):
    """Decisions, kept forever."""

    def save(self, video_id: str, decision: Decision, decided_by: str, note: str = "") -> str:
        """Persist a decision with its reasons, scores, checks and facts; its id."""
        ...

    def for_video(self, video_id: str) -> list[DecisionRecord]:
        """A video's decisions, oldest first."""
        ...

    def scrub(self, video_id: str) -> None:
        """Drop what a purged video's decisions say about people: evidence, messages and facts (codes stay)."""
        ...

    def facts(self, decision_id: str) -> dict[str, Any]:
        """The evidence facts a decision stored (face tracks and the like)."""
        ...

    def counts(self) -> dict[str, int]:
        """How many decisions each action has (publish, review, block), over all time."""
        ...


class RegistryStore(Protocol):
    """The provenance registry."""

    def record_publication(
        self, video_id: str, *, sha256: str, watermark_token: int, frame_hashes: Sequence[tuple[float, bytes, int]]
    ) -> None:
        """Register a published file, with its manifest in the repository (labelled
        `provenance.manifest_label(video_id, watermark_token)`, its store at `records.manifest_store_name`) and the
        soft bindings its manifest declares (`provenance.softbinding.bindings_of`). A video published again
        replaces what was recorded before."""
        ...

    def find_binding(self, alg: str, value: str) -> list[BindingMatch]:
        """The videos (and their manifests) a soft binding value points at: one indexed lookup."""
        ...

    def manifest(self, manifest_id: str) -> ManifestRecord | None:
        """A manifest in the repository, or None."""
        ...

    def manifest_of(self, video_id: str) -> ManifestRecord | None:
        """The manifest that published a video (its latest publication), or None."""
        ...

    def purge_manifests(self, video_id: str) -> list[str]:
        """Forget where a purged video's manifest stores lie (the manifests stay, so bindings still resolve to the
        purged video); the store files the purge removes."""
        ...

    def manifest_paths(self) -> set[str]:
        """Every kept manifest store, relative to the media root (for the sweeper and the invariants)."""
        ...

    def set_status(self, video_id: str, status: RegistryStatus) -> bool:
        """Change a registered video's status; False when it was never registered."""
        ...

    def status(self, video_id: str) -> RegistryStatus | None:
        """A registered video's status, or None."""
        ...

    def frame_hashes(self, video_id: str) -> list[StoredFrameHash]:
        """A published video's frame hashes."""
        ...

    def video_for_token(self, token: int) -> str | None:
        """The video a watermark token was issued to."""
        ...

    def video_for_sha256(self, sha256: str) -> str | None:
        """The video a published file hash belongs to."""
        ...

    def fingerprint_stamp(self) -> tuple[int, int]:
        """(count, highest id) of published frame hashes: changes whenever they do (ids are never reused)."""
        ...

    def fingerprint_entries(self) -> list[tuple[str, bytes]]:
        """(video id, digest) for the tracer's index."""
        ...

    def segment_entries(self) -> list[tuple[str, bytes, float]]:
        """(video id, digest, seconds into the video) for the tracer's segment index."""
        ...


class BankStore(Protocol):
    """Hash banks."""

    def add_entry(
        self,
        bank: BankName,
        hashes: Sequence[tuple[float, bytes, int]],
        *,
        note: str = "",
        source_video_id: str | None = None,
        actor: str = "operator",
    ) -> str:
        """Add (t, digest, quality) frame hashes as one entry; its id."""
        ...

    def remove_entry(self, entry_id: str) -> None:
        """Remove an entry and its hashes."""
        ...

    def entry(self, entry_id: str) -> BankEntryRecord:
        """One entry; `UnknownSubjectError` when there is none."""
        ...

    def entries(self, bank: BankName | None = None) -> list[BankEntryRecord]:
        """Entries, oldest first, optionally of one bank."""
        ...

    def stamp(self) -> tuple[int, int]:
        """(count, highest id) of bank hashes: changes whenever a bank does (ids are never reused)."""
        ...

    def index_entries(self) -> list[tuple[str, bytes, float]]:
        """(`bank:entry`, digest, t) for the segment matcher's index."""
        ...


class TrackStore(Protocol):
    """Embeddings of the faces and voices in checked videos, and retroactive scans over them."""

    def add_embeddings(self, video_id: str, embeddings: Sequence[TrackEmbedding]) -> int:
        """Keep a video's track embeddings; how many."""
        ...

    def delete_embeddings(self, video_id: str) -> int:
        """Forget a video's embeddings (its purge); how many."""
        ...

    def published_page(
        self, model_id: str, *, after_video: str, videos: int
    ) -> tuple[list[str], list[tuple[str, str, bytes]]]:
        """The next `videos` published videos (by id, after `after_video`) with embeddings of this model, and those
        embeddings as (video id, kind, vector bytes), grouped by video."""
        ...

    def count(self) -> int:
        """Embeddings stored."""
        ...

    def start_scan(self, subject_kind: str, subject: str) -> str:
        """Record a scan about to run; its id."""
        ...

    def scan(self, scan_id: str, *, lock: bool = False) -> RetroScanRecord:
        """One scan (locked: one runner at a time)."""
        ...

    def advance_scan(self, scan_id: str, cursor: str, searched: int, found: Sequence[dict[str, Any]]) -> None:
        """Record a page searched: the new cursor, videos searched and what was found."""
        ...

    def finish_scan(self, scan_id: str) -> None:
        """The scan searched everything."""
        ...

    def scans(
        self, *, state: RetroScanState | None = None, updated_before: datetime | None = None
    ) -> list[RetroScanRecord]:
        """Scans, oldest first, filtered."""
        ...


class PurgeStore(Protocol):
    """Purge jobs and tombstones."""

    def counts(self) -> dict[str, int]:
        """Purge jobs per state, and the videos they purged (`videos`)."""
        ...

    def tombstone(self, video_id: str, reason: str) -> None:
        """Remember forever that a video was purged (idempotent)."""
        ...

    def is_tombstoned(self, video_id: str) -> bool:
        """Whether a video was purged."""
        ...

    def record_job(
        self,
        *,
        owner: str,
        creator: str | None,
        reason: str,
        video_ids: Sequence[str],
        files: Sequence[str],
        actor: str,
    ) -> PurgeJobRecord:
        """Record what a purge removed and the files still to delete."""
        ...

    def pending_jobs(self) -> list[PurgeJobRecord]:
        """Jobs whose files are not yet removed, oldest first."""
        ...

    def finish_job(self, job_id: str) -> None:
        """Mark a job's files removed (idempotent)."""
        ...

    def jobs_of(self, owner: str) -> list[PurgeJobRecord]:
        """Every purge that removed something of the owner's likeness, oldest first."""
        ...

    def job(self, job_id: str) -> PurgeJobRecord:
        """One job."""
        ...
