"""Consent: cameos, the owner's grants and blocks, enrollment challenges, and the snapshot consent is decided on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from safety.domain import CameoConsent, CameoStatus, ConsentLevel
from safety.errors import ConflictError, UnknownSubjectError
from safety.records import CameoRecord, ChallengeRecord, GrantKind, UseRequestRecord, UseRequestState
from safety.storage.sql.accounts import SqlAccountStore
from safety.storage.sql.base import SqlContext, new_id
from safety.storage.sql.tables import CameoChallengeRow, CameoRow, ConsentGrantRow, UseRequestRow


def _to_cameo(row: CameoRow) -> CameoRecord:
    return CameoRecord(
        id=row.id,
        owner=row.owner,
        level=ConsentLevel(row.level),
        face_model=row.face_model,
        restrictions=tuple(row.restrictions),
        reference_paths=tuple(Path(p) for p in row.reference_paths),
        verification_path=Path(row.verification_path) if row.verification_path else None,
        approve_each_use=row.approve_each_use,
    )


def _to_request(row: UseRequestRow) -> UseRequestRecord:
    return UseRequestRecord(
        row.id, row.video_id, row.owner, row.creator, UseRequestState(row.state), row.created_at, row.decided_at
    )


# The grants an owner gives (a guardian's allowance is separate and can stand beside either).
_OWNER_GRANTS = {GrantKind.APPROVE.value, GrantKind.BLOCK.value}


class SqlConsentStore:
    """`ConsentStore` on SQL."""

    def __init__(self, ctx: SqlContext, accounts: SqlAccountStore) -> None:
        self._ctx = ctx
        self._s = ctx.session
        self._accounts = accounts

    def _active_row(self, owner: str, *, lock: bool = False) -> CameoRow | None:
        # Only active cameos hold files: a deleted or rejected cameo's files are orphans for the sweeper to remove.
        stmt = select(CameoRow).where(CameoRow.owner == owner, CameoRow.status == CameoStatus.ACTIVE.value)
        return self._s.exec(self._ctx.dialect.for_update(stmt) if lock else stmt).first()

    def _require_active(self, owner: str) -> CameoRow:
        row = self._active_row(owner)
        if row is None:
            raise ConflictError(f"`{owner}` has no active cameo")
        return row

    def create_cameo(
        self,
        owner: str,
        face_model: str,
        status: CameoStatus = CameoStatus.ACTIVE,
        *,
        reference_paths: Sequence[Path] = (),
        verification_path: Path | None = None,
        details: dict[str, Any] | None = None,
    ) -> str:
        self._accounts.get(owner)
        active = self._active_row(owner)
        # One active cameo per owner, checked here (the schema has no partial unique index for it): two active cameos
        # would make "whose consent?" ambiguous. Rejected attempts may pile up beside it.
        if active is not None and status is CameoStatus.ACTIVE:
            raise ConflictError(f"`{owner}` already has an active cameo ({active.id})")
        now = self._ctx.now()
        cameo_id = new_id("cam")
        self._s.add(
            CameoRow(
                id=cameo_id,
                owner=owner,
                status=status.value,
                # Every cameo starts at "only me": sharing a likeness is a choice the owner makes afterwards, never a
                # default.
                level=ConsentLevel.ONLY_ME.value,
                face_model=face_model,
                reference_paths=[str(p) for p in reference_paths],
                verification_path=str(verification_path) if verification_path else None,
                created_at=now,
                updated_at=now,
            )
        )
        self._ctx.audit(
            owner, "cameo.created", cameo_id, {"status": status.value, "face_model": face_model, **(details or {})}
        )
        return cameo_id

    def active_cameo(self, owner: str) -> CameoRecord | None:
        row = self._active_row(owner)
        return _to_cameo(row) if row else None

    def set_cameo_files(self, cameo_id: str, reference_paths: Sequence[Path], verification_path: Path | None) -> None:
        cameo = self._s.get(CameoRow, cameo_id)
        if cameo is None:
            raise UnknownSubjectError(f"unknown cameo `{cameo_id}`")
        cameo.reference_paths = [str(p) for p in reference_paths]
        cameo.verification_path = str(verification_path) if verification_path else None
        self._s.add(cameo)

    def delete_cameo(self, owner: str) -> CameoRecord:
        row = self._require_active(owner)
        info = _to_cameo(row)
        row.status = CameoStatus.DELETED.value
        # The row forgets its files at once, so the file reconciliation treats them as unreferenced and removes them
        # after the grace period (deleting a cameo removes the face data, not just its status).
        row.reference_paths = []
        row.verification_path = None
        row.updated_at = self._ctx.now()
        self._s.add(row)
        return info

    def cameo_file_paths(self) -> set[str]:
        paths: set[str] = set()
        for references, verification in self._s.exec(
            select(CameoRow.reference_paths, CameoRow.verification_path).where(
                CameoRow.status == CameoStatus.ACTIVE.value
            )
        ).all():
            paths.update(references)
            if verification:
                paths.add(verification)
        return paths

    def set_level(self, owner: str, level: ConsentLevel) -> None:
        cameo = self._require_active(owner)
        previous = cameo.level
        cameo.level = level.value
        cameo.updated_at = self._ctx.now()
        self._s.add(cameo)
        self._ctx.audit(owner, "consent.level_set", cameo.id, {"from": previous, "to": level.value})

    def set_approve_each_use(self, owner: str, on: bool) -> None:
        cameo = self._require_active(owner)
        cameo.approve_each_use = on
        cameo.updated_at = self._ctx.now()
        self._s.add(cameo)
        self._ctx.audit(owner, "consent.approve_each_use", cameo.id, {"on": on})

    # approval of each use

    def request_use(self, video_id: str, owner: str, creator: str) -> str:
        found = self._s.exec(
            select(UseRequestRow).where(
                UseRequestRow.video_id == video_id,
                UseRequestRow.owner == owner,
                UseRequestRow.state == UseRequestState.PENDING.value,
            )
        ).first()
        if found is not None:
            return found.id
        request_id = new_id("use")
        self._s.add(
            UseRequestRow(
                id=request_id,
                video_id=video_id,
                owner=owner,
                creator=creator,
                state=UseRequestState.PENDING.value,
                created_at=self._ctx.now(),
            )
        )
        self._ctx.audit("gate", "use.requested", video_id, {"owner": owner, "request": request_id})
        return request_id

    def use_requests(
        self, *, owner: str | None = None, video_id: str | None = None, state: UseRequestState | None = None
    ) -> list[UseRequestRecord]:
        stmt = select(UseRequestRow).order_by(col(UseRequestRow.created_at), col(UseRequestRow.id))
        if owner is not None:
            stmt = stmt.where(UseRequestRow.owner == owner)
        if video_id is not None:
            stmt = stmt.where(UseRequestRow.video_id == video_id)
        if state is not None:
            stmt = stmt.where(UseRequestRow.state == state.value)
        return [_to_request(r) for r in self._s.exec(stmt).all()]

    def answer_use(self, video_id: str, owner: str, state: UseRequestState, *, actor: str) -> UseRequestRecord:
        row = self._s.exec(
            select(UseRequestRow)
            .where(UseRequestRow.video_id == video_id, UseRequestRow.owner == owner)
            .order_by(col(UseRequestRow.created_at).desc())
        ).first()
        if row is None:
            raise UnknownSubjectError(f"`{owner}` was not asked to approve {video_id}")
        if row.state != UseRequestState.PENDING.value:
            raise ConflictError(f"`{owner}`'s approval of {video_id} is already {row.state}")
        row.state = state.value
        row.decided_at = self._ctx.now()
        self._s.add(row)
        self._ctx.audit(actor, f"use.{state.value}", video_id, {"owner": owner, "request": row.id})
        return _to_request(row)

    def set_restrictions(self, owner: str, phrases: Sequence[str]) -> None:
        cameo = self._require_active(owner)
        cameo.restrictions = list(phrases)
        cameo.updated_at = self._ctx.now()
        self._s.add(cameo)
        self._ctx.audit(owner, "cameo.restricted", cameo.id, {"restrictions": list(phrases)})

    def _live_grants(self, owner: str, grantee: str) -> Sequence[ConsentGrantRow]:
        return self._s.exec(
            select(ConsentGrantRow).where(
                ConsentGrantRow.owner == owner,
                ConsentGrantRow.grantee == grantee,
                col(ConsentGrantRow.revoked_at).is_(None),
            )
        ).all()

    def set_grant(self, owner: str, grantee: str, kind: GrantKind, *, actor: str | None = None) -> None:
        self._accounts.get(owner)
        self._accounts.get(grantee)
        now = self._ctx.now()
        for grant in self._live_grants(owner, grantee):
            if grant.kind == kind:
                return
            if {grant.kind, kind.value} <= _OWNER_GRANTS:
                # An approval and a block exclude each other. Grants are never deleted, only ended: the history
                # says who could use the likeness when.
                grant.revoked_at = now
                self._s.add(grant)
        self._s.add(ConsentGrantRow(owner=owner, grantee=grantee, kind=kind.value, created_at=now))
        self._ctx.audit(actor or owner, f"consent.{kind.value}", grantee, {"owner": owner})

    def revoke_grant(self, owner: str, grantee: str, kind: GrantKind, *, actor: str | None = None) -> bool:
        now = self._ctx.now()
        live = [g for g in self._live_grants(owner, grantee) if g.kind == kind]
        for grant in live:
            grant.revoked_at = now
            self._s.add(grant)
        if live:
            self._ctx.audit(actor or owner, f"consent.{kind.value}_revoked", grantee, {"owner": owner})
        return bool(live)

    def allowed_by_guardians(self, teen: str) -> list[str]:
        rows = self._s.exec(
            select(ConsentGrantRow.grantee).where(
                ConsentGrantRow.owner == teen,
                ConsentGrantRow.kind == GrantKind.GUARDIAN_ALLOW.value,
                col(ConsentGrantRow.revoked_at).is_(None),
            )
        ).all()
        return sorted(set(rows))

    def snapshot(self, owner: str, creator: str, *, lock: bool = True) -> CameoConsent:
        owner_user = self._accounts.get(owner)
        # Locked: the publishing transaction and a consent change both read this row first, so they are ordered
        # and a publish never commits on consent that a concurrent revocation already ended.
        cameo = self._active_row(owner, lock=lock)
        kinds = {g.kind for g in self._live_grants(owner, creator)}
        # Guarded by the guardians on record, never by the creator's age band: the app declares age bands, so an
        # account it calls a teen is no reason to skip the guardian, whose word applies to every other creator.
        guarded = bool(self._accounts.guardians_of(owner))
        return CameoConsent(
            owner=owner,
            owner_age_band=owner_user.age_band,
            creator=creator,
            cameo_status=CameoStatus(cameo.status) if cameo else None,
            level=ConsentLevel(cameo.level) if cameo else ConsentLevel.ONLY_ME,
            approved=GrantKind.APPROVE in kinds,
            blocked=GrantKind.BLOCK in kinds,
            owner_follows_creator=self._accounts.follows(owner, creator),
            creator_follows_owner=self._accounts.follows(creator, owner),
            restrictions=tuple(cameo.restrictions) if cameo else (),
            level_cap=owner_user.cameo_level_cap,
            guardian_needed=guarded and creator != owner,
            guardian_allowed=GrantKind.GUARDIAN_ALLOW in kinds,
            approve_each_use=bool(cameo.approve_each_use) if cameo else False,
        )

    def create_challenge(self, handle: str, digits: str, turns: Sequence[str], ttl: timedelta) -> ChallengeRecord:
        self._accounts.get(handle)
        now = self._ctx.now()
        challenge = ChallengeRecord(new_id("chl"), handle, digits, tuple(turns), now + ttl)
        self._s.add(
            CameoChallengeRow(
                id=challenge.id,
                handle=handle,
                digits=digits,
                turns=list(turns),
                created_at=now,
                expires_at=challenge.expires_at,
            )
        )
        self._ctx.audit(handle, "cameo.challenge_issued", challenge.id, {})
        return challenge

    def take_challenge(self, challenge_id: str, handle: str) -> ChallengeRecord:
        row = self._s.get(CameoChallengeRow, challenge_id)
        if row is None or row.handle != handle:
            raise ConflictError(f"challenge `{challenge_id}` was not issued to `{handle}`")
        if row.used_at is not None:
            # Single use: a recording made for one challenge cannot be replayed for a second enrollment.
            raise ConflictError(f"challenge `{challenge_id}` was already used")
        now = self._ctx.now()
        if row.expires_at < now:
            raise ConflictError(f"challenge `{challenge_id}` expired at {row.expires_at.isoformat()}")
        row.used_at = now
        self._s.add(row)
        return ChallengeRecord(row.id, row.handle, row.digits, tuple(row.turns), row.expires_at)
