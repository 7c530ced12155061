"""What the review use case hands the console: who is logged in, a case file, a decision's outcome, the dashboard."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from safety.domain import VideoStatus
from safety.errors import SafetyError
from safety.records import AppealRecord, ReportRecord, ReviewItemRecord
from safety.usecases.videos import VideoView


class AccessDenied(SafetyError):
    """Not logged in, session expired, or the role does not allow it."""

    exit_code = 7


@dataclass(frozen=True)
class Reviewer:
    """A logged-in person."""

    name: str
    """Login name."""
    role: str
    """reviewer, senior or admin."""

    @property
    def senior(self) -> bool:
        """Seniors and admins take escalations and appeals."""
        return self.role in ("senior", "admin")


@dataclass(frozen=True)
class CaseFile:
    """Everything a reviewer sees about one item."""

    item: ReviewItemRecord
    """The queue item."""
    video: VideoView
    """The video's record and decisions as the console may show them (no decisions for a blind re-review)."""
    media_path: Path | None
    """The file to play (quarantined or published)."""
    reasons: list[dict[str, Any]]
    """Reasons of the latest decision, each with the policy's text."""
    faces: list[dict[str, Any]]
    """Face tracks with the identified person's reference crop, when a cameo."""
    frames: list[dict[str, Any]]
    """Timestamps worth looking at (findings' frames) for the strip."""
    history: list[dict[str, Any]]
    """The creator's recent videos."""
    reports: list[ReportRecord] = field(default_factory=list)
    """User reports."""
    appeal: AppealRecord | None = None
    """The appeal, for appeal items."""
    codes_by_outcome: dict[str, list[str]] = field(default_factory=dict)
    """outcome → the reason codes a decision with that outcome may cite, the item's own first."""
    creator_videos: dict[str, int] = field(default_factory=dict)
    """The creator's other videos by status (published, blocked, held, ...)."""
    reports_received: int = 0
    """Reports filed against the creator's videos."""
    scores: dict[str, float] = field(default_factory=dict)
    """Score by category from the latest decision that scored the video (the checks'; never a reviewer's)."""

    @property
    def media_shown(self) -> bool:
        """Whether the video's file is there to be watched (nothing is approved unseen)."""
        return self.media_path is not None and self.media_path.is_file()

    @property
    def spoken(self) -> list[dict[str, Any]]:
        """Findings in what the video says or whose voice it carries: code, time span, what was said (or whose
        voice) and the language it was said in, for the console to play each one."""
        out = []
        for reason in self.reasons:
            evidence = reason.get("evidence") or {}
            if evidence.get("source") == "speech" and "t_start" in evidence:
                said = evidence.get("text") or evidence.get("person") or evidence.get("owner") or ""
                out.append(
                    {
                        "code": str(reason["code"]),
                        "t_start": float(evidence["t_start"]),
                        "t_end": float(evidence["t_end"]),
                        "said": str(said),
                        "language": str(evidence.get("language") or ""),
                    }
                )
        return out


@dataclass(frozen=True)
class Lease:
    """Who holds an item now, and until when: a lease past its end is held by nobody."""

    holder: str | None
    """The reviewer with a live lease, or None (open, lapsed or decided)."""
    until: datetime | None
    """When that lease ends."""
    now: datetime
    """When this was read."""
    decided: bool = False
    """The item is decided: nobody claims it again."""
    lapsed_from: str | None = None
    """Whose lease ran out, when one did and nobody took the item since."""

    @property
    def left(self) -> timedelta:
        """Time left on the live lease (zero when there is none)."""
        if self.holder is None or self.until is None:
            return timedelta(0)
        return max(self.until - self.now, timedelta(0))


@dataclass(frozen=True)
class ReviewOutcome:
    """What a reviewer's decision did."""

    item: str
    """The review item."""
    outcome: str
    """approve, reject, uphold or overturn."""
    code: str
    """The reason code cited."""
    status: VideoStatus
    """The video's status afterwards."""
    published_path: Path | None = None
    """The public file, when the decision published it."""


@dataclass(frozen=True)
class ReviewDashboard:
    """The queue's health and the reviewers' work."""

    queue_depth: int
    """Undecided items."""
    oldest_age_hours: float
    """Age of the oldest undecided item."""
    sla_breaches: int
    """Undecided items past their deadline."""
    decisions_per_reviewer_per_hour: dict[str, dict[str, int]]
    """hour → reviewer → decisions."""
    reason_mix: dict[str, int]
    """reason code → items."""
    quality_pairs: int
    """Blind re-reviews compared with their originals."""
    quality_agreement: float | None
    """Share of those that agree."""
    decisions_per_reviewer_per_day: dict[str, dict[str, int]] = field(default_factory=dict)
    """day → reviewer → decisions."""
    quality_pair_rows: list[dict[str, Any]] = field(default_factory=list)
    """Each blind re-review beside its original: video, both reviewers, both outcomes, agreed."""
    reviewers: list[str] = field(default_factory=list)
    """Everyone who decided anything, by name."""


@dataclass(frozen=True)
class QueueEntry:
    """One line of the queue as a reviewer reads it."""

    item: ReviewItemRecord
    """The queue item."""
    prompt: str
    """What the creator asked for."""
    creator: str
    """Who made the video."""
    age_hours: float
    """How long the item has waited."""
    sla: str
    """`on time`, `due soon` (within `DUE_SOON`) or `breached`."""
    media_path: Path | None
    """The file, for a (blurred) thumbnail."""
    lease: Lease | None = None
    """Who holds the item now (a lapsed lease is nobody's)."""

    @property
    def holder_text(self) -> str:
        """The item's state as the queue says it: open, held (and how long), or open after a lease ran out."""
        lease = self.lease
        if lease is None or lease.decided:
            return self.item.state.value
        if lease.holder is not None:
            return f"claimed by {lease.holder} ({math.ceil(lease.left.total_seconds() / 60)} min left)"
        return f"open ({lease.lapsed_from}'s lease ran out)" if lease.lapsed_from else "open"


@dataclass(frozen=True)
class FaceEvidence:
    """One face track next to the person it resembles."""

    track: int
    """Track number within the video."""
    t: float
    """Seconds into the video of the frame shown."""
    box: tuple[int, int, int, int]
    """left, top, right, bottom of the face in that frame."""
    crop: Any
    """The face from the video (RGB array), or None when the file is gone."""
    subject: str | None
    """The nearest enrolled owner or protected person."""
    subject_kind: str | None
    """`cameo` or `protected`."""
    reference: Path | None
    """Their reference crop or protection photo."""
    similarity: float | None
    """1 - distance to them (higher is closer)."""
    verdict: str
    """match, uncertain or unknown."""


@dataclass(frozen=True)
class StripFrame:
    """A frame at a finding, with the faces to outline on it."""

    t: float
    """Seconds into the video."""
    image: Any
    """RGB array."""
    boxes: tuple[tuple[tuple[int, int, int, int], str], ...]
    """(box, label) of each face found near this time."""


@dataclass(frozen=True)
class AppealCase:
    """An appeal as a senior reads it before claiming it."""

    item: ReviewItemRecord
    """The appeal's queue item."""
    appellant: str
    """Who appealed."""
    text: str
    """What they wrote."""
    original_action: str
    """What the decision appealed against did (block, …)."""
    original_reasons: tuple[tuple[str, str], ...]
    """(code, message) of that decision's reasons."""
    decided_by: str
    """Who made that decision (the gate or a reviewer)."""
    holder: str | None
    """The senior holding the item, if claimed."""


@dataclass(frozen=True)
class UserHistory:
    """What an investigation shows about one user."""

    handle: str
    """The user."""
    videos: list[dict[str, Any]]
    """Their videos, newest first, each with its status and latest decision."""
    reports_filed: list[ReportRecord]
    """Reports they filed."""
    reports_received: list[ReportRecord]
    """Reports on their videos."""
    cameo_uses: list[dict[str, Any]]
    """Videos their likeness appears in (declared or identified)."""


@dataclass(frozen=True)
class ReviewerPreferences:
    """A reviewer's wellness settings, kept between sessions."""

    grayscale: bool = False
    """Show media in grayscale by default."""
    blur_px: int = 24
    """Blur strength until a reviewer unblurs (4 to 64)."""
