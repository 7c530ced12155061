"""Face templates (cameo owners' and protected people's) and the protected-person registry."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import delete, func
from sqlmodel import col, select

from safety.errors import ConflictError, UnknownSubjectError
from safety.records import ProtectedPersonRecord, ProtectionKind, TemplateRecord, TemplateSubject
from safety.storage.sql.base import SqlContext, new_id
from safety.storage.sql.tables import FaceTemplateRow, ProtectedPersonRow


def _to_protected(row: ProtectedPersonRow, templates: int) -> ProtectedPersonRecord:
    return ProtectedPersonRecord(
        row.id,
        row.name,
        ProtectionKind(row.kind),
        templates,
        row.created_at,
        photo_paths=tuple(Path(p) for p in row.photo_paths),
    )


class SqlTemplateStore:
    """`TemplateStore` on SQL. Vectors are float32 bytes; this module needs no array library."""

    def __init__(self, ctx: SqlContext) -> None:
        self._ctx = ctx
        self._s = ctx.session

    def add_templates(self, kind: TemplateSubject, subject: str, model_id: str, vectors: Sequence[bytes]) -> int:
        now = self._ctx.now()
        for vector in vectors:
            self._s.add(
                FaceTemplateRow(
                    subject_kind=kind.value, subject=subject, model_id=model_id, vector=vector, created_at=now
                )
            )
        self._s.flush()
        return len(vectors)

    def templates_of(self, kind: TemplateSubject, subject: str) -> list[TemplateRecord]:
        rows = self._s.exec(
            select(FaceTemplateRow.model_id, FaceTemplateRow.vector)
            .where(FaceTemplateRow.subject_kind == kind.value, FaceTemplateRow.subject == subject)
            .order_by(col(FaceTemplateRow.id))
        ).all()
        return [TemplateRecord(kind, subject, model, bytes(vector)) for model, vector in rows]

    def delete_templates(self, kind: TemplateSubject, subject: str) -> int:
        result = self._s.exec(
            delete(FaceTemplateRow).where(
                col(FaceTemplateRow.subject_kind) == kind.value, col(FaceTemplateRow.subject) == subject
            )
        )
        return int(result.rowcount or 0)

    def gallery_stamp(self, model_id: str) -> tuple[int, int]:
        count, highest = self._s.exec(
            select(func.count(), func.max(FaceTemplateRow.id)).where(FaceTemplateRow.model_id == model_id)
        ).one()
        return int(count), int(highest or 0)

    def gallery(self, model_id: str) -> list[TemplateRecord]:
        rows = self._s.exec(
            select(FaceTemplateRow.subject_kind, FaceTemplateRow.subject, FaceTemplateRow.vector)
            .where(FaceTemplateRow.model_id == model_id)
            .order_by(col(FaceTemplateRow.id))
        ).all()
        return [TemplateRecord(TemplateSubject(kind), subject, model_id, bytes(blob)) for kind, subject, blob in rows]

    def add_protected(self, name: str, kind: ProtectionKind) -> str:
        existing = self._s.exec(
            select(ProtectedPersonRow).where(ProtectedPersonRow.name == name, col(ProtectedPersonRow.active))
        ).first()
        if existing is not None:
            raise ConflictError(f"`{name}` is already protected ({existing.id})")
        person_id = new_id("prot")
        self._s.add(
            ProtectedPersonRow(id=person_id, name=name, kind=kind.value, active=True, created_at=self._ctx.now())
        )
        self._ctx.audit("operator", "protected.added", person_id, {"name": name, "kind": kind.value})
        return person_id

    def list_protected(self) -> list[ProtectedPersonRecord]:
        rows = self._s.exec(
            select(ProtectedPersonRow).where(col(ProtectedPersonRow.active)).order_by(col(ProtectedPersonRow.name))
        ).all()
        out: list[ProtectedPersonRecord] = []
        for row in rows:
            count = self._s.exec(
                select(func.count()).where(
                    FaceTemplateRow.subject_kind == TemplateSubject.PROTECTED.value, FaceTemplateRow.subject == row.name
                )
            ).one()
            out.append(_to_protected(row, int(count)))
        return out

    def set_protected_photos(self, person_id: str, paths: Sequence[Path]) -> None:
        row = self._s.get(ProtectedPersonRow, person_id)
        if row is None:
            raise UnknownSubjectError(f"no protected person `{person_id}`")
        row.photo_paths = [str(p) for p in paths]
        self._s.add(row)

    def protected_file_paths(self) -> set[str]:
        rows = self._s.exec(select(ProtectedPersonRow.photo_paths).where(col(ProtectedPersonRow.active))).all()
        return {path for paths in rows for path in paths}

    def remove_protected(self, id_or_name: str) -> ProtectedPersonRecord:
        row = self._s.exec(
            select(ProtectedPersonRow).where(
                col(ProtectedPersonRow.active),
                (ProtectedPersonRow.id == id_or_name) | (ProtectedPersonRow.name == id_or_name),
            )
        ).first()
        if row is None:
            raise UnknownSubjectError(f"no protected person `{id_or_name}`")
        row.active = False
        row.removed_at = self._ctx.now()
        self._s.add(row)
        removed = self.delete_templates(TemplateSubject.PROTECTED, row.name)
        self._ctx.audit("operator", "protected.removed", row.id, {"name": row.name, "templates": removed})
        return _to_protected(row, 0)
