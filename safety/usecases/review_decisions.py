"""The reviewer's desk: the queue, leases (claim, renew, release, escalate), decisions, bulk decisions and appeals.

Claiming an item takes a lease that only one reviewer can hold (atomic on SQLite and PostgreSQL). Every decision
needs a reason code from the policy pack and goes to the audit log. Approving publishes through the gate's own
marking, signing and consent re-check, so a revocation while the item waited wins. A configurable share of decided
items returns, blind, to another reviewer.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from policies import Action, PolicyBook
from safety.access import Viewer, hidden, sees
from safety.clock import SYSTEM_CLOCK, Clock
from safety.domain import Decision, Reason, VideoStatus
from safety.errors import ConflictError, SafetyError, SubmissionError
from safety.gate import Gate
from safety.handles import normalise_handle
from safety.records import AppealState, NewReviewItem, ReviewItemRecord, ReviewSource, ReviewState
from safety.storage import Store
from safety.usecases.review_rules import (
    APPEAL_MAX_CHARS,
    APPEAL_SEVERITY,
    APPEAL_SLA_HOURS,
    BULK_MAX_ITEMS,
    DUE_SOON,
    QUALITY_SLA_HOURS,
    media_of,
    reason_codes,
    refuse_own_blind_review,
    require,
    shows,
)
from safety.usecases.review_values import AppealCase, Lease, QueueEntry, Reviewer, ReviewOutcome
from safety.usecases.videos import Videos


class ReviewDecisions:
    """What reviewers take and decide: the queue, leases, decisions (one or many) and appeals."""

    def __init__(
        self,
        store: Store,
        policies: PolicyBook,
        videos: Videos,
        gate: Gate,
        *,
        lease_minutes: float = 10.0,
        quality_share: float = 0.1,
        rng: random.Random | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._store = store
        self._policies = policies
        self._videos = videos
        self._gate = gate
        self._clock = clock
        self.lease = timedelta(minutes=lease_minutes)
        self.quality_share = quality_share
        self.rng = rng or random.Random()

    # the queue

    def queue(self, by: Reviewer, *, reason: str | None = None, policy: str | None = None) -> list[ReviewItemRecord]:
        """Open items this reviewer may take: most severe first, then nearest deadline."""
        with self._store.transaction() as tx:
            items = tx.review.open_items()
            originals = {i.blind_of: tx.review.item(i.blind_of) for i in items if i.blind_of}
        visible = []
        for item in items:
            if item.needs_senior and not by.senior:
                continue
            if item.blind_of and originals[item.blind_of].decided_by == by.name:  # see refuse_own_blind_review
                continue
            if reason and reason not in item.reason_codes:
                continue
            if policy and not item.policy_ref.startswith(policy):
                continue
            visible.append(item)
        return sorted(visible, key=lambda i: (-i.severity, i.due_at))

    def queue_entries(
        self,
        by: Reviewer,
        *,
        reason: str | None = None,
        policy: str | None = None,
        source: str | None = None,
        sla: str | None = None,
    ) -> list[QueueEntry]:
        """The queue as a reviewer reads it: each item with its prompt, creator, age and SLA state, filtered."""
        items = self.queue(by, reason=reason, policy=policy)
        now = self._clock.now()
        entries: list[QueueEntry] = []
        with self._store.transaction() as tx:
            for item in items:
                if source is not None and item.source.value != source:
                    continue
                video = tx.videos.get(item.video_id)
                state = "breached" if item.due_at < now else "due soon" if item.due_at - now < DUE_SOON else "on time"
                if sla is not None and state != sla:
                    continue
                age = (now - item.created_at).total_seconds() / 3600 if item.created_at else 0.0
                media = media_of(video)
                entries.append(
                    QueueEntry(item, video.prompt, video.creator, round(age, 2), state, media, lease_of(item, now))
                )
        return entries

    def appeal_cases(self, by: Reviewer) -> list[AppealCase]:
        """Open appeals with what was appealed: the text, the decision and its reasons, who holds each."""
        require(by.senior, "appeals are for seniors")
        cases: list[AppealCase] = []
        with self._store.transaction() as tx:
            for item in tx.review.open_items():
                if item.source is not ReviewSource.APPEAL:
                    continue
                appeal = tx.review.appeal_for_item(item.id)
                decisions = tx.decisions.for_video(item.video_id)
                original = next((d for d in reversed(decisions) if d.action == Action.BLOCK.value), None)
                cases.append(
                    AppealCase(
                        item,
                        appeal.appellant if appeal else "",
                        appeal.text if appeal else "",
                        original.action if original else "",
                        tuple((str(r["code"]), str(r.get("message", ""))) for r in original.reasons)
                        if original
                        else (),
                        original.decided_by if original else "",
                        item.claimed_by if item.state is ReviewState.CLAIMED else None,
                    )
                )
        return cases

    # leases

    def claim(self, by: Reviewer, item_id: str) -> bool:
        """Take an item's lease; False when someone else holds it or it needs a senior. `AccessDenied` for the
        blind re-review of this reviewer's own decision."""
        with self._store.transaction() as tx:
            refuse_own_blind_review(tx.review, tx.review.item(item_id), by)
            return tx.review.claim(item_id, by.name, self.lease, senior=by.senior)

    def claim_next(self, by: Reviewer) -> ReviewItemRecord | None:
        """Claim the most urgent item nobody holds (open, or its lease lapsed) this reviewer may take, or None."""
        now = self._clock.now()
        for item in self.queue(by):
            if lease_of(item, now).holder is None and self.claim(by, item.id):
                with self._store.transaction() as tx:
                    return tx.review.item(item.id)
        return None

    def renew(self, by: Reviewer, item_id: str) -> bool:
        """Extend the lease on an item this reviewer holds."""
        return self.claim(by, item_id)

    def lease_state(self, by: Reviewer, item_id: str, *, keep: bool = False) -> Lease:
        """Who holds an item now. With `keep`, a reviewer working on an item they hold (or held, when nobody took it
        after their lease ran out) has the lease renewed once half of it is gone: it lapses only once they stop
        working on it."""
        with self._store.transaction() as tx:
            item = tx.review.item(item_id)
        now = self._clock.now()
        mine = item.state is ReviewState.CLAIMED and item.claimed_by == by.name
        # Renewed once half of it is used (each renewal is an audited write, not one per click).
        due = item.lease_until is None or item.lease_until - now <= self.lease / 2
        if keep and mine and due and self.claim(by, item_id):
            with self._store.transaction() as tx:
                item = tx.review.item(item_id)
        return lease_of(item, self._clock.now())

    def claim_refusal(self, by: Reviewer, item_id: str) -> str:
        """Why this reviewer cannot claim the item now, in words true of it; empty when they can."""
        with self._store.transaction() as tx:
            item = tx.review.item(item_id)
        lease = lease_of(item, self._clock.now())
        if lease.decided:
            if item.outcome:
                return f"This item is already decided: {item.outcome} ({item.outcome_code}) by {item.decided_by}."
            return "This item is closed: its video was removed or decided elsewhere."
        if item.needs_senior and not by.senior:
            return "This item was escalated: only seniors take it."
        if lease.holder is not None and lease.holder != by.name:
            return f"{lease.holder} holds this item for {minutes_left(lease)} more."
        return ""

    def release(self, by: Reviewer, item_id: str) -> None:
        """Give a held item back to the queue."""
        with self._store.transaction() as tx:
            tx.review.release(item_id, by.name)

    def escalate(self, by: Reviewer, item_id: str, note: str) -> None:
        """Give a held item back for seniors only, with a note."""
        with self._store.transaction() as tx:
            tx.review.release(item_id, by.name, escalate=True, note=note)

    # decisions

    def reason_codes(self, item: ReviewItemRecord, outcome: str) -> list[str]:
        """The codes a decision with this outcome may cite on this item, the item's own first."""
        return reason_codes(self._policies, item, outcome)

    def decide(self, by: Reviewer, item_id: str, outcome: str, code: str, note: str = "") -> ReviewOutcome:
        """approve / reject (any item), uphold / overturn (appeals, seniors). Returns what happened."""
        with self._store.transaction() as tx:
            item = tx.review.item(item_id)
            # Checked again here, not only at the claim: a lease is also renewed, and decided, by item id alone.
            refuse_own_blind_review(tx.review, item, by)
            media = media_of(tx.videos.get(item.video_id))
        if item.state is ReviewState.CLAIMED and item.claimed_by == by.name:
            # Deciding is working on it: a lease that ran out while nobody else took the item is renewed.
            self.claim(by, item_id)
        if outcome in ("approve", "overturn") and not shows(media):
            raise ConflictError("the video's file cannot be shown, so it cannot be approved unseen")
        policy = self._policies.by_ref_or_adult(item.policy_ref)
        if item.source is ReviewSource.APPEAL:
            require(by.senior, "appeals are decided by seniors")
            require(outcome in ("uphold", "overturn"), "an appeal is upheld or overturned")
        else:
            require(outcome in ("approve", "reject"), "an item is approved or rejected")
        if code not in self.reason_codes(item, outcome):
            raise SubmissionError(f"`{code}` is not a reason code of {policy.ref} that a `{outcome}` may cite")
        with self._store.transaction() as tx:
            decided = tx.review.decide(item_id, by.name, outcome, code, note)
            if item.source is ReviewSource.APPEAL:
                tx.review.close_appeal(item_id, AppealState.OVERTURNED if outcome == "overturn" else AppealState.UPHELD)
        publish = outcome in ("approve", "overturn")
        status, published = self._apply(by, decided, publish, code, note, policy.ref)
        if item.source is not ReviewSource.QUALITY and self.rng.random() < self.quality_share:
            self._sample_for_quality(decided)
        return ReviewOutcome(item_id, outcome, code, status, published)

    def _sample_for_quality(self, decided: ReviewItemRecord) -> None:
        """Return a decided item, blind, to another reviewer (the queue and the case hide it from its first one)."""
        with self._store.transaction() as tx:
            tx.review.open_item(
                NewReviewItem(
                    decided.video_id,
                    source=ReviewSource.QUALITY,
                    reason_codes=decided.reason_codes,
                    severity=decided.severity,
                    sla_hours=QUALITY_SLA_HOURS,
                    policy_ref=decided.policy_ref,
                    blind_of=decided.id,
                )
            )

    def _apply(
        self, by: Reviewer, item: ReviewItemRecord, publish: bool, code: str, note: str, policy_ref: str
    ) -> tuple[VideoStatus, Path | None]:
        video = self._videos.show(item.video_id).video
        if item.source is ReviewSource.QUALITY:
            return video.status, None
        actor = f"reviewer:{by.name}"
        action = Action.PUBLISH if publish else Action.BLOCK
        reason = Reason(code, action, 1, note or f"{by.name}: {action.value}", "", {"reviewer": by.name}, "review")
        decision = Decision(action, (reason,), {}, ("review",), policy_ref)
        # Only two paths publish: a held video's own gate item approved (the gate asked for review), and a senior
        # overturning a block on appeal. A report, or any other item, never publishes what the gate withheld.
        may_publish = (item.source is ReviewSource.GATE and video.status is VideoStatus.HELD) or (
            item.source is ReviewSource.APPEAL and video.status is VideoStatus.BLOCKED
        )
        if publish and may_publish:
            result = self._gate.publish_reviewed(video.id, decision, actor, note)
            return result.status, result.published_path
        if publish:
            # An approved report leaves the video as it is: a report cannot open a path to publishing.
            with self._store.transaction() as tx:
                tx.decisions.save(video.id, replace(decision, action=Action.REVIEW), actor, note=note)
            return video.status, None
        if video.status is VideoStatus.HELD:
            with self._store.transaction() as tx:
                tx.decisions.save(video.id, decision, actor, note=note)
                tx.videos.set_status(video.id, VideoStatus.BLOCKED, expected=VideoStatus.HELD, actor=actor)
            return VideoStatus.BLOCKED, None
        if video.status is VideoStatus.PUBLISHED:
            self._videos.take_down(video.id, decision, actor, note)
            return VideoStatus.BLOCKED, None
        with self._store.transaction() as tx:
            tx.decisions.save(video.id, decision, actor, note=note)
        return video.status, None

    def decide_many(
        self, by: Reviewer, item_ids: list[str], outcome: str, code: str, note: str = ""
    ) -> list[tuple[str, ReviewOutcome | str]]:
        """A senior decides many items with one outcome and reason: each is claimed and decided on its own (a
        revocation or another reviewer still wins for that item); per item, the outcome or why it was not decided."""
        require(by.senior, "bulk decisions are for seniors")
        if len(item_ids) > BULK_MAX_ITEMS:
            raise SubmissionError(f"at most {BULK_MAX_ITEMS} items at once")
        results: list[tuple[str, ReviewOutcome | str]] = []
        for item_id in dict.fromkeys(item_ids):
            try:
                if not self.claim(by, item_id):
                    results.append((item_id, "someone else holds it"))
                    continue
                results.append((item_id, self.decide(by, item_id, outcome, code, note or "bulk decision")))
            except SafetyError as exc:
                results.append((item_id, str(exc)))
        with self._store.transaction() as tx:
            done = [i for i, r in results if isinstance(r, ReviewOutcome)]
            tx.audit.append(by.name, "review.bulk_decided", outcome, {"code": code, "items": done})
        return results

    # appeals

    def appeal(self, video_id: str, by: str, text: str) -> str:
        """A creator appeals a block; a senior decides. A video the appellant may not know of (not published,
        neither theirs nor with them in it) is unknown to them, as an id that does not exist."""
        by = normalise_handle(by)
        if not text.strip():
            raise SubmissionError("an appeal needs a text")
        with self._store.transaction() as tx:
            video = tx.videos.find(video_id)
            if video is None or not sees(Viewer(by), video, tx.videos.owners_in(video_id)):
                raise hidden(video_id)
            if video.creator != by:
                raise ConflictError("only the video's creator may appeal")
            if video.status is not VideoStatus.BLOCKED:
                raise ConflictError(f"only blocked videos can be appealed; this one is {video.status.value}")
            policy = self._policies.by_ref_or_adult(video.policy_ref)
            item = tx.review.open_item(
                NewReviewItem(
                    video_id,
                    source=ReviewSource.APPEAL,
                    reason_codes=("appeal",),
                    severity=APPEAL_SEVERITY,
                    sla_hours=APPEAL_SLA_HOURS,
                    policy_ref=policy.ref,
                    needs_senior=True,
                )
            )
            tx.review.add_appeal(video_id, by, text.strip()[:APPEAL_MAX_CHARS], item)
        return item


def lease_of(item: ReviewItemRecord, now: datetime) -> Lease:
    """Who holds the item at `now`: a lease past its end is nobody's (anyone may claim the item)."""
    if item.state is ReviewState.DECIDED:
        return Lease(None, None, now, decided=True)
    if item.state is ReviewState.CLAIMED and item.lease_until is not None and item.lease_until > now:
        return Lease(item.claimed_by, item.lease_until, now)
    return Lease(None, None, now, lapsed_from=item.claimed_by if item.state is ReviewState.CLAIMED else None)


def minutes_left(lease: Lease) -> str:
    """The time left on a lease in words (`4 min`, `40 s`)."""
    seconds = lease.left.total_seconds()
    return f"{math.ceil(seconds / 60)} min" if seconds >= 60 else f"{math.ceil(seconds)} s"
