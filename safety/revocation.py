"""Revocation planning: when consent ends, which videos go. Pure.

Given every video an owner appears in, each with the consent snapshot read for its creator in the transaction
that changes consent, `refused_by_creator` answers which ones the owner's settings no longer allow, grouped by
creator; `PurgePlan` adds everything derived from them (remixes of remixes, by anyone). Applying a plan, removing
files after the commit and finishing interrupted jobs are IO and live in `safety.usecases.revocation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from policies import PolicyPack
from safety.consent import consent_verdict
from safety.domain import CameoConsent, VideoStatus
from safety.records import VideoRecord
from safety.restrictions import RestrictionJudge


@dataclass(frozen=True)
class PurgePlan:
    """What one purge removes."""

    owner: str
    """Whose likeness it protects."""
    creator: str | None
    """The creator whose consent ended, when one did."""
    reason: str
    """e.g. `consent_revoked`, `owner_removed`, `cameo_deleted`, `sweep_consent`."""
    video_ids: tuple[str, ...]
    """The refused videos first, then everything derived from them, each once."""


@dataclass(frozen=True)
class PurgeReceipt:
    """What the owner is told: which videos were purged, when and why."""

    receipt_id: str
    """The purge job's id."""
    owner: str
    """Whose likeness it was."""
    creator: str | None
    """Whose consent ended, when one creator's did."""
    reason: str
    """Why."""
    purged: tuple[str, ...]
    """Video ids."""
    at: datetime
    """When the purge was recorded."""
    files_removed: int
    """Files deleted from the media store."""


def refused_by_creator(
    owner: str,
    owner_policy: PolicyPack,
    appearances: Sequence[tuple[VideoRecord, CameoConsent]],
    *,
    restrictions: RestrictionJudge | None = None,
) -> dict[str, list[str]]:
    """Unpurged videos of `owner` whose creator may not use them now (by the snapshot beside each), by creator;
    `restrictions` judges the owner's restrictions (default: word for word)."""
    judge = {"restrictions": restrictions} if restrictions is not None else {}
    refused: dict[str, list[str]] = {}
    for video, snapshot in appearances:
        # The owner's own videos are never purged by their consent settings: "only me" still allows them, and a
        # restriction binds others.
        if video.status is VideoStatus.PURGED or video.creator == owner:
            continue
        # The same verdict the gate gives at publish, with the prompt the video was made from: a revocation removes
        # exactly what a fresh submission would now be refused.
        if not consent_verdict(snapshot, owner_policy, video.prompt, **judge).allowed:
            refused.setdefault(video.creator, []).append(video.id)
    return refused


def plan_purge(owner: str, creator: str | None, reason: str, roots: Sequence[str], derived: Sequence[str]) -> PurgePlan:
    """The plan for `roots` and what derives from them."""
    # `dict.fromkeys` drops repeats and keeps order: a remix of two refused videos is purged once, and the receipt lists
    # the refused videos before what derives from them.
    return PurgePlan(owner, creator, reason, tuple(dict.fromkeys([*roots, *derived])))


__all__ = ["PurgePlan", "PurgeReceipt", "plan_purge", "refused_by_creator"]
