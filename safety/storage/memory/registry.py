"""The provenance registry (with the manifest repository), the hash banks and purges (jobs and tombstones), in
memory."""

from __future__ import annotations

from collections.abc import Sequence

from provenance.softbinding import bindings_of, manifest_label
from safety.errors import ConflictError, UnknownSubjectError
from safety.records import (
    BankEntryRecord,
    BankName,
    BindingMatch,
    ManifestRecord,
    PurgeJobRecord,
    PurgeJobState,
    RegistryStatus,
    StoredFrameHash,
    manifest_store_name,
)
from safety.storage.memory.rows import BankEntryRow, BindingRow, HashRow, ManifestRow, PublishedRow, PurgeJobRow
from safety.storage.memory.state import MemoryContext, new_id, require


def _stamp(hashes: dict[int, HashRow]) -> tuple[int, int]:
    return len(hashes), max(hashes, default=0)


class MemoryRegistryStore:
    """`RegistryStore` in memory."""

    def __init__(self, ctx: MemoryContext) -> None:
        self._ctx = ctx

    def record_publication(
        self, video_id: str, *, sha256: str, watermark_token: int, frame_hashes: Sequence[tuple[float, bytes, int]]
    ) -> None:
        state = self._ctx.state
        require(state.videos, video_id, "video")
        # A video published again (an appeal, a review after a retroactive hold) is re-recorded: its new file,
        # token and frames replace the old ones.
        state.published.pop(video_id, None)
        for hash_id in [i for i, h in state.frame_hashes.items() if h.owner == video_id]:
            del state.frame_hashes[hash_id]
        if any(p.watermark_token == watermark_token for p in state.published.values()):
            raise ConflictError(f"conflicting write: watermark token {watermark_token} was issued already")
        # The earlier manifest goes from the repository too (its store file is left to the sweeper).
        for manifest_id in [m.manifest_id for m in state.manifests.values() if m.video_id == video_id]:
            del state.manifests[manifest_id]
        for binding_id in [i for i, b in state.bindings.items() if b.video_id == video_id]:
            del state.bindings[binding_id]
        now = self._ctx.now()
        state.published[video_id] = PublishedRow(video_id, sha256, watermark_token, RegistryStatus.LIVE.value, now)
        label = manifest_label(video_id, watermark_token)
        if label in state.manifests:
            raise ConflictError(f"conflicting write: manifest {label} exists")
        state.manifests[label] = ManifestRow(label, video_id, sha256, manifest_store_name(video_id, label), now)
        for alg, value in bindings_of(watermark_token, frame_hashes):
            binding_id = state.serial("soft_bindings")
            state.bindings[binding_id] = BindingRow(binding_id, alg, value, video_id, label)
        for t, digest, quality in frame_hashes:
            hash_id = state.serial("frame_hashes")
            state.frame_hashes[hash_id] = HashRow(hash_id, video_id, t, bytes(digest), quality)

    def set_status(self, video_id: str, status: RegistryStatus) -> bool:
        record = self._ctx.state.published.get(video_id)
        if record is None:
            return False
        record.status = status.value
        if status is RegistryStatus.PURGED:
            record.purged_at = self._ctx.now()
        return True

    def status(self, video_id: str) -> RegistryStatus | None:
        row = self._ctx.state.published.get(video_id)
        return RegistryStatus(row.status) if row is not None else None

    def frame_hashes(self, video_id: str) -> list[StoredFrameHash]:
        rows = self._ctx.state.frame_hashes.values()
        return [StoredFrameHash(h.t, h.digest, h.quality) for h in rows if h.owner == video_id]

    def segment_entries(self) -> list[tuple[str, bytes, float]]:
        rows = sorted(self._ctx.state.frame_hashes.items())
        return [(h.owner, h.digest, h.t) for _, h in rows]

    def video_for_token(self, token: int) -> str | None:
        rows = self._ctx.state.published.values()
        return next((p.video_id for p in rows if p.watermark_token == token), None)

    def video_for_sha256(self, sha256: str) -> str | None:
        rows = self._ctx.state.published.values()
        return next((p.video_id for p in rows if p.sha256 == sha256), None)

    def fingerprint_stamp(self) -> tuple[int, int]:
        return _stamp(self._ctx.state.frame_hashes)

    def fingerprint_entries(self) -> list[tuple[str, bytes]]:
        return [(h.owner, h.digest) for h in self._ctx.state.frame_hashes.values()]

    def find_binding(self, alg: str, value: str) -> list[BindingMatch]:
        state = self._ctx.state
        found = []
        for row in state.bindings.values():
            if row.alg == alg and row.value == value:
                published = state.published.get(row.video_id)
                status = RegistryStatus(published.status) if published is not None else None
                found.append(BindingMatch(row.video_id, row.manifest_id, status))
        return found

    def manifest(self, manifest_id: str) -> ManifestRecord | None:
        row = self._ctx.state.manifests.get(manifest_id)
        return _manifest(row) if row is not None else None

    def manifest_of(self, video_id: str) -> ManifestRecord | None:
        rows = [m for m in self._ctx.state.manifests.values() if m.video_id == video_id]
        return _manifest(max(rows, key=lambda m: m.created_at)) if rows else None

    def purge_manifests(self, video_id: str) -> list[str]:
        paths = []
        for row in self._ctx.state.manifests.values():
            if row.video_id == video_id and row.store_path is not None:
                paths.append(row.store_path)
                row.store_path = None
        return paths

    def manifest_paths(self) -> set[str]:
        return {m.store_path for m in self._ctx.state.manifests.values() if m.store_path is not None}


def _manifest(row: ManifestRow) -> ManifestRecord:
    return ManifestRecord(row.manifest_id, row.video_id, row.sha256, row.store_path, row.created_at)


class MemoryBankStore:
    """`BankStore` in memory."""

    def __init__(self, ctx: MemoryContext) -> None:
        self._ctx = ctx

    def add_entry(
        self,
        bank: BankName,
        hashes: Sequence[tuple[float, bytes, int]],
        *,
        note: str = "",
        source_video_id: str | None = None,
        actor: str = "operator",
    ) -> str:
        state = self._ctx.state
        entry_id = new_id("bank")
        state.bank_entries[entry_id] = BankEntryRow(entry_id, bank.value, source_video_id, note, self._ctx.now())
        for t, digest, quality in hashes:
            hash_id = state.serial("bank_hashes")
            state.bank_hashes[hash_id] = HashRow(hash_id, entry_id, t, bytes(digest), quality)
        if source_video_id is None:
            self._ctx.audit(
                actor, "bank.added", entry_id, {"bank": bank.value, "hashes": len(hashes), "note": note[:200]}
            )
        return entry_id

    def remove_entry(self, entry_id: str) -> None:
        state = self._ctx.state
        row = state.bank_entries.pop(entry_id, None)
        if row is None:
            raise UnknownSubjectError(f"unknown bank entry `{entry_id}`")
        for hash_id in [i for i, h in state.bank_hashes.items() if h.owner == entry_id]:
            del state.bank_hashes[hash_id]
        self._ctx.audit("operator", "bank.removed", entry_id, {"bank": row.bank})

    def _record(self, row: BankEntryRow) -> BankEntryRecord:
        count = sum(1 for h in self._ctx.state.bank_hashes.values() if h.owner == row.id)
        return BankEntryRecord(row.id, BankName(row.bank), row.note, row.source_video_id, count, row.created_at)

    def entry(self, entry_id: str) -> BankEntryRecord:
        row = self._ctx.state.bank_entries.get(entry_id)
        if row is None:
            raise UnknownSubjectError(f"unknown bank entry `{entry_id}`")
        return self._record(row)

    def entries(self, bank: BankName | None = None) -> list[BankEntryRecord]:
        rows = [e for e in self._ctx.state.bank_entries.values() if bank is None or e.bank == bank.value]
        return [self._record(e) for e in sorted(rows, key=lambda e: e.created_at)]

    def stamp(self) -> tuple[int, int]:
        return _stamp(self._ctx.state.bank_hashes)

    def index_entries(self) -> list[tuple[str, bytes, float]]:
        state = self._ctx.state
        return [
            (f"{state.bank_entries[h.owner].bank}:{h.owner}", h.digest, float(h.t)) for h in state.bank_hashes.values()
        ]


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


class MemoryPurgeStore:
    """`PurgeStore` in memory."""

    def __init__(self, ctx: MemoryContext) -> None:
        self._ctx = ctx

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for row in self._ctx.state.purge_jobs.values():
            found[row.state] = found.get(row.state, 0) + 1
        found["videos"] = len(self._ctx.state.tombstones)
        return found

    def tombstone(self, video_id: str, reason: str) -> None:
        self._ctx.state.tombstones.setdefault(video_id, (self._ctx.now(), reason))

    def is_tombstoned(self, video_id: str) -> bool:
        return video_id in self._ctx.state.tombstones

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
        self._ctx.state.purge_jobs[job.id] = PurgeJobRow(
            job.id,
            owner,
            creator,
            reason,
            PurgeJobState.FILES_PENDING.value,
            list(video_ids),
            list(files),
            job.created_at,
        )
        self._ctx.audit(
            actor, "purge.recorded", job.id, {"videos": list(video_ids), "owner": owner, "creator": creator}
        )
        return job

    def pending_jobs(self) -> list[PurgeJobRecord]:
        rows = [j for j in self._ctx.state.purge_jobs.values() if j.state == PurgeJobState.FILES_PENDING.value]
        return [_to_job(j) for j in sorted(rows, key=lambda j: j.created_at)]

    def finish_job(self, job_id: str) -> None:
        row = self._ctx.state.purge_jobs.get(job_id)
        if row is not None and row.state != PurgeJobState.DONE:
            row.state = PurgeJobState.DONE.value
            row.finished_at = self._ctx.now()
            self._ctx.audit("system", "purge.files_removed", job_id, {"files": len(row.files)})

    def jobs_of(self, owner: str) -> list[PurgeJobRecord]:
        rows = sorted((j for j in self._ctx.state.purge_jobs.values() if j.owner == owner), key=lambda j: j.created_at)
        return [_to_job(j) for j in rows if j.video_ids]

    def job(self, job_id: str) -> PurgeJobRecord:
        row = self._ctx.state.purge_jobs.get(job_id)
        if row is None:
            raise UnknownSubjectError(f"unknown purge job `{job_id}`")
        return _to_job(row)
