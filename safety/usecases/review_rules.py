"""The rules the review services share: roles, deadlines, limits, who may see what, and which reason codes fit.

Kept apart from the services so that the case file (which offers the codes) and the decisions (which check them)
read one rule, and so that the blind re-review's "never your own decision" is one test wherever an item is opened,
claimed or decided.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from policies import Action, PolicyBook
from safety.domain import VideoStatus
from safety.records import ReviewItemRecord, ReviewSource, VideoRecord
from safety.storage import ReviewStore
from safety.usecases.review_values import AccessDenied, Reviewer

ROLES = ("reviewer", "senior", "admin")
QUALITY_SLA_HOURS = 48.0
APPEAL_SLA_HOURS = 72.0
APPEAL_SEVERITY = 3
APPEAL_MAX_CHARS = 4000
LOGIN_FAILURES_ALLOWED = 10
# An office shares one address: it is locked only at a count no one office's typos reach, far above one account's.
LOGIN_FAILURES_PER_ADDRESS = 100
LOGIN_LOCK = timedelta(minutes=15)
DUE_SOON = timedelta(hours=2)
BLUR_RANGE = (4, 64)
BULK_MAX_ITEMS = 200
LEASE_WARNING = timedelta(minutes=2)


def require(condition: bool, message: str) -> None:
    """Refuse with `AccessDenied` unless the condition holds."""
    if not condition:
        raise AccessDenied(message)


def media_of(video: VideoRecord) -> Path | None:
    """The file that shows the video as it is now: the published file while published, else the quarantined one."""
    if video.status is VideoStatus.PUBLISHED:
        return video.published_path
    return video.quarantine_path or video.published_path


def shows(path: Path | None) -> bool:
    """Whether a reviewer can be shown this file (it is named and on disk)."""
    return path is not None and path.is_file()


def own_blind_review(review: ReviewStore, item: ReviewItemRecord, by: Reviewer) -> bool:
    """Whether this item re-reviews, blind, a decision this reviewer made."""
    return bool(item.blind_of) and review.item(item.blind_of or "").decided_by == by.name


def refuse_own_blind_review(review: ReviewStore, item: ReviewItemRecord, by: Reviewer) -> None:
    """A blind re-review measures whether a second person agrees; its first reviewer may neither open, claim nor
    decide it, whatever link they follow (the queue alone hiding it is not enough)."""
    require(not own_blind_review(review, item, by), "a blind re-review of your own decision goes to another reviewer")


def reason_codes(policies: PolicyBook, item: ReviewItemRecord, outcome: str) -> list[str]:
    """The codes a decision with this outcome may cite on this item, the item's own first, each once. Approving
    cites a code whose policy action is `review` (only what the policy leaves to people can be approved) or one the
    gate held this very item for; rejecting, upholding or overturning cites a `review` or `block` code."""
    policy = policies.by_ref_or_adult(item.policy_ref)
    wanted = {Action.REVIEW} if outcome == "approve" else {Action.REVIEW, Action.BLOCK}
    fitting = [code for code, rule in policy.reasons.items() if rule.action in wanted]
    if item.source in (ReviewSource.GATE, ReviewSource.QUALITY):
        # The gate held the item for these codes (a score between the review and block thresholds of a `block`
        # code is left to people too): approving may say it looked at exactly that.
        fitting += [code for code in item.reason_codes if code in policy.reasons and code not in fitting]
    own = [code for code in dict.fromkeys(item.reason_codes) if code in fitting]
    # A failed or missing check is a reason only on the item it held; elsewhere it would hide the real one.
    fitting = [code for code in fitting if code in own or not code.startswith("check.")]
    return [*own, *sorted(c for c in fitting if c not in own)]
