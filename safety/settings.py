"""Settings, built once from the environment and passed in.

Every knob is a `CAMEOGUARD_*` environment variable (or a constructor argument in tests). Building settings does
no IO; `build` creates folders and connections when it starts. Each field says which processes read it
(`needs`), and `settings_table` writes the README's table from the fields, so the two cannot drift apart. Lists
are written comma-separated (`a,b`), or as a JSON list.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

OWASP_ARGON2_MIN_KIB = 19456
"""OWASP's least Argon2id memory for password storage (19 MiB, with two passes; ours are three)."""

PROCESSES = ("serve", "worker", "console", "scheduler", "cli")
"""The processes of a deployment: the API (`cameoguard serve`), `cameoguard worker`, the reviewer console
(`cameoguard review serve`), `cameoguard scheduler run`, and one-off commands (`cameoguard migrate`, `user add`)."""

_EVERY = PROCESSES


def needs(*processes: str) -> dict[str, Any]:
    """A field's `json_schema_extra`: the processes that read it (they must all be given the same value)."""
    unknown = set(processes) - set(PROCESSES)
    if unknown:
        raise ValueError(f"unknown processes {sorted(unknown)}")
    return {"processes": list(processes)}


def _split(value: object, separators: str = ",") -> object:
    """A list setting as written in the environment: `a,b` (or a JSON list); anything else is left to pydantic."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except ValueError:
            return value
    for separator in separators[1:]:
        text = text.replace(separator, separators[0])
    return [part.strip() for part in text.split(separators[0]) if part.strip()]


class Settings(BaseSettings):
    """cameoguard's configuration."""

    model_config = SettingsConfigDict(env_prefix="CAMEOGUARD_", extra="ignore", frozen=True)

    home: Path = Field(
        default=Path("var"),
        description="Root of the database (SQLite) and the media store; shared storage when processes run on "
        "several machines.",
        json_schema_extra=needs(*_EVERY),
    )
    cache_dir: Path | None = Field(
        default=None,
        description="Where what is slow to build and safe to delete is kept (trained prompt and restriction heads, "
        "the multilingual speech model joined from its packages); default HOME/cache. May be local to each machine "
        "or shared.",
        json_schema_extra=needs(*_EVERY),
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. `postgresql+psycopg://user@host/db`; default: SQLite at HOME/cameoguard.db.",
        json_schema_extra=needs(*_EVERY),
    )
    env: Literal["development", "production"] = Field(
        default="development",
        description="`production`: keys are never generated, no process but `cameoguard migrate` changes the schema, "
        "the development signing chain is refused.",
        json_schema_extra=needs(*_EVERY),
    )
    debug: bool = Field(
        default=False, description="Show tracebacks for internal errors (`1`).", json_schema_extra=needs(*_EVERY)
    )
    fail_checks: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset(),
        description="Checks made to raise, for drills and tests.",
        json_schema_extra=needs("serve", "worker", "cli"),
    )
    adult_policy: str = Field(
        default="default",
        description="Bundled pack name or a path, for adult creators.",
        json_schema_extra=needs(*_EVERY),
    )
    teen_policy: str = Field(
        default="teen", description="Bundled pack name or a path, for teen creators.", json_schema_extra=needs(*_EVERY)
    )
    teen_policy_choices: Annotated[tuple[str, ...], NoDecode] = Field(
        default=("teen_strict",),
        description="Other teen packs a guardian may choose for a teen (bundled names or paths).",
        json_schema_extra=needs(*_EVERY),
    )
    restriction_topics: Path | None = Field(
        default=None,
        description="The restriction taxonomy (topics owners may rule out); default: the bundled one.",
        json_schema_extra=needs(*_EVERY),
    )
    check_workers: int = Field(
        default=4,
        ge=1,
        description="Threads that run checks in parallel.",
        json_schema_extra=needs("serve", "worker", "cli"),
    )
    broker_url: str | None = Field(
        default=None,
        description="Celery broker for background work (`amqp://user:password@host:5672/vhost`); unset: in-process.",
        json_schema_extra=needs(*_EVERY),
    )
    broker_queue: str = Field(
        default="cameoguard", description="Broker queue of this deployment's tasks.", json_schema_extra=needs(*_EVERY)
    )
    background_workers: int = Field(
        default=2,
        ge=1,
        description="Threads for background work without a broker.",
        json_schema_extra=needs("serve", "console", "scheduler", "cli"),
    )
    submission_lease_s: float = Field(
        default=30.0,
        gt=0,
        description="A worker's claim on a submission lapses this long after its last heartbeat.",
        json_schema_extra=needs("serve", "worker"),
    )
    max_queued_submissions: int = Field(
        default=200,
        ge=1,
        description="Past this many queued or running submissions, `POST /v1/submissions` answers 429.",
        json_schema_extra=needs("serve"),
    )
    mark_during_checks: bool = Field(
        default=True,
        description="Start the publish re-encode beside the checks (dropped when the video is not published).",
        json_schema_extra=needs("serve", "worker", "cli"),
    )
    face_backend: str = Field(
        default="dlib",
        description="`dlib` (default, ships with the install) or `insightface`.",
        json_schema_extra=needs(*_EVERY),
    )
    face_pack: str | None = Field(
        default=None,
        description="Installed InsightFace pack name (HOME/models/NAME).",
        json_schema_extra=needs(*_EVERY),
    )
    signing_chain: Path | None = Field(
        default=None,
        description="PEM certificate chain of the C2PA signer, signer first; default (development only): HOME/keys.",
        json_schema_extra=needs(*_EVERY),
    )
    signing_key: Path | None = Field(
        default=None, description="PEM private key file of the signer.", json_schema_extra=needs(*_EVERY)
    )
    signing_key_env: str | None = Field(
        default=None,
        description="Name of a variable holding the signer's PEM key instead of a file.",
        json_schema_extra=needs(*_EVERY),
    )
    trust_anchors: Path | None = Field(
        default=None,
        description="PEM roots `verify` trusts (the trust list; keep retired roots in it).",
        json_schema_extra=needs(*_EVERY),
    )
    tsa_url: str | None = Field(
        default=None, description="RFC 3161 timestamp authority; off by default.", json_schema_extra=needs(*_EVERY)
    )
    watermark_key_file: Path | None = Field(
        default=None,
        description="Invisible watermark keys, an integer a line, the current one first (older ones still read).",
        json_schema_extra=needs(*_EVERY),
    )
    audit_key_file: Path | None = Field(
        default=None,
        description="HMAC keys of the audit chain (hex, a key a line, the current one first), outside the database.",
        json_schema_extra=needs(*_EVERY),
    )
    audit_checkpoint_file: Path | None = Field(
        default=None,
        description="Append-only file of signed audit checkpoints, outside the database; default: "
        "HOME/audit/checkpoints.log (shared by every process).",
        json_schema_extra=needs(*_EVERY),
    )
    audit_checkpoint_every: int = Field(
        default=100,
        ge=1,
        description="A checkpoint is written each time the audit chain passes a multiple of this many entries (and "
        "at shutdown); 1: after every commit that writes to the chain.",
        json_schema_extra=needs(*_EVERY),
    )
    hook_allowed_dirs: Annotated[tuple[Path, ...], NoDecode] = Field(
        default=(),
        description="Folders `video_path` may name (comma- or colon-separated); default: HOME/incoming only.",
        json_schema_extra=needs("serve"),
    )
    hook_requests_per_minute: int = Field(
        default=120, ge=1, description="Per-client request limit of the API.", json_schema_extra=needs("serve")
    )
    hook_max_body_mb: float = Field(
        default=256.0, gt=0, description="Largest request body the API accepts.", json_schema_extra=needs("serve")
    )
    hook_body_timeout_s: float = Field(
        default=60.0, gt=0, description="A request body must arrive within this.", json_schema_extra=needs("serve")
    )
    hook_auth_failures_per_minute: int = Field(
        default=10,
        ge=1,
        description="Requests with a wrong token allowed per client address per minute.",
        json_schema_extra=needs("serve"),
    )
    resolution_public: bool = Field(
        default=False,
        description="Serve the Soft Binding Resolution API (/matches, /manifests, /services) without a token, as "
        "resolution services usually are; otherwise any client token is required, as for /v1/verify.",
        json_schema_extra=needs("serve"),
    )
    held_retention_hours: float = Field(
        default=24 * 30,
        gt=0,
        description="Held items older than this expire (the sweeper).",
        json_schema_extra=needs("serve", "worker", "scheduler", "cli"),
    )
    publish_encoder: str = Field(
        default="libx264",
        description="FFmpeg encoder of published video (H.264).",
        json_schema_extra=needs("serve", "worker", "console", "cli"),
    )
    publish_preset: str = Field(
        default="superfast",
        description="Encoder preset of published video.",
        json_schema_extra=needs("serve", "worker", "console", "cli"),
    )
    publish_crf: int = Field(
        default=20,
        ge=0,
        le=51,
        description="Constant rate factor of published video.",
        json_schema_extra=needs("serve", "worker", "console", "cli"),
    )
    stale_checking_s: float = Field(
        default=600.0,
        gt=0,
        description="A video still `checking` this long after its last change is settled by the sweeper.",
        json_schema_extra=needs("serve", "worker", "scheduler", "cli"),
    )
    callback_allowed_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Hosts inside the network (loopback, private, link-local) that submission callbacks may reach; "
        "every other such address is refused.",
        json_schema_extra=needs("serve", "worker"),
    )
    callback_give_up_s: float = Field(
        default=3600.0,
        ge=0,
        description="A callback is retried with back-off (2 s doubled, at most 5 minutes apart) this long after its "
        "event, then given up (a metric and a log line).",
        json_schema_extra=needs("serve", "worker"),
    )
    worker_sweep_s: float = Field(
        default=60.0,
        ge=0,
        description="Workers take turns (one per period) at sending stranded submissions again and finishing purges "
        "this often, and at the whole sweep every fifth period; 0: never (then run `cameoguard scheduler run`).",
        json_schema_extra=needs("serve", "worker"),
    )
    owner_approval_hours: float = Field(
        default=72.0,
        gt=0,
        description="How long a video waits for owners who approve each use before it is blocked as expired.",
        json_schema_extra=needs("serve", "worker", "scheduler", "cli"),
    )
    orphan_grace_s: float = Field(
        default=3600.0,
        ge=0,
        description="The sweeper leaves unreferenced files younger than this: a process may be about to commit "
        "the row that points at them.",
        json_schema_extra=needs("serve", "worker", "scheduler", "cli"),
    )
    reviewer_password_kib: int = Field(
        default=65536,
        ge=1024,
        description="Memory of one Argon2id hash or check of a reviewer's password, in KiB; production refuses less "
        f"than OWASP's {OWASP_ARGON2_MIN_KIB}. A test suite that logs in hundreds of times may lower it.",
        json_schema_extra=needs("console", "cli"),
    )
    quality_share: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Share of decided review items returned blind to another reviewer.",
        json_schema_extra=needs("console"),
    )

    @field_validator("teen_policy_choices", "fail_checks", "callback_allowed_hosts", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        return _split(value)

    @model_validator(mode="after")
    def _production_password_cost(self) -> Settings:
        # A cheap hash is a test convenience; in production it would make a stolen hash table cheap to crack.
        if self.env == "production" and self.reviewer_password_kib < OWASP_ARGON2_MIN_KIB:
            raise ValueError(f"reviewer_password_kib below {OWASP_ARGON2_MIN_KIB} is refused in production")
        return self

    @field_validator("hook_allowed_dirs", mode="before")
    @classmethod
    def _split_dirs(cls, value: object) -> object:
        # Folders: comma-separated, or colon-separated as PATH is.
        return _split(value, ",:")

    @property
    def production(self) -> bool:
        return self.env == "production"

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
        """What can be rebuilt but is slow to build (trained heads, the joined speech model); safe to delete."""
        return self.cache_dir if self.cache_dir is not None else self.home / "cache"
