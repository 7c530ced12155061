"""Videos: submitting through the gate, reading a video's record and decisions, reports, take-downs.

What a caller may read of a video follows `safety.access`: `show_to` answers the full record to its creator, its
owners and operators and the published facts to anyone else, and hides a video that is not published from them
as if it did not exist; remixes and a remix's parent are named only when the caller may know of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from policies import PolicyBook
from safety.access import OPERATOR, Viewer, hidden, sees, sees_in_full
from safety.domain import Decision, GateResult, Submission, VideoStatus
from safety.errors import ConflictError, SubmissionError
from safety.gate import Gate
from safety.gate.withholding import stage_quarantine
from safety.handles import clean_prompt, normalise_handle
from safety.mediastore import MediaStore
from safety.records import (
    DecisionRecord,
    NewReviewItem,
    RegistryStatus,
    ReviewItemRecord,
    ReviewSource,
    StatusEffects,
    VideoRecord,
)
from safety.storage import Store, Transaction

# A report's text is kept (cut, not refused): a reporter who writes at length still gets the item opened, and the review
# queue stays readable.
REPORT_MAX_CHARS = 2000


@dataclass(frozen=True)
class VideoView:
    """A video with its decisions, for `show`."""

    video: VideoRecord
    """The video."""
    decisions: tuple[DecisionRecord, ...]
    """Every decision about it, oldest first."""
    remixes: tuple[str, ...]
    """Ids of videos that remix it."""

    @property
    def latest(self) -> DecisionRecord | None:
        """The newest decision."""
        return self.decisions[-1] if self.decisions else None


@dataclass(frozen=True)
class PublishedVideo:
    """What anyone may know of a published video (`show_to` for a caller who is neither its creator, an owner in
    it nor an operator)."""

    video_id: str
    """The video."""
    creator: str
    """Its creator's handle."""
    created_at: datetime
    """When it was submitted."""
    remix_of: str | None
    """The parent it remixes, when the caller may know of the parent."""
    remixes: tuple[str, ...]
    """Remixes of it the caller may know of (published ones, and their own)."""
    registry: str | None
    """Its provenance registry status (`live` while published)."""


def video_view(tx: Transaction, video: VideoRecord) -> VideoView:
    """A video with its decisions and remixes, read in `tx`."""
    return VideoView(video, tuple(tx.decisions.for_video(video.id)), tuple(tx.videos.remixes_of(video.id)))


class Videos:
    """What creators, reporters and operators do with videos."""

    def __init__(self, store: Store, media: MediaStore, policies: PolicyBook, gate: Gate) -> None:
        self._store = store
        self._media = media
        self._policies = policies
        self._gate = gate
        self.on_taken_down: Callable[[str, list[str]], None] = lambda _video_id, _reasons: None
        """Told of every take-down (the video, its reason codes) once it is committed; set by the wiring."""

    def prepublish(self, submission: Submission, *, video_id: str | None = None, rerun: bool = False) -> GateResult:
        """Run a submission through the gate (handles and the prompt are normalised first); `video_id` when the
        id was fixed earlier (an asynchronous submission), `rerun` when a run of it was cut short."""
        normalised = Submission(
            creator=normalise_handle(submission.creator),
            prompt=clean_prompt(submission.prompt),
            video_path=submission.video_path,
            cameos=tuple(dict.fromkeys(normalise_handle(c) for c in submission.cameos)),
            remix_of=submission.remix_of,
            input_image_path=submission.input_image_path,
        )
        return self._gate.prepublish(normalised, video_id=video_id, rerun=rerun)

    def prepublish_file(self, creator: str, prompt: str, video: Path) -> GateResult:
        """Shorthand: submit a file with no cameos."""
        return self.prepublish(Submission(creator=creator, prompt=prompt, video_path=video))

    def show(self, video_id: str) -> VideoView:
        """A video with its decisions and remixes."""
        with self._store.transaction() as tx:
            return video_view(tx, tx.videos.get(video_id))

    def show_to(self, video_id: str, viewer: Viewer) -> VideoView | PublishedVideo:
        """The video as `viewer` may see it: the full record (with only the remixes and parent they may know of)
        for its creator, its owners and operators; the published facts for anyone else; `UnknownVideoError`, as
        for an unknown id, when it is not published and they may not see it."""
        with self._store.transaction() as tx:
            video = tx.videos.find(video_id)
            if video is None:
                raise hidden(video_id)
            owners = tx.videos.owners_in(video_id)
            if not sees(viewer, video, owners):
                raise hidden(video_id)
            parent = video.remix_of if video.remix_of and _known_to(tx, viewer, video.remix_of) else None
            remixes = tuple(r for r in tx.videos.remixes_of(video_id) if _known_to(tx, viewer, r))
            if sees_in_full(viewer, video, owners):
                return VideoView(replace(video, remix_of=parent), tuple(tx.decisions.for_video(video_id)), remixes)
            registry = tx.registry.status(video_id)
            return PublishedVideo(
                video.id, video.creator, video.created_at, parent, remixes, registry.value if registry else None
            )

    def recent_videos(self, limit: int = 50) -> list[VideoView]:
        """The newest videos with their decisions."""
        with self._store.transaction() as tx:
            return [video_view(tx, v) for v in tx.videos.recent(limit=limit)]

    def published_file(self, video_id: str, viewer: Viewer = OPERATOR) -> Path:
        """The public file of a published video (for remixing). When it is not published: `ConflictError` (its
        status) for a viewer who sees it in full, `UnknownVideoError` (as for an unknown id) for anyone else."""
        with self._store.transaction() as tx:
            video = tx.videos.find(video_id)
            if video is None:
                raise hidden(video_id)
            if video.status is not VideoStatus.PUBLISHED or video.published_path is None:
                if not sees_in_full(viewer, video, tx.videos.owners_in(video_id)):
                    raise hidden(video_id)
                raise ConflictError(f"video `{video_id}` is {video.status.value}, not published")
        return video.published_path

    def report(self, video_id: str, reporter: str, reason: str, *, viewer: Viewer | None = None) -> str:
        """A user report: the video goes into the review queue. Returns the review item id. A user reports only
        a video they may know of (published, or theirs or with them in it): another is unknown to them. `viewer`
        is who files it when not the reporter themselves (an operator's tools, `OPERATOR`)."""
        reporter = normalise_handle(reporter)
        if not reason.strip():
            raise SubmissionError("a report needs a reason")
        with self._store.transaction() as tx:
            tx.accounts.get(reporter)
            video = tx.videos.find(video_id)
            if video is None or not sees(viewer or Viewer(reporter), video, tx.videos.owners_in(video_id)):
                raise hidden(video_id)
            policy = self._policies.by_ref_or_adult(video.policy_ref)
            rule = policy.reason("report.user")
            item = tx.review.open_item(
                NewReviewItem(
                    video_id,
                    source=ReviewSource.REPORT,
                    reason_codes=("report.user",),
                    # A pack without a `report.user` rule still queues the report, at a middling severity and a day's
                    # deadline: a report is never dropped for want of a rule.
                    severity=rule.severity if rule else 2,
                    sla_hours=rule.sla_hours if rule else 24.0,
                    policy_ref=policy.ref,
                )
            )
            tx.review.add_report(video_id, reporter, reason.strip()[:REPORT_MAX_CHARS], item)
        return item

    def review_queue(self) -> list[ReviewItemRecord]:
        """Open review items, most severe and most urgent first."""
        with self._store.transaction() as tx:
            return tx.review.open_items()

    def take_down(
        self,
        video_id: str,
        decision: Decision,
        actor: str,
        note: str = "",
        *,
        hold_for: tuple[str, ...] = (),
        sla_hours: float = 24.0,
    ) -> None:
        """Unpublish a published video; its file moves to quarantine (kept for appeal). Blocked, or with `hold_for`
        (reason codes) held for a reviewer, who may publish it again."""
        with self._store.transaction() as tx:
            video = tx.videos.get(video_id)
        # Checked on a read, then again as `expected=` when the status moves below: the file is staged outside any
        # transaction (a copy of a large video), so the row may change in between and the second check is the one
        # that counts.
        if video.status is not VideoStatus.PUBLISHED or video.published_path is None:
            raise ConflictError(f"video `{video_id}` is {video.status.value}, not published")
        staged, final = stage_quarantine(
            self._media, self._store, video.published_path, video_id, VideoStatus.PUBLISHED
        )
        try:
            with self._store.transaction() as tx:
                tx.decisions.save(video_id, decision, actor, note=note)
                status = VideoStatus.HELD if hold_for else VideoStatus.BLOCKED
                effects = StatusEffects(quarantine_path=final)
                tx.videos.set_status(video_id, status, expected=VideoStatus.PUBLISHED, actor=actor, effects=effects)
                # Withdrawn in the registry too: a copy found later verifies as a video this service no longer stands
                # behind.
                tx.registry.set_status(video_id, RegistryStatus.WITHDRAWN)
                if hold_for:
                    item = NewReviewItem(
                        video_id,
                        source=ReviewSource.GATE,
                        reason_codes=hold_for,
                        severity=decision.severity,
                        sla_hours=sla_hours,
                        policy_ref=decision.policy_ref,
                    )
                    tx.review.open_item(item)
                # Renamed inside the transaction: if the commit fails the staged file is removed below, and the
                # published file is still where its row says.
                self._media.commit_staged(staged, final)
        except BaseException:
            self._media.discard(staged, final)
            raise
        # The published file goes last, after the commit: a crash before this leaves a stray file for the sweeper, never
        # a row pointing at nothing.
        self._media.discard(video.published_path)
        self.on_taken_down(video_id, [reason.code for reason in decision.reasons])


def _known_to(tx: Transaction, viewer: Viewer, video_id: str) -> bool:
    """The viewer may know the video exists (a remix or a parent named beside another video)."""
    video = tx.videos.find(video_id)
    return video is not None and sees(viewer, video, tx.videos.owners_in(video_id))
