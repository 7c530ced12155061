"""The provenance registry: each published video's file hash, watermark token, frame hashes and live status, and
the manifest repository: its manifest and the soft binding values the manifest declares."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, update
from sqlmodel import col, select

from provenance.softbinding import bindings_of, manifest_label
from safety.records import BindingMatch, ManifestRecord, RegistryStatus, StoredFrameHash, manifest_store_name
from safety.storage.sql.base import SqlContext
from safety.storage.sql.tables import FrameHashRow, ManifestRow, PublishedRecordRow, SoftBindingRow


def _manifest(row: ManifestRow) -> ManifestRecord:
    return ManifestRecord(row.manifest_id, row.video_id, row.sha256, row.store_path, row.created_at)


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
        # The earlier manifest goes from the repository too (its store file is left to the sweeper).
        self._s.exec(delete(SoftBindingRow).where(col(SoftBindingRow.video_id) == video_id))
        self._s.exec(delete(ManifestRow).where(col(ManifestRow.video_id) == video_id))
        self._s.flush()
        now = self._ctx.now()
        self._s.add(
            PublishedRecordRow(
                video_id=video_id,
                sha256=sha256,
                watermark_token=watermark_token,
                status=RegistryStatus.LIVE.value,
                created_at=now,
            )
        )
        label = manifest_label(video_id, watermark_token)
        self._s.add(
            ManifestRow(
                manifest_id=label,
                video_id=video_id,
                sha256=sha256,
                store_path=manifest_store_name(video_id, label),
                created_at=now,
            )
        )
        self._s.flush()
        for alg, value in bindings_of(watermark_token, frame_hashes):
            self._s.add(SoftBindingRow(alg=alg, value=value, video_id=video_id, manifest_id=label))
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

    def find_binding(self, alg: str, value: str) -> list[BindingMatch]:
        rows = self._s.exec(
            select(SoftBindingRow.video_id, SoftBindingRow.manifest_id, PublishedRecordRow.status)
            .join(PublishedRecordRow, col(PublishedRecordRow.video_id) == col(SoftBindingRow.video_id), isouter=True)
            .where(SoftBindingRow.alg == alg, SoftBindingRow.value == value)
            .order_by(col(SoftBindingRow.id))
        ).all()
        return [BindingMatch(v, m, RegistryStatus(s) if s is not None else None) for v, m, s in rows]

    def manifest(self, manifest_id: str) -> ManifestRecord | None:
        row = self._s.get(ManifestRow, manifest_id)
        return _manifest(row) if row is not None else None

    def manifest_of(self, video_id: str) -> ManifestRecord | None:
        row = self._s.exec(
            select(ManifestRow).where(ManifestRow.video_id == video_id).order_by(col(ManifestRow.created_at).desc())
        ).first()
        return _manifest(row) if row is not None else None

    def purge_manifests(self, video_id: str) -> list[str]:
        paths = self._s.exec(
            select(ManifestRow.store_path).where(
                ManifestRow.video_id == video_id, col(ManifestRow.store_path).is_not(None)
            )
        ).all()
        self._s.exec(update(ManifestRow).where(col(ManifestRow.video_id) == video_id).values(store_path=None))
        return [p for p in paths if p is not None]

    def manifest_paths(self) -> set[str]:
        paths = self._s.exec(select(ManifestRow.store_path).where(col(ManifestRow.store_path).is_not(None))).all()
        return {p for p in paths if p is not None}

    def segment_entries(self) -> list[tuple[str, bytes, float]]:
        rows = self._s.exec(
            select(FrameHashRow.video_id, FrameHashRow.digest, FrameHashRow.t).order_by(col(FrameHashRow.id))
        ).all()
        return [(video_id, bytes(digest), float(t)) for video_id, digest, t in rows]
