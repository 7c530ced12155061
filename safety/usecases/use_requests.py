"""Owner approval of each use: an owner who asks to approve every video of their likeness answers one request per
video.

The gate asks (a video that passed every check waits in `pending_owner`, see `gate.publishing.await_owners`); this
use case lists what waits for an owner, records their answer and lets the gate settle the video: published when every
owner asked approved (through the same consent re-read, marking and signing as any publish), blocked when one
declines or does not answer within `expire_after`. A submission's callback is sent again with the outcome, so the
platform that asked hears the end of the story.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from safety.clock import Clock
from safety.domain import GateResult, VideoStatus
from safety.gate import Gate
from safety.handles import normalise_handle
from safety.records import UseRequestRecord, UseRequestState
from safety.storage import Store


class UseRequests:
    """Requests for an owner's approval of one use, and their answers."""

    def __init__(
        self,
        store: Store,
        gate: Gate,
        clock: Clock,
        *,
        expire_after: timedelta,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self._store = store
        self._gate = gate
        self._clock = clock
        self.expire_after = expire_after
        self.notify = notify
        """Called with a video id once its wait ends (the API's callbacks)."""

    def pending(self, owner: str) -> list[UseRequestRecord]:
        """What waits for this owner's answer, oldest first."""
        owner = normalise_handle(owner)
        with self._store.transaction() as tx:
            tx.accounts.get(owner)
            return [
                r
                for r in tx.consent.use_requests(owner=owner, state=UseRequestState.PENDING)
                # A request whose video has moved on (refused by another owner, purged, blocked at publish) is no longer
                # a question: it is not shown.
                if tx.videos.get(r.video_id).status is VideoStatus.PENDING_OWNER
            ]

    def approve(self, owner: str, video_id: str) -> GateResult | None:
        """The owner approves this use; the video publishes once every owner asked has approved (None until then)."""
        return self._answer(owner, video_id, UseRequestState.APPROVED)

    def decline(self, owner: str, video_id: str) -> GateResult | None:
        """The owner declines this use: the video is blocked and never publishes."""
        return self._answer(owner, video_id, UseRequestState.DECLINED)

    def _answer(self, owner: str, video_id: str, state: UseRequestState) -> GateResult | None:
        owner = normalise_handle(owner)
        with self._store.transaction() as tx:
            tx.consent.answer_use(video_id, owner, state, actor=owner)
        # Settled in transactions of its own: publishing re-reads consent and marks the file, which must not hold the
        # answer's transaction open, and the answer stands even if publishing then fails.
        return self._settle(video_id, actor=owner)

    def expire_overdue(self) -> list[str]:
        """Requests older than `expire_after` expire and their videos are blocked; the videos' ids."""
        cutoff = self._clock.now() - self.expire_after
        with self._store.transaction() as tx:
            overdue = [r for r in tx.consent.use_requests(state=UseRequestState.PENDING) if r.created_at < cutoff]
            for request in overdue:
                tx.consent.answer_use(request.video_id, request.owner, UseRequestState.EXPIRED, actor="sweeper")
        videos = sorted({r.video_id for r in overdue})
        # Answers are committed first, all together; each video is then settled on its own, so one that fails to settle
        # does not undo the expiry of the others.
        for video_id in videos:
            self._settle(video_id, actor="sweeper")
        return videos

    def _settle(self, video_id: str, *, actor: str) -> GateResult | None:
        result = self._gate.settle_owner_requests(video_id, actor=actor)
        if result is not None and self.notify is not None:
            self.notify(video_id)
        return result
