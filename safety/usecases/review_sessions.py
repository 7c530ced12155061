"""Who may use the console: reviewer accounts, login with lockout, sessions, and each reviewer's wellness settings.

Passwords are stored as Argon2 hashes; a session is a random token of which only the hash is stored, and it
expires. Roles limit what a reviewer may do (reviewers decide, seniors also take escalations and appeals, admins
also manage reviewers); the other review services check them on every call.
"""

from __future__ import annotations

import functools
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from safety.audit import personal_digest
from safety.clock import SYSTEM_CLOCK, Clock
from safety.errors import SubmissionError
from safety.handles import normalise_handle
from safety.records import ReviewerRecord
from safety.storage import Store
from safety.usecases.accounts import token_hash
from safety.usecases.review_rules import (
    BLUR_RANGE,
    LOGIN_FAILURES_ALLOWED,
    LOGIN_FAILURES_PER_ADDRESS,
    LOGIN_LOCK,
    ROLES,
    require,
)
from safety.usecases.review_values import AccessDenied, Reviewer, ReviewerPreferences


class ReviewerSessions:
    """Accounts, login and lockout, sessions, and wellness preferences."""

    def __init__(
        self,
        store: Store,
        *,
        session_minutes: float = 480.0,
        clock: Clock = SYSTEM_CLOCK,
        password_kib: int = 65536,
    ) -> None:
        self._store = store
        self._clock = clock
        # Argon2id; a stored hash carries its own cost, so lowering or raising this never locks anyone out.
        self._hasher = PasswordHasher(memory_cost=password_kib)
        # Failed logins per account and per client address, in this process: a lock needs no database write, and
        # a restart forgetting them costs an attacker at most one more round of guesses.
        self._failures: dict[str, list[datetime]] = {}
        self.session = timedelta(minutes=session_minutes)

    def add_reviewer(self, name: str, role: str, password: str) -> None:
        """Create a console account (admins; the CLI `review add-reviewer`); the password is stored as Argon2,
        and media start in grayscale for them."""
        if role not in ROLES:
            raise SubmissionError(f"role is one of {', '.join(ROLES)}")
        if len(password) < 8:
            raise SubmissionError("a password has at least 8 characters")
        name = normalise_handle(name)
        with self._store.transaction() as tx:
            tx.review.add_reviewer(name, role, self._hasher.hash(password))
            # A new reviewer starts with media in grayscale (wellness); they may turn it off in their settings.
            tx.review.set_preferences(name, grayscale=True, blur_px=ReviewerPreferences().blur_px)

    def login(self, name: str, password: str, *, client: str = "unknown") -> str:
        """A session token; `AccessDenied` with one message for any failure (no user enumeration). After
        `LOGIN_FAILURES_ALLOWED` failures an account (after `LOGIN_FAILURES_PER_ADDRESS`, a client address) is locked
        for `LOGIN_LOCK`; every
        failure is audited (under a keyed digest of the name typed, which may be a mistyped password)."""
        name = name.strip().casefold()
        account, address = f"account:{name}", f"client:{client}"
        keys = (account, address)
        # Per account at a few failures; per address (an office shares one) only at many more.
        if self._locked(account, LOGIN_FAILURES_ALLOWED) or self._locked(address, LOGIN_FAILURES_PER_ADDRESS):
            self._audit_failure(name, client, "locked")
            raise AccessDenied(f"too many failed logins; try again in {LOGIN_LOCK.seconds // 60} minutes")
        with self._store.transaction() as tx:
            found = tx.review.reviewer(name)
        try:
            if found is None or not found.active:
                # The same Argon2 work as a real check, so an unknown name costs the same time as a known one.
                self._hasher.verify(self._dummy_hash, password + "\0")
            else:
                self._hasher.verify(found.password_hash, password)
        except VerificationError:
            for key in keys:
                self._failures.setdefault(key, []).append(self._clock.now())
            self._audit_failure(name, client, "wrong name or password")
            raise AccessDenied("wrong name or password") from None
        # Only the account's count: one colleague's success does not wipe what others guessed from the address.
        self._failures.pop(account, None)
        token = secrets.token_urlsafe(32)
        with self._store.transaction() as tx:
            tx.review.start_session(token_hash(token), name, self._clock.now() + self.session)
        return token

    def _locked(self, key: str, allowed: int) -> bool:
        since = self._clock.now() - LOGIN_LOCK
        recent = [at for at in self._failures.get(key, []) if at > since]
        self._failures[key] = recent
        return len(recent) >= allowed

    def _audit_failure(self, name: str, client: str, why: str) -> None:
        typed = personal_digest(name, self._store.audit_key)  # keyed: a list of names would reverse a plain hash
        with self._store.transaction() as tx:
            tx.audit.append("console", "reviewer.login_failed", typed, {"client": client[:64], "why": why})

    def whoami(self, token: str | None) -> Reviewer:
        """The reviewer holding a live session token; `AccessDenied` when there is none."""
        if not token:
            raise AccessDenied("not logged in")
        with self._store.transaction() as tx:
            name = tx.review.session_reviewer(token_hash(token))
            found = tx.review.reviewer(name) if name else None
        if name is None or found is None or not found.active:
            raise AccessDenied("session expired; log in again")
        return Reviewer(name, found.role)

    def logout(self, token: str) -> None:
        """End a session."""
        with self._store.transaction() as tx:
            tx.review.end_session(token_hash(token))

    def reviewers(self, by: Reviewer) -> list[ReviewerRecord]:
        """Every console account (admins only)."""
        require(by.role == "admin", "only admins manage reviewers")
        with self._store.transaction() as tx:
            return tx.review.reviewers()

    def preferences(self, by: Reviewer) -> ReviewerPreferences:
        """The reviewer's wellness settings."""
        with self._store.transaction() as tx:
            found = tx.review.reviewer(by.name)
        if found is None:
            raise AccessDenied("no such reviewer")
        return ReviewerPreferences(found.grayscale, found.blur_px)

    def set_preferences(self, by: Reviewer, preferences: ReviewerPreferences) -> ReviewerPreferences:
        """Keep the reviewer's wellness settings (blur strength clamped to `BLUR_RANGE`)."""
        blur = min(max(int(preferences.blur_px), BLUR_RANGE[0]), BLUR_RANGE[1])
        with self._store.transaction() as tx:
            tx.review.set_preferences(by.name, grayscale=preferences.grayscale, blur_px=blur)
        return ReviewerPreferences(preferences.grayscale, blur)

    @functools.cached_property
    def _dummy_hash(self) -> str:
        return self._hasher.hash("no reviewer has this password")
