"""Stored track embeddings of checked videos, and the retroactive scans that search them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import col, select

from safety.domain import TrackEmbedding, VideoStatus
from safety.errors import UnknownSubjectError
from safety.records import RetroScanRecord, RetroScanState
from safety.storage.sql.base import SqlContext, new_id
from safety.storage.sql.tables import RetroScanRow, TrackEmbeddingRow, VideoRow


def _to_scan(row: RetroScanRow) -> RetroScanRecord:
    return RetroScanRecord(
        id=row.id,
        subject_kind=row.subject_kind,
        subject=row.subject,
        state=RetroScanState(row.state),
        cursor=row.cursor,
        videos_searched=row.videos_searched,
        found=tuple(row.found),
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


class SqlTrackStore:
    """`TrackStore` on SQL."""

    def __init__(self, ctx: SqlContext) -> None:
        self._ctx = ctx
        self._s = ctx.session

    # embeddings

    def add_embeddings(self, video_id: str, embeddings: Sequence[TrackEmbedding]) -> int:
        for e in embeddings:
            self._s.add(
                TrackEmbeddingRow(
                    video_id=video_id, kind=e.kind, track=e.track, t=e.t, model_id=e.model_id, vector=e.vector
                )
            )
        return len(embeddings)

    def delete_embeddings(self, video_id: str) -> int:
        result = self._s.exec(delete(TrackEmbeddingRow).where(col(TrackEmbeddingRow.video_id) == video_id))
        return int(result.rowcount or 0)

    def published_page(
        self, model_id: str, *, after_video: str, videos: int
    ) -> tuple[list[str], list[tuple[str, str, bytes]]]:
        ids = list(
            self._s.exec(
                select(TrackEmbeddingRow.video_id)
                .join(VideoRow, col(VideoRow.id) == col(TrackEmbeddingRow.video_id))
                .where(
                    TrackEmbeddingRow.model_id == model_id,
                    col(TrackEmbeddingRow.video_id) > after_video,
                    VideoRow.status == VideoStatus.PUBLISHED.value,
                )
                .distinct()
                .order_by(col(TrackEmbeddingRow.video_id))
                .limit(videos)
            ).all()
        )
        if not ids:
            return [], []
        rows = self._s.exec(
            select(TrackEmbeddingRow.video_id, TrackEmbeddingRow.kind, TrackEmbeddingRow.vector)
            .where(TrackEmbeddingRow.model_id == model_id, col(TrackEmbeddingRow.video_id).in_(ids))
            .order_by(col(TrackEmbeddingRow.video_id), col(TrackEmbeddingRow.id))
        ).all()
        return ids, [(v, str(kind), bytes(vector)) for v, kind, vector in rows]

    def count(self) -> int:
        return int(self._s.exec(select(func.count()).select_from(TrackEmbeddingRow)).one())

    # scans

    def start_scan(self, subject_kind: str, subject: str) -> str:
        scan_id = new_id("scan")
        now = self._ctx.now()
        self._s.add(
            RetroScanRow(
                id=scan_id,
                subject_kind=subject_kind,
                subject=subject,
                state=RetroScanState.RUNNING.value,
                created_at=now,
                updated_at=now,
            )
        )
        self._ctx.audit("system", "scan.started", scan_id, {"subject_kind": subject_kind, "subject": subject})
        return scan_id

    def scan(self, scan_id: str, *, lock: bool = False) -> RetroScanRecord:
        stmt = select(RetroScanRow).where(RetroScanRow.id == scan_id)
        row = self._s.exec(self._ctx.dialect.for_update(stmt) if lock else stmt).first()
        if row is None:
            raise UnknownSubjectError(f"no scan `{scan_id}`")
        return _to_scan(row)

    def advance_scan(self, scan_id: str, cursor: str, searched: int, found: Sequence[dict[str, Any]]) -> None:
        row = self._s.get(RetroScanRow, scan_id)
        if row is None:
            raise UnknownSubjectError(f"no scan `{scan_id}`")
        row.cursor = cursor
        row.videos_searched += searched
        row.found = [*row.found, *found]
        row.updated_at = self._ctx.now()
        self._s.add(row)

    def finish_scan(self, scan_id: str) -> None:
        row = self._s.get(RetroScanRow, scan_id)
        if row is None:
            raise UnknownSubjectError(f"no scan `{scan_id}`")
        row.state = RetroScanState.DONE.value
        row.finished_at = row.updated_at = self._ctx.now()
        self._s.add(row)
        self._ctx.audit(
            "system", "scan.finished", scan_id, {"videos_searched": row.videos_searched, "found": len(row.found)}
        )

    def scans(
        self, *, state: RetroScanState | None = None, updated_before: datetime | None = None
    ) -> list[RetroScanRecord]:
        stmt = select(RetroScanRow).order_by(col(RetroScanRow.created_at))
        if state is not None:
            stmt = stmt.where(RetroScanRow.state == state.value)
        if updated_before is not None:
            stmt = stmt.where(col(RetroScanRow.updated_at) < updated_before)
        return [_to_scan(r) for r in self._s.exec(stmt).all()]
