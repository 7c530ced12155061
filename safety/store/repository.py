"""The one place that reads and writes rows.

`Store.transaction()` yields a `Transaction` whose methods are the only operations the rest of `safety` may
perform on the database. Each returns domain values or small records, never rows, and every state change can
append to the audit chain in the same transaction, so the log and the data never disagree.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import bindparam, delete, func, text
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlmodel import Session, col, select

from safety.audit import entry_hash
from safety.domain import (
    AgeBand,
    AuditEntry,
    CameoConsent,
    CameoStatus,
    ConsentLevel,
    Decision,
    LineageKind,
    User,
    VideoStatus,
)
from safety.errors import ConflictError, StorageError, UnknownSubjectError, UnknownUserError, UnknownVideoError
from safety.faces.gallery import GalleryTemplate
from safety.store.database import Database
from safety.store.tables import (
    AppealRow,
    AuditHeadRow,
    AuditRow,
    BankEntryRow,
    BankHashRow,
    CameoChallengeRow,
    CameoRow,
    ConsentGrantRow,
    DecisionRow,
    FaceTemplateRow,
    FollowRow,
    FrameHashRow,
    HookClientRow,
    LineageEdgeRow,
    ProtectedPersonRow,
    PublishedRecordRow,
    PurgeJobRow,
    ReportRow,
    ReviewerRow,
    ReviewItemRow,
    ReviewSessionRow,
    SweeperLockRow,
    TombstoneRow,
    UserRow,
    VideoRow,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


@dataclass(frozen=True)
class VideoRecord:
    """A stored video as the rest of `safety` sees it."""

    id: str
    """Video id (`vid_…`)."""
    creator: str
    """Creator's handle."""
    prompt: str
    """The generation prompt."""
    status: VideoStatus
    """Current status."""
    content_sha256: str
    """sha256 of the submitted file."""
    duration_s: float
    """Duration in seconds."""
    width: int
    """Frame width."""
    height: int
    """Frame height."""
    declared_cameos: tuple[str, ...]
    """Cameo owners the creator declared."""
    remix_of: str | None
    """Parent video id, for a remix."""
    draft_path: Path | None
    """The draft file while the video is being checked."""
    published_path: Path | None
    """The public file; set only while published."""
    quarantine_path: Path | None
    """The held or blocked file."""
    policy_ref: str
    """Policy that last decided it."""
    created_at: datetime
    """When it was submitted."""


@dataclass(frozen=True)
class DecisionRecord:
    """A persisted decision."""

    id: str
    """Decision id (`dec_…`)."""
    video_id: str
    """The video it decided."""
    action: str
    """publish, review or block."""
    decided_by: str
    """`gate` or a reviewer's name."""
    policy_ref: str
    """Pack that decided."""
    reasons: tuple[dict[str, Any], ...]
    """Reasons as stored (code, action, severity, message, evidence)."""
    checks_run: tuple[str, ...]
    """Checks that ran."""
    scores: dict[str, float]
    """Scores."""
    timings_ms: dict[str, float]
    """Timings."""
    created_at: datetime
    """When it was made."""


@dataclass(frozen=True)
class CameoInfo:
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


@dataclass(frozen=True)
class ProtectedPerson:
    """A person protected without enrolling."""

    id: str
    """Id (`prot_…`)."""
    name: str
    """Name shown in evidence."""
    kind: str
    """public_figure, estate or opt_out."""
    templates: int
    """Stored templates."""
    created_at: datetime
    """When protection began."""


@dataclass(frozen=True)
class Challenge:
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


@dataclass(frozen=True)
class PurgeJob:
    """A recorded purge: what was purged and which files are to go."""

    id: str
    """Job id (`purge_…`), also the receipt's id."""
    owner: str
    """Whose likeness it protects."""
    creator: str | None
    """The creator whose consent ended, when there is one."""
    reason: str
    """e.g. `consent_revoked`, `owner_removed`, `cameo_deleted`, `sweep_consent`."""
    video_ids: tuple[str, ...]
    """Videos purged."""
    files: tuple[str, ...]
    """Files to remove."""
    created_at: datetime
    """When it was recorded."""


def _to_job(row: PurgeJobRow) -> PurgeJob:
    return PurgeJob(row.id, row.owner, row.creator, row.reason, tuple(row.video_ids), tuple(row.files), row.created_at)


@dataclass(frozen=True)
class ReviewItemRecord:
    """An item in the review queue."""

    id: str
    """Review item id (`rev_…`)."""
    video_id: str
    """The held or reported video."""
    source: str
    """`gate` (held by a decision) or `report` (a user report)."""
    reason_codes: tuple[str, ...]
    """Why it is in the queue."""
    severity: int
    """1 to 5."""
    due_at: datetime
    """Deadline from the policy's SLA."""
    state: str
    """open, claimed or decided."""
    claimed_by: str | None = None
    """Who holds the lease."""
    lease_until: datetime | None = None
    """When the lease ends."""
    needs_senior: bool = False
    """Escalated items and appeals: seniors only."""
    blind_of: str | None = None
    """For a quality re-review, the item it re-reviews (its outcome is hidden from the reviewer)."""
    decided_by: str | None = None
    """Who decided it."""
    outcome: str | None = None
    """approve, reject, uphold or overturn."""
    outcome_code: str | None = None
    """The reason code given."""
    decided_at: datetime | None = None
    """When."""
    policy_ref: str = ""
    """Policy of the item."""
    created_at: datetime | None = None
    """When it entered the queue."""


def _to_item(r: ReviewItemRow) -> ReviewItemRecord:
    return ReviewItemRecord(
        id=r.id,
        video_id=r.video_id,
        source=r.source,
        reason_codes=tuple(r.reason_codes),
        severity=r.severity,
        due_at=r.due_at,
        state=r.state,
        claimed_by=r.claimed_by,
        lease_until=r.lease_until,
        needs_senior=r.needs_senior,
        blind_of=r.blind_of,
        decided_by=r.decided_by,
        outcome=r.outcome,
        outcome_code=r.outcome_code,
        decided_at=r.decided_at,
        policy_ref=r.policy_ref,
        created_at=r.created_at,
    )


def _to_video(row: VideoRow, remix_of: str | None) -> VideoRecord:
    return VideoRecord(
        id=row.id,
        creator=row.creator,
        prompt=row.prompt,
        status=VideoStatus(row.status),
        content_sha256=row.content_sha256,
        duration_s=row.duration_s,
        width=row.width,
        height=row.height,
        declared_cameos=tuple(row.declared_cameos),
        remix_of=remix_of,
        draft_path=Path(row.draft_path) if row.draft_path else None,
        published_path=Path(row.published_path) if row.published_path else None,
        quarantine_path=Path(row.quarantine_path) if row.quarantine_path else None,
        policy_ref=row.policy_ref,
        created_at=row.created_at,
    )


def _to_decision(row: DecisionRow) -> DecisionRecord:
    return DecisionRecord(
        id=row.id,
        video_id=row.video_id,
        action=row.action,
        decided_by=row.decided_by,
        policy_ref=row.policy_ref,
        reasons=tuple(row.reasons),
        checks_run=tuple(row.checks_run),
        scores=dict(row.scores),
        timings_ms=dict(row.timings_ms),
        created_at=row.created_at,
    )


class Transaction:
    """Operations inside one database transaction; commits when the `with` block ends without error."""

    def __init__(self, session: Session, is_postgres: bool) -> None:
        self._s = session
        self._pg = is_postgres

    # users and follows

    def add_user(self, handle: str, age_band: AgeBand) -> User:
        if self._s.get(UserRow, handle) is not None:
            raise ConflictError(f"user `{handle}` already exists")
        self._s.add(UserRow(handle=handle, age_band=age_band.value, created_at=utcnow()))
        self._s.flush()
        self.audit("system", "user.added", handle, {"age_band": age_band.value})
        return User(handle, age_band)

    def get_user(self, handle: str) -> User:
        row = self._s.get(UserRow, handle)
        if row is None:
            raise UnknownUserError(f"unknown user `{handle}`")
        return User(row.handle, AgeBand(row.age_band))

    def find_user(self, handle: str) -> User | None:
        row = self._s.get(UserRow, handle)
        return User(row.handle, AgeBand(row.age_band)) if row else None

    def follow(self, follower: str, followee: str) -> bool:
        """Record that `follower` follows `followee`; False when it already did."""
        self.get_user(follower)
        self.get_user(followee)
        if follower == followee:
            raise ConflictError("a user cannot follow themselves")
        if self._s.get(FollowRow, (follower, followee)) is not None:
            return False
        self._s.add(FollowRow(follower=follower, followee=followee, created_at=utcnow()))
        self.audit(follower, "user.followed", followee, {})
        return True

    def follows(self, follower: str, followee: str) -> bool:
        return self._s.get(FollowRow, (follower, followee)) is not None

    # cameos and consent

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
        self.get_user(owner)
        active = self._active_cameo(owner)
        if active is not None and status is CameoStatus.ACTIVE:
            raise ConflictError(f"`{owner}` already has an active cameo ({active.id})")
        now = utcnow()
        cameo_id = new_id("cam")
        self._s.add(
            CameoRow(
                id=cameo_id,
                owner=owner,
                status=status.value,
                level=ConsentLevel.ONLY_ME.value,
                face_model=face_model,
                reference_paths=[str(p) for p in reference_paths],
                verification_path=str(verification_path) if verification_path else None,
                created_at=now,
                updated_at=now,
            )
        )
        self.audit(
            owner, "cameo.created", cameo_id, {"status": status.value, "face_model": face_model, **(details or {})}
        )
        return cameo_id

    def active_cameo(self, owner: str) -> CameoInfo | None:
        row = self._active_cameo(owner)
        if row is None:
            return None
        return CameoInfo(
            id=row.id,
            owner=row.owner,
            level=ConsentLevel(row.level),
            face_model=row.face_model,
            restrictions=tuple(row.restrictions),
            reference_paths=tuple(Path(p) for p in row.reference_paths),
            verification_path=Path(row.verification_path) if row.verification_path else None,
        )

    def set_restrictions(self, owner: str, phrases: Sequence[str]) -> None:
        cameo = self._active_cameo(owner)
        if cameo is None:
            raise ConflictError(f"`{owner}` has no active cameo")
        cameo.restrictions = list(phrases)
        cameo.updated_at = utcnow()
        self._s.add(cameo)
        self.audit(owner, "cameo.restricted", cameo.id, {"restrictions": list(phrases)})

    def delete_cameo(self, owner: str) -> CameoInfo:
        """Mark the active cameo deleted and drop its templates; returns it so its files can be removed."""
        info = self.active_cameo(owner)
        row = self._active_cameo(owner)
        if info is None or row is None:
            raise ConflictError(f"`{owner}` has no active cameo")
        row.status = CameoStatus.DELETED.value
        row.reference_paths = []
        row.verification_path = None
        row.updated_at = utcnow()
        self._s.add(row)
        removed = self.delete_face_templates("cameo", owner)
        self.audit(owner, "cameo.deleted", row.id, {"templates_removed": removed})
        return info

    def set_cameo_files(self, cameo_id: str, reference_paths: Sequence[Path], verification_path: Path | None) -> None:
        cameo = self._s.get(CameoRow, cameo_id)
        if cameo is None:
            raise UnknownSubjectError(f"unknown cameo `{cameo_id}`")
        cameo.reference_paths = [str(p) for p in reference_paths]
        cameo.verification_path = str(verification_path) if verification_path else None
        self._s.add(cameo)

    # face templates and protected persons

    def add_face_templates(self, subject_kind: str, subject: str, model_id: str, vectors: Sequence[Any]) -> int:
        now = utcnow()
        for vector in vectors:
            blob = np.asarray(vector, dtype=np.float32).tobytes()
            self._s.add(
                FaceTemplateRow(
                    subject_kind=subject_kind, subject=subject, model_id=model_id, vector=blob, created_at=now
                )
            )
        self._s.flush()
        return len(vectors)

    def templates_of(self, subject_kind: str, subject: str) -> list[tuple[str, bytes]]:
        rows = self._s.exec(
            select(FaceTemplateRow.model_id, FaceTemplateRow.vector).where(
                FaceTemplateRow.subject_kind == subject_kind, FaceTemplateRow.subject == subject
            )
        ).all()
        return [(model, bytes(vector)) for model, vector in rows]

    def mark_file_missing(self, video_id: str) -> None:
        """A published row whose file is gone: withdraw it (it cannot be served) and say so."""
        row = self._video_row(video_id, lock=True)
        row.status = VideoStatus.BLOCKED.value
        row.published_path = None
        row.updated_at = utcnow()
        self._s.add(row)
        record = self._s.get(PublishedRecordRow, video_id)
        if record is not None:
            record.status = "withdrawn"
            self._s.add(record)
        self.audit("sweeper", "video.file_missing", video_id, {})

    def all_media_paths(self) -> set[str]:
        """Every file path a row points at (videos and cameo references)."""
        paths: set[str] = set()
        for published, quarantine, draft in self._s.exec(
            select(VideoRow.published_path, VideoRow.quarantine_path, VideoRow.draft_path)
        ).all():
            paths.update(p for p in (published, quarantine, draft) if p)
        for references, verification in self._s.exec(
            select(CameoRow.reference_paths, CameoRow.verification_path).where(
                CameoRow.status == CameoStatus.ACTIVE.value
            )
        ).all():
            paths.update(references)
            if verification:
                paths.add(verification)
        return paths

    def published_paths(self) -> list[tuple[str, str]]:
        rows = self._s.exec(
            select(VideoRow.id, VideoRow.published_path).where(VideoRow.status == VideoStatus.PUBLISHED.value)
        ).all()
        return [(video_id, path) for video_id, path in rows if path]

    def expired_held(self, older_than: datetime) -> list[str]:
        return list(
            self._s.exec(
                select(VideoRow.id).where(VideoRow.status == VideoStatus.HELD.value, VideoRow.updated_at < older_than)
            ).all()
        )

    def expire_held(self, video_id: str) -> None:
        row = self._video_row(video_id, lock=True)
        if row.status != VideoStatus.HELD.value:
            return
        row.status = VideoStatus.BLOCKED.value
        row.quarantine_path = None
        row.updated_at = utcnow()
        self._s.add(row)
        for item in self._s.exec(
            select(ReviewItemRow).where(ReviewItemRow.video_id == video_id, ReviewItemRow.state != "decided")
        ).all():
            item.state = "decided"
            self._s.add(item)
        self.audit("sweeper", "video.expired", video_id, {"from": VideoStatus.HELD.value})

    def owners_with_videos(self) -> list[str]:
        rows = self._s.exec(
            select(LineageEdgeRow.cameo_owner)
            .join(VideoRow, col(VideoRow.id) == col(LineageEdgeRow.child_video_id))
            .where(
                LineageEdgeRow.kind == LineageKind.CONTAINS_CAMEO_OF.value,
                VideoRow.status != VideoStatus.PURGED.value,
            )
            .distinct()
        ).all()
        return sorted(o for o in rows if o)

    def delete_face_templates(self, subject_kind: str, subject: str) -> int:
        result = self._s.exec(
            delete(FaceTemplateRow).where(
                col(FaceTemplateRow.subject_kind) == subject_kind, col(FaceTemplateRow.subject) == subject
            )
        )
        return int(result.rowcount or 0)

    def gallery_stamp(self, model_id: str) -> tuple[int, int]:
        """(count, highest id) of a model's templates: changes whenever the gallery does."""
        count, highest = self._s.exec(
            select(func.count(), func.max(FaceTemplateRow.id)).where(FaceTemplateRow.model_id == model_id)
        ).one()
        return int(count), int(highest or 0)

    def gallery_templates(self, model_id: str) -> list[GalleryTemplate]:
        rows = self._s.exec(
            select(FaceTemplateRow.subject_kind, FaceTemplateRow.subject, FaceTemplateRow.vector)
            .where(FaceTemplateRow.model_id == model_id)
            .order_by(col(FaceTemplateRow.id))
        ).all()
        return [GalleryTemplate(kind, subject, np.frombuffer(blob, dtype=np.float32)) for kind, subject, blob in rows]

    def add_protected(self, name: str, kind: str) -> str:
        existing = self._s.exec(
            select(ProtectedPersonRow).where(ProtectedPersonRow.name == name, col(ProtectedPersonRow.active))
        ).first()
        if existing is not None:
            raise ConflictError(f"`{name}` is already protected ({existing.id})")
        person_id = new_id("prot")
        self._s.add(ProtectedPersonRow(id=person_id, name=name, kind=kind, active=True, created_at=utcnow()))
        self.audit("operator", "protected.added", person_id, {"name": name, "kind": kind})
        return person_id

    def list_protected(self) -> list[ProtectedPerson]:
        rows = self._s.exec(
            select(ProtectedPersonRow).where(col(ProtectedPersonRow.active)).order_by(col(ProtectedPersonRow.name))
        ).all()
        out: list[ProtectedPerson] = []
        for row in rows:
            count = self._s.exec(
                select(func.count()).where(
                    FaceTemplateRow.subject_kind == "protected", FaceTemplateRow.subject == row.name
                )
            ).one()
            out.append(ProtectedPerson(row.id, row.name, row.kind, int(count), row.created_at))
        return out

    def remove_protected(self, id_or_name: str) -> ProtectedPerson:
        row = self._s.exec(
            select(ProtectedPersonRow).where(
                col(ProtectedPersonRow.active),
                (ProtectedPersonRow.id == id_or_name) | (ProtectedPersonRow.name == id_or_name),
            )
        ).first()
        if row is None:
            raise UnknownSubjectError(f"no protected person `{id_or_name}`")
        row.active = False
        row.removed_at = utcnow()
        self._s.add(row)
        removed = self.delete_face_templates("protected", row.name)
        self.audit("operator", "protected.removed", row.id, {"name": row.name, "templates": removed})
        return ProtectedPerson(row.id, row.name, row.kind, 0, row.created_at)

    # enrollment challenges

    def create_challenge(self, handle: str, digits: str, turns: Sequence[str], ttl_minutes: float) -> Challenge:
        self.get_user(handle)
        now = utcnow()
        challenge = Challenge(new_id("chl"), handle, digits, tuple(turns), now + timedelta(minutes=ttl_minutes))
        self._s.add(
            CameoChallengeRow(
                id=challenge.id,
                handle=handle,
                digits=digits,
                turns=list(turns),
                created_at=now,
                expires_at=challenge.expires_at,
            )
        )
        self.audit(handle, "cameo.challenge_issued", challenge.id, {})
        return challenge

    def take_challenge(self, challenge_id: str, handle: str) -> Challenge:
        """Use a challenge once; `ConflictError` when it is not this user's, expired or already used."""
        row = self._s.get(CameoChallengeRow, challenge_id)
        if row is None or row.handle != handle:
            raise ConflictError(f"challenge `{challenge_id}` was not issued to `{handle}`")
        if row.used_at is not None:
            raise ConflictError(f"challenge `{challenge_id}` was already used")
        if row.expires_at < utcnow():
            raise ConflictError(f"challenge `{challenge_id}` expired at {row.expires_at.isoformat()}")
        row.used_at = utcnow()
        self._s.add(row)
        return Challenge(row.id, row.handle, row.digits, tuple(row.turns), row.expires_at)

    def _active_cameo(self, owner: str) -> CameoRow | None:
        stmt = select(CameoRow).where(CameoRow.owner == owner, CameoRow.status == CameoStatus.ACTIVE.value)
        return self._s.exec(stmt).first()

    def set_consent_level(self, owner: str, level: ConsentLevel) -> None:
        cameo = self._active_cameo(owner)
        if cameo is None:
            raise ConflictError(f"`{owner}` has no active cameo")
        previous = cameo.level
        cameo.level = level.value
        cameo.updated_at = utcnow()
        self._s.add(cameo)
        self.audit(owner, "consent.level_set", cameo.id, {"from": previous, "to": level.value})

    def set_grant(self, owner: str, grantee: str, kind: str) -> None:
        """Record an `approve` or `block` of `grantee` by `owner`, replacing any live grant of the other kind."""
        self.get_user(owner)
        self.get_user(grantee)
        now = utcnow()
        live = self._s.exec(
            select(ConsentGrantRow).where(
                ConsentGrantRow.owner == owner,
                ConsentGrantRow.grantee == grantee,
                col(ConsentGrantRow.revoked_at).is_(None),
            )
        ).all()
        for grant in live:
            if grant.kind == kind:
                return
            grant.revoked_at = now
            self._s.add(grant)
        self._s.add(ConsentGrantRow(owner=owner, grantee=grantee, kind=kind, created_at=now))
        self.audit(owner, f"consent.{kind}", grantee, {})

    def revoke_grant(self, owner: str, grantee: str, kind: str) -> bool:
        now = utcnow()
        live = self._s.exec(
            select(ConsentGrantRow).where(
                ConsentGrantRow.owner == owner,
                ConsentGrantRow.grantee == grantee,
                ConsentGrantRow.kind == kind,
                col(ConsentGrantRow.revoked_at).is_(None),
            )
        ).all()
        for grant in live:
            grant.revoked_at = now
            self._s.add(grant)
        if live:
            self.audit(owner, f"consent.{kind}_revoked", grantee, {})
        return bool(live)

    def consent_snapshot(self, owner: str, creator: str) -> CameoConsent:
        """Everything consent depends on for (owner, creator), read now; locks the cameo row on PostgreSQL."""
        owner_user = self.get_user(owner)
        stmt = select(CameoRow).where(CameoRow.owner == owner, CameoRow.status == CameoStatus.ACTIVE.value)
        if self._pg:
            stmt = stmt.with_for_update()
        cameo = self._s.exec(stmt).first()
        grants = self._s.exec(
            select(ConsentGrantRow.kind).where(
                ConsentGrantRow.owner == owner,
                ConsentGrantRow.grantee == creator,
                col(ConsentGrantRow.revoked_at).is_(None),
            )
        ).all()
        return CameoConsent(
            owner=owner,
            owner_age_band=owner_user.age_band,
            creator=creator,
            cameo_status=CameoStatus(cameo.status) if cameo else None,
            level=ConsentLevel(cameo.level) if cameo else ConsentLevel.ONLY_ME,
            approved="approve" in grants,
            blocked="block" in grants,
            owner_follows_creator=self.follows(owner, creator),
            creator_follows_owner=self.follows(creator, owner),
            restrictions=tuple(cameo.restrictions) if cameo else (),
        )

    # videos and lineage

    def create_video(
        self,
        *,
        creator: str,
        prompt: str,
        content_sha256: str,
        size_bytes: int,
        duration_s: float,
        width: int,
        height: int,
        draft_path: Path,
        declared_cameos: Sequence[str],
        remix_of: str | None,
        policy_ref: str,
    ) -> str:
        now = utcnow()
        video_id = new_id("vid")
        self._s.add(
            VideoRow(
                id=video_id,
                creator=creator,
                prompt=prompt,
                status=VideoStatus.CHECKING.value,
                content_sha256=content_sha256,
                size_bytes=size_bytes,
                duration_s=duration_s,
                width=width,
                height=height,
                declared_cameos=list(declared_cameos),
                draft_path=str(draft_path),
                policy_ref=policy_ref,
                created_at=now,
                updated_at=now,
            )
        )
        self._s.flush()
        if remix_of is not None:
            self._s.add(
                LineageEdgeRow(
                    child_video_id=video_id, kind=LineageKind.REMIX_OF.value, parent_video_id=remix_of, created_at=now
                )
            )
        for owner in sorted(set(declared_cameos)):
            self.add_cameo_edge(video_id, owner)
        self.audit(
            creator,
            "video.submitted",
            video_id,
            {"sha256": content_sha256, "remix_of": remix_of, "cameos": sorted(set(declared_cameos))},
        )
        return video_id

    def add_cameo_edge(self, video_id: str, owner: str) -> None:
        exists = self._s.exec(
            select(LineageEdgeRow.id).where(
                LineageEdgeRow.child_video_id == video_id,
                LineageEdgeRow.kind == LineageKind.CONTAINS_CAMEO_OF.value,
                LineageEdgeRow.cameo_owner == owner,
            )
        ).first()
        if exists is None:
            self._s.add(
                LineageEdgeRow(
                    child_video_id=video_id,
                    kind=LineageKind.CONTAINS_CAMEO_OF.value,
                    cameo_owner=owner,
                    created_at=utcnow(),
                )
            )

    def _video_row(self, video_id: str, lock: bool = False) -> VideoRow:
        stmt = select(VideoRow).where(VideoRow.id == video_id)
        if lock and self._pg:
            stmt = stmt.with_for_update()
        row = self._s.exec(stmt).first()
        if row is None:
            raise UnknownVideoError(f"unknown video `{video_id}`")
        return row

    def _parent_of(self, video_id: str) -> str | None:
        return self._s.exec(
            select(LineageEdgeRow.parent_video_id).where(
                LineageEdgeRow.child_video_id == video_id, LineageEdgeRow.kind == LineageKind.REMIX_OF.value
            )
        ).first()

    def get_video(self, video_id: str, *, lock: bool = False) -> VideoRecord:
        """The video; with `lock`, its row stays locked until the transaction ends (PostgreSQL)."""
        row = self._video_row(video_id, lock=lock)
        return _to_video(row, self._parent_of(video_id))

    def list_videos(self, creator: str | None = None, limit: int = 100) -> list[VideoRecord]:
        stmt = select(VideoRow).order_by(col(VideoRow.created_at).desc()).limit(limit)
        if creator is not None:
            stmt = stmt.where(VideoRow.creator == creator)
        return [_to_video(row, self._parent_of(row.id)) for row in self._s.exec(stmt).all()]

    def remixes_of(self, video_id: str) -> list[str]:
        return list(
            self._s.exec(
                select(LineageEdgeRow.child_video_id).where(
                    LineageEdgeRow.parent_video_id == video_id, LineageEdgeRow.kind == LineageKind.REMIX_OF.value
                )
            ).all()
        )

    def set_video_status(
        self,
        video_id: str,
        status: VideoStatus,
        *,
        actor: str,
        published_path: Path | None = None,
        quarantine_path: Path | None = None,
        policy_ref: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        row = self._video_row(video_id, lock=True)
        previous = row.status
        row.status = status.value
        row.published_path = str(published_path) if published_path else None
        row.quarantine_path = str(quarantine_path) if quarantine_path else row.quarantine_path
        if status in (VideoStatus.PUBLISHED, VideoStatus.HELD, VideoStatus.BLOCKED, VideoStatus.PURGED):
            row.draft_path = None
        if policy_ref is not None:
            row.policy_ref = policy_ref
        row.updated_at = utcnow()
        self._s.add(row)
        self.audit(actor, f"video.{status.value}", video_id, {"from": previous, **(details or {})})

    # decisions, review and reports

    def save_decision(self, video_id: str, decision: Decision, decided_by: str, note: str = "") -> str:
        decision_id = new_id("dec")
        self._s.add(
            DecisionRow(
                id=decision_id,
                video_id=video_id,
                action=decision.action.value,
                decided_by=decided_by,
                policy_ref=decision.policy_ref,
                reasons=[r.to_json() for r in decision.reasons],
                scores=dict(decision.scores),
                checks_run=list(decision.checks_run),
                timings_ms={k: round(v, 3) for k, v in decision.timings_ms.items()},
                facts=dict(decision.facts),
                note=note,
                created_at=utcnow(),
            )
        )
        self.audit(
            decided_by,
            "decision.recorded",
            video_id,
            {
                "decision_id": decision_id,
                "action": decision.action.value,
                "codes": [r.code for r in decision.reasons],
                "policy": decision.policy_ref,
            },
        )
        return decision_id

    def decisions_for(self, video_id: str) -> list[DecisionRecord]:
        stmt = select(DecisionRow).where(DecisionRow.video_id == video_id).order_by(col(DecisionRow.created_at))
        return [_to_decision(r) for r in self._s.exec(stmt).all()]

    def open_review_item(
        self,
        video_id: str,
        *,
        source: str,
        reason_codes: Sequence[str],
        severity: int,
        sla_hours: float,
        policy_ref: str,
    ) -> str:
        now = utcnow()
        item_id = new_id("rev")
        self._s.add(
            ReviewItemRow(
                id=item_id,
                video_id=video_id,
                source=source,
                reason_codes=list(reason_codes),
                severity=severity,
                policy_ref=policy_ref,
                due_at=now + timedelta(hours=sla_hours),
                state="open",
                created_at=now,
            )
        )
        self.audit(source, "review.opened", video_id, {"item": item_id, "codes": list(reason_codes)})
        return item_id

    def open_review_items(self) -> list[ReviewItemRecord]:
        stmt = (
            select(ReviewItemRow)
            .where(ReviewItemRow.state != "decided")
            .order_by(col(ReviewItemRow.severity).desc(), col(ReviewItemRow.due_at))
        )
        return [_to_item(r) for r in self._s.exec(stmt).all()]

    def review_item(self, item_id: str, *, lock: bool = False) -> ReviewItemRecord:
        return _to_item(self._item_row(item_id, lock=lock))

    def _item_row(self, item_id: str, *, lock: bool = False) -> ReviewItemRow:
        stmt = select(ReviewItemRow).where(ReviewItemRow.id == item_id)
        if lock and self._pg:
            stmt = stmt.with_for_update()
        row = self._s.exec(stmt).first()
        if row is None:
            raise UnknownSubjectError(f"unknown review item `{item_id}`")
        return row

    def claim_review_item(self, item_id: str, reviewer: str, lease: timedelta, *, senior: bool) -> bool:
        """Take the item's lease if it is free (or its lease ran out); atomic on both databases."""
        now = utcnow()
        if self._pg:
            stmt = select(ReviewItemRow).where(ReviewItemRow.id == item_id).with_for_update(skip_locked=True)
            row = self._s.exec(stmt).first()
            if row is None:
                return False
        else:
            row = self._item_row(item_id)
        free = row.state == "open" or (row.state == "claimed" and (row.lease_until or now) <= now)
        mine = row.state == "claimed" and row.claimed_by == reviewer
        if not (free or mine) or (row.needs_senior and not senior) or row.state == "decided":
            return False
        row.state = "claimed"
        row.claimed_by = reviewer
        row.lease_until = now + lease
        self._s.add(row)
        self._s.flush()
        self.audit(reviewer, "review.claimed", row.video_id, {"item": item_id, "until": row.lease_until.isoformat()})
        return True

    def release_review_item(self, item_id: str, reviewer: str, *, escalate: bool = False, note: str = "") -> None:
        row = self._item_row(item_id, lock=True)
        if row.state != "claimed" or row.claimed_by != reviewer:
            raise ConflictError(f"`{reviewer}` does not hold review item {item_id}")
        row.state = "open"
        row.claimed_by = None
        row.lease_until = None
        if escalate:
            row.needs_senior = True
            row.note = note
        self._s.add(row)
        action = "review.escalated" if escalate else "review.released"
        self.audit(reviewer, action, row.video_id, {"item": item_id, "note": note[:500]})

    def decide_review_item(self, item_id: str, reviewer: str, outcome: str, code: str, note: str) -> ReviewItemRecord:
        row = self._item_row(item_id, lock=True)
        if row.state != "claimed" or row.claimed_by != reviewer or (row.lease_until and row.lease_until < utcnow()):
            raise ConflictError(f"`{reviewer}` does not hold a live lease on review item {item_id}")
        row.state = "decided"
        row.decided_by = reviewer
        row.outcome = outcome
        row.outcome_code = code
        row.note = note
        row.decided_at = utcnow()
        self._s.add(row)
        self.audit(reviewer, f"review.{outcome}", row.video_id, {"item": item_id, "code": code, "note": note[:500]})
        return _to_item(row)

    def open_blind_review(self, original: ReviewItemRecord) -> str:
        item_id = new_id("rev")
        now = utcnow()
        self._s.add(
            ReviewItemRow(
                id=item_id,
                video_id=original.video_id,
                source="quality",
                reason_codes=list(original.reason_codes),
                severity=original.severity,
                policy_ref=original.policy_ref,
                due_at=now + timedelta(hours=48),
                state="open",
                blind_of=original.id,
                created_at=now,
            )
        )
        self.audit("system", "review.quality_sampled", original.video_id, {"item": item_id, "of": original.id})
        return item_id

    def review_items(self, *, decided: bool | None = None, limit: int = 5000) -> list[ReviewItemRecord]:
        stmt = select(ReviewItemRow).order_by(col(ReviewItemRow.created_at).desc()).limit(limit)
        if decided is True:
            stmt = stmt.where(ReviewItemRow.state == "decided")
        elif decided is False:
            stmt = stmt.where(ReviewItemRow.state != "decided")
        return [_to_item(r) for r in self._s.exec(stmt).all()]

    def set_hook_client(self, name: str, token_hash: str) -> bool:
        """Create or rotate a client's token; True when it was created."""
        row = self._s.get(HookClientRow, name)
        if row is None:
            self._s.add(HookClientRow(name=name, token_hash=token_hash, created_at=utcnow()))
            self.audit("operator", "hook.client_added", name, {})
            return True
        row.token_hash = token_hash
        row.rotated_at = utcnow()
        row.active = True
        self._s.add(row)
        self.audit("operator", "hook.client_rotated", name, {})
        return False

    def hook_client_for(self, token_hash: str) -> str | None:
        row = self._s.exec(
            select(HookClientRow).where(HookClientRow.token_hash == token_hash, col(HookClientRow.active))
        ).first()
        return row.name if row else None

    def mark_needs_senior(self, item_id: str) -> None:
        row = self._item_row(item_id)
        row.needs_senior = True
        self._s.add(row)

    def decision_facts(self, decision_id: str) -> dict[str, Any]:
        row = self._s.get(DecisionRow, decision_id)
        return dict(row.facts) if row else {}

    def withdraw_published(self, video_id: str, quarantine_path: Path, actor: str) -> None:
        """A published video taken down by a reviewer: blocked, its file kept in quarantine for appeal."""
        self.set_video_status(video_id, VideoStatus.BLOCKED, actor=actor, quarantine_path=quarantine_path)
        record = self._s.get(PublishedRecordRow, video_id)
        if record is not None:
            record.status = "withdrawn"
            self._s.add(record)

    def add_reviewer(self, name: str, role: str, password_hash: str) -> None:
        if self._s.get(ReviewerRow, name) is not None:
            raise ConflictError(f"reviewer `{name}` already exists")
        self._s.add(ReviewerRow(name=name, role=role, password_hash=password_hash, created_at=utcnow()))
        self.audit("admin", "reviewer.added", name, {"role": role})

    def reviewer(self, name: str) -> tuple[str, str, bool] | None:
        """(role, password hash, active) of a reviewer."""
        row = self._s.get(ReviewerRow, name)
        return (row.role, row.password_hash, row.active) if row else None

    def reviewers(self) -> list[tuple[str, str, bool]]:
        return [
            (r.name, r.role, r.active) for r in self._s.exec(select(ReviewerRow).order_by(col(ReviewerRow.name))).all()
        ]

    def start_session(self, token_hash: str, reviewer: str, expires_at: datetime) -> None:
        self._s.add(ReviewSessionRow(token_hash=token_hash, reviewer=reviewer, expires_at=expires_at))
        self.audit(reviewer, "reviewer.logged_in", reviewer, {})

    def session_reviewer(self, token_hash: str) -> str | None:
        row = self._s.get(ReviewSessionRow, token_hash)
        if row is None or row.expires_at < utcnow():
            return None
        return row.reviewer

    def end_session(self, token_hash: str) -> None:
        row = self._s.get(ReviewSessionRow, token_hash)
        if row is not None:
            self._s.delete(row)

    def add_appeal(self, video_id: str, appellant: str, text: str, review_item_id: str) -> str:
        appeal_id = new_id("apl")
        self._s.add(
            AppealRow(
                id=appeal_id,
                video_id=video_id,
                appellant=appellant,
                text=text,
                review_item_id=review_item_id,
                state="open",
                created_at=utcnow(),
            )
        )
        self.audit(appellant, "appeal.filed", video_id, {"appeal": appeal_id})
        return appeal_id

    def appeal_for_item(self, item_id: str) -> tuple[str, str, str] | None:
        row = self._s.exec(select(AppealRow).where(AppealRow.review_item_id == item_id)).first()
        return (row.id, row.appellant, row.text) if row else None

    def close_appeal(self, item_id: str, state: str) -> None:
        row = self._s.exec(select(AppealRow).where(AppealRow.review_item_id == item_id)).first()
        if row is not None:
            row.state = state
            self._s.add(row)

    def reports_for(self, video_id: str) -> list[tuple[str, str]]:
        rows = self._s.exec(select(ReportRow.reporter, ReportRow.reason).where(ReportRow.video_id == video_id)).all()
        return [(r, why) for r, why in rows]

    def add_report(self, video_id: str, reporter: str, reason: str, review_item_id: str) -> str:
        report_id = new_id("rep")
        self._s.add(
            ReportRow(
                id=report_id,
                video_id=video_id,
                reporter=reporter,
                reason=reason,
                review_item_id=review_item_id,
                created_at=utcnow(),
            )
        )
        self.audit(reporter, "report.filed", video_id, {"report": report_id, "reason": reason})
        return report_id

    # lineage, purges and banks

    def videos_with_owner(self, owner: str) -> list[tuple[VideoRecord, bool]]:
        """Every video an owner appears in (declared or identified), newest first, with whether it was declared."""
        ids = self._s.exec(
            select(LineageEdgeRow.child_video_id).where(
                LineageEdgeRow.kind == LineageKind.CONTAINS_CAMEO_OF.value, LineageEdgeRow.cameo_owner == owner
            )
        ).all()
        rows = self._s.exec(select(VideoRow).where(col(VideoRow.id).in_(list(ids)))).all() if ids else []
        rows = sorted(rows, key=lambda r: r.created_at, reverse=True)
        return [(_to_video(r, self._parent_of(r.id)), owner in r.declared_cameos) for r in rows]

    def owners_in(self, video_id: str) -> list[str]:
        rows = self._s.exec(
            select(LineageEdgeRow.cameo_owner).where(
                LineageEdgeRow.child_video_id == video_id,
                LineageEdgeRow.kind == LineageKind.CONTAINS_CAMEO_OF.value,
            )
        ).all()
        return [owner for owner in rows if owner]

    def descendants(self, video_ids: Sequence[str]) -> list[str]:
        """Every video derived from these (remixes of remixes, by anyone): one recursive query on indexed edges."""
        if not video_ids:
            return []
        query = text(
            """
            WITH RECURSIVE derived(id) AS (
                SELECT child_video_id FROM lineage_edges
                 WHERE kind = 'remix_of' AND parent_video_id IN :roots
                UNION
                SELECT e.child_video_id FROM lineage_edges e JOIN derived d ON e.parent_video_id = d.id
                 WHERE e.kind = 'remix_of'
            )
            SELECT id FROM derived
            """
        ).bindparams(bindparam("roots", expanding=True))
        return [row[0] for row in self._s.connection().execute(query, {"roots": list(video_ids)})]

    def purge_videos(
        self, video_ids: Sequence[str], *, owner: str, creator: str | None, reason: str, actor: str
    ) -> PurgeJob:
        """Unpublish and tombstone videos, move their fingerprints to the purged bank, and record the files to
        remove as a durable job. Files are removed after this transaction commits (`finish_purge_job`)."""
        now = utcnow()
        purged: list[str] = []
        files: list[str] = []
        for video_id in dict.fromkeys(video_ids):
            row = self._video_row(video_id, lock=True)
            if row.status == VideoStatus.PURGED.value:
                continue
            files += [p for p in (row.published_path, row.quarantine_path, row.draft_path) if p]
            previous = row.status
            row.status = VideoStatus.PURGED.value
            row.published_path = row.quarantine_path = row.draft_path = None
            row.updated_at = now
            self._s.add(row)
            record = self._s.get(PublishedRecordRow, video_id)
            if record is not None:
                record.status = "purged"
                record.purged_at = now
                self._s.add(record)
            hashes = self._s.exec(select(FrameHashRow).where(FrameHashRow.video_id == video_id)).all()
            if hashes:
                entry_id = new_id("bank")
                self._s.add(
                    BankEntryRow(id=entry_id, bank="purged", source_video_id=video_id, note=reason, created_at=now)
                )
                for h in hashes:
                    self._s.add(BankHashRow(entry_id=entry_id, digest=h.digest, quality=h.quality))
            if self._s.get(TombstoneRow, video_id) is None:
                self._s.add(TombstoneRow(video_id=video_id, purged_at=now, reason=reason))
            for item in self._s.exec(
                select(ReviewItemRow).where(ReviewItemRow.video_id == video_id, ReviewItemRow.state != "decided")
            ).all():
                item.state = "decided"
                self._s.add(item)
            self.audit(actor, "video.purged", video_id, {"from": previous, "reason": reason, "owner": owner})
            purged.append(video_id)
        job = PurgeJob(new_id("purge"), owner, creator, reason, tuple(purged), tuple(files), now)
        self._s.add(
            PurgeJobRow(
                id=job.id,
                owner=owner,
                creator=creator,
                reason=reason,
                state="files_pending",
                video_ids=list(purged),
                files=list(files),
                created_at=now,
            )
        )
        self.audit(actor, "purge.recorded", job.id, {"videos": list(purged), "owner": owner, "creator": creator})
        return job

    def pending_purge_jobs(self) -> list[PurgeJob]:
        rows = self._s.exec(
            select(PurgeJobRow).where(PurgeJobRow.state == "files_pending").order_by(col(PurgeJobRow.created_at))
        ).all()
        return [_to_job(r) for r in rows]

    def finish_purge_job(self, job_id: str) -> None:
        row = self._s.get(PurgeJobRow, job_id)
        if row is not None and row.state != "done":
            row.state = "done"
            row.finished_at = utcnow()
            self._s.add(row)
            self.audit("system", "purge.files_removed", job_id, {"files": len(row.files)})

    def purge_job(self, job_id: str) -> PurgeJob:
        row = self._s.get(PurgeJobRow, job_id)
        if row is None:
            raise UnknownSubjectError(f"unknown purge job `{job_id}`")
        return _to_job(row)

    def add_bank_entry(
        self, bank: str, hashes: Sequence[tuple[bytes, int]], *, note: str = "", source_video_id: str | None = None
    ) -> str:
        entry_id = new_id("bank")
        self._s.add(
            BankEntryRow(id=entry_id, bank=bank, source_video_id=source_video_id, note=note, created_at=utcnow())
        )
        for digest, quality in hashes:
            self._s.add(BankHashRow(entry_id=entry_id, digest=digest, quality=quality))
        self.audit("operator", "bank.added", entry_id, {"bank": bank, "hashes": len(hashes), "note": note[:200]})
        return entry_id

    def remove_bank_entry(self, entry_id: str) -> None:
        row = self._s.get(BankEntryRow, entry_id)
        if row is None:
            raise UnknownSubjectError(f"unknown bank entry `{entry_id}`")
        self._s.exec(delete(BankHashRow).where(col(BankHashRow.entry_id) == entry_id))
        self._s.delete(row)
        self.audit("operator", "bank.removed", entry_id, {"bank": row.bank})

    def list_bank(self, bank: str | None = None) -> list[dict[str, Any]]:
        stmt = select(BankEntryRow).order_by(col(BankEntryRow.created_at))
        if bank is not None:
            stmt = stmt.where(BankEntryRow.bank == bank)
        out = []
        for row in self._s.exec(stmt).all():
            count = self._s.exec(select(func.count()).where(BankHashRow.entry_id == row.id)).one()
            out.append(
                {
                    "id": row.id,
                    "bank": row.bank,
                    "note": row.note,
                    "source_video_id": row.source_video_id,
                    "hashes": int(count),
                    "created_at": row.created_at.isoformat(),
                }
            )
        return out

    def bank_stamp(self) -> tuple[int, int]:
        count, highest = self._s.exec(select(func.count(), func.max(BankHashRow.id))).one()
        return int(count), int(highest or 0)

    def bank_index_entries(self) -> list[tuple[str, bytes]]:
        rows = self._s.exec(
            select(BankEntryRow.bank, BankEntryRow.id, BankHashRow.digest)
            .join(BankHashRow, col(BankHashRow.entry_id) == col(BankEntryRow.id))
            .order_by(col(BankHashRow.id))
        ).all()
        return [(f"{bank}:{entry}", bytes(digest)) for bank, entry, digest in rows]

    def try_lock_sweeper(self, holder: str, ttl_s: float) -> bool:
        """Take the sweeper lock row (SQLite) when free or expired."""
        now = utcnow()
        row = self._s.get(SweeperLockRow, "sweeper")
        if row is None:
            self._s.add(SweeperLockRow(name="sweeper", holder=holder, expires_at=now + timedelta(seconds=ttl_s)))
            self._s.flush()
            return True
        if row.holder != holder and row.expires_at > now:
            return False
        row.holder = holder
        row.expires_at = now + timedelta(seconds=ttl_s)
        self._s.add(row)
        return True

    def release_sweeper(self, holder: str) -> None:
        row = self._s.get(SweeperLockRow, "sweeper")
        if row is not None and row.holder == holder:
            self._s.delete(row)

    # provenance registry

    def record_publication(
        self, video_id: str, *, sha256: str, watermark_token: int, frame_hashes: Sequence[tuple[float, bytes, int]]
    ) -> None:
        self._s.add(
            PublishedRecordRow(
                video_id=video_id,
                sha256=sha256,
                watermark_token=watermark_token,
                status="live",
                created_at=utcnow(),
            )
        )
        for t, digest, quality in frame_hashes:
            self._s.add(FrameHashRow(video_id=video_id, t=t, digest=digest, quality=quality))

    def registry_status(self, video_id: str) -> str | None:
        """`live` or `purged` for a registered video; `purged` for a tombstone; None when unknown."""
        row = self._s.get(PublishedRecordRow, video_id)
        if row is not None:
            return row.status
        return "purged" if self._s.get(TombstoneRow, video_id) is not None else None

    def video_for_token(self, token: int) -> str | None:
        return self._s.exec(
            select(PublishedRecordRow.video_id).where(PublishedRecordRow.watermark_token == token)
        ).first()

    def video_for_sha256(self, sha256: str) -> str | None:
        return self._s.exec(select(PublishedRecordRow.video_id).where(PublishedRecordRow.sha256 == sha256)).first()

    def fingerprint_stamp(self) -> tuple[int, int]:
        count, highest = self._s.exec(select(func.count(), func.max(FrameHashRow.id))).one()
        return int(count), int(highest or 0)

    def fingerprint_entries(self) -> list[tuple[str, bytes]]:
        rows = self._s.exec(select(FrameHashRow.video_id, FrameHashRow.digest).order_by(col(FrameHashRow.id))).all()
        return [(video_id, bytes(digest)) for video_id, digest in rows]

    # audit

    def audit(self, actor: str, action: str, subject: str, details: dict[str, Any]) -> AuditEntry:
        """Append one entry to the hash chain; the head row's lock orders concurrent appends."""
        stmt = select(AuditHeadRow).where(AuditHeadRow.id == 1)
        if self._pg:
            stmt = stmt.with_for_update()
        head = self._s.exec(stmt).one()
        at = utcnow()
        seq = head.seq + 1
        prev_hash = head.entry_hash
        digest = entry_hash(seq, at, actor, action, subject, details, prev_hash)
        self._s.add(
            AuditRow(
                seq=seq,
                at=at.isoformat(timespec="microseconds"),
                actor=actor,
                action=action,
                subject=subject,
                details=details,
                prev_hash=prev_hash,
                entry_hash=digest,
            )
        )
        head.seq = seq
        head.entry_hash = digest
        self._s.add(head)
        self._s.flush()
        return AuditEntry(seq, at, actor, action, subject, details, prev_hash, digest)

    def audit_entries(self, batch: int = 1000) -> Iterator[AuditEntry]:
        last = 0
        while True:
            rows = self._s.exec(
                select(AuditRow).where(AuditRow.seq > last).order_by(col(AuditRow.seq)).limit(batch)
            ).all()
            if not rows:
                return
            for row in rows:
                yield AuditEntry(
                    seq=row.seq,
                    at=datetime.fromisoformat(row.at),
                    actor=row.actor,
                    action=row.action,
                    subject=row.subject,
                    details=row.details,
                    prev_hash=row.prev_hash,
                    entry_hash=row.entry_hash,
                )
            last = rows[-1].seq


class Store:
    """The database, opened and migrated."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One transaction; database failures surface as `StorageError`, domain errors pass through."""
        session = Session(self.database.engine, expire_on_commit=False)
        try:
            with session.begin():
                yield Transaction(session, self.database.is_postgres)
        except IntegrityError as exc:
            raise ConflictError(f"conflicting write: {exc.orig}") from None
        except (OperationalError, SQLAlchemyError) as exc:
            raise StorageError(f"database error: {exc.__class__.__name__}: {getattr(exc, 'orig', exc)}") from None
        finally:
            session.close()
