"""`Services`: everything cameoguard needs, built once from `Settings` and passed to the edges.

The CLI, the HTTP hook, the generator and the review console all hold one `Services`. It opens the database,
prepares the media store, loads the policy packs and builds the gate with its checks; models load here once,
not per request. Its methods are the operations those edges offer, each one transaction.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policies import PolicyError, PolicyPack, bundled_pack_names, load_bundled_pack, load_pack
from safety.audit import ChainReport, verify_chain
from safety.checks import Check, ConsentCheck, MediaCheck, PromptRulesCheck
from safety.domain import AgeBand, GateResult, Submission, User, VideoStatus
from safety.errors import ConfigurationError, ConflictError, SubmissionError
from safety.gate import Gate, PolicyBook
from safety.mediastore import MediaStore
from safety.settings import Settings
from safety.store import Store, open_database
from safety.store.repository import DecisionRecord, ReviewItemRecord, VideoRecord

_HANDLE_MAX = 32


def normalise_handle(handle: str) -> str:
    """The canonical form of a handle; refuses what could impersonate or break things."""
    text = unicodedata.normalize("NFKC", handle).strip().casefold()
    if not text or len(text) > _HANDLE_MAX:
        raise SubmissionError(f"a handle has 1 to {_HANDLE_MAX} characters, got {len(text)}")
    if not all(ch.isascii() and (ch.isalnum() or ch in "_.-") for ch in text):
        raise SubmissionError(f"handle `{handle}` may use only ASCII letters, digits, `_`, `.` and `-`")
    return text


def _load_policy(ref: str) -> PolicyPack:
    try:
        if ref in bundled_pack_names():
            return load_bundled_pack(ref)
        return load_pack(Path(ref))
    except PolicyError as exc:
        raise ConfigurationError(f"policy `{ref}` cannot be used:\n{exc}") from None


def default_checks() -> list[Check]:
    """The checks every submission passes through, in the order they are reported."""
    return [MediaCheck(), PromptRulesCheck(), ConsentCheck()]


@dataclass(frozen=True)
class VideoView:
    """A video with its decisions, for `show`."""

    video: VideoRecord
    """The video."""
    decisions: tuple[DecisionRecord, ...]
    """Every decision about it, oldest first."""
    remixes: tuple[str, ...]
    """Ids of videos that remix it."""

    def to_json(self) -> dict[str, Any]:
        v = self.video
        latest = self.decisions[-1] if self.decisions else None
        return {
            "video_id": v.id,
            "creator": v.creator,
            "prompt": v.prompt,
            "status": v.status.value,
            "published_path": str(v.published_path) if v.published_path else None,
            "remix_of": v.remix_of,
            "remixes": list(self.remixes),
            "cameos": list(v.declared_cameos),
            "sha256": v.content_sha256,
            "duration_s": round(v.duration_s, 3),
            "size": [v.width, v.height],
            "policy": v.policy_ref,
            "created_at": v.created_at.isoformat(),
            "decision": latest.action if latest else None,
            "decisions": [
                {
                    "decision_id": d.id,
                    "decision": d.action,
                    "decided_by": d.decided_by,
                    "policy": d.policy_ref,
                    "reasons": list(d.reasons),
                    "checks_run": list(d.checks_run),
                    "at": d.created_at.isoformat(),
                }
                for d in self.decisions
            ],
        }


class Services:
    """The database, the media store, the policies and the gate, opened once."""

    def __init__(self, settings: Settings, checks: Sequence[Check] | None = None) -> None:
        self.settings = settings
        settings.home.mkdir(parents=True, exist_ok=True)
        self.media = MediaStore(settings.media_root)
        self.media.ensure()
        self.database = open_database(settings.resolved_database_url)
        self.store = Store(self.database)
        self.policies = PolicyBook(adult=_load_policy(settings.adult_policy), teen=_load_policy(settings.teen_policy))
        self.gate = Gate(
            self.store,
            self.media,
            self.policies,
            default_checks() if checks is None else checks,
            fail_checks=settings.fail_checks,
            check_workers=settings.check_workers,
        )

    def close(self) -> None:
        self.database.dispose()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # the gate

    def prepublish(self, submission: Submission) -> GateResult:
        """Run a submission through the gate (handles are normalised first)."""
        normalised = Submission(
            creator=normalise_handle(submission.creator),
            prompt=submission.prompt,
            video_path=submission.video_path,
            cameos=tuple(dict.fromkeys(normalise_handle(c) for c in submission.cameos)),
            remix_of=submission.remix_of,
            input_image_path=submission.input_image_path,
        )
        return self.gate.prepublish(normalised)

    # accounts

    def add_user(self, handle: str, age_band: AgeBand = AgeBand.ADULT) -> User:
        with self.store.transaction() as tx:
            return tx.add_user(normalise_handle(handle), age_band)

    def ensure_user(self, handle: str, age_band: AgeBand = AgeBand.ADULT) -> User:
        """The user, created when missing (idempotent, for demos and fixtures)."""
        with self.store.transaction() as tx:
            existing = tx.find_user(normalise_handle(handle))
            return existing or tx.add_user(normalise_handle(handle), age_band)

    def follow(self, follower: str, followee: str) -> bool:
        with self.store.transaction() as tx:
            return tx.follow(normalise_handle(follower), normalise_handle(followee))

    # videos

    def show(self, video_id: str) -> VideoView:
        with self.store.transaction() as tx:
            video = tx.get_video(video_id)
            return VideoView(video, tuple(tx.decisions_for(video_id)), tuple(tx.remixes_of(video_id)))

    def published_file(self, video_id: str) -> Path:
        """The public file of a published video (for remixing); `ConflictError` when it is not published."""
        with self.store.transaction() as tx:
            video = tx.get_video(video_id)
        if video.status is not VideoStatus.PUBLISHED or video.published_path is None:
            raise ConflictError(f"video `{video_id}` is {video.status.value}, not published")
        return video.published_path

    def report(self, video_id: str, reporter: str, reason: str) -> str:
        """A user report: the video goes into the review queue. Returns the review item id."""
        reporter = normalise_handle(reporter)
        if not reason.strip():
            raise SubmissionError("a report needs a reason")
        with self.store.transaction() as tx:
            tx.get_user(reporter)
            video = tx.get_video(video_id)
            policy = self.policies.by_ref(video.policy_ref) or self.policies.adult
            rule = policy.reason("report.user")
            item = tx.open_review_item(
                video_id,
                source="report",
                reason_codes=["report.user"],
                severity=rule.severity if rule else 2,
                sla_hours=rule.sla_hours if rule else 24.0,
                policy_ref=policy.ref,
            )
            tx.add_report(video_id, reporter, reason.strip()[:2000], item)
        return item

    def review_queue(self) -> list[ReviewItemRecord]:
        """Open review items, most severe and most urgent first."""
        with self.store.transaction() as tx:
            return tx.open_review_items()

    def recent_videos(self, limit: int = 50) -> list[VideoView]:
        with self.store.transaction() as tx:
            return [
                VideoView(v, tuple(tx.decisions_for(v.id)), tuple(tx.remixes_of(v.id)))
                for v in tx.list_videos(limit=limit)
            ]

    # audit

    def verify_audit(self) -> ChainReport:
        with self.store.transaction() as tx:
            return verify_chain(tx.audit_entries())
