"""Accounts in memory: users, guardians, who follows whom, and the HTTP hook's clients (tokens stored hashed)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from safety.domain import AgeBand, ConsentLevel, User
from safety.errors import ConflictError, UnknownUserError
from safety.records import ApiClient, Scope
from safety.storage.memory.rows import ClientRow, UserRow
from safety.storage.memory.state import MemoryContext, require


class MemoryAccountStore:
    """`AccountStore` in memory."""

    def __init__(self, ctx: MemoryContext) -> None:
        self._ctx = ctx

    def add(self, handle: str, age_band: AgeBand) -> User:
        users = self._ctx.state.users
        if handle in users:
            raise ConflictError(f"user `{handle}` already exists")
        users[handle] = UserRow(handle=handle, age_band=age_band.value, created_at=self._ctx.now())
        self._ctx.audit("system", "user.added", handle, {"age_band": age_band.value})
        return User(handle, age_band)

    def get(self, handle: str) -> User:
        found = self.find(handle)
        if found is None:
            raise UnknownUserError(f"unknown user `{handle}`")
        return found

    def find(self, handle: str) -> User | None:
        row = self._ctx.state.users.get(handle)
        if row is None:
            return None
        return User(
            row.handle,
            AgeBand(row.age_band),
            row.deleted_at is not None,
            policy_pack=row.policy_pack,
            cameo_level_cap=ConsentLevel(row.cameo_level_cap) if row.cameo_level_cap else None,
        )

    def add_guardian(self, teen: str, guardian: str) -> bool:
        state = self._ctx.state
        if (teen, guardian) in state.guardianships:
            return False
        require(state.users, teen, "user")
        require(state.users, guardian, "user")
        state.guardianships[(teen, guardian)] = self._ctx.now()
        self._ctx.audit(f"guardian:{guardian}", "guardian.added", teen, {"guardian": guardian})
        return True

    def guardians_of(self, teen: str) -> list[str]:
        return sorted(g for t, g in self._ctx.state.guardianships if t == teen)

    def wards_of(self, guardian: str) -> list[str]:
        return sorted(t for t, g in self._ctx.state.guardianships if g == guardian)

    def set_teen_controls(
        self, teen: str, *, actor: str, policy_pack: str | None = None, level_cap: ConsentLevel | None = None
    ) -> None:
        row = self._ctx.state.users.get(teen)
        if row is None:
            raise UnknownUserError(f"unknown user `{teen}`")
        changed: dict[str, str] = {}
        if policy_pack is not None:
            row.policy_pack = changed["policy_pack"] = policy_pack
        if level_cap is not None:
            row.cameo_level_cap = changed["cameo_level_cap"] = level_cap.value
        self._ctx.audit(actor, "guardian.controls_set", teen, changed)

    def mark_deleted(self, handle: str) -> list[str]:
        state = self._ctx.state
        row = state.users.get(handle)
        if row is None:
            raise UnknownUserError(f"unknown user `{handle}`")
        if row.deleted_at is not None:
            raise ConflictError(f"`{handle}` is already deleted")
        row.deleted_at = self._ctx.now()
        follows = [pair for pair in state.follows if handle in pair]
        others = sorted({followee if follower == handle else follower for follower, followee in follows})
        for pair in follows:
            del state.follows[pair]
        self._ctx.audit(handle, "user.deleted", handle, {"follows_removed": len(follows)})
        return others

    def follow(self, follower: str, followee: str) -> bool:
        for handle in (follower, followee):
            if self.get(handle).deleted:
                raise UnknownUserError(f"`{handle}` has deleted their account")
        if follower == followee:
            raise ConflictError("a user cannot follow themselves")
        follows = self._ctx.state.follows
        if (follower, followee) in follows:
            return False
        follows[(follower, followee)] = self._ctx.now()
        self._ctx.audit(follower, "user.followed", followee, {})
        return True

    def follows(self, follower: str, followee: str) -> bool:
        return (follower, followee) in self._ctx.state.follows

    def unfollow(self, follower: str, followee: str) -> bool:
        follows = self._ctx.state.follows
        if (follower, followee) not in follows:
            return False
        del follows[(follower, followee)]
        self._ctx.audit(follower, "user.unfollowed", followee, {})
        return True


def _client(row: ClientRow) -> ApiClient:
    scopes = tuple(Scope(s) for s in row.scopes.split(",") if s in set(Scope))
    return ApiClient(row.name, scopes, row.active, bool(row.webhook_secret))


class MemoryClientStore:
    """`ClientStore` in memory."""

    def __init__(self, ctx: MemoryContext) -> None:
        self._ctx = ctx

    def set_token(
        self, name: str, token_hash: str, *, scopes: Sequence[str] = ("generate",), webhook_secret: str | None = None
    ) -> bool:
        clients = self._ctx.state.clients
        if any(c.token_hash == token_hash and c.name != name for c in clients.values()):
            # A unique column: two clients never hold the same token.
            raise ConflictError("conflicting write: that token is another client's")
        joined = ",".join(sorted(set(scopes)))
        row = clients.get(name)
        if row is None:
            clients[name] = ClientRow(name, token_hash, self._ctx.now(), joined, webhook_secret)
            self._ctx.audit("operator", "hook.client_added", name, {"scopes": joined})
            return True
        row.token_hash = token_hash
        row.rotated_at = self._ctx.now()
        row.active = True
        row.scopes = joined
        row.webhook_secret = webhook_secret
        row.previous_token_hash = row.previous_valid_until = None
        self._ctx.audit("operator", "hook.client_rotated", name, {"scopes": joined})
        return False

    def rotate_token(self, name: str, token_hash: str, valid_until: datetime) -> bool:
        row = self._ctx.state.clients.get(name)
        if row is None or not row.active:
            return False
        row.previous_token_hash, row.previous_valid_until = row.token_hash, valid_until
        row.token_hash = token_hash
        row.rotated_at = self._ctx.now()
        self._ctx.audit("operator", "hook.client_rotated", name, {"old_token_valid_until": valid_until.isoformat()})
        return True

    def _active(self, token_hash: str) -> ClientRow | None:
        """The active client whose token this is, or whose previous token it is within its grace period."""
        clients = [c for c in self._ctx.state.clients.values() if c.active]
        current = next((c for c in clients if c.token_hash == token_hash), None)
        if current is not None:
            return current
        now = self._ctx.now()
        return next(
            (
                c
                for c in clients
                if c.previous_token_hash == token_hash and c.previous_valid_until and c.previous_valid_until > now
            ),
            None,
        )

    def client_for(self, token_hash: str) -> str | None:
        row = self._active(token_hash)
        return row.name if row else None

    def api_client(self, token_hash: str) -> ApiClient | None:
        row = self._active(token_hash)
        return _client(row) if row else None

    def webhook_secret(self, name: str) -> str | None:
        row = self._ctx.state.clients.get(name)
        return row.webhook_secret if row is not None else None

    def list_clients(self) -> list[ApiClient]:
        return [_client(row) for _, row in sorted(self._ctx.state.clients.items())]

    def revoke(self, name: str) -> bool:
        row = self._ctx.state.clients.get(name)
        if row is None or not row.active:
            return False
        row.active = False
        # A revoked token can never match again, even if the client is later re-issued one.
        row.token_hash = f"revoked:{row.token_hash}"[:64]
        row.previous_token_hash = row.previous_valid_until = None
        self._ctx.audit("operator", "hook.client_revoked", name, {})
        return True
