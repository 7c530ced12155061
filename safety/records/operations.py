"""Records that operate the system: the review queue, its reviewers, appeals and reports, and the asynchronous
submissions with their callback deliveries (the records of `safety.storage.operations`), and what their stores are
handed for a new review item and a new submission."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any


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


@dataclass(frozen=True)
class NewReviewItem:
    """A video about to enter the review queue: what `ReviewStore.open_item` records, open."""

    video_id: str
    """The held, reported or appealed video."""
    source: ReviewSource
    """Why it enters the queue."""
    reason_codes: tuple[str, ...]
    """Codes that put it there."""
    severity: int
    """1 to 5."""
    sla_hours: float
    """Hours until it is due (the policy's SLA)."""
    policy_ref: str
    """Policy of the item."""
    needs_senior: bool = False
    """Seniors only (an appeal)."""
    blind_of: str | None = None
    """For a quality re-review, the item it re-reviews."""


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


class SubmissionState(StrEnum):
    """Where an asynchronous submission is."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class NewSubmission:
    """A video accepted to be checked in the background: what `SubmissionStore.create` records, queued."""

    client: str
    """The API client submitting it."""
    video_id: str
    """The id its video will have (promised to the client now)."""
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
