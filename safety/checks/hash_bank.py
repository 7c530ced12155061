"""The hash-bank check: is this video a copy of something known bad, or of something purged?

Sampled frames are PDQ-hashed and matched against the banks (`known_bad` from operators, `purged` from
revocations); a video matches an item when enough of its frames are near that item's frames. A purged video
re-uploaded after a half-size low-quality re-encode still matches, so revoked content cannot come back.
"""

from __future__ import annotations

from collections.abc import Callable

from provenance import FingerprintIndex, video_hashes
from safety.checks.base import CheckContext, CheckOutcome
from safety.domain import Finding

BankIndex = Callable[[], FingerprintIndex]
MAX_DISTANCE = 40
MIN_SHARE = 0.5


class HashBankCheck:
    """`hash.known_bad` / `hash.purged` when the video matches a bank item."""

    name = "hash_bank"

    def __init__(self, index: BankIndex) -> None:
        self.index = index

    def run(self, context: CheckContext) -> CheckOutcome:
        hashes = video_hashes(str(context.video_path), every_s=0.5, max_frames=20)
        index = self.index()
        match = index.match(hashes, max_distance=MAX_DISTANCE, min_share=MIN_SHARE)
        facts = {"frames_hashed": len(hashes), "bank_hashes": len(index)}
        if match is None:
            return CheckOutcome((), facts)
        bank, _, entry = match.key.partition(":")
        code = "hash.purged" if bank == "purged" else "hash.known_bad"
        finding = Finding(
            code,
            self.name,
            f"matches {bank} bank item {entry} ({match.share:.0%} of frames, median distance {match.distance:.0f})",
            score=match.share,
            evidence={"bank": bank, "entry_id": entry, "distance": match.distance, "share": match.share},
        )
        return CheckOutcome((finding,), facts)
