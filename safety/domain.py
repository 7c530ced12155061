"""The domain of the gate as small immutable values.

These types are what the core logic (consent, decision, lineage, audit chain) works on. They carry no database or
file handles; the store converts its rows into them explicitly, so the core stays pure and testable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from policies import Action

JsonDict = dict[str, Any]


class AgeBand(StrEnum):
    """Age band of an account; teen accounts are governed by the teen pack."""

    ADULT = "adult"
    TEEN = "teen"


class VideoStatus(StrEnum):
    """Where a video is in its life: draft → checking → held / pending_owner / published / blocked → purged."""

    DRAFT = "draft"
    CHECKING = "checking"
    HELD = "held"
    PENDING_OWNER = "pending_owner"
    """Passed every check; waits for owners who approve each use of their likeness."""
    PUBLISHED = "published"
    BLOCKED = "blocked"
    PURGED = "purged"


VIDEO_TRANSITIONS: Mapping[VideoStatus, frozenset[VideoStatus]] = {
    VideoStatus.DRAFT: frozenset({VideoStatus.CHECKING, VideoStatus.PURGED}),
    VideoStatus.CHECKING: frozenset(
        {VideoStatus.PUBLISHED, VideoStatus.HELD, VideoStatus.PENDING_OWNER, VideoStatus.BLOCKED, VideoStatus.PURGED}
    ),
    VideoStatus.HELD: frozenset(
        {VideoStatus.PUBLISHED, VideoStatus.PENDING_OWNER, VideoStatus.BLOCKED, VideoStatus.PURGED}
    ),
    # Waiting for owners who approve each use: all approve → published; one declines or time runs out → blocked.
    # (held when consent, read again at publish, cannot be judged).
    VideoStatus.PENDING_OWNER: frozenset(
        {VideoStatus.PUBLISHED, VideoStatus.HELD, VideoStatus.BLOCKED, VideoStatus.PURGED}
    ),
    # A take-down moves a published video to blocked (its file kept in quarantine for an appeal).
    # A retroactive scan that finds someone who may not be in it holds it for a reviewer.
    VideoStatus.PUBLISHED: frozenset({VideoStatus.HELD, VideoStatus.BLOCKED, VideoStatus.PURGED}),
    # Only an appeal a senior overturns publishes a blocked video (through its owners' approval when they ask).
    VideoStatus.BLOCKED: frozenset({VideoStatus.PUBLISHED, VideoStatus.PENDING_OWNER, VideoStatus.PURGED}),
    VideoStatus.PURGED: frozenset(),
}
"""Every move a video's status may make (drawn in ARCHITECTURE.md); the store refuses any other, and the
invariant checker replays the audit log against it. Purged is final: nothing brings a purged video back."""


def may_move(previous: VideoStatus, status: VideoStatus) -> bool:
    """Whether the state machine allows `previous` → `status`."""
    return status in VIDEO_TRANSITIONS[previous]


class ConsentLevel(StrEnum):
    """Who may put a cameo owner in videos."""

    ONLY_ME = "only_me"
    APPROVED = "approved"
    MUTUALS = "mutuals"
    EVERYONE = "everyone"

    @property
    def rank(self) -> int:
        """The levels nest (only_me < approved < mutuals < everyone): a higher one allows a superset of creators."""
        return _LEVEL_RANKS[self]


_LEVEL_RANKS = {level: rank for rank, level in enumerate(ConsentLevel)}


class CameoStatus(StrEnum):
    """State of a cameo."""

    ACTIVE = "active"
    REJECTED = "rejected"
    DELETED = "deleted"


class LineageKind(StrEnum):
    """How a video derives from something: a parent video or a person's likeness."""

    REMIX_OF = "remix_of"
    CONTAINS_CAMEO_OF = "contains_cameo_of"


@dataclass(frozen=True)
class User:
    """A registered account."""

    handle: str
    """Unique, normalised handle."""
    age_band: AgeBand
    """Adult or teen."""
    deleted: bool = False
    """The account was deleted: it can no longer create, follow or be followed (its handle stays taken)."""
    policy_pack: str | None = None
    """A teen pack other than the default one, chosen by a guardian (its name)."""
    cameo_level_cap: ConsentLevel | None = None
    """The highest consent level a guardian allows this teen's cameo."""


@dataclass(frozen=True)
class Submission:
    """What a generation asks the gate to publish."""

    creator: str
    """Handle of the account publishing the video."""
    prompt: str
    """The prompt the video was generated from."""
    video_path: Path
    """The generated file."""
    cameos: tuple[str, ...] = ()
    """Handles of cameo owners the creator declared."""
    remix_of: str | None = None
    """Video id of the parent, for a remix."""
    input_image_path: Path | None = None
    """Input image of an image-to-video generation."""


@dataclass(frozen=True)
class MediaInfo:
    """What probing a video file found; the media check judges it against the policy's limits."""

    container: str
    """Container format names as FFmpeg reports them."""
    video_codec: str
    """Codec of the first video stream."""
    width: int
    """Frame width in pixels."""
    height: int
    """Frame height in pixels."""
    duration_s: float
    """Duration in seconds."""
    fps: float
    """Average frame rate."""
    has_audio: bool
    """Whether an audio stream is present."""
    size_bytes: int
    """File size."""
    hdr: str | None = None
    """`PQ` or `HLG` for HDR video (published tone-mapped to SDR), else None."""


@dataclass(frozen=True)
class Finding:
    """One thing a check found; the policy gives it an action."""

    code: str
    """Reason code, e.g. `media.too_long` or `check.error`."""
    check: str
    """Name of the check that produced it."""
    message: str
    """Human-readable detail for this instance."""
    score: float | None = None
    """Model score behind the finding, where there is one."""
    evidence: Mapping[str, Any] = field(default_factory=dict)
    """What a reviewer needs to see why (timestamps, boxes, matched terms, errors)."""


@dataclass(frozen=True)
class Reason:
    """A finding as the policy judged it."""

    code: str
    """Reason code."""
    action: Action
    """What this reason asks for."""
    severity: int
    """1 to 5, from the policy."""
    message: str
    """The finding's message."""
    policy_text: str
    """The policy's reviewer-facing text for the code."""
    evidence: Mapping[str, Any] = field(default_factory=dict)
    """The finding's evidence."""
    check: str = ""
    """The check that produced the finding."""

    def to_json(self) -> JsonDict:
        return {
            "code": self.code,
            "action": self.action.value,
            "severity": self.severity,
            "message": self.message,
            "check": self.check,
            "evidence": dict(self.evidence),
        }


@dataclass(frozen=True)
class Decision:
    """The gate's outcome for one video: an action with every reason behind it."""

    action: Action
    """publish, review or block: the most restrictive action any reason asks for."""
    reasons: tuple[Reason, ...]
    """Every finding, judged; empty for a clean publish."""
    scores: Mapping[str, float]
    """Highest score per reason code or model output."""
    checks_run: tuple[str, ...]
    """Names of the checks that ran (failed ones included)."""
    policy_ref: str
    """`name@version` of the pack that decided."""
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    """Wall time per check and for the whole gate."""
    facts: Mapping[str, Any] = field(default_factory=dict)
    """Structured observations per check (e.g. face tracks), kept with the decision."""

    @property
    def severity(self) -> int:
        """Highest severity among the reasons; 0 when there are none."""
        return max((r.severity for r in self.reasons), default=0)


@dataclass(frozen=True)
class TrackEmbedding:
    """One face track's or speech stretch's embedding, kept so that a person enrolled or protected later can be
    searched for in what was already published, without decoding it again."""

    kind: str
    """`face` or `voice`."""
    track: int
    """The face track, or the speech stretch's number."""
    t: float
    """Seconds into the video where it starts."""
    model_id: str
    """The model that made it (never compared across models)."""
    vector: bytes
    """float32 bytes."""


@dataclass(frozen=True)
class GateResult:
    """A persisted decision and what happened to the video because of it."""

    video_id: str
    """Id of the video the decision is about."""
    decision_id: str
    """Id of the persisted decision."""
    decision: Decision
    """The decision."""
    status: VideoStatus
    """The video's status after the gate acted."""
    published_path: Path | None
    """The published file; None unless published."""
    awaiting_owners: tuple[str, ...] = ()
    """Owners whose approval a `pending_owner` video waits for."""

    def to_json(self) -> JsonDict:
        d = self.decision
        return {
            "video_id": self.video_id,
            "decision_id": self.decision_id,
            "decision": d.action.value,
            "status": self.status.value,
            "reasons": [r.to_json() for r in d.reasons],
            "scores": dict(d.scores),
            "checks_run": list(d.checks_run),
            "policy": d.policy_ref,
            "published_path": str(self.published_path) if self.published_path else None,
            "timings_ms": {k: round(v, 2) for k, v in d.timings_ms.items()},
            "faces": list(d.facts.get("likeness", {}).get("faces", [])),
            "awaiting_owners": list(self.awaiting_owners),
        }


@dataclass(frozen=True)
class CameoConsent:
    """Everything consent depends on for one (cameo owner, creator) pair, read at one moment."""

    owner: str
    """Handle of the cameo owner."""
    owner_age_band: AgeBand
    """The owner's age band."""
    creator: str
    """Handle of the creator who wants to use the cameo."""
    cameo_status: CameoStatus | None
    """Status of the owner's cameo; None when the owner has none."""
    level: ConsentLevel
    """The owner's consent level."""
    approved: bool
    """The owner approved this creator by name."""
    blocked: bool
    """The owner blocked this creator."""
    owner_follows_creator: bool
    """The owner follows the creator."""
    creator_follows_owner: bool
    """The creator follows the owner."""
    restrictions: tuple[str, ...] = ()
    """Phrases the owner does not want their likeness used for."""
    level_cap: ConsentLevel | None = None
    """A guardian's cap on a teen owner's level."""
    guardian_needed: bool = False
    """The owner is a teen with guardians and the creator someone else (teen or adult; age bands are the app's
    word): a guardian must allow the creator."""
    guardian_allowed: bool = False
    """A guardian of the owner allowed this creator."""
    approve_each_use: bool = False
    """The owner approves every use of their likeness before it publishes (`pending_owner`)."""


@dataclass(frozen=True)
class ConsentVerdict:
    """Whether a creator may use a cameo now, and why: allowed, or refused with a reason code (never refused
    without one). Build it with `allow` or `refuse`."""

    allowed: bool
    """True when the owner's settings allow this creator."""
    code: str | None
    """Reason code when refused (`likeness.no_cameo`, `likeness.no_consent`, …); None exactly when allowed."""
    explanation: str
    """One line for the decision evidence and the owner's receipt."""
    evidence: Mapping[str, Any] = field(default_factory=dict)
    """What a refusal rests on beyond its code (a restriction's topic or phrase, score and words)."""

    def __post_init__(self) -> None:
        if self.allowed != (self.code is None):
            raise ValueError("a consent verdict is allowed without a code or refused with one")

    @classmethod
    def allow(cls, explanation: str) -> ConsentVerdict:
        """Consent holds."""
        return cls(True, None, explanation)

    @classmethod
    def refuse(cls, code: str, explanation: str, evidence: Mapping[str, Any] | None = None) -> ConsentVerdict:
        """Consent does not hold, for the reason `code` names."""
        return cls(False, code, explanation, dict(evidence or {}))


@dataclass(frozen=True)
class AuditEntry:
    """One row of the hash-chained audit log."""

    seq: int
    """Position in the chain, from 1."""
    at: datetime
    """When it was written (UTC)."""
    actor: str
    """Who acted: a handle, a reviewer, `gate`, `system`."""
    action: str
    """What was done, e.g. `video.published`."""
    subject: str
    """What it was done to, e.g. a video id."""
    details: Mapping[str, Any]
    """Structured details; never biometric data or secrets."""
    prev_hash: str
    """Hash of the previous entry (64 zeros for the first)."""
    entry_hash: str
    """sha256 over this entry's fields and `prev_hash`."""
