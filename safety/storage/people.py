"""Stores about people: accounts, machine clients, consent (cameos, grants, challenges) and face templates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from safety.domain import AgeBand, CameoConsent, CameoStatus, ConsentLevel, User
from safety.records import (
    ApiClient,
    CameoRecord,
    ChallengeRecord,
    GrantKind,
    ProtectedPersonRecord,
    ProtectionKind,
    TemplateRecord,
    TemplateSubject,
    UseRequestRecord,
    UseRequestState,
)


class AccountStore(Protocol):
    """Users and who follows whom."""

    def add(self, handle: str, age_band: AgeBand) -> User:
        """Create a user; `ConflictError` when the handle is taken."""
        ...

    def get(self, handle: str) -> User:
        """The user; `UnknownUserError` when there is none."""
        ...

    def mark_deleted(self, handle: str) -> list[str]:
        """Mark the account deleted and remove its follows both ways; the handles it had follows with."""
        ...

    def find(self, handle: str) -> User | None:
        """The user, or None."""
        ...

    def add_guardian(self, teen: str, guardian: str) -> bool:
        """Make `guardian` a guardian of `teen`; False when already one."""
        ...

    def guardians_of(self, teen: str) -> list[str]:
        """A teen's guardians, by handle."""
        ...

    def wards_of(self, guardian: str) -> list[str]:
        """The teens a guardian looks after."""
        ...

    def set_teen_controls(
        self, teen: str, *, actor: str, policy_pack: str | None = None, level_cap: ConsentLevel | None = None
    ) -> None:
        """Set a teen's pack and/or the cap on their cameo level (a guardian's controls), audited as `actor`."""
        ...

    def follow(self, follower: str, followee: str) -> bool:
        """Record a follow; False when it existed already."""
        ...

    def follows(self, follower: str, followee: str) -> bool:
        """Whether `follower` follows `followee`."""
        ...

    def unfollow(self, follower: str, followee: str) -> bool:
        """Remove a follow; False when there was none."""
        ...


class ClientStore(Protocol):
    """HTTP hook clients and their hashed tokens."""

    def set_token(
        self, name: str, token_hash: str, *, scopes: Sequence[str] = ("generate",), webhook_secret: str | None = None
    ) -> bool:
        """Create or rotate a client's token (with its scopes and webhook secret); True when the client is new."""
        ...

    def rotate_token(self, name: str, token_hash: str, valid_until: datetime) -> bool:
        """Give an active client a new token; the one it replaces keeps working until `valid_until` (the grace
        period). False when there is no such active client."""
        ...

    def client_for(self, token_hash: str) -> str | None:
        """The active client holding this token, or None."""
        ...

    def api_client(self, token_hash: str) -> ApiClient | None:
        """The active client holding this token, with its scopes, or None."""
        ...

    def webhook_secret(self, name: str) -> str | None:
        """The client's webhook secret, if it has one."""
        ...

    def list_clients(self) -> list[ApiClient]:
        """Every client, active or revoked."""
        ...

    def revoke(self, name: str) -> bool:
        """Revoke a client's token; False when there is no such active client."""
        ...


class ConsentStore(Protocol):
    """Cameos, the owner's grants and blocks, challenges, and consent snapshots."""

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
        """Record a cameo (active, or rejected without face data); its id."""
        ...

    def active_cameo(self, owner: str) -> CameoRecord | None:
        """The owner's active cameo, or None."""
        ...

    def set_cameo_files(self, cameo_id: str, reference_paths: Sequence[Path], verification_path: Path | None) -> None:
        """Where a cameo's reference crops and kept verification video lie."""
        ...

    def delete_cameo(self, owner: str) -> CameoRecord:
        """Mark the active cameo deleted; returns it as it was, so its files can be removed."""
        ...

    def cameo_file_paths(self) -> set[str]:
        """Every file an active cameo points at."""
        ...

    def set_level(self, owner: str, level: ConsentLevel) -> None:
        """Set who may use the owner's cameo."""
        ...

    def set_approve_each_use(self, owner: str, on: bool) -> None:
        """Whether the owner approves every use of their likeness before it publishes."""
        ...

    def request_use(self, video_id: str, owner: str, creator: str) -> str:
        """Ask the owner to approve one video (once per video and owner while pending); the request's id."""
        ...

    def use_requests(
        self, *, owner: str | None = None, video_id: str | None = None, state: UseRequestState | None = None
    ) -> list[UseRequestRecord]:
        """Requests, oldest first, filtered."""
        ...

    def answer_use(self, video_id: str, owner: str, state: UseRequestState, *, actor: str) -> UseRequestRecord:
        """Record an answer to a pending request (approved, declined or expired); `ConflictError` when answered."""
        ...

    def set_restrictions(self, owner: str, phrases: Sequence[str]) -> None:
        """Replace the owner's restriction phrases."""
        ...

    def set_grant(self, owner: str, grantee: str, kind: GrantKind, *, actor: str | None = None) -> None:
        """Approve or block one creator, replacing a live grant of the other kind."""
        ...

    def revoke_grant(self, owner: str, grantee: str, kind: GrantKind, *, actor: str | None = None) -> bool:
        """End a live grant; False when there was none."""
        ...

    def allowed_by_guardians(self, teen: str) -> list[str]:
        """Creators a teen's guardians allow."""
        ...

    def snapshot(self, owner: str, creator: str, *, lock: bool = True) -> CameoConsent:
        """Everything consent depends on for (owner, creator), read now; locks the owner's cameo row where the
        backend has row locks, so a publish reading consent is ordered with a concurrent change (`lock=False`
        for read-only snapshots, e.g. the invariant checker)."""
        ...

    def create_challenge(self, handle: str, digits: str, turns: Sequence[str], ttl: timedelta) -> ChallengeRecord:
        """Issue an enrollment challenge."""
        ...

    def take_challenge(self, challenge_id: str, handle: str) -> ChallengeRecord:
        """Use a challenge once; `ConflictError` when not this user's, expired or used."""
        ...


class TemplateStore(Protocol):
    """Face templates and protected people."""

    def add_templates(self, kind: TemplateSubject, subject: str, model_id: str, vectors: Sequence[bytes]) -> int:
        """Store float32 vectors for a subject; how many."""
        ...

    def templates_of(self, kind: TemplateSubject, subject: str) -> list[TemplateRecord]:
        """A subject's templates, oldest first."""
        ...

    def delete_templates(self, kind: TemplateSubject, subject: str) -> int:
        """Remove a subject's templates; how many."""
        ...

    def gallery_stamp(self, model_id: str) -> tuple[int, int]:
        """(count, highest id) of a model's templates: changes whenever the gallery does (ids are never reused)."""
        ...

    def gallery(self, model_id: str) -> list[TemplateRecord]:
        """Every template of a model, in insertion order."""
        ...

    def add_protected(self, name: str, kind: ProtectionKind) -> str:
        """Protect a person by name; their id."""
        ...

    def list_protected(self) -> list[ProtectedPersonRecord]:
        """Protected people, by name."""
        ...

    def set_protected_photos(self, person_id: str, paths: Sequence[Path]) -> None:
        """Record the face crops kept from a protected person's photos."""
        ...

    def protected_file_paths(self) -> set[str]:
        """Every kept photo of a protected person still protected."""
        ...

    def remove_protected(self, id_or_name: str) -> ProtectedPersonRecord:
        """End a protection and drop its templates."""
        ...
