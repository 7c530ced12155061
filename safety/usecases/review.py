"""The review service: what the console offers people who decide held videos, reports and appeals.

Four services do the work, one per job: `ReviewerSessions` (accounts, login and lockout, sessions, wellness
preferences), `CaseFiles` (a case with its evidence, faces, frame strip, thumbnails and speech clips),
`ReviewDecisions` (the queue, leases, decisions one by one or in bulk, appeals) and `ReviewReports` (the decisions
export, investigations, the dashboard). `CameoGuard.review_service()` builds the four; `ReviewService` holds them
and passes each call to the one that does it, so the console, the CLI and the HTTP edge hold one object.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from safety.records import ReviewerRecord, ReviewItemRecord
from safety.usecases.review_cases import CaseFiles
from safety.usecases.review_decisions import ReviewDecisions
from safety.usecases.review_reports import ReviewReports
from safety.usecases.review_sessions import ReviewerSessions
from safety.usecases.review_values import (
    AppealCase,
    CaseFile,
    FaceEvidence,
    Lease,
    QueueEntry,
    ReviewDashboard,
    Reviewer,
    ReviewerPreferences,
    ReviewOutcome,
    StripFrame,
    UserHistory,
)

__all__ = ["CaseFiles", "ReviewDecisions", "ReviewReports", "ReviewService", "ReviewerSessions"]


class ReviewService:
    """The four review services behind one object; every method is the named service's own."""

    def __init__(
        self, sessions: ReviewerSessions, cases: CaseFiles, decisions: ReviewDecisions, reports: ReviewReports
    ) -> None:
        self.sessions = sessions
        self.cases = cases
        self.decisions = decisions
        self.reports = reports

    @property
    def session(self) -> timedelta:
        """How long a login lasts."""
        return self.sessions.session

    @property
    def lease(self) -> timedelta:
        """How long a claim lasts."""
        return self.decisions.lease

    # sessions: ReviewerSessions

    def add_reviewer(self, name: str, role: str, password: str) -> None:
        self.sessions.add_reviewer(name, role, password)

    def login(self, name: str, password: str, *, client: str = "unknown") -> str:
        return self.sessions.login(name, password, client=client)

    def whoami(self, token: str | None) -> Reviewer:
        return self.sessions.whoami(token)

    def logout(self, token: str) -> None:
        self.sessions.logout(token)

    def reviewers(self, by: Reviewer) -> list[ReviewerRecord]:
        return self.sessions.reviewers(by)

    def preferences(self, by: Reviewer) -> ReviewerPreferences:
        return self.sessions.preferences(by)

    def set_preferences(self, by: Reviewer, preferences: ReviewerPreferences) -> ReviewerPreferences:
        return self.sessions.set_preferences(by, preferences)

    # case files: CaseFiles

    def case(self, by: Reviewer, item_id: str) -> CaseFile:
        return self.cases.case(by, item_id)

    def frame_strip(self, case: CaseFile, limit: int = 6) -> list[StripFrame]:
        return self.cases.frame_strip(case, limit)

    def face_evidence(self, case: CaseFile) -> list[FaceEvidence]:
        return self.cases.face_evidence(case)

    def thumbnail(self, path: Path | None, width: int = 160) -> Any:
        return self.cases.thumbnail(path, width)

    def audio_clip(self, case: CaseFile, t_start: float, t_end: float, *, margin_s: float = 0.3) -> bytes:
        return self.cases.audio_clip(case, t_start, t_end, margin_s=margin_s)

    # the queue, leases, decisions and appeals: ReviewDecisions

    def queue(self, by: Reviewer, *, reason: str | None = None, policy: str | None = None) -> list[ReviewItemRecord]:
        return self.decisions.queue(by, reason=reason, policy=policy)

    def queue_entries(
        self,
        by: Reviewer,
        *,
        reason: str | None = None,
        policy: str | None = None,
        source: str | None = None,
        sla: str | None = None,
    ) -> list[QueueEntry]:
        return self.decisions.queue_entries(by, reason=reason, policy=policy, source=source, sla=sla)

    def appeal_cases(self, by: Reviewer) -> list[AppealCase]:
        return self.decisions.appeal_cases(by)

    def claim(self, by: Reviewer, item_id: str) -> bool:
        return self.decisions.claim(by, item_id)

    def claim_next(self, by: Reviewer) -> ReviewItemRecord | None:
        return self.decisions.claim_next(by)

    def renew(self, by: Reviewer, item_id: str) -> bool:
        return self.decisions.renew(by, item_id)

    def lease_of(self, by: Reviewer, item_id: str, *, keep: bool = False) -> Lease:
        return self.decisions.lease_state(by, item_id, keep=keep)

    def claim_refusal(self, by: Reviewer, item_id: str) -> str:
        return self.decisions.claim_refusal(by, item_id)

    def release(self, by: Reviewer, item_id: str) -> None:
        self.decisions.release(by, item_id)

    def escalate(self, by: Reviewer, item_id: str, note: str) -> None:
        self.decisions.escalate(by, item_id, note)

    def reason_codes(self, item: ReviewItemRecord, outcome: str) -> list[str]:
        return self.decisions.reason_codes(item, outcome)

    def decide(self, by: Reviewer, item_id: str, outcome: str, code: str, note: str = "") -> ReviewOutcome:
        return self.decisions.decide(by, item_id, outcome, code, note)

    def decide_many(
        self, by: Reviewer, item_ids: list[str], outcome: str, code: str, note: str = ""
    ) -> list[tuple[str, ReviewOutcome | str]]:
        return self.decisions.decide_many(by, item_ids, outcome, code, note)

    def appeal(self, video_id: str, by: str, text: str) -> str:
        return self.decisions.appeal(video_id, by, text)

    # exports, investigation, dashboard: ReviewReports

    def decisions_csv(self, by: Reviewer, *, since: datetime | None = None, until: datetime | None = None) -> str:
        return self.reports.decisions_csv(by, since=since, until=until)

    def user_history(self, by: Reviewer, handle: str) -> UserHistory:
        return self.reports.user_history(by, handle)

    def dashboard(self, by: Reviewer) -> ReviewDashboard:
        return self.reports.dashboard(by)
