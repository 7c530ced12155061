"""Records about videos: the stored video and its decisions, the provenance registry and its manifests, the hash
banks, the purges and the retroactive scans (the records of `safety.storage.content`), and what the video store is
handed for a new video and for a status move."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from safety.domain import VideoStatus


class RegistryStatus(StrEnum):
    """What `verify` answers for a registered video."""

    LIVE = "live"
    PURGED = "purged"
    WITHDRAWN = "withdrawn"


MANIFESTS_AREA = "manifests"


def manifest_store_name(video_id: str, manifest_id: str) -> str:
    """Where a manifest store lies in the media store, relative to its root: `manifests/<video_id>/<uuid>.c2pa`
    (the manifest's label is `urn:c2pa:<uuid>`)."""
    name = manifest_id.rsplit(":", 1)[-1]
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"not a manifest label: {manifest_id!r}")
    return f"{MANIFESTS_AREA}/{video_id}/{name}.c2pa"


@dataclass(frozen=True)
class ManifestRecord:
    """A manifest store in the repository: the manifest that published a video."""

    manifest_id: str
    """The active manifest's label (`urn:c2pa:<uuid>`)."""
    video_id: str
    """The video it published."""
    sha256: str
    """Digest of the signed file it was embedded in."""
    store_path: str | None
    """The store's file relative to the media root; None once the video is purged (the file goes with it)."""
    created_at: datetime
    """When it was recorded."""


@dataclass(frozen=True)
class BindingMatch:
    """A video a soft binding value points at, and its manifest."""

    video_id: str
    """The video."""
    manifest_id: str | None
    """Its manifest in the repository (None for a video published before manifests were kept)."""
    status: RegistryStatus | None
    """The registry's status of the video (None when it has no record, e.g. purged before it was recorded)."""


class PurgeJobState(StrEnum):
    """A purge job: its rows are purged at once; its files go after the commit."""

    FILES_PENDING = "files_pending"
    DONE = "done"


class BankName(StrEnum):
    """The hash banks a submission is matched against."""

    KNOWN_BAD = "known_bad"
    PURGED = "purged"


@dataclass(frozen=True)
class NewVideo:
    """A submission the gate is about to check: what `VideoStore.create` records, in `checking`, with its remix and
    declared-cameo edges."""

    creator: str
    """Creator's handle."""
    prompt: str
    """The generation prompt."""
    content_sha256: str
    """sha256 of the submitted file."""
    size_bytes: int
    """Size of the submitted file."""
    duration_s: float
    """Duration in seconds."""
    width: int
    """Frame width."""
    height: int
    """Frame height."""
    draft_path: Path
    """The private draft the checks read."""
    declared_cameos: tuple[str, ...]
    """Cameo owners the creator declared."""
    remix_of: str | None
    """Parent video id, for a remix."""
    policy_ref: str
    """Policy that judges it."""
    video_id: str | None = None
    """The id to give it; None for a new one. An asynchronous submission fixes it when the submission is accepted."""


@dataclass(frozen=True)
class VideoRecord:
    """A stored video as the rest of `safety` sees it."""

    id: str
    """Video id (`vid_…`)."""
    creator: str
    """Creator's handle."""
    prompt: str
    """The generation prompt."""
    status: VideoStatus
    """Current status."""
    content_sha256: str
    """sha256 of the submitted file."""
    duration_s: float
    """Duration in seconds."""
    width: int
    """Frame width."""
    height: int
    """Frame height."""
    declared_cameos: tuple[str, ...]
    """Cameo owners the creator declared."""
    remix_of: str | None
    """Parent video id, for a remix."""
    draft_path: Path | None
    """The draft file while the video is being checked."""
    published_path: Path | None
    """The public file; set only while published."""
    quarantine_path: Path | None
    """The held or blocked file."""
    policy_ref: str
    """Policy that last decided it."""
    created_at: datetime
    """When it was submitted."""

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file the row points at."""
        return tuple(p for p in (self.published_path, self.quarantine_path, self.draft_path) if p)


@dataclass(frozen=True)
class StatusEffects:
    """What a video's status move does besides the status (`VideoStore.set_status`): the files its row names, the
    policy it records, and what its audit entry says. The default moves the status alone and leaves the row with no
    published file."""

    published_path: Path | None = None
    """The public file; None leaves the row naming none (only a published video has one)."""
    quarantine_path: Path | None = None
    """The held or blocked file; None keeps the one the row names."""
    clear_quarantine: bool = False
    """Forget the quarantined file (its caller deletes it); wins over `quarantine_path`."""
    policy_ref: str | None = None
    """The policy that decided the move; None keeps the row's."""
    details: dict[str, Any] | None = None
    """More for the audit entry, beside `from` and `to`."""
    action: str | None = None
    """The audit entry's action; None for `video.<status>`."""


@dataclass(frozen=True)
class OwnerAppearance:
    """One video an owner appears in."""

    video: VideoRecord
    """The video."""
    declared: bool
    """The creator declared the owner (rather than the gate identifying them)."""


@dataclass(frozen=True)
class DecisionRecord:
    """A persisted decision."""

    id: str
    """Decision id (`dec_…`)."""
    video_id: str
    """The video it decided."""
    action: str
    """publish, review or block."""
    decided_by: str
    """`gate` or a reviewer's name."""
    policy_ref: str
    """Pack that decided."""
    reasons: tuple[dict[str, Any], ...]
    """Reasons as stored (code, action, severity, message, evidence)."""
    checks_run: tuple[str, ...]
    """Checks that ran."""
    scores: dict[str, float]
    """Scores."""
    timings_ms: dict[str, float]
    """Timings."""
    created_at: datetime
    """When it was made."""


class RetroScanState(StrEnum):
    """Where a retroactive scan stands."""

    RUNNING = "running"
    DONE = "done"


@dataclass(frozen=True)
class RetroScanRecord:
    """A search of published videos for a person enrolled or protected after they were published."""

    id: str
    """Scan id (`scan_…`)."""
    subject_kind: str
    """`cameo` or `protected`."""
    subject: str
    """The owner's handle or the protected person's name."""
    state: RetroScanState
    """running or done."""
    cursor: str
    """The last video id searched (the scan resumes after it)."""
    videos_searched: int
    """Published videos searched so far."""
    found: tuple[dict[str, Any], ...]
    """Each video found to show the person: its id, distance and what was done."""
    created_at: datetime
    """When it started."""
    finished_at: datetime | None = None
    """When it ended."""


@dataclass(frozen=True)
class PurgeJobRecord:
    """A recorded purge: what was purged and which files are to go."""

    id: str
    """Job id (`purge_…`), also the receipt's id."""
    owner: str
    """Whose likeness it protects."""
    creator: str | None
    """The creator whose consent ended, when there is one."""
    reason: str
    """e.g. `consent_revoked`, `owner_removed`, `cameo_deleted`, `sweep_consent`."""
    video_ids: tuple[str, ...]
    """Videos purged."""
    files: tuple[str, ...]
    """Files to remove."""
    created_at: datetime
    """When it was recorded."""
    finished: bool = False
    """Its files are removed."""


@dataclass(frozen=True)
class BankEntryRecord:
    """An item in a hash bank."""

    id: str
    """Entry id (`bank_…`)."""
    bank: BankName
    """Which bank."""
    note: str
    """Operator's note, or the purge reason."""
    source_video_id: str | None
    """The purged video it came from."""
    hashes: int
    """Frame hashes it holds."""
    created_at: datetime
    """When it was added."""


@dataclass(frozen=True)
class StoredFrameHash:
    """A frame hash as stored for a published video."""

    t: float
    """Seconds into the video."""
    digest: bytes
    """PDQ digest (32 bytes)."""
    quality: int
    """PDQ quality, 0-100."""
