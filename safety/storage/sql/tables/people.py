"""Rows about people: accounts, guardianships and follows, cameos and consent grants, owners' use requests, face
templates, people protected without enrolling, enrollment challenges and the API's machine clients."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, LargeBinary, false
from sqlmodel import Field, SQLModel

from safety.storage.sql.tables.content import NEVER_REUSED_IDS


class UserRow(SQLModel, table=True):
    __tablename__ = "users"

    handle: str = Field(primary_key=True, max_length=64)
    age_band: str = Field(max_length=8)
    created_at: datetime
    deleted_at: datetime | None = None
    policy_pack: str | None = Field(default=None, max_length=64)
    cameo_level_cap: str | None = Field(default=None, max_length=16)


class GuardianshipRow(SQLModel, table=True):
    """A guardian of a teen account (parental controls)."""

    __tablename__ = "guardianships"

    teen: str = Field(primary_key=True, foreign_key="users.handle", max_length=64)
    guardian: str = Field(primary_key=True, foreign_key="users.handle", max_length=64, index=True)
    created_at: datetime


class FollowRow(SQLModel, table=True):
    __tablename__ = "follows"

    follower: str = Field(primary_key=True, foreign_key="users.handle", max_length=64)
    followee: str = Field(primary_key=True, foreign_key="users.handle", max_length=64, index=True)
    created_at: datetime


class CameoRow(SQLModel, table=True):
    __tablename__ = "cameos"

    id: str = Field(primary_key=True, max_length=40)
    owner: str = Field(foreign_key="users.handle", max_length=64, index=True)
    status: str = Field(max_length=16)
    level: str = Field(max_length=16)
    face_model: str = Field(default="", max_length=128)
    restrictions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reference_paths: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    verification_path: str | None = None
    created_at: datetime
    updated_at: datetime
    approve_each_use: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class UseRequestRow(SQLModel, table=True):
    """An owner's approval asked for one use of their likeness."""

    __tablename__ = "use_requests"
    __table_args__ = (Index("ix_use_requests_owner_state", "owner", "state"),)

    id: str = Field(primary_key=True, max_length=40)
    video_id: str = Field(foreign_key="videos.id", max_length=40, index=True)
    owner: str = Field(foreign_key="users.handle", max_length=64)
    creator: str = Field(max_length=64)
    state: str = Field(max_length=16)
    created_at: datetime
    decided_at: datetime | None = None


class FaceTemplateRow(SQLModel, table=True):
    """One embedding of a cameo owner or a protected person, tagged with the model that made it."""

    __tablename__ = "face_templates"
    __table_args__ = (Index("ix_face_templates_subject", "subject_kind", "subject"), NEVER_REUSED_IDS)

    id: int | None = Field(default=None, primary_key=True)
    subject_kind: str = Field(max_length=16)
    subject: str = Field(max_length=64)
    model_id: str = Field(max_length=64, index=True)
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime


class ProtectedPersonRow(SQLModel, table=True):
    """A public figure, an estate or an opt-out: protected without enrolling."""

    __tablename__ = "protected_persons"

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=120, index=True)
    kind: str = Field(max_length=16)
    active: bool = True
    created_at: datetime
    removed_at: datetime | None = None
    photo_paths: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))


class CameoChallengeRow(SQLModel, table=True):
    __tablename__ = "cameo_challenges"

    id: str = Field(primary_key=True, max_length=40)
    handle: str = Field(foreign_key="users.handle", max_length=64, index=True)
    digits: str = Field(max_length=16)
    turns: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


class ConsentGrantRow(SQLModel, table=True):
    """An approval or a block, from an owner about one user; revoked rows stay as history."""

    __tablename__ = "consent_grants"
    __table_args__ = (Index("ix_consent_owner_grantee", "owner", "grantee"),)

    id: int | None = Field(default=None, primary_key=True)
    owner: str = Field(foreign_key="users.handle", max_length=64)
    grantee: str = Field(foreign_key="users.handle", max_length=64)
    kind: str = Field(max_length=16)
    created_at: datetime
    revoked_at: datetime | None = None


class HookClientRow(SQLModel, table=True):
    """A caller of the HTTP hook; only the sha256 of its token is stored."""

    __tablename__ = "hook_clients"

    name: str = Field(primary_key=True, max_length=64)
    token_hash: str = Field(max_length=64, unique=True)
    active: bool = True
    created_at: datetime
    rotated_at: datetime | None = None
    scopes: str = Field(default="generate", max_length=64)
    webhook_secret: str | None = Field(default=None, max_length=128)
    previous_token_hash: str | None = Field(default=None, max_length=64)
    """The token a rotation with a grace period replaced; it still works until `previous_valid_until`."""
    previous_valid_until: datetime | None = None
