"""The audit log, named leases and asynchronous submissions, in memory. A submission changes hands only when its
stored state allows it (the SQL store's conditional UPDATE), so of two workers claiming one, exactly one wins."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from safety.audit import ChainHead, head_mac, is_personal_digest, personal_digest
from safety.domain import AuditEntry, VideoStatus
from safety.errors import ConfigurationError, ConflictError, UnknownSubjectError
from safety.records import CallbackDelivery, NewSubmission, SubmissionRecord, SubmissionState
from safety.storage.memory.rows import DeliveryRow, LeaseRow, SubmissionRow
from safety.storage.memory.state import MemoryContext, as_json, new_id, require

# What a purged video's submission keeps of its outcome (as on SQL).
_OUTCOME_KEYS = ("video_id", "status", "decision", "decision_id")


class MemoryAuditStore:
    """`AuditStore` in memory."""

    def __init__(self, ctx: MemoryContext) -> None:
        self._ctx = ctx

    def append(self, actor: str, action: str, subject: str, details: dict[str, Any]) -> None:
        self._ctx.audit(actor, action, subject, details)

    def head(self) -> ChainHead:
        seq, last = self._ctx.state.head
        # The head is signed as the SQL head row is at each append: here it is signed when read, from the same key.
        return ChainHead(seq, last, head_mac(seq, last, self._ctx.audit_key))

    def entries(self, batch: int = 1000) -> Iterator[AuditEntry]:
        yield from list(self._ctx.state.audit)

    def rotate_key(self, actor: str, new_key: bytes) -> int:
        # The key of an in-memory chain lives and dies with the process: there is no key file to move on.
        raise ConfigurationError("the in-memory store has no audit key file to rotate")


class MemoryLockStore:
    """`LockStore` in memory."""

    def __init__(self, ctx: MemoryContext) -> None:
        self._ctx = ctx

    def try_lease(self, name: str, holder: str, ttl: timedelta) -> bool:
        now, leases = self._ctx.now(), self._ctx.state.leases
        row = leases.get(name)
        if row is not None and row.holder != holder and row.expires_at > now:
            return False
        leases[name] = LeaseRow(name, holder, now + ttl)
        return True

    def release(self, name: str, holder: str) -> None:
        leases = self._ctx.state.leases
        if name in leases and leases[name].holder == holder:
            del leases[name]


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
        result=as_json(row.result),
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


_WAITING = (SubmissionState.QUEUED.value, SubmissionState.RUNNING.value)


class MemorySubmissionStore:
    """`SubmissionStore` in memory."""

    def __init__(self, ctx: MemoryContext) -> None:
        self._ctx = ctx

    def create(self, submission: NewSubmission) -> SubmissionRecord:
        submissions, now = self._ctx.state.submissions, self._ctx.now()
        video_id, image = submission.video_id, submission.input_image_path
        if any(s.video_id == video_id for s in submissions.values()):
            raise ConflictError(f"conflicting write: video `{video_id}` was submitted already")
        row = SubmissionRow(
            new_id("sub"), submission.client, video_id, SubmissionState.QUEUED.value, submission.creator,
            submission.prompt, list(submission.cameos), submission.remix_of, str(submission.video_path),
            str(image) if image else None, submission.callback_url, now, now,
        )  # fmt: skip
        submissions[row.id] = row
        self._ctx.audit(
            submission.client, "submission.accepted", video_id, {"submission": row.id, "creator": submission.creator}
        )
        return _record(row)

    def get(self, submission_id: str) -> SubmissionRecord:
        row = self._ctx.state.submissions.get(submission_id)
        if row is None:
            raise UnknownSubjectError(f"no such submission: {submission_id}")
        return _record(row)

    def _change(self, submission_id: str, when: Callable[[SubmissionRow], bool], **values: Any) -> bool:
        row = self._ctx.state.submissions.get(submission_id)
        if row is None or not when(row):
            return False
        row.updated_at = self._ctx.now()
        for name, value in values.items():
            setattr(row, name, value)
        return True

    def claim(self, submission_id: str, worker: str, lease: timedelta) -> bool:
        now = self._ctx.now()
        row = self._ctx.state.submissions.get(submission_id)
        taken = self._change(
            submission_id,
            lambda s: (
                s.state == SubmissionState.QUEUED.value
                or (
                    s.state == SubmissionState.RUNNING.value and s.claimed_at is not None and s.claimed_at < now - lease
                )
            ),
            state=SubmissionState.RUNNING.value,
            worker=worker,
            claimed_at=now,
            attempts=row.attempts + 1 if row else 0,
        )
        if taken:
            self._ctx.audit(worker, "submission.claimed", submission_id, {})
        return taken

    @staticmethod
    def _held_by(worker: str) -> Callable[[SubmissionRow], bool]:
        return lambda s: s.state == SubmissionState.RUNNING.value and s.worker == worker

    def heartbeat(self, submission_id: str, worker: str) -> bool:
        return self._change(submission_id, self._held_by(worker), claimed_at=self._ctx.now())

    def _as_kept(self, submission_id: str, result: dict[str, Any]) -> dict[str, Any]:
        # An outcome recorded after a purge landed is kept as the purge left the rest: codes only.
        row = self._ctx.state.submissions.get(submission_id)
        video = self._ctx.state.videos.get(row.video_id) if row is not None else None
        if video is not None and video.status == VideoStatus.PURGED.value:
            return {k: result[k] for k in _OUTCOME_KEYS if k in result}
        return result

    def scrub(self, video_id: str) -> None:
        row = next((s for s in self._ctx.state.submissions.values() if s.video_id == video_id), None)
        if row is None:
            return
        key = self._ctx.audit_key
        row.prompt = row.prompt if is_personal_digest(row.prompt) else personal_digest(row.prompt, key)
        row.cameos = [h if is_personal_digest(h) else personal_digest(h, key) for h in row.cameos]
        if row.result is not None:
            row.result = {k: row.result[k] for k in _OUTCOME_KEYS if k in row.result}
        events = self._ctx.state.events
        for event_id in [e for e, (submission_id, _at, _m) in events.items() if submission_id == row.id]:
            del events[event_id]

    def finish(self, submission_id: str, worker: str, result: dict[str, Any]) -> bool:
        result = self._as_kept(submission_id, result)
        done = self._change(
            submission_id, self._held_by(worker), state=SubmissionState.DONE.value, result=as_json(result)
        )
        if done:
            self._ctx.audit(worker, "submission.done", submission_id, {"decision": result.get("decision")})
        return done

    def for_video(self, video_id: str) -> str | None:
        return next((s.id for s in self._ctx.state.submissions.values() if s.video_id == video_id), None)

    def update_result(self, submission_id: str, result: dict[str, Any]) -> bool:
        result = self._as_kept(submission_id, result)
        done = self._change(submission_id, lambda s: s.state == SubmissionState.DONE.value, result=as_json(result))
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
        rows = [
            s
            for s in self._ctx.state.submissions.values()
            if (s.state == SubmissionState.QUEUED.value and s.created_at < queued_before)
            or (s.state == SubmissionState.RUNNING.value and s.claimed_at is not None and s.claimed_at < now - lease)
        ]
        return [s.id for s in sorted(rows, key=lambda s: s.created_at)[:limit]]

    def depth(self) -> int:
        return sum(1 for s in self._ctx.state.submissions.values() if s.state in _WAITING)

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for s in self._ctx.state.submissions.values():
            found[s.state] = found.get(s.state, 0) + 1
        return found

    def pending_files(self) -> set[str]:
        rows = [s for s in self._ctx.state.submissions.values() if s.state in _WAITING]
        return {p for s in rows for p in (s.video_path, s.input_image_path) if p}

    def record_delivery(self, submission_id: str, attempt: int, status_code: int | None, error: str | None) -> None:
        state = self._ctx.state
        require(state.submissions, submission_id, "submission")
        delivery_id = state.serial("deliveries")
        state.deliveries[delivery_id] = DeliveryRow(
            delivery_id, submission_id, attempt, status_code, error[:500] if error else None, self._ctx.now()
        )

    def add_event(self, event_id: str, submission_id: str, message: dict[str, Any]) -> None:
        state = self._ctx.state
        require(state.submissions, submission_id, "submission")
        if event_id in state.events:
            raise ConflictError(f"event {event_id} is kept already")
        state.events[event_id] = (submission_id, self._ctx.now(), as_json(message))

    def event_sent(self, event_id: str) -> None:
        self._ctx.state.events.pop(event_id, None)

    def unsent_events(self, *, before: datetime, limit: int = 500) -> list[dict[str, Any]]:
        kept = sorted((at, event_id, message) for event_id, (_s, at, message) in self._ctx.state.events.items())
        return [dict(message) for at, _id, message in kept if at < before][:limit]

    def deliveries(self, submission_id: str) -> list[CallbackDelivery]:
        rows = self._ctx.state.deliveries.values()
        return [
            CallbackDelivery(d.submission_id, d.attempt, d.status_code, d.error, d.at)
            for d in rows
            if d.submission_id == submission_id
        ]
