"""Records about people: cameos and their owners' answers, people protected without enrolling, face templates,
enrollment challenges and the API's machine clients (the records of `safety.storage.people`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from safety.domain import ConsentLevel


class GrantKind(StrEnum):
    """What an owner said about one creator."""

    APPROVE = "approve"
    BLOCK = "block"
    GUARDIAN_ALLOW = "guardian_allow"
    """A teen owner's guardian allows this (adult) creator."""


class ProtectionKind(StrEnum):
    """Why a person is protected without enrolling."""

    PUBLIC_FIGURE = "public_figure"
    ESTATE = "estate"
    OPT_OUT = "opt_out"


class TemplateSubject(StrEnum):
    """Whose face a stored template is."""

    CAMEO = "cameo"
    PROTECTED = "protected"


@dataclass(frozen=True)
class CameoRecord:
    """An active cameo."""

    id: str
    """Cameo id (`cam_…`)."""
    owner: str
    """Owner's handle."""
    level: ConsentLevel
    """Who may use it."""
    face_model: str
    """Model of its templates."""
    restrictions: tuple[str, ...]
    """Phrases the owner does not want their likeness used for."""
    reference_paths: tuple[Path, ...]
    """Reference face crops."""
    verification_path: Path | None
    """The kept verification video, when policy keeps it."""
    approve_each_use: bool = False
    """The owner approves every use before it publishes."""


class UseRequestState(StrEnum):
    """Where an owner's approval of one use stands."""

    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    EXPIRED = "expired"


@dataclass(frozen=True)
class UseRequestRecord:
    """An owner's approval asked for one video (the owner approves each use)."""

    id: str
    """Request id (`use_…`)."""
    video_id: str
    """The video waiting."""
    owner: str
    """Whose approval is asked."""
    creator: str
    """Who made the video."""
    state: UseRequestState
    """pending, approved, declined or expired."""
    created_at: datetime
    """When it was asked."""
    decided_at: datetime | None = None
    """When it was answered or expired."""


@dataclass(frozen=True)
class ProtectedPersonRecord:
    """A person protected without enrolling."""

    id: str
    """Id (`prot_…`)."""
    name: str
    """Name shown in evidence."""
    kind: ProtectionKind
    """Why they are protected."""
    templates: int
    """Stored templates."""
    created_at: datetime
    """When protection began."""
    photo_paths: tuple[Path, ...] = ()
    """Face crops kept from their photos, for reviewers to compare."""


@dataclass(frozen=True)
class TemplateRecord:
    """One stored face template."""

    subject_kind: TemplateSubject
    """A cameo owner or a protected person."""
    subject: str
    """The owner's handle or the protected person's name."""
    model_id: str
    """The model that made it (templates of different models are never compared)."""
    vector: bytes
    """float32 vector bytes."""


@dataclass(frozen=True)
class ChallengeRecord:
    """An enrollment challenge."""

    id: str
    """Challenge id (`chl_…`)."""
    handle: str
    """Who it was issued to."""
    digits: str
    """Digits to say."""
    turns: tuple[str, ...]
    """Head turns to make, in order."""
    expires_at: datetime
    """When it stops being valid."""


class Scope(StrEnum):
    """What an API client's token may do."""

    GENERATE = "generate"
    """Submit videos and read their outcome (a generation pipeline)."""
    APP = "app"
    """Act for users: accounts, cameos, owner views, reports, appeals (an app backend)."""
    OPERATOR = "operator"
    """Banks, protected people, any video (the platform's trust-and-safety operators)."""


@dataclass(frozen=True)
class ApiClient:
    """A caller of the HTTP API."""

    name: str
    """Its name."""
    scopes: tuple[Scope, ...]
    """What its token may do."""
    active: bool
    """False once its token is revoked."""
    has_webhook_secret: bool
    """Whether callbacks to it are signed."""
