"""Hash banks: frame hashes of known-bad videos (added by operators) and of purged ones (added by purges)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func
from sqlmodel import col, select

from safety.errors import UnknownSubjectError
from safety.records import BankEntryRecord, BankName
from safety.storage.sql.base import SqlContext, new_id
from safety.storage.sql.tables import BankEntryRow, BankHashRow


class SqlBankStore:
    """`BankStore` on SQL."""

    def __init__(self, ctx: SqlContext) -> None:
        self._ctx = ctx
        self._s = ctx.session

    def add_entry(
        self,
        bank: BankName,
        hashes: Sequence[tuple[float, bytes, int]],
        *,
        note: str = "",
        source_video_id: str | None = None,
        actor: str = "operator",
    ) -> str:
        entry_id = new_id("bank")
        self._s.add(
            BankEntryRow(
                id=entry_id, bank=bank.value, source_video_id=source_video_id, note=note, created_at=self._ctx.now()
            )
        )
        for t, digest, quality in hashes:
            self._s.add(BankHashRow(entry_id=entry_id, digest=digest, quality=quality, t=t))
        if source_video_id is None:
            self._ctx.audit(
                actor, "bank.added", entry_id, {"bank": bank.value, "hashes": len(hashes), "note": note[:200]}
            )
        return entry_id

    def remove_entry(self, entry_id: str) -> None:
        row = self._s.get(BankEntryRow, entry_id)
        if row is None:
            raise UnknownSubjectError(f"unknown bank entry `{entry_id}`")
        self._s.exec(delete(BankHashRow).where(col(BankHashRow.entry_id) == entry_id))
        self._s.delete(row)
        self._ctx.audit("operator", "bank.removed", entry_id, {"bank": row.bank})

    def _record(self, row: BankEntryRow) -> BankEntryRecord:
        count = self._s.exec(select(func.count()).where(BankHashRow.entry_id == row.id)).one()
        return BankEntryRecord(row.id, BankName(row.bank), row.note, row.source_video_id, int(count), row.created_at)

    def entry(self, entry_id: str) -> BankEntryRecord:
        row = self._s.get(BankEntryRow, entry_id)
        if row is None:
            raise UnknownSubjectError(f"unknown bank entry `{entry_id}`")
        return self._record(row)

    def entries(self, bank: BankName | None = None) -> list[BankEntryRecord]:
        stmt = select(BankEntryRow).order_by(col(BankEntryRow.created_at))
        if bank is not None:
            stmt = stmt.where(BankEntryRow.bank == bank.value)
        return [self._record(row) for row in self._s.exec(stmt).all()]

    def stamp(self) -> tuple[int, int]:
        count, highest = self._s.exec(select(func.count(), func.max(BankHashRow.id))).one()
        return int(count), int(highest or 0)

    def index_entries(self) -> list[tuple[str, bytes, float]]:
        rows = self._s.exec(
            select(BankEntryRow.bank, BankEntryRow.id, BankHashRow.digest, BankHashRow.t)
            .join(BankHashRow, col(BankHashRow.entry_id) == col(BankEntryRow.id))
            .order_by(col(BankHashRow.id))
        ).all()
        return [(f"{bank}:{entry}", bytes(digest), float(t)) for bank, entry, digest, t in rows]
