"""The provenance registry: each published video's file hash, watermark token, frame hashes and live status."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func
from sqlmodel import col, select

from safety.records import RegistryStatus, StoredFrameHash
from safety.storage.sql.base import SqlContext
from safety.storage.sql.tables import FrameHashRow, PublishedRecordRow


class SqlRegistryStore:
    """`RegistryStore` on SQL."""

    def __init__(self, ctx: SqlContext) -> None:
        self._ctx = ctx
        self._s = ctx.session

    def record_publication(
        self, video_id: str, *, sha256: str, watermark_token: int, frame_hashes: Sequence[tuple[float, bytes, int]]
    ) -> None:
        # A video taken down and published again (an appeal, a review after a retroactive hold) is re-recorded:
        # its new file, token and frames replace the old ones.
        earlier = self._s.get(PublishedRecordRow, video_id)
        if earlier is not None:
            self._s.delete(earlier)
            self._s.exec(delete(FrameHashRow).where(col(FrameHashRow.video_id) == video_id))
            self._s.flush()
        self._s.add(
            PublishedRecordRow(
                video_id=video_id,
                sha256=sha256,
                watermark_token=watermark_token,
                status=RegistryStatus.LIVE.value,
                created_at=self._ctx.now(),
            )
        )
        for t, digest, quality in frame_hashes:
            self._s.add(FrameHashRow(video_id=video_id, t=t, digest=digest, quality=quality))

    def set_status(self, video_id: str, status: RegistryStatus) -> bool:
        record = self._s.get(PublishedRecordRow, video_id)
        if record is None:
            return False
        record.status = status.value
        if status is RegistryStatus.PURGED:
            record.purged_at = self._ctx.now()
        self._s.add(record)
        return True

    def status(self, video_id: str) -> RegistryStatus | None:
        row = self._s.get(PublishedRecordRow, video_id)
        return RegistryStatus(row.status) if row is not None else None

    def frame_hashes(self, video_id: str) -> list[StoredFrameHash]:
        rows = self._s.exec(
            select(FrameHashRow).where(FrameHashRow.video_id == video_id).order_by(col(FrameHashRow.id))
        ).all()
        return [StoredFrameHash(r.t, bytes(r.digest), r.quality) for r in rows]

    def video_for_token(self, token: int) -> str | None:
        return self._s.exec(
            select(PublishedRecordRow.video_id).where(PublishedRecordRow.watermark_token == token)
        ).first()

    def video_for_sha256(self, sha256: str) -> str | None:
        return self._s.exec(select(PublishedRecordRow.video_id).where(PublishedRecordRow.sha256 == sha256)).first()

    def fingerprint_stamp(self) -> tuple[int, int]:
        count, highest = self._s.exec(select(func.count(), func.max(FrameHashRow.id))).one()
        return int(count), int(highest or 0)

    def fingerprint_entries(self) -> list[tuple[str, bytes]]:
        rows = self._s.exec(select(FrameHashRow.video_id, FrameHashRow.digest).order_by(col(FrameHashRow.id))).all()
        return [(video_id, bytes(digest)) for video_id, digest in rows]

    def segment_entries(self) -> list[tuple[str, bytes, float]]:
        rows = self._s.exec(
            select(FrameHashRow.video_id, FrameHashRow.digest, FrameHashRow.t).order_by(col(FrameHashRow.id))
        ).all()
        return [(video_id, bytes(digest), float(t)) for video_id, digest, t in rows]
