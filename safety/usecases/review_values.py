"""What the review use case hands the console: who is logged in, a case file, a decision's outcome, the dashboard."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safety.domain import VideoStatus
from safety.errors import SafetyError
from safety.records import AppealRecord, ReportRecord, ReviewItemRecord


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
    video: dict[str, Any]
    """The video's record and decisions as the console shows them (hidden for a blind re-review)."""
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

    @property
    def spoken(self) -> list[dict[str, Any]]:
        """Findings in what the video says or whose voice it carries: code, time span, and what was said (or
        whose voice), for the console to play each one."""
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
                    }
                )
        return out


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
