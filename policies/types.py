"""The types of a policy pack: frozen values the decision function can trust.

Only `policies.parsing` builds them, from a pack with no issues; nothing else in cameoguard constructs them from
raw YAML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Action(StrEnum):
    """What happens to a video; ordered from least to most restrictive."""

    PUBLISH = "publish"
    REVIEW = "review"
    BLOCK = "block"

    @property
    def rank(self) -> int:
        return _ACTION_RANK[self]


_ACTION_RANK = {Action.PUBLISH: 0, Action.REVIEW: 1, Action.BLOCK: 2}


# The memory cap of intake's trial decode when a pack names none: ample for 4K H.264 and HEVC, small enough that a
# crafted file that makes a decoder allocate without bound is refused, not the host starved.
DEFAULT_DECODE_MEMORY_MB = 1024
"""`limits.max_decode_memory_mb` when a pack leaves it out."""


@dataclass(frozen=True)
class MediaLimits:
    """Bounds a video must stay inside before any model looks at it."""

    max_file_bytes: int
    """Largest accepted file."""
    max_duration_s: float
    """Longest accepted video."""
    min_duration_s: float
    """Shortest accepted video."""
    max_width: int
    """Widest accepted frame, in pixels."""
    max_height: int
    """Tallest accepted frame, in pixels."""
    allowed_video_codecs: frozenset[str]
    """FFmpeg codec names accepted for the video stream."""
    decode_probe_frames: int
    """How many frames, spread over the video, must decode cleanly."""
    max_decode_memory_mb: int = DEFAULT_DECODE_MEMORY_MB
    """Memory a decoder may take beyond the interpreter's own, enforced on a trial decode at intake."""


@dataclass(frozen=True)
class CheckPolicy:
    """How the gate runs one check."""

    name: str
    """The check's name, as it appears in `checks_run`."""
    required: bool
    """A required check that did not run is itself a finding (`check.missing`)."""
    timeout_s: float
    """Wall-clock budget; past it the check counts as failed."""
    on_error: Action
    """What a failed check means. Never `publish`: the validator refuses it."""


@dataclass(frozen=True)
class ReasonPolicy:
    """One reason code: what it does and what a reviewer reads about it."""

    code: str
    """Dotted code, e.g. `prompt.sexual_minors`."""
    action: Action
    """The action a finding with this code asks for."""
    severity: int
    """1 (low) to 5 (critical); orders the review queue."""
    sla_hours: float
    """How soon a held item with this reason must be decided."""
    text: str
    """Reviewer-facing explanation of the rule."""


@dataclass(frozen=True)
class PromptRule:
    """A phrase rule over the normalised prompt: fires when every term group has a match."""

    code: str
    """Reason code of the finding it produces."""
    term_groups: tuple[tuple[str, ...], ...]
    """All groups must match; within a group any term may."""


@dataclass(frozen=True)
class ScoreThresholds:
    """Score bands for a model-scored reason code: below `review` the finding is dropped."""

    review: float | None
    """At or above: held for review."""
    block: float | None
    """At or above: blocked."""

    def action_for(self, score: float) -> Action | None:
        if self.block is not None and score >= self.block:
            return Action.BLOCK
        if self.review is not None and score >= self.review:
            return Action.REVIEW
        return None


@dataclass(frozen=True)
class MatchThresholds:
    """Distances that decide a face match, for one embedding model."""

    match_distance: float
    """At or below: the same person."""
    uncertain_distance: float
    """Above `match_distance` and at or below this: a near match, held for review."""
    refine_jitters: int = 0
    """For near matches, re-embed with this many jitters before deciding (slower, steadier)."""


@dataclass(frozen=True)
class LikenessPolicy:
    """How faces in generated videos are found and matched."""

    sample_fps: float = 2.0
    """Frames per second the fast detector looks at."""
    max_frames: int = 40
    """Most frames sampled per video."""
    thorough_frames: int = 4
    """Most frames per video the slow detector (small and profile faces) looks at."""
    min_face_px: int = 20
    """Smaller faces are ignored."""
    models: Mapping[str, MatchThresholds] = field(default_factory=dict)
    """Thresholds per embedding model id; a model without thresholds cannot identify anyone."""


@dataclass(frozen=True)
class EnrollmentPolicy:
    """What a verification video must show to become a cameo."""

    min_usable_frames: int = 12
    """Frames with exactly one face of at least `min_face_px`."""
    min_face_px: int = 60
    """Smallest usable face height."""
    max_multi_face_share: float = 0.05
    """Largest share of frames allowed to show more than one face."""
    liveness_residual_min: float = 0.003
    """Smallest median non-rigid landmark residual of a live face."""
    liveness_mouth_std_min: float = 0.012
    """Smallest spread of mouth opening of a live face."""
    keep_verification_video: bool = False
    """Keep the verification video after enrollment (normally deleted)."""
    challenge_ttl_minutes: float = 10.0
    """How long a challenge stays valid."""


@dataclass(frozen=True)
class PromptClassifierPolicy:
    """Where the prompt classifier's labelled examples are, and how it holds some out for measurement."""

    examples: str
    """A YAML file beside the pack: category → example prompts (`benign` holds hard look-alikes)."""
    held_out_share: float = 0.3
    """Share of each category kept out of training, for the precision/recall bench."""


@dataclass(frozen=True)
class PolicyPack:
    """A validated, versioned policy pack."""

    name: str
    """Pack name, e.g. `default` or `teen`."""
    version: str
    """Pack version; recorded with every decision."""
    audience: str
    """`adult` or `teen`: whose generations this pack governs."""
    unknown_reason_action: Action
    """Action for a finding whose code the pack does not know; never `publish`."""
    limits: MediaLimits
    """Media bounds."""
    checks: Mapping[str, CheckPolicy]
    """Check name → how it runs."""
    reasons: Mapping[str, ReasonPolicy]
    """Reason code → policy."""
    prompt_rules: tuple[PromptRule, ...] = ()
    """Phrase rules the prompt check applies."""
    restricted_cameo_levels: frozenset[str] = field(default_factory=frozenset)
    """Consent levels this audience's cameos may not use (teen packs forbid `everyone`)."""
    likeness: LikenessPolicy = field(default_factory=LikenessPolicy)
    """Face finding and matching."""
    thresholds: Mapping[str, ScoreThresholds] = field(default_factory=dict)
    """Score bands per model-scored reason code (prompt categories, frame nudity, deepfake)."""
    enrollment: EnrollmentPolicy = field(default_factory=EnrollmentPolicy)
    """Cameo enrollment rules."""
    prompt_classifier: PromptClassifierPolicy | None = None
    """The labelled examples the prompt classifier learns from."""

    @property
    def ref(self) -> str:
        """`name@version`, as recorded with decisions."""
        return f"{self.name}@{self.version}"

    def reason(self, code: str) -> ReasonPolicy | None:
        return self.reasons.get(code)
