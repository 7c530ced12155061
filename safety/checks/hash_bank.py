"""The hash-bank check: is this video a copy of something known bad, or of something purged?

The whole submission is sampled eight times a second (the frames a bank samples, and three between each) and
matched by segment against the banks (`known_bad` from operators, `purged` from revocations): a run of a few
seconds of an item, mirrored, cropped, scaled, letterboxed, re-encoded, sped up or slowed down, trimmed, inside
other footage, shown picture-in-picture, tilted a few degrees, put in a split screen beside other footage, or cut
to 9:16, is found (`provenance.segments`; `bench/staydown.py` reports what is caught). Revoked content cannot come back.
A frame that repeats the last frame hashed anew (a still shot: no 16-pixel cell moved beyond noise, `safety.stillness`)
is compared as that frame's hashes, under its own time; only a frame whose layout was looked for is repeated, at
most three frames in a row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from policies import PolicyPack
from provenance import SegmentIndex
from provenance.layout import Frame
from provenance.segment_matching import SegmentHash
from provenance.segments import BANK_EVERY_S, MAX_QUERY_SAMPLES, QUERY_WITHIN, QueryHasher
from safety.checks.base import CheckContext, CheckOutcome
from safety.domain import Finding, Submission
from safety.frames import FrameNeed
from safety.stillness import StillFrames, Stillness

BankIndex = Callable[[], SegmentIndex]

# The hasher looks for a frame's layout (insets, panels, tilt) on every fourth frame, and searches tilts on every
# second: only such a frame's hashes are repeated, so a still frame is compared as fully as one hashed anew.
_LAYOUT_EVERY = 4
STILL = Stillness(max_run=_LAYOUT_EVERY - 1)


class StillQueryHasher:
    """The query hasher, with a frame that repeats the last one hashed anew taking that frame's hashes (what the
    check compares; `bench/staydown.py` measures it)."""

    def __init__(self) -> None:
        self.hasher = QueryHasher(layout_every=_LAYOUT_EVERY)
        self.still: StillFrames[int] = StillFrames(STILL)
        self.anchor: list[SegmentHash] = []
        self.anew = 0

    @property
    def hashes(self) -> list[SegmentHash]:
        return self.hasher.hashes

    def add(self, t: float, image: Frame, shot: int = 0) -> None:
        hasher = self.hasher
        position = hasher.frames
        if self.still.same_as(position, shot, image, may_anchor=position % _LAYOUT_EVERY == 0) is None:
            self.anchor = hasher.add(t, image)
            self.anew += 1
        else:
            hasher.hashes.extend(replace(h, t=t) for h in self.anchor)
            hasher.frames += 1  # the layout and tilt cadence counts every frame, repeated or not


class HashBankCheck:
    """`hash.known_bad` / `hash.purged` when the video matches a bank item."""

    name = "hash_bank"

    def __init__(self, index: BankIndex) -> None:
        self.index = index

    def warm_up(self, policy: PolicyPack) -> None:
        self.index()

    def frame_need(self, policy: PolicyPack, submission: Submission) -> FrameNeed:
        # The frames a bank sampled (twice a second) and three between each: a copy that keeps the original's
        # timing is hashed on the very frames banked.
        return FrameNeed(BANK_EVERY_S, MAX_QUERY_SAMPLES, within=QUERY_WITHIN)

    def run(self, context: CheckContext) -> CheckOutcome:
        index = self.index()
        still = StillQueryHasher()
        frames = 0
        # Hashed as they are decoded; only the hashes are kept, so a long video costs no more memory.
        for frame in context.frames.frames(self.name):
            frames += 1
            if len(index):
                still.add(frame.t, frame.image, frame.shot)
        matches = index.match(still.hashes) if len(index) else []
        facts = {
            "frames_hashed": frames if len(index) else 0,
            "frames_hashed_anew": still.anew,
            "frames_seen": frames,
            "bank_hashes": len(index),
        }
        findings = []
        for match in matches[:3]:
            bank, _, entry = match.key.partition(":")
            findings.append(
                Finding(
                    "hash.purged" if bank == "purged" else "hash.known_bad",
                    self.name,
                    f"{match.query_start:.1f}-{match.query_end:.1f} s match {bank} bank item {entry} "
                    f"({match.item_start:.1f}-{match.item_end:.1f} s of it, median distance {match.distance:.0f})",
                    score=1.0,
                    evidence={
                        "bank": bank,
                        "entry_id": entry,
                        "distance": match.distance,
                        "segment": [round(match.query_start, 2), round(match.query_end, 2)],
                        "item_segment": [round(match.item_start, 2), round(match.item_end, 2)],
                        "samples": match.samples,
                        "share": match.share,
                    },
                )
            )
        return CheckOutcome(tuple(findings), facts)
