"""The store protocols: what the use cases may ask of storage, one small interface per concept.

Each protocol is implemented once on SQL (`safety.store.sql`) and bound to a transaction by
`safety.store.Store.transaction()`; a function that works inside a transaction takes only the stores it needs,
typed by these protocols. No store commits: the transaction does. State changes append to the audit log in the
same transaction. This module is pure: it imports no database or media library.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from safety.domain import AgeBand, AuditEntry, CameoConsent, CameoStatus, ConsentLevel, Decision, User, VideoStatus
from safety.records import (
    AppealRecord,
    AppealState,
    BankEntryRecord,
    BankName,
    CameoRecord,
    ChallengeRecord,
    DecisionRecord,
    GrantKind,
    OwnerAppearance,
    ProtectedPersonRecord,
    ProtectionKind,
    PurgeJobRecord,
    RegistryStatus,
    ReportRecord,
    ReviewerRecord,
    ReviewItemRecord,
    ReviewSource,
    StoredFrameHash,
    TemplateRecord,
    TemplateSubject,
    VideoRecord,
)


class AccountStore(Protocol):
    """Users and who follows whom."""

    def add(self, handle: str, age_band: AgeBand) -> User:
        """Create a user; `ConflictError` when the handle is taken."""
        ...

    def get(self, handle: str) -> User:
        """The user; `UnknownUserError` when there is none."""
        ...

    def find(self, handle: str) -> User | None:
        """The user, or None."""
        ...

    def follow(self, follower: str, followee: str) -> bool:
        """Record a follow; False when it existed already."""
        ...

    def follows(self, follower: str, followee: str) -> bool:
        """Whether `follower` follows `followee`."""
        ...


class ClientStore(Protocol):
    """HTTP hook clients and their hashed tokens."""

    def set_token(self, name: str, token_hash: str) -> bool:
        """Create or rotate a client's token; True when the client is new."""
        ...

    def client_for(self, token_hash: str) -> str | None:
        """The active client holding this token, or None."""
        ...


class ConsentStore(Protocol):
    """Cameos, the owner's grants and blocks, challenges, and consent snapshots."""

    def create_cameo(
        self,
        owner: str,
        face_model: str,
        status: CameoStatus = CameoStatus.ACTIVE,
        *,
        reference_paths: Sequence[Path] = (),
        verification_path: Path | None = None,
        details: dict[str, Any] | None = None,
    ) -> str:
        """Record a cameo (active, or rejected without face data); its id."""
        ...

    def active_cameo(self, owner: str) -> CameoRecord | None:
        """The owner's active cameo, or None."""
        ...

    def set_cameo_files(self, cameo_id: str, reference_paths: Sequence[Path], verification_path: Path | None) -> None:
        """Where a cameo's reference crops and kept verification video lie."""
        ...

    def delete_cameo(self, owner: str) -> CameoRecord:
        """Mark the active cameo deleted; returns it as it was, so its files can be removed."""
        ...

    def cameo_file_paths(self) -> set[str]:
        """Every file an active cameo points at."""
        ...

    def set_level(self, owner: str, level: ConsentLevel) -> None:
        """Set who may use the owner's cameo."""
        ...

    def set_restrictions(self, owner: str, phrases: Sequence[str]) -> None:
        """Replace the owner's restriction phrases."""
        ...

    def set_grant(self, owner: str, grantee: str, kind: GrantKind) -> None:
        """Approve or block one creator, replacing a live grant of the other kind."""
        ...

    def revoke_grant(self, owner: str, grantee: str, kind: GrantKind) -> bool:
        """End a live grant; False when there was none."""
        ...

    def snapshot(self, owner: str, creator: str) -> CameoConsent:
        """Everything consent depends on for (owner, creator), read now; locks the owner's cameo row where the
        backend has row locks, so a publish reading consent is ordered with a concurrent change."""
        ...

    def create_challenge(self, handle: str, digits: str, turns: Sequence[str], ttl: timedelta) -> ChallengeRecord:
        """Issue an enrollment challenge."""
        ...

    def take_challenge(self, challenge_id: str, handle: str) -> ChallengeRecord:
        """Use a challenge once; `ConflictError` when not this user's, expired or used."""
        ...


class TemplateStore(Protocol):
    """Face templates and protected people."""

    def add_templates(self, kind: TemplateSubject, subject: str, model_id: str, vectors: Sequence[bytes]) -> int:
        """Store float32 vectors for a subject; how many."""
        ...

    def templates_of(self, kind: TemplateSubject, subject: str) -> list[TemplateRecord]:
        """A subject's templates, oldest first."""
        ...

    def delete_templates(self, kind: TemplateSubject, subject: str) -> int:
        """Remove a subject's templates; how many."""
        ...

    def gallery_stamp(self, model_id: str) -> tuple[int, int]:
        """(count, highest id) of a model's templates: changes whenever the gallery does."""
        ...

    def gallery(self, model_id: str) -> list[TemplateRecord]:
        """Every template of a model, in insertion order."""
        ...

    def add_protected(self, name: str, kind: ProtectionKind) -> str:
        """Protect a person by name; their id."""
        ...

    def list_protected(self) -> list[ProtectedPersonRecord]:
        """Protected people, by name."""
        ...

    def remove_protected(self, id_or_name: str) -> ProtectedPersonRecord:
        """End a protection and drop its templates."""
        ...


class VideoStore(Protocol):
    """Videos and their lineage."""

    def create(
        self,
        *,
        creator: str,
        prompt: str,
        content_sha256: str,
        size_bytes: int,
        duration_s: float,
        width: int,
        height: int,
        draft_path: Path,
        declared_cameos: Sequence[str],
        remix_of: str | None,
        policy_ref: str,
    ) -> str:
        """A new video row in `checking`, with its remix and declared-cameo edges; its id."""
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
        actor: str,
        published_path: Path | None = None,
        quarantine_path: Path | None = None,
        clear_quarantine: bool = False,
        policy_ref: str | None = None,
        details: dict[str, Any] | None = None,
        action: str | None = None,
    ) -> VideoStatus:
        """Move a video to a status (the draft goes once decided); the status it had."""
        ...

    def mark_purged(self, video_id: str) -> tuple[VideoStatus, tuple[str, ...]] | None:
        """Purge the row (no file paths remain); (previous status, its files), or None when already purged."""
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

    def published_paths(self) -> list[tuple[str, str]]:
        """(video id, file) of every published video."""
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

    def facts(self, decision_id: str) -> dict[str, Any]:
        """The evidence facts a decision stored (face tracks and the like)."""
        ...


class ReviewStore(Protocol):
    """The review queue, reviewers and sessions, appeals and reports."""

    def open_item(
        self,
        video_id: str,
        *,
        source: ReviewSource,
        reason_codes: Sequence[str],
        severity: int,
        sla_hours: float,
        policy_ref: str,
        needs_senior: bool = False,
        blind_of: str | None = None,
    ) -> str:
        """Put a video in the queue; the item's id."""
        ...

    def open_items(self) -> list[ReviewItemRecord]:
        """Undecided items, most severe then most urgent first."""
        ...

    def items(self, *, decided: bool | None = None, limit: int = 5000) -> list[ReviewItemRecord]:
        """Items, newest first, optionally only (un)decided ones."""
        ...

    def item(self, item_id: str, *, lock: bool = False) -> ReviewItemRecord:
        """One item."""
        ...

    def claim(self, item_id: str, reviewer: str, lease: timedelta, *, senior: bool) -> bool:
        """Take the item's lease if free, lapsed or already this reviewer's; atomic on both backends."""
        ...

    def release(self, item_id: str, reviewer: str, *, escalate: bool = False, note: str = "") -> None:
        """Give the lease back, optionally escalating to seniors."""
        ...

    def decide(self, item_id: str, reviewer: str, outcome: str, code: str, note: str) -> ReviewItemRecord:
        """Record the outcome; only under a live lease held by `reviewer`."""
        ...

    def close_items_of(self, video_id: str) -> int:
        """Close every undecided item of a video (it was purged or expired); how many."""
        ...

    def add_reviewer(self, name: str, role: str, password_hash: str) -> None:
        """Create a console account."""
        ...

    def reviewer(self, name: str) -> ReviewerRecord | None:
        """A reviewer with their password hash, or None."""
        ...

    def reviewers(self) -> list[ReviewerRecord]:
        """Every reviewer, by name (no password hashes)."""
        ...

    def start_session(self, token_hash: str, reviewer: str, expires_at: datetime) -> None:
        """Record a login session."""
        ...

    def session_reviewer(self, token_hash: str) -> str | None:
        """Who holds a live session, or None."""
        ...

    def end_session(self, token_hash: str) -> None:
        """Log out."""
        ...

    def add_appeal(self, video_id: str, appellant: str, text: str, review_item_id: str) -> str:
        """Record an appeal; its id."""
        ...

    def appeal_for_item(self, item_id: str) -> AppealRecord | None:
        """The appeal behind a review item."""
        ...

    def close_appeal(self, item_id: str, state: AppealState) -> None:
        """Record an appeal's outcome."""
        ...

    def add_report(self, video_id: str, reporter: str, reason: str, review_item_id: str) -> str:
        """Record a user report; its id."""
        ...

    def reports_for(self, video_id: str) -> list[ReportRecord]:
        """Reports on a video."""
        ...


class PurgeStore(Protocol):
    """Purge jobs and tombstones."""

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

    def job(self, job_id: str) -> PurgeJobRecord:
        """One job."""
        ...


class BankStore(Protocol):
    """Hash banks."""

    def add_entry(
        self,
        bank: BankName,
        hashes: Sequence[tuple[bytes, int]],
        *,
        note: str = "",
        source_video_id: str | None = None,
        actor: str = "operator",
    ) -> str:
        """Add (digest, quality) frame hashes as one entry; its id."""
        ...

    def remove_entry(self, entry_id: str) -> None:
        """Remove an entry and its hashes."""
        ...

    def entries(self, bank: BankName | None = None) -> list[BankEntryRecord]:
        """Entries, oldest first, optionally of one bank."""
        ...

    def stamp(self) -> tuple[int, int]:
        """(count, highest id) of bank hashes: changes whenever a bank does."""
        ...

    def index_entries(self) -> list[tuple[str, bytes]]:
        """(`bank:entry`, digest) for the matcher's index."""
        ...


class RegistryStore(Protocol):
    """The provenance registry."""

    def record_publication(
        self, video_id: str, *, sha256: str, watermark_token: int, frame_hashes: Sequence[tuple[float, bytes, int]]
    ) -> None:
        """Register a published file."""
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
        """(count, highest id) of published frame hashes."""
        ...

    def fingerprint_entries(self) -> list[tuple[str, bytes]]:
        """(video id, digest) for the tracer's index."""
        ...


class AuditStore(Protocol):
    """The hash-chained audit log."""

    def append(self, actor: str, action: str, subject: str, details: dict[str, Any]) -> AuditEntry:
        """Append one entry in this transaction."""
        ...

    def entries(self, batch: int = 1000) -> Iterator[AuditEntry]:
        """Every entry in sequence order."""
        ...


class LockStore(Protocol):
    """Named leases held in a row."""

    def try_lease(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Take or renew the lease when free, lapsed or already held by `holder`."""
        ...

    def release(self, name: str, holder: str) -> None:
        """Give the lease back if `holder` has it."""
        ...
