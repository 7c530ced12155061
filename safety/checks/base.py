"""The check interface and the context every check receives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from policies import PolicyPack
from safety.domain import CameoConsent, Finding, MediaInfo, Submission, TrackEmbedding, User
from safety.frames import FrameFeed, FrameNeed


@dataclass(frozen=True)
class CheckContext:
    """What a check may look at: the submission, the stored file, and state read before checks started."""

    submission: Submission
    """What was submitted."""
    creator: User
    """The creator's account."""
    video_path: Path
    """The draft copy in the media store (never the caller's file, which may change). Checks read pixels from
    `frames`, not from this file: the video is decoded once per submission."""
    media: MediaInfo
    """What probing the file found."""
    policy: PolicyPack
    """The creator's policy pack."""
    frames: FrameFeed
    """The one decode of the draft: each check that declared a `frame_need` reads its frames under its name."""
    cameo_consent: Mapping[str, CameoConsent] = field(default_factory=dict)
    """Consent snapshot per declared cameo owner."""
    owner_policies: Mapping[str, PolicyPack] = field(default_factory=dict)
    """Policy pack of each declared cameo owner (teen owners restrict consent levels)."""


@dataclass(frozen=True)
class CheckOutcome:
    """What one check produced."""

    findings: tuple[Finding, ...] = ()
    """Findings for the decision."""
    facts: Mapping[str, Any] = field(default_factory=dict)
    """Structured observations kept with the decision (e.g. the face tracks), not judged by the policy."""
    embeddings: tuple[TrackEmbedding, ...] = ()
    """Biometric vectors of what the check saw or heard: stored apart (never in a decision, a log or an answer),
    deleted with the video."""


class Check(Protocol):
    """One step of the gate."""

    @property
    def name(self) -> str:
        """Stable name used in policies, `checks_run` and CAMEOGUARD_FAIL_CHECKS."""
        ...

    def run(self, context: CheckContext) -> CheckOutcome:
        """Findings and facts for this video; raise on failure (the runner records `check.error`)."""
        ...


@runtime_checkable
class WarmsUp(Protocol):
    """A check with models to load before the first submission (the service and workers warm up at start)."""

    def warm_up(self, policy: PolicyPack) -> None:
        """Load and run each model once, as this policy would use it."""
        ...


@runtime_checkable
class HearsSound(Protocol):
    """A check that listens declares it before the decode starts; it reads `CheckContext.frames.sound()`."""

    def hears(self, policy: PolicyPack, submission: Submission) -> bool:
        """Whether this check reads the sound track for this submission."""
        ...


@runtime_checkable
class WatchesFrames(Protocol):
    """A check that looks at pixels declares which frames before the decode starts."""

    def frame_need(self, policy: PolicyPack, submission: Submission) -> FrameNeed | None:
        """The frames this check reads from `CheckContext.frames` (under its name), or None for none."""
        ...
