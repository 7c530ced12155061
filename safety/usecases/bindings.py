"""Bindings: what the registry says of a video, and the videos a soft binding value names.

`resolve_binding` is the one lookup from a soft binding value to the videos and manifests it names: `verify` makes
it for the watermark it reads, and the Soft Binding Resolution API for the values it is asked about, so the two
cannot disagree about a copy. A purged video's bindings still resolve, to its tombstone status. When pieces of
evidence disagree, `most_restrictive` says which status wins.
"""

from __future__ import annotations

from dataclasses import dataclass

from provenance.softbinding import canonical_value
from safety.domain import VideoStatus
from safety.records import ManifestRecord, RegistryStatus
from safety.storage import Transaction

HELD = "held"
# How restrictive each status is: when pieces of evidence disagree, the most restrictive one is reported. A
# withdrawn video was taken down (blocked); a held one waits for a reviewer.
_RESTRICTIVENESS = {
    "unknown": 0,
    RegistryStatus.LIVE.value: 1,
    HELD: 2,
    RegistryStatus.WITHDRAWN.value: 3,
    RegistryStatus.PURGED.value: 4,
}


@dataclass(frozen=True)
class Resolution:
    """A video a soft binding value (or a file) leads to."""

    video_id: str
    """The video."""
    status: str
    """live, held, withdrawn, purged or unknown (`trace_status`)."""
    manifest_id: str | None
    """Its manifest in the repository."""


def registry_status(tx: Transaction, video_id: str) -> str | None:
    """`live`, `withdrawn` or `purged` for a registered video; `purged` for a tombstone; None when unknown."""
    status = tx.registry.status(video_id)
    if status is not None:
        return status.value
    return RegistryStatus.PURGED.value if tx.purges.is_tombstoned(video_id) else None


def trace_status(tx: Transaction, video_id: str) -> str:
    """`registry_status`, with a withdrawn video that is held for review told apart (`held`); `unknown` when the
    registry does not know it."""
    return told_apart(tx, video_id, registry_status(tx, video_id))


def told_apart(tx: Transaction, video_id: str, status: str | None) -> str:
    """A registry status with a withdrawn video that is held for review told apart (`held`): the registry only
    knows that it is no longer live, and a reader should know a reviewer may still publish it."""
    if status == RegistryStatus.WITHDRAWN.value:
        video = tx.videos.find(video_id)
        if video is not None and video.status is VideoStatus.HELD:
            return HELD
    return status or "unknown"


def restrictiveness(status: str) -> int:
    """How restrictive a status is (0 for one this module does not know)."""
    return _RESTRICTIVENESS.get(status, 0)


def most_restrictive(statuses: list[str]) -> str:
    """The status that wins when pieces of evidence disagree."""
    return max(statuses, key=restrictiveness, default="unknown")


def resolve_binding(tx: Transaction, alg: str, value: str) -> list[Resolution]:
    """The videos (with status, as `trace_status` says it, and manifest) a soft binding value names: one indexed
    lookup. A value that cannot be one of `alg`'s, or an algorithm we do not declare, names nothing."""
    canonical = canonical_value(alg, value)
    if canonical is None:
        return []
    return [
        Resolution(
            match.video_id,
            told_apart(
                tx,
                match.video_id,
                # The binding's row carries the registry status joined in; a video with no registry row (purged
                # before it was recorded) is asked for its tombstone.
                match.status.value if match.status is not None else registry_status(tx, match.video_id),
            ),
            match.manifest_id,
        )
        for match in tx.registry.find_binding(alg, canonical)
    ]


def resolution_of(tx: Transaction, video_id: str, status: str) -> Resolution:
    """A video with its status and the manifest that published it (None before manifests were kept)."""
    manifest: ManifestRecord | None = tx.registry.manifest_of(video_id)
    return Resolution(video_id, status, manifest.manifest_id if manifest is not None else None)
