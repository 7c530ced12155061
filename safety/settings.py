"""Settings, built once from the environment and passed in.

Every knob is a `CAMEOGUARD_*` environment variable (or a constructor argument in tests). Building settings does
no IO; `CameoGuard` (in `safety.wiring`) creates folders and connections when it starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """cameoguard's configuration."""

    model_config = SettingsConfigDict(env_prefix="CAMEOGUARD_", extra="ignore", frozen=True)

    home: Path = Field(default=Path("var"), description="Root of the database (SQLite) and the media store.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default: SQLite at HOME/cameoguard.db.")
    fail_checks: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset(), description="Checks made to raise, for drills and tests (comma-separated)."
    )
    env: str = Field(default="development", description="`production` turns on production-only refusals.")
    adult_policy: str = Field(default="default", description="Bundled pack name or a path, for adult creators.")
    teen_policy: str = Field(default="teen", description="Bundled pack name or a path, for teen creators.")
    teen_policy_choices: Annotated[tuple[str, ...], NoDecode] = Field(
        default=("teen_strict",),
        description="Other teen packs a guardian may choose for a teen (comma-separated bundled names or paths).",
    )
    restriction_topics: Path | None = Field(
        default=None, description="The restriction taxonomy (topics owners may rule out); default: the bundled one."
    )
    check_workers: int = Field(default=4, ge=1, description="Threads that run checks in parallel.")
    broker_url: str | None = Field(
        default=None,
        description="Celery broker for background work (e.g. amqp://guest:guest@127.0.0.1:5672//); none: in-process.",
    )
    broker_queue: str = Field(default="cameoguard", description="Broker queue of this deployment's tasks.")
    background_workers: int = Field(default=2, ge=1, description="Threads for background work without a broker.")
    submission_lease_s: float = Field(
        default=30.0, gt=0, description="A worker's claim lapses this long after its last heartbeat."
    )
    max_queued_submissions: int = Field(default=200, ge=1, description="Past this many waiting submissions, 429.")
    mark_during_checks: bool = Field(
        default=True,
        description="Start the publish re-encode beside the checks (dropped when the video is not published).",
    )
    face_backend: str = Field(default="dlib", description="`dlib` (default, ships with the install) or `insightface`.")
    face_pack: str | None = Field(default=None, description="Installed InsightFace pack name (HOME/models/NAME).")
    signing_chain: Path | None = Field(default=None, description="PEM chain, signer first; default: dev chain.")
    signing_key: Path | None = Field(default=None, description="PEM private key file of the signer.")
    signing_key_env: str | None = Field(default=None, description="Name of a variable holding the PEM key instead.")
    trust_anchors: Path | None = Field(default=None, description="PEM roots that verify trusts.")
    tsa_url: str | None = Field(default=None, description="RFC 3161 timestamp authority; off by default.")
    watermark_key_file: Path | None = Field(default=None, description="Integer seed of the invisible watermark.")
    audit_key_file: Path | None = Field(
        default=None, description="HMAC key of the audit chain (hex), kept outside the database; default: dev key."
    )
    audit_checkpoint_file: Path | None = Field(
        default=None,
        description="Append-only file of signed audit checkpoints, outside the database; default: "
        "HOME/audit/checkpoints.log.",
    )
    audit_checkpoint_every: int = Field(
        default=100,
        ge=1,
        description="A checkpoint is written each time the audit chain passes a multiple of this many entries (and "
        "at shutdown); 1: after every commit that writes to the chain.",
    )
    hook_allowed_dirs: Annotated[tuple[Path, ...], NoDecode] = Field(
        default=(), description="Folders `video_path` may name (colon-separated); default: HOME/incoming only."
    )
    hook_requests_per_minute: int = Field(default=120, ge=1, description="Per-client request limit of the hook.")
    hook_max_body_mb: float = Field(default=256.0, gt=0, description="Largest request body the hook accepts.")
    hook_body_timeout_s: float = Field(default=60.0, gt=0, description="A request body must arrive within this.")
    hook_auth_failures_per_minute: int = Field(
        default=10, ge=1, description="Requests with a wrong token allowed per client address per minute."
    )
    held_retention_hours: float = Field(default=24 * 30, gt=0, description="Held items older than this expire.")
    publish_encoder: str = Field(default="libx264", description="FFmpeg encoder of published video (H.264).")
    publish_preset: str = Field(default="superfast", description="Encoder preset of published video.")
    publish_crf: int = Field(default=20, ge=0, le=51, description="Constant rate factor of published video.")
    stale_checking_s: float = Field(
        default=600.0, gt=0, description="A video still `checking` this long after its last change is settled."
    )
    callback_allowed_hosts: tuple[str, ...] = Field(
        default=(),
        description="Hosts inside the network (loopback, private, link-local) that submission callbacks may reach; "
        "every other such address is refused.",
    )
    owner_approval_hours: float = Field(
        default=72.0,
        gt=0,
        description="How long a video waits for owners who approve each use before it is blocked as expired.",
    )
    orphan_grace_s: float = Field(
        default=3600.0,
        ge=0,
        description="The sweeper leaves unreferenced files younger than this: a process may be about to commit "
        "the row that points at them.",
    )

    @field_validator("teen_policy_choices", mode="before")
    @classmethod
    def _split_packs(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(name.strip() for name in value.split(",") if name.strip())
        return value

    @field_validator("fail_checks", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(name.strip() for name in value.split(",") if name.strip())
        return value

    @field_validator("hook_allowed_dirs", mode="before")
    @classmethod
    def _split_dirs(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(Path(p) for p in value.split(":") if p.strip())
        return value

    @property
    def allowed_video_dirs(self) -> tuple[Path, ...]:
        return tuple(p.resolve() for p in self.hook_allowed_dirs) or ((self.home / "incoming").resolve(),)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'cameoguard.db').resolve()}"

    @property
    def checkpoint_path(self) -> Path:
        return self.audit_checkpoint_file or self.home / "audit" / "checkpoints.log"

    @property
    def media_root(self) -> Path:
        return self.home / "media"

    @property
    def models_root(self) -> Path:
        return self.home / "models"

    @property
    def cache_root(self) -> Path:
        """What can be rebuilt but is slow to build (trained prompt heads); safe to delete."""
        return self.home / "cache"
