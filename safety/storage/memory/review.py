"""Review in memory: queue items and their leases, reviewers and their sessions, appeals and user reports. A memory
transaction excludes every other writer, so a claim is atomic as SQLite's single writer makes it."""

from __future__ import annotations

from datetime import datetime, timedelta

from safety.errors import ConflictError, UnknownSubjectError
from safety.records import (
    AppealRecord,
    AppealState,
    NewReviewItem,
    ReportRecord,
    ReviewerRecord,
    ReviewItemRecord,
    ReviewSource,
    ReviewState,
)
from safety.storage.memory.rows import AppealRow, ReportRow, ReviewerRow, ReviewItemRow, SessionRow
from safety.storage.memory.state import MemoryContext, new_id, require


def _to_item(r: ReviewItemRow) -> ReviewItemRecord:
    return ReviewItemRecord(
        id=r.id,
        video_id=r.video_id,
        source=ReviewSource(r.source),
        reason_codes=tuple(r.reason_codes),
        severity=r.severity,
        due_at=r.due_at,
        state=ReviewState(r.state),
        claimed_by=r.claimed_by,
        lease_until=r.lease_until,
        needs_senior=r.needs_senior,
        blind_of=r.blind_of,
        decided_by=r.decided_by,
        outcome=r.outcome,
        outcome_code=r.outcome_code,
        decided_at=r.decided_at,
        policy_ref=r.policy_ref,
        created_at=r.created_at,
        escalated_by=r.escalated_by,
        escalation_note=r.escalation_note,
    )


def _to_reviewer(r: ReviewerRow, *, with_hash: bool = False) -> ReviewerRecord:
    return ReviewerRecord(
        r.name, r.role, r.active, r.password_hash if with_hash else "", grayscale=r.grayscale, blur_px=r.blur_px
    )


def _to_report(r: ReportRow) -> ReportRecord:
    return ReportRecord(r.reporter, r.reason, video_id=r.video_id, at=r.created_at)


class MemoryReviewStore:
    """`ReviewStore` in memory."""

    def __init__(self, ctx: MemoryContext) -> None:
        self._ctx = ctx

    # queue items

    def open_item(self, item: NewReviewItem) -> str:
        state, now = self._ctx.state, self._ctx.now()
        require(state.videos, item.video_id, "video")
        item_id = new_id("rev")
        state.review_items[item_id] = ReviewItemRow(
            item_id, item.video_id, item.source.value, list(item.reason_codes), item.severity, item.policy_ref,
            now + timedelta(hours=item.sla_hours), ReviewState.OPEN.value, now, item.needs_senior, item.blind_of,
        )  # fmt: skip
        if item.blind_of is None:
            self._ctx.audit(
                item.source.value, "review.opened", item.video_id, {"item": item_id, "codes": list(item.reason_codes)}
            )
        else:
            self._ctx.audit("system", "review.quality_sampled", item.video_id, {"item": item_id, "of": item.blind_of})
        return item_id

    def open_items(self) -> list[ReviewItemRecord]:
        rows = [i for i in self._ctx.state.review_items.values() if i.state != ReviewState.DECIDED.value]
        return [_to_item(i) for i in sorted(rows, key=lambda i: (-i.severity, i.due_at))]

    def items(self, *, decided: bool | None = None, limit: int = 5000) -> list[ReviewItemRecord]:
        rows = [
            i
            for i in self._ctx.state.review_items.values()
            if decided is None or (i.state == ReviewState.DECIDED.value) == decided
        ]
        return [_to_item(i) for i in sorted(rows, key=lambda i: i.created_at, reverse=True)[:limit]]

    def item(self, item_id: str, *, lock: bool = False) -> ReviewItemRecord:
        return _to_item(self._row(item_id))

    def _row(self, item_id: str) -> ReviewItemRow:
        row = self._ctx.state.review_items.get(item_id)
        if row is None:
            raise UnknownSubjectError(f"unknown review item `{item_id}`")
        return row

    def claim(self, item_id: str, reviewer: str, lease: timedelta, *, senior: bool) -> bool:
        now = self._ctx.now()
        # As on SQLite, the single writer: no other transaction runs until this one ends.
        row = self._row(item_id)
        # A lapsed lease is free again: a reviewer who walked away does not block the queue.
        free = row.state == ReviewState.OPEN or (row.state == ReviewState.CLAIMED and (row.lease_until or now) <= now)
        mine = row.state == ReviewState.CLAIMED and row.claimed_by == reviewer
        if not (free or mine) or (row.needs_senior and not senior) or row.state == ReviewState.DECIDED:
            return False
        row.state = ReviewState.CLAIMED.value
        row.claimed_by = reviewer
        row.lease_until = until = now + lease
        self._ctx.audit(reviewer, "review.claimed", row.video_id, {"item": item_id, "until": until.isoformat()})
        return True

    def release(self, item_id: str, reviewer: str, *, escalate: bool = False, note: str = "") -> None:
        row = self._row(item_id)
        if row.state != ReviewState.CLAIMED or row.claimed_by != reviewer:
            raise ConflictError(f"`{reviewer}` does not hold review item {item_id}")
        row.state = ReviewState.OPEN.value
        row.claimed_by = None
        row.lease_until = None
        if escalate:
            row.needs_senior = True
            row.note = note
            row.escalated_by, row.escalation_note = reviewer, note
        action = "review.escalated" if escalate else "review.released"
        self._ctx.audit(reviewer, action, row.video_id, {"item": item_id, "note": note[:500]})

    def decide(self, item_id: str, reviewer: str, outcome: str, code: str, note: str) -> ReviewItemRecord:
        row = self._row(item_id)
        now = self._ctx.now()
        if (
            row.state != ReviewState.CLAIMED
            or row.claimed_by != reviewer
            or (row.lease_until and row.lease_until < now)
        ):
            raise ConflictError(f"`{reviewer}` does not hold a live lease on review item {item_id}")
        row.state = ReviewState.DECIDED.value
        row.decided_by = reviewer
        row.outcome = outcome
        row.outcome_code = code
        row.note = note
        row.decided_at = now
        self._ctx.audit(
            reviewer, f"review.{outcome}", row.video_id, {"item": item_id, "code": code, "note": note[:500]}
        )
        return _to_item(row)

    def close_items_of(self, video_id: str) -> int:
        rows = self._ctx.state.review_items.values()
        undecided = [i for i in rows if i.video_id == video_id and i.state != ReviewState.DECIDED.value]
        for item in undecided:
            item.state = ReviewState.DECIDED.value
        return len(undecided)

    # reviewers and sessions

    def add_reviewer(self, name: str, role: str, password_hash: str) -> None:
        reviewers = self._ctx.state.reviewers
        if name in reviewers:
            raise ConflictError(f"reviewer `{name}` already exists")
        reviewers[name] = ReviewerRow(name, role, password_hash, self._ctx.now())
        self._ctx.audit("admin", "reviewer.added", name, {"role": role})

    def reviewer(self, name: str) -> ReviewerRecord | None:
        row = self._ctx.state.reviewers.get(name)
        return _to_reviewer(row, with_hash=True) if row else None

    def reviewers(self) -> list[ReviewerRecord]:
        return [_to_reviewer(r) for _, r in sorted(self._ctx.state.reviewers.items())]

    def set_preferences(self, name: str, *, grayscale: bool, blur_px: int) -> None:
        row = self._ctx.state.reviewers.get(name)
        if row is None:
            raise UnknownSubjectError(f"no reviewer `{name}`")
        row.grayscale, row.blur_px = grayscale, blur_px

    def start_session(self, token_hash: str, reviewer: str, expires_at: datetime) -> None:
        state = self._ctx.state
        if token_hash in state.sessions:
            raise ConflictError("conflicting write: that session token is taken")
        require(state.reviewers, reviewer, "reviewer")
        state.sessions[token_hash] = SessionRow(token_hash, reviewer, expires_at)
        self._ctx.audit(reviewer, "reviewer.logged_in", reviewer, {})

    def session_reviewer(self, token_hash: str) -> str | None:
        row = self._ctx.state.sessions.get(token_hash)
        if row is None or row.expires_at < self._ctx.now():
            return None
        return row.reviewer

    def end_session(self, token_hash: str) -> None:
        self._ctx.state.sessions.pop(token_hash, None)

    # appeals and reports

    def add_appeal(self, video_id: str, appellant: str, text: str, review_item_id: str) -> str:
        state = self._ctx.state
        require(state.videos, video_id, "video")
        require(state.users, appellant, "user")
        appeal_id = new_id("apl")
        state.appeals[appeal_id] = AppealRow(
            appeal_id, video_id, appellant, text, review_item_id, AppealState.OPEN.value, self._ctx.now()
        )
        self._ctx.audit(appellant, "appeal.filed", video_id, {"appeal": appeal_id})
        return appeal_id

    def _appeal(self, item_id: str) -> AppealRow | None:
        return next((a for a in self._ctx.state.appeals.values() if a.review_item_id == item_id), None)

    def appeal_for_item(self, item_id: str) -> AppealRecord | None:
        row = self._appeal(item_id)
        return AppealRecord(row.id, row.appellant, row.text) if row else None

    def close_appeal(self, item_id: str, state: AppealState) -> None:
        row = self._appeal(item_id)
        if row is not None:
            row.state = state.value

    def add_report(self, video_id: str, reporter: str, reason: str, review_item_id: str) -> str:
        state = self._ctx.state
        require(state.videos, video_id, "video")
        require(state.users, reporter, "user")
        require(state.review_items, review_item_id, "review item")
        report_id = new_id("rep")
        state.reports[report_id] = ReportRow(report_id, video_id, reporter, reason, review_item_id, self._ctx.now())
        self._ctx.audit(reporter, "report.filed", video_id, {"report": report_id, "reason": reason})
        return report_id

    def reports_for(self, video_id: str) -> list[ReportRecord]:
        rows = [r for r in self._ctx.state.reports.values() if r.video_id == video_id]
        return [_to_report(r) for r in sorted(rows, key=lambda r: r.created_at)]

    def reports_by(self, reporter: str, limit: int = 200) -> list[ReportRecord]:
        rows = [r for r in self._ctx.state.reports.values() if r.reporter == reporter]
        return [_to_report(r) for r in sorted(rows, key=lambda r: r.created_at, reverse=True)[:limit]]

    def reports_against(self, creator: str, limit: int = 200) -> list[ReportRecord]:
        state = self._ctx.state
        rows = [r for r in state.reports.values() if state.videos[r.video_id].creator == creator]
        return [_to_report(r) for r in sorted(rows, key=lambda r: r.created_at, reverse=True)[:limit]]
