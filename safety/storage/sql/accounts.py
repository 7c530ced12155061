"""Accounts: users, who follows whom, and the HTTP hook's client tokens (stored hashed)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select

from safety.domain import AgeBand, ConsentLevel, User
from safety.errors import ConflictError, UnknownUserError
from safety.records import ApiClient, Scope
from safety.storage.sql.base import SqlContext
from safety.storage.sql.tables import FollowRow, GuardianshipRow, HookClientRow, UserRow


class SqlAccountStore:
    """`AccountStore` on SQL."""

    def __init__(self, ctx: SqlContext) -> None:
        self._ctx = ctx
        self._s = ctx.session

    def add(self, handle: str, age_band: AgeBand) -> User:
        if self._s.get(UserRow, handle) is not None:
            raise ConflictError(f"user `{handle}` already exists")
        self._s.add(UserRow(handle=handle, age_band=age_band.value, created_at=self._ctx.now()))
        self._s.flush()
        self._ctx.audit("system", "user.added", handle, {"age_band": age_band.value})
        return User(handle, age_band)

    def get(self, handle: str) -> User:
        found = self.find(handle)
        if found is None:
            raise UnknownUserError(f"unknown user `{handle}`")
        return found

    def find(self, handle: str) -> User | None:
        row = self._s.get(UserRow, handle)
        if row is None:
            return None
        return User(
            row.handle,
            AgeBand(row.age_band),
            row.deleted_at is not None,
            policy_pack=row.policy_pack,
            cameo_level_cap=ConsentLevel(row.cameo_level_cap) if row.cameo_level_cap else None,
        )

    # guardians

    def add_guardian(self, teen: str, guardian: str) -> bool:
        if self._s.get(GuardianshipRow, (teen, guardian)) is not None:
            return False
        self._s.add(GuardianshipRow(teen=teen, guardian=guardian, created_at=self._ctx.now()))
        self._s.flush()
        self._ctx.audit(f"guardian:{guardian}", "guardian.added", teen, {"guardian": guardian})
        return True

    def guardians_of(self, teen: str) -> list[str]:
        rows = self._s.exec(select(GuardianshipRow.guardian).where(GuardianshipRow.teen == teen)).all()
        return sorted(rows)

    def wards_of(self, guardian: str) -> list[str]:
        rows = self._s.exec(select(GuardianshipRow.teen).where(GuardianshipRow.guardian == guardian)).all()
        return sorted(rows)

    def set_teen_controls(
        self, teen: str, *, actor: str, policy_pack: str | None = None, level_cap: ConsentLevel | None = None
    ) -> None:
        row = self._s.get(UserRow, teen)
        if row is None:
            raise UnknownUserError(f"unknown user `{teen}`")
        changed: dict[str, str] = {}
        if policy_pack is not None:
            row.policy_pack = changed["policy_pack"] = policy_pack
        if level_cap is not None:
            row.cameo_level_cap = changed["cameo_level_cap"] = level_cap.value
        self._s.add(row)
        self._ctx.audit(actor, "guardian.controls_set", teen, changed)

    def mark_deleted(self, handle: str) -> list[str]:
        row = self._s.get(UserRow, handle)
        if row is None:
            raise UnknownUserError(f"unknown user `{handle}`")
        if row.deleted_at is not None:
            raise ConflictError(f"`{handle}` is already deleted")
        row.deleted_at = self._ctx.now()
        self._s.add(row)
        follows = self._s.exec(
            select(FollowRow).where((FollowRow.follower == handle) | (FollowRow.followee == handle))
        ).all()
        others = sorted({f.followee if f.follower == handle else f.follower for f in follows})
        for follow in follows:
            self._s.delete(follow)
        self._s.flush()
        self._ctx.audit(handle, "user.deleted", handle, {"follows_removed": len(follows)})
        return others

    def follow(self, follower: str, followee: str) -> bool:
        for handle in (follower, followee):
            if self.get(handle).deleted:
                raise UnknownUserError(f"`{handle}` has deleted their account")
        if follower == followee:
            raise ConflictError("a user cannot follow themselves")
        if self._s.get(FollowRow, (follower, followee)) is not None:
            return False
        self._s.add(FollowRow(follower=follower, followee=followee, created_at=self._ctx.now()))
        self._ctx.audit(follower, "user.followed", followee, {})
        return True

    def follows(self, follower: str, followee: str) -> bool:
        return self._s.get(FollowRow, (follower, followee)) is not None

    def unfollow(self, follower: str, followee: str) -> bool:
        row = self._s.get(FollowRow, (follower, followee))
        if row is None:
            return False
        self._s.delete(row)
        self._s.flush()
        self._ctx.audit(follower, "user.unfollowed", followee, {})
        return True


class SqlClientStore:
    """`ClientStore` on SQL."""

    def __init__(self, ctx: SqlContext) -> None:
        self._ctx = ctx
        self._s = ctx.session

    def set_token(
        self, name: str, token_hash: str, *, scopes: Sequence[str] = ("generate",), webhook_secret: str | None = None
    ) -> bool:
        joined = ",".join(sorted(set(scopes)))
        row = self._s.get(HookClientRow, name)
        if row is None:
            self._s.add(
                HookClientRow(
                    name=name,
                    token_hash=token_hash,
                    created_at=self._ctx.now(),
                    scopes=joined,
                    webhook_secret=webhook_secret,
                )
            )
            self._ctx.audit("operator", "hook.client_added", name, {"scopes": joined})
            return True
        row.token_hash = token_hash
        row.rotated_at = self._ctx.now()
        row.active = True
        row.scopes = joined
        row.webhook_secret = webhook_secret
        # Rotated at once: the old token stops now, whatever grace an earlier rotation gave it.
        row.previous_token_hash = None
        row.previous_valid_until = None
        self._s.add(row)
        self._ctx.audit("operator", "hook.client_rotated", name, {"scopes": joined})
        return False

    def rotate_token(self, name: str, token_hash: str, valid_until: datetime) -> bool:
        row = self._s.exec(
            self._ctx.dialect.for_update(select(HookClientRow).where(HookClientRow.name == name))
        ).first()
        if row is None or not row.active:
            return False
        row.previous_token_hash = row.token_hash
        row.previous_valid_until = valid_until
        row.token_hash = token_hash
        row.rotated_at = self._ctx.now()
        self._s.add(row)
        self._ctx.audit("operator", "hook.client_rotated", name, {"old_token_valid_until": valid_until.isoformat()})
        return True

    def _holding(self, token_hash: str) -> HookClientRow | None:
        """The active client whose token this is, or whose previous token it is within its grace period."""
        row = self._s.exec(
            select(HookClientRow).where(HookClientRow.token_hash == token_hash, col(HookClientRow.active))
        ).first()
        if row is not None:
            return row
        previous = self._s.exec(
            select(HookClientRow).where(HookClientRow.previous_token_hash == token_hash, col(HookClientRow.active))
        ).first()
        if previous is None or previous.previous_valid_until is None:
            return None
        return previous if previous.previous_valid_until > self._ctx.now() else None

    @staticmethod
    def _client(row: HookClientRow) -> ApiClient:
        scopes = tuple(Scope(s) for s in row.scopes.split(",") if s in set(Scope))
        return ApiClient(row.name, scopes, row.active, bool(row.webhook_secret))

    def api_client(self, token_hash: str) -> ApiClient | None:
        row = self._holding(token_hash)
        return self._client(row) if row else None

    def webhook_secret(self, name: str) -> str | None:
        row = self._s.get(HookClientRow, name)
        return row.webhook_secret if row is not None else None

    def list_clients(self) -> list[ApiClient]:
        rows = self._s.exec(select(HookClientRow).order_by(col(HookClientRow.name))).all()
        return [self._client(r) for r in rows]

    def revoke(self, name: str) -> bool:
        row = self._s.get(HookClientRow, name)
        if row is None or not row.active:
            return False
        row.active = False
        # A revoked token can never match again, even if the client is later re-issued one.
        row.token_hash = f"revoked:{row.token_hash}"[:64]
        row.previous_token_hash = None
        row.previous_valid_until = None
        self._s.add(row)
        self._ctx.audit("operator", "hook.client_revoked", name, {})
        return True

    def client_for(self, token_hash: str) -> str | None:
        row = self._holding(token_hash)
        return row.name if row else None
