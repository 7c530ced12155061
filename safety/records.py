"""Records: what the stores hand back, as small frozen values, and the states a stored thing can be in.

The stores convert their rows into these explicitly; nothing outside `safety.storage.sql` sees a row. Every state a
column can hold is an enum here (a `StrEnum`, so it compares equal to the text stored), never a string literal
scattered through the code. Importing this module loads no database or media library.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from safety.domain import ConsentLevel, VideoStatus


class GrantKind(StrEnum):
    """What an owner said about one creator."""

    APPROVE = "approve"
    BLOCK = "block"
    GUARDIAN_ALLOW = "guardian_allow"
    """A teen owner's guardian allows this (adult) creator."""


class ProtectionKind(StrEnum):
    """Why a person is protected without enrolling."""

    PUBLIC_FIGURE = "public_figure"
    ESTATE = "estate"
    OPT_OUT = "opt_out"


class TemplateSubject(StrEnum):
    """Whose face a stored template is."""

    CAMEO = "cameo"
    PROTECTED = "protected"


class ReviewState(StrEnum):
    """A review item's place in the queue: open → claimed → decided (a lease may lapse back to open)."""

    OPEN = "open"
    CLAIMED = "claimed"
    DECIDED = "decided"


class ReviewSource(StrEnum):
    """Why an item entered the queue."""

    GATE = "gate"
    REPORT = "report"
    APPEAL = "appeal"
    QUALITY = "quality"


class AppealState(StrEnum):
    """An appeal's state."""

    OPEN = "open"
    UPHELD = "upheld"
    OVERTURNED = "overturned"


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


@dataclass(frozen=True)
class CameoRecord:
    """An active cameo."""

    id: str
    """Cameo id (`cam_…`)."""
    owner: str
    """Owner's handle."""
    level: ConsentLevel
    """Who may use it."""
    face_model: str
    """Model of its templates."""
    restrictions: tuple[str, ...]
    """Phrases the owner does not want their likeness used for."""
    reference_paths: tuple[Path, ...]
    """Reference face crops."""
    verification_path: Path | None
    """The kept verification video, when policy keeps it."""
    approve_each_use: bool = False
    """The owner approves every use before it publishes."""


class UseRequestState(StrEnum):
    """Where an owner's approval of one use stands."""

    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    EXPIRED = "expired"


@dataclass(frozen=True)
class UseRequestRecord:
    """An owner's approval asked for one video (the owner approves each use)."""

    id: str
    """Request id (`use_…`)."""
    video_id: str
    """The video waiting."""
    owner: str
    """Whose approval is asked."""
    creator: str
    """Who made the video."""
    state: UseRequestState
    """pending, approved, declined or expired."""
    created_at: datetime
    """When it was asked."""
    decided_at: datetime | None = None
    """When it was answered or expired."""


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
class ProtectedPersonRecord:
    """A person protected without enrolling."""

    id: str
    """Id (`prot_…`)."""
    name: str
    """Name shown in evidence."""
    kind: ProtectionKind
    """Why they are protected."""
    templates: int
    """Stored templates."""
    created_at: datetime
    """When protection began."""
    photo_paths: tuple[Path, ...] = ()
    """Face crops kept from their photos, for reviewers to compare."""


@dataclass(frozen=True)
class TemplateRecord:
    """One stored face template."""

    subject_kind: TemplateSubject
    """A cameo owner or a protected person."""
    subject: str
    """The owner's handle or the protected person's name."""
    model_id: str
    """The model that made it (templates of different models are never compared)."""
    vector: bytes
    """float32 vector bytes."""


@dataclass(frozen=True)
class ChallengeRecord:
    """An enrollment challenge."""

    id: str
    """Challenge id (`chl_…`)."""
    handle: str
    """Who it was issued to."""
    digits: str
    """Digits to say."""
    turns: tuple[str, ...]
    """Head turns to make, in order."""
    expires_at: datetime
    """When it stops being valid."""


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
class ReviewItemRecord:
    """An item in the review queue."""

    id: str
    """Review item id (`rev_…`)."""
    video_id: str
    """The held or reported video."""
    source: ReviewSource
    """Why it is in the queue."""
    reason_codes: tuple[str, ...]
    """Codes that put it there."""
    severity: int
    """1 to 5."""
    due_at: datetime
    """Deadline from the policy's SLA."""
    state: ReviewState
    """open, claimed or decided."""
    claimed_by: str | None = None
    """Who holds the lease."""
    lease_until: datetime | None = None
    """When the lease ends."""
    needs_senior: bool = False
    """Escalated items and appeals: seniors only."""
    blind_of: str | None = None
    """For a quality re-review, the item it re-reviews (its outcome is hidden from the reviewer)."""
    decided_by: str | None = None
    """Who decided it."""
    outcome: str | None = None
    """approve, reject, uphold or overturn."""
    outcome_code: str | None = None
    """The reason code given."""
    decided_at: datetime | None = None
    """When."""
    policy_ref: str = ""
    """Policy of the item."""
    created_at: datetime | None = None
    """When it entered the queue."""
    escalated_by: str | None = None
    """Who sent it to the seniors, when escalated."""
    escalation_note: str = ""
    """Why they did (the reason and their note)."""


@dataclass(frozen=True)
class ReviewerRecord:
    """A console account."""

    name: str
    """Login name."""
    role: str
    """reviewer, senior or admin."""
    active: bool
    """False once disabled."""
    password_hash: str = ""
    """Argon2 hash (only the login path reads it)."""
    grayscale: bool = False
    """Wellness: media starts in grayscale for this reviewer."""
    blur_px: int = 24
    """Wellness: how strongly media is blurred until unblurred (CSS pixels)."""


@dataclass(frozen=True)
class AppealRecord:
    """An appeal against a decision."""

    id: str
    """Appeal id (`apl_…`)."""
    appellant: str
    """Who appealed."""
    text: str
    """What they wrote."""


@dataclass(frozen=True)
class ReportRecord:
    """A user report."""

    reporter: str
    """Who reported."""
    reason: str
    """What they wrote."""
    video_id: str = ""
    """The reported video."""
    at: datetime | None = None
    """When."""


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


__all__ = [
    "AppealRecord",
    "AppealState",
    "BankEntryRecord",
    "BankName",
    "CameoRecord",
    "ChallengeRecord",
    "DecisionRecord",
    "GrantKind",
    "OwnerAppearance",
    "ProtectedPersonRecord",
    "ProtectionKind",
    "PurgeJobRecord",
    "PurgeJobState",
    "RegistryStatus",
    "ReportRecord",
    "ReviewItemRecord",
    "ReviewSource",
    "ReviewState",
    "ReviewerRecord",
    "StoredFrameHash",
    "TemplateRecord",
    "TemplateSubject",
    "VideoRecord",
]


class SubmissionState(StrEnum):
    """Where an asynchronous submission is."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class SubmissionRecord:
    """A video submitted to be checked in the background (`POST /v1/submissions`)."""

    id: str
    """`sub_…`."""
    client: str
    """The API client that submitted it (its webhook secret signs the callback)."""
    video_id: str
    """The video's id, fixed when the submission is accepted."""
    state: SubmissionState
    """Queued, running (claimed by a worker), done or failed."""
    creator: str
    """The creator's handle."""
    prompt: str
    """The generation prompt."""
    cameos: tuple[str, ...]
    """Declared cameo owners."""
    remix_of: str | None
    """Parent video of a remix."""
    video_path: Path
    """The private copy the worker checks."""
    input_image_path: Path | None
    """Private copy of the input image, if any."""
    callback_url: str | None
    """Where the outcome is POSTed, signed."""
    attempts: int
    """How many times a worker claimed it."""
    worker: str | None
    """Who holds it while running."""
    claimed_at: datetime | None
    """When its current holder last said it was alive."""
    result: dict[str, Any] | None
    """The decision JSON once done."""
    error: str | None
    """Why it failed, for a failed submission (no internal paths)."""
    created_at: datetime
    """When it was accepted."""
    updated_at: datetime
    """Last change."""


@dataclass(frozen=True)
class CallbackDelivery:
    """One attempt to POST a submission's outcome to its callback URL."""

    submission_id: str
    """Whose outcome."""
    attempt: int
    """1 for the first try."""
    status_code: int | None
    """The receiver's HTTP status, None when it could not be reached."""
    error: str | None
    """What went wrong, if anything."""
    at: datetime
    """When it was tried."""


class Scope(StrEnum):
    """What an API client's token may do."""

    GENERATE = "generate"
    """Submit videos and read their outcome (a generation pipeline)."""
    APP = "app"
    """Act for users: accounts, cameos, owner views, reports, appeals (an app backend)."""
    OPERATOR = "operator"
    """Banks, protected people, any video (the platform's trust-and-safety operators)."""


@dataclass(frozen=True)
class ApiClient:
    """A caller of the HTTP API."""

    name: str
    """Its name."""
    scopes: tuple[Scope, ...]
    """What its token may do."""
    active: bool
    """False once its token is revoked."""
    has_webhook_secret: bool
    """Whether callbacks to it are signed."""
