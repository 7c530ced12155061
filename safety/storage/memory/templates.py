"""Embeddings in memory: face templates with the protected-person registry, and the track embeddings of checked
videos with the retroactive scans that search them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from safety.domain import TrackEmbedding, VideoStatus
from safety.errors import ConflictError, UnknownSubjectError
from safety.records import (
    ProtectedPersonRecord,
    ProtectionKind,
    RetroScanRecord,
    RetroScanState,
    TemplateRecord,
    TemplateSubject,
)
from safety.storage.memory.rows import ProtectedRow, ScanRow, TemplateRow, TrackRow
from safety.storage.memory.state import MemoryContext, as_json, new_id, require


def _to_protected(row: ProtectedRow, templates: int) -> ProtectedPersonRecord:
    photos = tuple(Path(p) for p in row.photo_paths)
    return ProtectedPersonRecord(row.id, row.name, ProtectionKind(row.kind), templates, row.created_at, photos)


class MemoryTemplateStore:
    """`TemplateStore` in memory."""

    def __init__(self, ctx: MemoryContext) -> None:
        self._ctx = ctx

    def add_templates(self, kind: TemplateSubject, subject: str, model_id: str, vectors: Sequence[bytes]) -> int:
        state, now = self._ctx.state, self._ctx.now()
        for vector in vectors:
            template_id = state.serial("templates")
            state.templates[template_id] = TemplateRow(template_id, kind.value, subject, model_id, bytes(vector), now)
        return len(vectors)

    def templates_of(self, kind: TemplateSubject, subject: str) -> list[TemplateRecord]:
        rows = self._ctx.state.templates.values()
        return [
            TemplateRecord(kind, subject, t.model_id, t.vector)
            for t in rows
            if t.subject_kind == kind.value and t.subject == subject
        ]

    def delete_templates(self, kind: TemplateSubject, subject: str) -> int:
        templates = self._ctx.state.templates
        gone = [i for i, t in templates.items() if t.subject_kind == kind.value and t.subject == subject]
        for template_id in gone:
            del templates[template_id]
        return len(gone)

    def gallery_stamp(self, model_id: str) -> tuple[int, int]:
        ids = [i for i, t in self._ctx.state.templates.items() if t.model_id == model_id]
        return len(ids), max(ids, default=0)

    def gallery(self, model_id: str) -> list[TemplateRecord]:
        rows = self._ctx.state.templates.values()
        return [
            TemplateRecord(TemplateSubject(t.subject_kind), t.subject, model_id, t.vector)
            for t in rows
            if t.model_id == model_id
        ]

    def add_protected(self, name: str, kind: ProtectionKind) -> str:
        protected = self._ctx.state.protected
        existing = next((p for p in protected.values() if p.name == name and p.active), None)
        if existing is not None:
            raise ConflictError(f"`{name}` is already protected ({existing.id})")
        person_id = new_id("prot")
        protected[person_id] = ProtectedRow(person_id, name, kind.value, self._ctx.now())
        self._ctx.audit("operator", "protected.added", person_id, {"name": name, "kind": kind.value})
        return person_id

    def _count(self, name: str) -> int:
        rows = self._ctx.state.templates.values()
        return sum(1 for t in rows if t.subject_kind == TemplateSubject.PROTECTED.value and t.subject == name)

    def list_protected(self) -> list[ProtectedPersonRecord]:
        active = sorted((p for p in self._ctx.state.protected.values() if p.active), key=lambda p: p.name)
        return [_to_protected(row, self._count(row.name)) for row in active]

    def set_protected_photos(self, person_id: str, paths: Sequence[Path]) -> None:
        row = self._ctx.state.protected.get(person_id)
        if row is None:
            raise UnknownSubjectError(f"no protected person `{person_id}`")
        row.photo_paths = [str(p) for p in paths]

    def protected_file_paths(self) -> set[str]:
        return {path for p in self._ctx.state.protected.values() if p.active for path in p.photo_paths}

    def remove_protected(self, id_or_name: str) -> ProtectedPersonRecord:
        people = self._ctx.state.protected.values()
        row = next((p for p in people if p.active and id_or_name in (p.id, p.name)), None)
        if row is None:
            raise UnknownSubjectError(f"no protected person `{id_or_name}`")
        row.active = False
        row.removed_at = self._ctx.now()
        removed = self.delete_templates(TemplateSubject.PROTECTED, row.name)
        self._ctx.audit("operator", "protected.removed", row.id, {"name": row.name, "templates": removed})
        return _to_protected(row, 0)


def _to_scan(row: ScanRow) -> RetroScanRecord:
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


class MemoryTrackStore:
    """`TrackStore` in memory."""

    def __init__(self, ctx: MemoryContext) -> None:
        self._ctx = ctx

    def add_embeddings(self, video_id: str, embeddings: Sequence[TrackEmbedding]) -> int:
        state = self._ctx.state
        if embeddings:
            require(state.videos, video_id, "video")
        for e in embeddings:
            row_id = state.serial("tracks")
            state.tracks[row_id] = TrackRow(row_id, video_id, e.kind, e.track, e.t, e.model_id, bytes(e.vector))
        return len(embeddings)

    def delete_embeddings(self, video_id: str) -> int:
        tracks = self._ctx.state.tracks
        gone = [i for i, t in tracks.items() if t.video_id == video_id]
        for row_id in gone:
            del tracks[row_id]
        return len(gone)

    def published_page(
        self, model_id: str, *, after_video: str, videos: int
    ) -> tuple[list[str], list[tuple[str, str, bytes]]]:
        state = self._ctx.state
        published = {v.id for v in state.videos.values() if v.status == VideoStatus.PUBLISHED.value}
        rows = [t for t in state.tracks.values() if t.model_id == model_id]
        ids = sorted({t.video_id for t in rows if t.video_id > after_video and t.video_id in published})[:videos]
        chosen = set(ids)
        page = sorted((t for t in rows if t.video_id in chosen), key=lambda t: (t.video_id, t.id))
        return ids, [(t.video_id, t.kind, t.vector) for t in page]

    def count(self) -> int:
        return len(self._ctx.state.tracks)

    def start_scan(self, subject_kind: str, subject: str) -> str:
        scan_id, now = new_id("scan"), self._ctx.now()
        self._ctx.state.scans[scan_id] = ScanRow(scan_id, subject_kind, subject, RetroScanState.RUNNING.value, now, now)
        self._ctx.audit("system", "scan.started", scan_id, {"subject_kind": subject_kind, "subject": subject})
        return scan_id

    def _row(self, scan_id: str) -> ScanRow:
        row = self._ctx.state.scans.get(scan_id)
        if row is None:
            raise UnknownSubjectError(f"no scan `{scan_id}`")
        return row

    def scan(self, scan_id: str, *, lock: bool = False) -> RetroScanRecord:
        return _to_scan(self._row(scan_id))

    def advance_scan(self, scan_id: str, cursor: str, searched: int, found: Sequence[dict[str, Any]]) -> None:
        row = self._row(scan_id)
        row.cursor = cursor
        row.videos_searched += searched
        row.found = [*row.found, *as_json(list(found))]
        row.updated_at = self._ctx.now()

    def finish_scan(self, scan_id: str) -> None:
        row = self._row(scan_id)
        row.state = RetroScanState.DONE.value
        row.finished_at = row.updated_at = self._ctx.now()
        self._ctx.audit(
            "system", "scan.finished", scan_id, {"videos_searched": row.videos_searched, "found": len(row.found)}
        )

    def scans(
        self, *, state: RetroScanState | None = None, updated_before: datetime | None = None
    ) -> list[RetroScanRecord]:
        rows = [
            row
            for row in self._ctx.state.scans.values()
            if (state is None or row.state == state.value)
            and (updated_before is None or row.updated_at < updated_before)
        ]
        return [_to_scan(row) for row in sorted(rows, key=lambda row: row.created_at)]
