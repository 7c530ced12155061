"""Accounts: registering users, follows, and the HTTP hook's client tokens."""

from __future__ import annotations

import hashlib
import secrets

from safety.domain import AgeBand, User
from safety.handles import normalise_handle
from safety.store import Store


def token_hash(token: str) -> str:
    """How a bearer token is stored: its sha256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    """Users and machine clients."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add_user(self, handle: str, age_band: AgeBand = AgeBand.ADULT) -> User:
        """Register an account; `ConflictError` when the handle is taken."""
        with self._store.transaction() as tx:
            return tx.accounts.add(normalise_handle(handle), age_band)

    def ensure_user(self, handle: str, age_band: AgeBand = AgeBand.ADULT) -> User:
        """The user, created when missing (idempotent, for demos and fixtures)."""
        handle = normalise_handle(handle)
        with self._store.transaction() as tx:
            return tx.accounts.find(handle) or tx.accounts.add(handle, age_band)

    def follow(self, follower: str, followee: str) -> bool:
        """`follower` follows `followee`; False when it already did (two follows make mutuals)."""
        with self._store.transaction() as tx:
            return tx.accounts.follow(normalise_handle(follower), normalise_handle(followee))

    def hook_token(self, name: str) -> str:
        """Create or rotate an HTTP hook client's token; the token is returned once and stored hashed."""
        name = normalise_handle(name)
        token = secrets.token_urlsafe(32)
        with self._store.transaction() as tx:
            tx.clients.set_token(name, token_hash(token))
        return token

    def hook_client(self, token: str) -> str | None:
        """The client a bearer token belongs to, or None."""
        with self._store.transaction() as tx:
            return tx.clients.client_for(token_hash(token))
