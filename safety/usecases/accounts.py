"""Accounts: registering users, follows, and the HTTP hook's client tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from safety.domain import AgeBand, User
from safety.errors import SubmissionError, UnknownSubjectError
from safety.handles import normalise_handle
from safety.records import ApiClient, Scope
from safety.storage import Store


def token_hash(token: str) -> str:
    """How a bearer token is stored: its sha256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedClient:
    """A client's new credentials, shown once."""

    client: str
    """Its name."""
    token: str
    """The bearer token (only its sha256 is stored)."""
    scopes: tuple[Scope, ...]
    """What it may do."""
    webhook_secret: str
    """Signs the callbacks it receives (`X-Cameoguard-Signature`)."""


@dataclass(frozen=True)
class RotatedToken:
    """A client's new token, shown once, and until when the one it replaced still works."""

    client: str
    """Its name."""
    token: str
    """The new bearer token."""
    old_token_valid_until: datetime
    """The end of the grace period."""


class Accounts:
    """Users and machine clients."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add_user(self, handle: str, age_band: AgeBand = AgeBand.ADULT) -> User:
        """Register an account; `ConflictError` when the handle is taken."""
        with self._store.transaction() as tx:
            return tx.accounts.add(normalise_handle(handle), age_band)

    def user(self, handle: str) -> User:
        """One account; `UnknownUserError` when there is none."""
        with self._store.transaction() as tx:
            return tx.accounts.get(normalise_handle(handle))

    def ensure_user(self, handle: str, age_band: AgeBand = AgeBand.ADULT) -> User:
        """The user, created when missing (idempotent, for demos and fixtures)."""
        handle = normalise_handle(handle)
        with self._store.transaction() as tx:
            return tx.accounts.find(handle) or tx.accounts.add(handle, age_band)

    def follow(self, follower: str, followee: str) -> bool:
        """`follower` follows `followee`; False when it already did (two follows make mutuals)."""
        with self._store.transaction() as tx:
            return tx.accounts.follow(normalise_handle(follower), normalise_handle(followee))

    def hook_token(self, name: str, scopes: Sequence[Scope] = (Scope.GENERATE,)) -> str:
        """Create or rotate an HTTP hook client's token; the token is returned once and stored hashed."""
        return self.issue_client(name, scopes).token

    def issue_client(self, name: str, scopes: Sequence[Scope] = (Scope.GENERATE,)) -> IssuedClient:
        """Create or rotate an API client: a new token (returned once, stored hashed) and a new webhook secret
        for signing its callbacks."""
        if not scopes:
            raise SubmissionError("a client needs at least one scope: generate, app or operator")
        name = normalise_handle(name)
        token = secrets.token_urlsafe(32)
        secret = secrets.token_hex(32)
        with self._store.transaction() as tx:
            tx.clients.set_token(name, token_hash(token), scopes=[s.value for s in scopes], webhook_secret=secret)
        return IssuedClient(name, token, tuple(sorted(set(scopes))), secret)

    def rotate_token(self, name: str, grace: timedelta) -> RotatedToken:
        """A new bearer token for an active client (shown once); the old one keeps working for `grace`, so the
        client can switch without an outage. The webhook secret is kept (receivers need not change)."""
        if grace < timedelta(0):
            raise SubmissionError("the grace period cannot be negative")
        name = normalise_handle(name)
        token = secrets.token_urlsafe(32)
        with self._store.transaction() as tx:
            valid_until = self._store.clock.now() + grace
            if not tx.clients.rotate_token(name, token_hash(token), valid_until):
                raise UnknownSubjectError(f"no active client named {name}")
        return RotatedToken(name, token, valid_until)

    def record_acting(self, client: str, acting_user: str, action: str, subject: str) -> None:
        """Audit that an API client acted for a user (reads too: who looked at whose likeness is on record)."""
        with self._store.transaction() as tx:
            tx.audit.append(acting_user, f"api.{action}", subject, {"client": client})

    def api_client(self, token: str) -> ApiClient | None:
        """The client a bearer token belongs to, with its scopes, or None."""
        with self._store.transaction() as tx:
            return tx.clients.api_client(token_hash(token))

    def webhook_secret(self, name: str) -> str | None:
        with self._store.transaction() as tx:
            return tx.clients.webhook_secret(name)

    def clients(self) -> list[ApiClient]:
        """Every API client, active or revoked."""
        with self._store.transaction() as tx:
            return tx.clients.list_clients()

    def revoke_client(self, name: str) -> None:
        """Revoke a client's token at once."""
        with self._store.transaction() as tx:
            if not tx.clients.revoke(normalise_handle(name)):
                raise UnknownSubjectError(f"no active client named {name}")

    def hook_client(self, token: str) -> str | None:
        """The client a bearer token belongs to, or None."""
        with self._store.transaction() as tx:
            return tx.clients.client_for(token_hash(token))
