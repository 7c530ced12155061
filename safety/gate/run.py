"""The values every step of the gate shares: the parts of the gate the steps use, what intake admitted, and one
video's run from its decision to its outcome.

A step is a module of functions; each takes the gate's parts (`GateParts`) and, once the decision is on record, the
run (`GateRun`, frozen), instead of the same six values passed from function to function. A republish from
quarantine (a reviewer's approval, an overturned appeal, the owners' approval) builds its own run from the video's
row, so the gate's own publish and every later one read the same fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from policies import PolicyBook, PolicyPack
from safety.checks import Check
from safety.domain import Decision, Finding, MediaInfo, Submission, User, VideoStatus
from safety.gate.metrics import GateMetrics
from safety.mediastore import MediaStore, StoredFile
from safety.publishing import Publisher
from safety.records import VideoRecord
from safety.restrictions import RestrictionJudge
from safety.storage import Store, Transaction

GATE_ACTOR = "gate"


class GateParts(Protocol):
    """What the steps use of the gate. Read at each call, not copied: a test (or a warm-up) may swap the checks or
    the restriction judge of a running gate."""

    store: Store
    media: MediaStore
    policies: PolicyBook
    publisher: Publisher
    restrictions: RestrictionJudge
    checks: tuple[Check, ...]
    fail_checks: frozenset[str]
    check_workers: int
    mark_during_checks: bool
    metrics: GateMetrics

    def _consent_findings(
        self, tx: Transaction, submission: Submission, owners: Sequence[str], *, stage: str, spoken: Sequence[str] = ()
    ) -> list[Finding]:
        """Each owner's consent read in `tx`; a finding per refusal (`deciding.consent_findings`). Called through
        the gate, so every stage that reads consent (identified, input image, voice, publish, purged) goes through
        one seam."""
        ...


@dataclass(frozen=True)
class Admitted:
    """A submission that passed intake: who made it, the pack that judges it, what the file is. Ingest stores it and
    the checks' context is built from it."""

    creator: User
    policy: PolicyPack
    info: MediaInfo


@dataclass(frozen=True)
class GateRun:
    """One video on its way from a recorded decision to its outcome: what publishing it, waiting for its owners and
    withholding it read."""

    video_id: str
    decision_id: str
    """The decision on record that this run acts on."""
    decision: Decision
    submission: Submission
    """What was submitted (for a republish: rebuilt from the row, the file being the quarantined copy)."""
    draft: StoredFile
    """The file to publish or quarantine: the gate's private draft, or the quarantined copy."""
    subjects: tuple[str, ...]
    """Whose consent is read again at publish: declared owners, owners identified by face or in the input image,
    owners heard."""
    expected: VideoStatus = VideoStatus.CHECKING
    """The status the row must still have when this run moves it (every move is a compare-and-set): `checking` for
    the gate's own run, the status it waits in (held, blocked, pending_owner) for a republish."""
    actor: str = GATE_ACTOR
    """Who publishes or asks the owners: the gate, a reviewer, an owner who approved."""

    def decided(self, decision_id: str, decision: Decision) -> GateRun:
        """The same run acting on a newer decision (a refusal at publish supersedes the one it had)."""
        return replace(self, decision_id=decision_id, decision=decision)


def recorded_run(
    video: VideoRecord, file: Path, decision_id: str, decision: Decision, subjects: tuple[str, ...], *, actor: str
) -> GateRun:
    """The run of a video already on record (waiting in quarantine, or `checking` for the sweeper to settle): the
    submission rebuilt from its row, `file` (its quarantined copy or its draft) as the draft, its status now as the
    one expected."""
    submission = Submission(video.creator, video.prompt, file, video.declared_cameos, video.remix_of)
    # A file a purge removed meanwhile is a moved video, learnt when the run moves it: not an error here.
    stored = StoredFile(file, video.content_sha256, file.stat().st_size if file.is_file() else 0)
    return GateRun(video.id, decision_id, decision, submission, stored, subjects, expected=video.status, actor=actor)


def label(submission: Submission) -> str:
    """The visible mark's text."""
    return f"AI-generated | @{submission.creator}"


class AwaitOwners(Exception):
    """Raised inside the publishing transaction: owners who approve each use are still to be asked."""

    def __init__(self, owners: list[str]) -> None:
        super().__init__(", ".join(owners))
        self.owners = owners


class PublishRefused(Exception):
    """Raised inside (or before) the publishing transaction: what was read again refuses the publish."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("publish refused")
        self.findings = findings
