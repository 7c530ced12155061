"""Consent in memory: cameos, the owner's grants and blocks, approvals of each use, enrollment challenges, and the
snapshot consent is decided on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from safety.domain import CameoConsent, CameoStatus, ConsentLevel
from safety.errors import ConflictError, UnknownSubjectError
from safety.records import CameoRecord, ChallengeRecord, GrantKind, UseRequestRecord, UseRequestState
from safety.storage.memory.accounts import MemoryAccountStore
from safety.storage.memory.rows import CameoRow, ChallengeRow, GrantRow, UseRequestRow
from safety.storage.memory.state import MemoryContext, new_id, require


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


class MemoryConsentStore:
    """`ConsentStore` in memory."""

    def __init__(self, ctx: MemoryContext, accounts: MemoryAccountStore) -> None:
        self._ctx = ctx
        self._accounts = accounts

    def _active_row(self, owner: str) -> CameoRow | None:
        cameos = self._ctx.state.cameos.values()
        return next((c for c in cameos if c.owner == owner and c.status == CameoStatus.ACTIVE.value), None)

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
        if active is not None and status is CameoStatus.ACTIVE:
            raise ConflictError(f"`{owner}` already has an active cameo ({active.id})")
        now = self._ctx.now()
        cameo_id = new_id("cam")
        self._ctx.state.cameos[cameo_id] = CameoRow(
            id=cameo_id,
            owner=owner,
            status=status.value,
            level=ConsentLevel.ONLY_ME.value,
            face_model=face_model,
            reference_paths=[str(p) for p in reference_paths],
            verification_path=str(verification_path) if verification_path else None,
            created_at=now,
            updated_at=now,
        )
        self._ctx.audit(
            owner, "cameo.created", cameo_id, {"status": status.value, "face_model": face_model, **(details or {})}
        )
        return cameo_id

    def active_cameo(self, owner: str) -> CameoRecord | None:
        row = self._active_row(owner)
        return _to_cameo(row) if row else None

    def set_cameo_files(self, cameo_id: str, reference_paths: Sequence[Path], verification_path: Path | None) -> None:
        cameo = self._ctx.state.cameos.get(cameo_id)
        if cameo is None:
            raise UnknownSubjectError(f"unknown cameo `{cameo_id}`")
        cameo.reference_paths = [str(p) for p in reference_paths]
        cameo.verification_path = str(verification_path) if verification_path else None

    def delete_cameo(self, owner: str) -> CameoRecord:
        row = self._require_active(owner)
        info = _to_cameo(row)
        row.status = CameoStatus.DELETED.value
        row.reference_paths = []
        row.verification_path = None
        row.updated_at = self._ctx.now()
        return info

    def cameo_file_paths(self) -> set[str]:
        paths: set[str] = set()
        for cameo in self._ctx.state.cameos.values():
            if cameo.status == CameoStatus.ACTIVE.value:
                paths.update(cameo.reference_paths)
                if cameo.verification_path:
                    paths.add(cameo.verification_path)
        return paths

    def set_level(self, owner: str, level: ConsentLevel) -> None:
        cameo = self._require_active(owner)
        previous = cameo.level
        cameo.level = level.value
        cameo.updated_at = self._ctx.now()
        self._ctx.audit(owner, "consent.level_set", cameo.id, {"from": previous, "to": level.value})

    def set_approve_each_use(self, owner: str, on: bool) -> None:
        cameo = self._require_active(owner)
        cameo.approve_each_use = on
        cameo.updated_at = self._ctx.now()
        self._ctx.audit(owner, "consent.approve_each_use", cameo.id, {"on": on})

    # approval of each use

    def request_use(self, video_id: str, owner: str, creator: str) -> str:
        state = self._ctx.state
        for found in state.use_requests.values():
            if (found.video_id, found.owner, found.state) == (video_id, owner, UseRequestState.PENDING.value):
                return found.id
        require(state.videos, video_id, "video")
        require(state.users, owner, "user")
        request_id = new_id("use")
        state.use_requests[request_id] = UseRequestRow(
            request_id, video_id, owner, creator, UseRequestState.PENDING.value, self._ctx.now()
        )
        self._ctx.audit("gate", "use.requested", video_id, {"owner": owner, "request": request_id})
        return request_id

    def use_requests(
        self, *, owner: str | None = None, video_id: str | None = None, state: UseRequestState | None = None
    ) -> list[UseRequestRecord]:
        rows = [
            row
            for row in self._ctx.state.use_requests.values()
            if (owner is None or row.owner == owner)
            and (video_id is None or row.video_id == video_id)
            and (state is None or row.state == state.value)
        ]
        return [_to_request(row) for row in sorted(rows, key=lambda row: (row.created_at, row.id))]

    def answer_use(self, video_id: str, owner: str, state: UseRequestState, *, actor: str) -> UseRequestRecord:
        asked = [r for r in self._ctx.state.use_requests.values() if r.video_id == video_id and r.owner == owner]
        if not asked:
            raise UnknownSubjectError(f"`{owner}` was not asked to approve {video_id}")
        row = sorted(asked, key=lambda r: r.created_at, reverse=True)[0]
        if row.state != UseRequestState.PENDING.value:
            raise ConflictError(f"`{owner}`'s approval of {video_id} is already {row.state}")
        row.state = state.value
        row.decided_at = self._ctx.now()
        self._ctx.audit(actor, f"use.{state.value}", video_id, {"owner": owner, "request": row.id})
        return _to_request(row)

    def set_restrictions(self, owner: str, phrases: Sequence[str]) -> None:
        cameo = self._require_active(owner)
        cameo.restrictions = list(phrases)
        cameo.updated_at = self._ctx.now()
        self._ctx.audit(owner, "cameo.restricted", cameo.id, {"restrictions": list(phrases)})

    # grants

    def _live_grants(self, owner: str, grantee: str) -> list[GrantRow]:
        grants = self._ctx.state.grants.values()
        return [g for g in grants if g.owner == owner and g.grantee == grantee and g.revoked_at is None]

    def set_grant(self, owner: str, grantee: str, kind: GrantKind, *, actor: str | None = None) -> None:
        self._accounts.get(owner)
        self._accounts.get(grantee)
        now = self._ctx.now()
        for grant in self._live_grants(owner, grantee):
            if grant.kind == kind:
                return
            if {grant.kind, kind.value} <= _OWNER_GRANTS:
                # An approval and a block exclude each other; grants are ended, never deleted.
                grant.revoked_at = now
        state = self._ctx.state
        grant_id = state.serial("grants")
        state.grants[grant_id] = GrantRow(grant_id, owner, grantee, kind.value, now)
        self._ctx.audit(actor or owner, f"consent.{kind.value}", grantee, {"owner": owner})

    def revoke_grant(self, owner: str, grantee: str, kind: GrantKind, *, actor: str | None = None) -> bool:
        now = self._ctx.now()
        live = [g for g in self._live_grants(owner, grantee) if g.kind == kind]
        for grant in live:
            grant.revoked_at = now
        if live:
            self._ctx.audit(actor or owner, f"consent.{kind.value}_revoked", grantee, {"owner": owner})
        return bool(live)

    def allowed_by_guardians(self, teen: str) -> list[str]:
        grants = self._ctx.state.grants.values()
        return sorted(
            {
                g.grantee
                for g in grants
                if g.owner == teen and g.kind == GrantKind.GUARDIAN_ALLOW.value and g.revoked_at is None
            }
        )

    def snapshot(self, owner: str, creator: str, *, lock: bool = True) -> CameoConsent:
        # `lock` needs nothing here: a memory transaction already excludes every other writer.
        owner_user = self._accounts.get(owner)
        cameo = self._active_row(owner)
        kinds = {g.kind for g in self._live_grants(owner, creator)}
        # Guarded by the guardians on record, never by the creator's age band (the app's word): a guardian's
        # allowance applies to every other creator, as the SQL store reads it.
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

    # challenges

    def create_challenge(self, handle: str, digits: str, turns: Sequence[str], ttl: timedelta) -> ChallengeRecord:
        self._accounts.get(handle)
        now = self._ctx.now()
        challenge = ChallengeRecord(new_id("chl"), handle, digits, tuple(turns), now + ttl)
        self._ctx.state.challenges[challenge.id] = ChallengeRow(
            challenge.id, handle, digits, list(turns), now, challenge.expires_at
        )
        self._ctx.audit(handle, "cameo.challenge_issued", challenge.id, {})
        return challenge

    def take_challenge(self, challenge_id: str, handle: str) -> ChallengeRecord:
        row = self._ctx.state.challenges.get(challenge_id)
        if row is None or row.handle != handle:
            raise ConflictError(f"challenge `{challenge_id}` was not issued to `{handle}`")
        if row.used_at is not None:
            # Single use: a recording made for one challenge cannot be replayed for a second enrollment.
            raise ConflictError(f"challenge `{challenge_id}` was already used")
        now = self._ctx.now()
        if row.expires_at < now:
            raise ConflictError(f"challenge `{challenge_id}` expired at {row.expires_at.isoformat()}")
        row.used_at = now
        return ChallengeRecord(row.id, row.handle, row.digits, tuple(row.turns), row.expires_at)
