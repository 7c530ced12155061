"""Review: queue items and their leases, reviewers and their sessions, appeals and user reports."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select

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
from safety.storage.sql.base import SqlContext, new_id
from safety.storage.sql.tables import AppealRow, ReportRow, ReviewerRow, ReviewItemRow, ReviewSessionRow, VideoRow


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


class SqlReviewStore:
    """`ReviewStore` on SQL."""

    def __init__(self, ctx: SqlContext) -> None:
        self._ctx = ctx
        self._s = ctx.session

    # queue items

    def open_item(self, item: NewReviewItem) -> str:
        now = self._ctx.now()
        item_id = new_id("rev")
        self._s.add(
            ReviewItemRow(
                id=item_id,
                video_id=item.video_id,
                source=item.source.value,
                reason_codes=list(item.reason_codes),
                severity=item.severity,
                policy_ref=item.policy_ref,
                due_at=now + timedelta(hours=item.sla_hours),
                state=ReviewState.OPEN.value,
                needs_senior=item.needs_senior,
                blind_of=item.blind_of,
                created_at=now,
            )
        )
        if item.blind_of is None:
            self._ctx.audit(
                item.source.value, "review.opened", item.video_id, {"item": item_id, "codes": list(item.reason_codes)}
            )
        else:
            self._ctx.audit("system", "review.quality_sampled", item.video_id, {"item": item_id, "of": item.blind_of})
        return item_id

    def open_items(self) -> list[ReviewItemRecord]:
        stmt = (
            select(ReviewItemRow)
            .where(ReviewItemRow.state != ReviewState.DECIDED.value)
            .order_by(col(ReviewItemRow.severity).desc(), col(ReviewItemRow.due_at))
        )
        return [_to_item(r) for r in self._s.exec(stmt).all()]

    # The cap keeps a console listing bounded on a deployment with years of items; the queue itself is read by
    # `next_open`, not through this.
    def items(self, *, decided: bool | None = None, limit: int = 5000) -> list[ReviewItemRecord]:
        stmt = select(ReviewItemRow).order_by(col(ReviewItemRow.created_at).desc()).limit(limit)
        if decided is True:
            stmt = stmt.where(ReviewItemRow.state == ReviewState.DECIDED.value)
        elif decided is False:
            stmt = stmt.where(ReviewItemRow.state != ReviewState.DECIDED.value)
        return [_to_item(r) for r in self._s.exec(stmt).all()]

    def item(self, item_id: str, *, lock: bool = False) -> ReviewItemRecord:
        return _to_item(self._row(item_id, lock=lock))

    def _row(self, item_id: str, *, lock: bool = False) -> ReviewItemRow:
        stmt = select(ReviewItemRow).where(ReviewItemRow.id == item_id)
        row = self._s.exec(self._ctx.dialect.for_update(stmt) if lock else stmt).first()
        if row is None:
            raise UnknownSubjectError(f"unknown review item `{item_id}`")
        return row

    def claim(self, item_id: str, reviewer: str, lease: timedelta, *, senior: bool) -> bool:
        now = self._ctx.now()
        if self._ctx.dialect.row_locks:
            # SKIP LOCKED: a second reviewer racing for the same item gets "taken" at once instead of waiting for
            # the first one's transaction and then overwriting the lease.
            stmt = self._ctx.dialect.for_update_skip_locked(select(ReviewItemRow).where(ReviewItemRow.id == item_id))
            row = self._s.exec(stmt).first()
            if row is None:
                return False
        else:
            # SQLite: the transaction began IMMEDIATE, so no other writer runs until this one commits.
            row = self._row(item_id)
        # A lapsed lease is free again: a reviewer who walked away does not block the queue.
        free = row.state == ReviewState.OPEN or (row.state == ReviewState.CLAIMED and (row.lease_until or now) <= now)
        mine = row.state == ReviewState.CLAIMED and row.claimed_by == reviewer
        if not (free or mine) or (row.needs_senior and not senior) or row.state == ReviewState.DECIDED:
            return False
        row.state = ReviewState.CLAIMED.value
        row.claimed_by = reviewer
        row.lease_until = now + lease
        self._s.add(row)
        self._s.flush()
        self._ctx.audit(
            reviewer, "review.claimed", row.video_id, {"item": item_id, "until": row.lease_until.isoformat()}
        )
        return True

    def release(self, item_id: str, reviewer: str, *, escalate: bool = False, note: str = "") -> None:
        row = self._row(item_id, lock=True)
        if row.state != ReviewState.CLAIMED or row.claimed_by != reviewer:
            raise ConflictError(f"`{reviewer}` does not hold review item {item_id}")
        row.state = ReviewState.OPEN.value
        row.claimed_by = None
        row.lease_until = None
        if escalate:
            row.needs_senior = True
            row.note = note
            row.escalated_by, row.escalation_note = reviewer, note
        self._s.add(row)
        action = "review.escalated" if escalate else "review.released"
        # Notes are cut in the audit entry only (the item keeps them whole): the chain is kept forever and copied to
        # every checkpointed export, so free text in it is bounded.
        self._ctx.audit(reviewer, action, row.video_id, {"item": item_id, "note": note[:500]})

    def decide(self, item_id: str, reviewer: str, outcome: str, code: str, note: str) -> ReviewItemRecord:
        row = self._row(item_id, lock=True)
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
        self._s.add(row)
        self._ctx.audit(
            reviewer, f"review.{outcome}", row.video_id, {"item": item_id, "code": code, "note": note[:500]}
        )
        return _to_item(row)

    def close_items_of(self, video_id: str) -> int:
        rows = self._s.exec(
            select(ReviewItemRow).where(
                ReviewItemRow.video_id == video_id, ReviewItemRow.state != ReviewState.DECIDED.value
            )
        ).all()
        for item in rows:
            item.state = ReviewState.DECIDED.value
            self._s.add(item)
        return len(rows)

    # reviewers and sessions

    def add_reviewer(self, name: str, role: str, password_hash: str) -> None:
        if self._s.get(ReviewerRow, name) is not None:
            raise ConflictError(f"reviewer `{name}` already exists")
        self._s.add(ReviewerRow(name=name, role=role, password_hash=password_hash, created_at=self._ctx.now()))
        self._ctx.audit("admin", "reviewer.added", name, {"role": role})

    def reviewer(self, name: str) -> ReviewerRecord | None:
        row = self._s.get(ReviewerRow, name)
        return _to_reviewer(row, with_hash=True) if row else None

    def reviewers(self) -> list[ReviewerRecord]:
        rows = self._s.exec(select(ReviewerRow).order_by(col(ReviewerRow.name))).all()
        return [_to_reviewer(r) for r in rows]

    def set_preferences(self, name: str, *, grayscale: bool, blur_px: int) -> None:
        row = self._s.get(ReviewerRow, name)
        if row is None:
            raise UnknownSubjectError(f"no reviewer `{name}`")
        row.grayscale, row.blur_px = grayscale, blur_px
        self._s.add(row)

    def start_session(self, token_hash: str, reviewer: str, expires_at: datetime) -> None:
        self._s.add(ReviewSessionRow(token_hash=token_hash, reviewer=reviewer, expires_at=expires_at))
        self._ctx.audit(reviewer, "reviewer.logged_in", reviewer, {})

    def session_reviewer(self, token_hash: str) -> str | None:
        row = self._s.get(ReviewSessionRow, token_hash)
        if row is None or row.expires_at < self._ctx.now():
            return None
        return row.reviewer

    def end_session(self, token_hash: str) -> None:
        row = self._s.get(ReviewSessionRow, token_hash)
        if row is not None:
            self._s.delete(row)

    # appeals and reports

    def add_appeal(self, video_id: str, appellant: str, text: str, review_item_id: str) -> str:
        appeal_id = new_id("apl")
        self._s.add(
            AppealRow(
                id=appeal_id,
                video_id=video_id,
                appellant=appellant,
                text=text,
                review_item_id=review_item_id,
                state=AppealState.OPEN.value,
                created_at=self._ctx.now(),
            )
        )
        self._ctx.audit(appellant, "appeal.filed", video_id, {"appeal": appeal_id})
        return appeal_id

    def appeal_for_item(self, item_id: str) -> AppealRecord | None:
        row = self._s.exec(select(AppealRow).where(AppealRow.review_item_id == item_id)).first()
        return AppealRecord(row.id, row.appellant, row.text) if row else None

    def close_appeal(self, item_id: str, state: AppealState) -> None:
        row = self._s.exec(select(AppealRow).where(AppealRow.review_item_id == item_id)).first()
        if row is not None:
            row.state = state.value
            self._s.add(row)

    def add_report(self, video_id: str, reporter: str, reason: str, review_item_id: str) -> str:
        report_id = new_id("rep")
        self._s.add(
            ReportRow(
                id=report_id,
                video_id=video_id,
                reporter=reporter,
                reason=reason,
                review_item_id=review_item_id,
                created_at=self._ctx.now(),
            )
        )
        self._ctx.audit(reporter, "report.filed", video_id, {"report": report_id, "reason": reason})
        return report_id

    def reports_for(self, video_id: str) -> list[ReportRecord]:
        rows = self._s.exec(
            select(ReportRow).where(ReportRow.video_id == video_id).order_by(col(ReportRow.created_at))
        ).all()
        return [_to_report(r) for r in rows]

    def reports_by(self, reporter: str, limit: int = 200) -> list[ReportRecord]:
        rows = self._s.exec(
            select(ReportRow)
            .where(ReportRow.reporter == reporter)
            .order_by(col(ReportRow.created_at).desc())
            .limit(limit)
        ).all()
        return [_to_report(r) for r in rows]

    def reports_against(self, creator: str, limit: int = 200) -> list[ReportRecord]:
        rows = self._s.exec(
            select(ReportRow)
            .join(VideoRow, col(VideoRow.id) == col(ReportRow.video_id))
            .where(VideoRow.creator == creator)
            .order_by(col(ReportRow.created_at).desc())
            .limit(limit)
        ).all()
        return [_to_report(r) for r in rows]
