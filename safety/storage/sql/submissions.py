"""Asynchronous submissions and callback deliveries in SQL. Every change of hands is one conditional UPDATE, so it
is atomic on SQLite and PostgreSQL alike without row locks: of two workers claiming a submission, the database
lets exactly one through."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import col, func, select

from safety.audit import is_personal_digest, personal_digest
from safety.domain import VideoStatus
from safety.errors import UnknownSubjectError
from safety.records import CallbackDelivery, NewSubmission, SubmissionRecord, SubmissionState
from safety.storage.sql.base import SqlContext, new_id
from safety.storage.sql.tables import CallbackDeliveryRow, SubmissionRow, VideoRow, WebhookEventRow


def _record(row: SubmissionRow) -> SubmissionRecord:
    return SubmissionRecord(
        id=row.id,
        client=row.client,
        video_id=row.video_id,
        state=SubmissionState(row.state),
        creator=row.creator,
        prompt=row.prompt,
        cameos=tuple(row.cameos),
        remix_of=row.remix_of,
        video_path=Path(row.video_path),
        input_image_path=Path(row.input_image_path) if row.input_image_path else None,
        callback_url=row.callback_url,
        attempts=row.attempts,
        worker=row.worker,
        claimed_at=row.claimed_at,
        result=row.result,
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


# What a purged video's submission keeps of its outcome.
_OUTCOME_KEYS = ("video_id", "status", "decision", "decision_id")


class SqlSubmissionStore:
    """`SubmissionStore` in SQL."""

    def __init__(self, ctx: SqlContext) -> None:
        self._ctx = ctx
        self._s = ctx.session

    def create(self, submission: NewSubmission) -> SubmissionRecord:
        now = self._ctx.now()
        row = SubmissionRow(
            id=new_id("sub"),
            client=submission.client,
            video_id=submission.video_id,
            state=SubmissionState.QUEUED.value,
            creator=submission.creator,
            prompt=submission.prompt,
            cameos=list(submission.cameos),
            remix_of=submission.remix_of,
            video_path=str(submission.video_path),
            input_image_path=str(submission.input_image_path) if submission.input_image_path else None,
            callback_url=submission.callback_url,
            created_at=now,
            updated_at=now,
        )
        self._s.add(row)
        self._s.flush()
        self._ctx.audit(
            submission.client,
            "submission.accepted",
            submission.video_id,
            {"submission": row.id, "creator": submission.creator},
        )
        return _record(row)

    def get(self, submission_id: str) -> SubmissionRecord:
        row = self._s.get(SubmissionRow, submission_id)
        if row is None:
            raise UnknownSubjectError(f"no such submission: {submission_id}")
        self._s.refresh(row)
        return _record(row)

    def _change(self, submission_id: str, where: Any, **values: Any) -> bool:
        statement = (
            update(SubmissionRow)
            .where(col(SubmissionRow.id) == submission_id, where)
            .values(updated_at=self._ctx.now(), **values)
        )
        done = self._s.exec(statement).rowcount == 1
        self._s.flush()
        return bool(done)

    def claim(self, submission_id: str, worker: str, lease: timedelta) -> bool:
        now = self._ctx.now()
        taken = self._change(
            submission_id,
            or_(
                col(SubmissionRow.state) == SubmissionState.QUEUED.value,
                (col(SubmissionRow.state) == SubmissionState.RUNNING.value)
                & (col(SubmissionRow.claimed_at) < now - lease),
            ),
            state=SubmissionState.RUNNING.value,
            worker=worker,
            claimed_at=now,
            attempts=SubmissionRow.attempts + 1,
        )
        if taken:
            self._ctx.audit(worker, "submission.claimed", submission_id, {})
        return taken

    def _held_by(self, worker: str) -> Any:
        return (col(SubmissionRow.state) == SubmissionState.RUNNING.value) & (col(SubmissionRow.worker) == worker)

    def heartbeat(self, submission_id: str, worker: str) -> bool:
        return self._change(submission_id, self._held_by(worker), claimed_at=self._ctx.now())

    def _as_kept(self, submission_id: str, result: dict[str, Any]) -> dict[str, Any]:
        # An outcome recorded after a purge landed (the purge came while the video was being checked) is kept as
        # the purge left the rest: codes only.
        row = self._s.get(SubmissionRow, submission_id)
        video = self._s.get(VideoRow, row.video_id) if row is not None else None
        if video is not None and video.status == VideoStatus.PURGED.value:
            return {k: result[k] for k in _OUTCOME_KEYS if k in result}
        return result

    def finish(self, submission_id: str, worker: str, result: dict[str, Any]) -> bool:
        result = self._as_kept(submission_id, result)
        done = self._change(submission_id, self._held_by(worker), state=SubmissionState.DONE.value, result=result)
        if done:
            self._ctx.audit(worker, "submission.done", submission_id, {"decision": result.get("decision")})
        return done

    def for_video(self, video_id: str) -> str | None:
        return self._s.exec(select(SubmissionRow.id).where(SubmissionRow.video_id == video_id)).first()

    def update_result(self, submission_id: str, result: dict[str, Any]) -> bool:
        result = self._as_kept(submission_id, result)
        done = self._change(submission_id, col(SubmissionRow.state) == SubmissionState.DONE.value, result=result)
        if done:
            self._ctx.audit("gate", "submission.updated", submission_id, {"status": result.get("status")})
        return done

    def fail(self, submission_id: str, worker: str, error: str) -> bool:
        done = self._change(submission_id, self._held_by(worker), state=SubmissionState.FAILED.value, error=error)
        if done:
            self._ctx.audit(worker, "submission.failed", submission_id, {"error": error[:200]})
        return done

    def unfinished(self, *, queued_before: datetime, lease: timedelta, limit: int = 500) -> list[str]:
        now = self._ctx.now()
        # Two kinds of stranded work: queued too long (its message was lost or never sent) and running past its lease
        # (its worker died). Oldest first and bounded, so one sweep cannot be swamped by a backlog.
        rows = self._s.exec(
            select(SubmissionRow.id)
            .where(
                or_(
                    (col(SubmissionRow.state) == SubmissionState.QUEUED.value)
                    & (col(SubmissionRow.created_at) < queued_before),
                    (col(SubmissionRow.state) == SubmissionState.RUNNING.value)
                    & (col(SubmissionRow.claimed_at) < now - lease),
                )
            )
            .order_by(col(SubmissionRow.created_at))
            .limit(limit)
        ).all()
        return [str(r) for r in rows]

    def depth(self) -> int:
        states = (SubmissionState.QUEUED.value, SubmissionState.RUNNING.value)
        count = self._s.exec(select(func.count()).where(col(SubmissionRow.state).in_(states))).one()
        return int(count)

    def counts(self) -> dict[str, int]:
        rows = self._s.exec(select(SubmissionRow.state, func.count()).group_by(SubmissionRow.state)).all()
        return {str(state): int(count) for state, count in rows}

    def pending_files(self) -> set[str]:
        states = (SubmissionState.QUEUED.value, SubmissionState.RUNNING.value)
        rows = self._s.exec(
            select(SubmissionRow.video_path, SubmissionRow.input_image_path).where(col(SubmissionRow.state).in_(states))
        ).all()
        return {str(p) for row in rows for p in row if p}

    def scrub(self, video_id: str) -> None:
        row = self._s.exec(select(SubmissionRow).where(SubmissionRow.video_id == video_id)).first()
        if row is None:
            return
        key = self._ctx.audit_key
        row.prompt = row.prompt if is_personal_digest(row.prompt) else personal_digest(row.prompt, key)
        row.cameos = [h if is_personal_digest(h) else personal_digest(h, key) for h in row.cameos]
        if row.result is not None:
            # The decision's reasons and messages name people; the client was told the outcome when it was made.
            row.result = {k: row.result[k] for k in _OUTCOME_KEYS if k in row.result}
        self._s.add(row)
        # Events still waiting for the broker carry the decision's reasons too; the purge's own event comes after.
        for event in self._s.exec(select(WebhookEventRow).where(WebhookEventRow.submission_id == row.id)).all():
            self._s.delete(event)

    def record_delivery(self, submission_id: str, attempt: int, status_code: int | None, error: str | None) -> None:
        self._s.add(
            CallbackDeliveryRow(
                submission_id=submission_id,
                attempt=attempt,
                status_code=status_code,
                error=error[:500] if error else None,
                at=self._ctx.now(),
            )
        )
        self._s.flush()

    def add_event(self, event_id: str, submission_id: str, message: dict[str, Any]) -> None:
        row = WebhookEventRow(id=event_id, submission_id=submission_id, message=message, created_at=self._ctx.now())
        self._s.add(row)
        self._s.flush()

    def event_sent(self, event_id: str) -> None:
        row = self._s.get(WebhookEventRow, event_id)
        if row is not None:
            self._s.delete(row)

    def unsent_events(self, *, before: datetime, limit: int = 500) -> list[dict[str, Any]]:
        rows = self._s.exec(
            select(WebhookEventRow)
            .where(WebhookEventRow.created_at < before)
            .order_by(col(WebhookEventRow.created_at), col(WebhookEventRow.id))
            .limit(limit)
        ).all()
        return [dict(r.message) for r in rows]

    def deliveries(self, submission_id: str) -> list[CallbackDelivery]:
        rows = self._s.exec(
            select(CallbackDeliveryRow)
            .where(CallbackDeliveryRow.submission_id == submission_id)
            .order_by(col(CallbackDeliveryRow.id))
        ).all()
        return [CallbackDelivery(r.submission_id, r.attempt, r.status_code, r.error, r.at) for r in rows]
