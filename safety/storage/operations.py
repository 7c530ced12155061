"""Stores that operate the system: the review queue and its people, the audit log, named leases, and the
asynchronous submissions with their callback deliveries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, Protocol

from safety.audit import ChainHead
from safety.domain import AuditEntry
from safety.records import (
    AppealRecord,
    AppealState,
    CallbackDelivery,
    NewReviewItem,
    NewSubmission,
    ReportRecord,
    ReviewerRecord,
    ReviewItemRecord,
    SubmissionRecord,
)


class ReviewStore(Protocol):
    """The review queue, reviewers and sessions, appeals and reports."""

    def open_item(self, item: NewReviewItem) -> str:
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

    def set_preferences(self, name: str, *, grayscale: bool, blur_px: int) -> None:
        """Keep a reviewer's wellness preferences."""
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
        """Reports on a video, oldest first."""
        ...

    def reports_by(self, reporter: str, limit: int = 200) -> list[ReportRecord]:
        """Reports a user filed, newest first."""
        ...

    def reports_against(self, creator: str, limit: int = 200) -> list[ReportRecord]:
        """Reports on a creator's videos, newest first."""
        ...


class AuditStore(Protocol):
    """The hash-chained audit log."""

    def append(self, actor: str, action: str, subject: str, details: dict[str, Any]) -> None:
        """Append one entry in this transaction (written to the chain when it commits)."""
        ...

    def head(self) -> ChainHead:
        """The last sequence number, its hash and the head's MAC, as the head row records them."""
        ...

    def entries(self, batch: int = 1000) -> Iterator[AuditEntry]:
        """Every entry in sequence order."""
        ...

    def rotate_key(self, actor: str, new_key: bytes) -> int:
        """Append the rotation entry that moves the chain to `new_key` (co-signed with the current key); this
        transaction's later entries use the new key. Its sequence number."""
        ...


class LockStore(Protocol):
    """Named leases held in a row."""

    def try_lease(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Take or renew the lease when free, lapsed or already held by `holder`."""
        ...

    def release(self, name: str, holder: str) -> None:
        """Give the lease back if `holder` has it."""
        ...


class SubmissionStore(Protocol):
    """Asynchronous submissions and their callback deliveries. Claiming is a conditional update, so two workers
    given the same submission (a redelivered message) never both run it."""

    def create(self, submission: NewSubmission) -> SubmissionRecord:
        """Accept a submission, queued."""
        ...

    def get(self, submission_id: str) -> SubmissionRecord:
        """One submission; `UnknownSubjectError` when there is none."""
        ...

    def claim(self, submission_id: str, worker: str, lease: timedelta) -> bool:
        """Take it if queued, or running under a lapsed lease; True when this worker now holds it."""
        ...

    def heartbeat(self, submission_id: str, worker: str) -> bool:
        """Renew the lease; False when the worker no longer holds it."""
        ...

    def finish(self, submission_id: str, worker: str, result: dict[str, Any]) -> bool:
        """Done with this outcome, if the worker still holds it."""
        ...

    def for_video(self, video_id: str) -> str | None:
        """The submission that brought this video, if one did."""
        ...

    def update_result(self, submission_id: str, result: dict[str, Any]) -> bool:
        """Replace a done submission's outcome (a video that waited for its owners ended its wait)."""
        ...

    def fail(self, submission_id: str, worker: str, error: str) -> bool:
        """Failed (the submission cannot be decided on as given), if the worker still holds it."""
        ...

    def unfinished(self, *, queued_before: datetime, lease: timedelta, limit: int = 500) -> list[str]:
        """Queued since before `queued_before`, or running under a lapsed lease: work to send again."""
        ...

    def depth(self) -> int:
        """Queued and running submissions."""
        ...

    def counts(self) -> dict[str, int]:
        """Submissions per state."""
        ...

    def pending_files(self) -> set[str]:
        """The private copies of submissions not yet decided (the sweeper must leave them)."""
        ...

    def scrub(self, video_id: str) -> None:
        """A purged video's submission keeps keyed digests of its prompt and cameos and only the codes of its
        outcome (what a purge removes from the video, it removes here too)."""
        ...

    def record_delivery(self, submission_id: str, attempt: int, status_code: int | None, error: str | None) -> None:
        """Log one callback attempt."""
        ...

    def deliveries(self, submission_id: str) -> list[CallbackDelivery]:
        """Every callback attempt, oldest first."""
        ...

    def add_event(self, event_id: str, submission_id: str, message: dict[str, Any]) -> None:
        """Keep an event until it is handed to the broker (the callbacks' outbox)."""
        ...

    def event_sent(self, event_id: str) -> None:
        """The broker has the event: its row goes (nothing if it went already)."""
        ...

    def unsent_events(self, *, before: datetime, limit: int = 500) -> list[dict[str, Any]]:
        """The messages of events kept since before `before` and not yet sent, oldest first."""
        ...
