"""Purge jobs (what a purge removed and which files are still to go) and tombstones of purged videos."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, func, select

from safety.errors import UnknownSubjectError
from safety.records import PurgeJobRecord, PurgeJobState
from safety.storage.sql.base import SqlContext, new_id
from safety.storage.sql.tables import PurgeJobRow, TombstoneRow


def _to_job(row: PurgeJobRow) -> PurgeJobRecord:
    return PurgeJobRecord(
        row.id,
        row.owner,
        row.creator,
        row.reason,
        tuple(row.video_ids),
        tuple(row.files),
        row.created_at,
        finished=row.state == PurgeJobState.DONE,
    )


class SqlPurgeStore:
    """`PurgeStore` on SQL."""

    def __init__(self, ctx: SqlContext) -> None:
        self._ctx = ctx
        self._s = ctx.session

    def counts(self) -> dict[str, int]:
        rows = self._s.exec(select(PurgeJobRow.state, func.count()).group_by(PurgeJobRow.state)).all()
        found = {str(state): int(count) for state, count in rows}
        found["videos"] = int(self._s.exec(select(func.count()).select_from(TombstoneRow)).one())
        return found

    def tombstone(self, video_id: str, reason: str) -> None:
        if self._s.get(TombstoneRow, video_id) is None:
            self._s.add(TombstoneRow(video_id=video_id, purged_at=self._ctx.now(), reason=reason))

    def is_tombstoned(self, video_id: str) -> bool:
        return self._s.get(TombstoneRow, video_id) is not None

    def record_job(
        self,
        *,
        owner: str,
        creator: str | None,
        reason: str,
        video_ids: Sequence[str],
        files: Sequence[str],
        actor: str,
    ) -> PurgeJobRecord:
        job = PurgeJobRecord(new_id("purge"), owner, creator, reason, tuple(video_ids), tuple(files), self._ctx.now())
        self._s.add(
            PurgeJobRow(
                id=job.id,
                owner=owner,
                creator=creator,
                reason=reason,
                state=PurgeJobState.FILES_PENDING.value,
                video_ids=list(video_ids),
                files=list(files),
                created_at=job.created_at,
            )
        )
        self._ctx.audit(
            actor, "purge.recorded", job.id, {"videos": list(video_ids), "owner": owner, "creator": creator}
        )
        return job

    def pending_jobs(self) -> list[PurgeJobRecord]:
        rows = self._s.exec(
            select(PurgeJobRow)
            .where(PurgeJobRow.state == PurgeJobState.FILES_PENDING.value)
            .order_by(col(PurgeJobRow.created_at))
        ).all()
        return [_to_job(r) for r in rows]

    def finish_job(self, job_id: str) -> None:
        row = self._s.get(PurgeJobRow, job_id)
        if row is not None and row.state != PurgeJobState.DONE:
            row.state = PurgeJobState.DONE.value
            row.finished_at = self._ctx.now()
            self._s.add(row)
            self._ctx.audit("system", "purge.files_removed", job_id, {"files": len(row.files)})

    def jobs_of(self, owner: str) -> list[PurgeJobRecord]:
        rows = self._s.exec(
            select(PurgeJobRow).where(PurgeJobRow.owner == owner).order_by(col(PurgeJobRow.created_at))
        ).all()
        return [_to_job(r) for r in rows if r.video_ids]

    def job(self, job_id: str) -> PurgeJobRecord:
        row = self._s.get(PurgeJobRow, job_id)
        if row is None:
            raise UnknownSubjectError(f"unknown purge job `{job_id}`")
        return _to_job(row)
