"""The promises cameoguard keeps under any interleaving, written down once and checked against a live deployment.

Each invariant has a name and one sentence; `check_invariants` reads the whole database in one consistent snapshot
(REPEATABLE READ on PostgreSQL) plus the media store, and answers every violation it finds with the row or file it
concerns. Some invariants hold at every instant ("always"); the ones about files and jobs hold once the system is
quiet and a sweep has run ("quiescent"), because a purge removes files after its commit and a killed process
leaves scratch that only the sweeper collects. The concurrency tests check the first kind after every step and the
second kind after they drain; `cameoguard invariants` runs the same checks on a deployment.

History is read from the audit log: every status move is appended in the transaction that makes it, with the
status it came from and the one it went to, so the log replays each video's life against
`domain.VIDEO_TRANSITIONS` and against the row's status now.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from policies import PolicyBook
from safety.audit import verify_chain
from safety.consent import consent_verdict
from safety.domain import VideoStatus, may_move
from safety.mediastore import AREAS, MediaStore
from safety.records import RegistryStatus, UseRequestState
from safety.storage import Store, Transaction

ALWAYS: dict[str, str] = {
    "consent_at_publish": "every published video's declared and identified owners consent to it (a consent change "
    "purges in its own transaction, so this is consent at the publish commit), and a published remix's parent is "
    "published",
    "owner_answer_holds": "a video an owner declined, or did not approve in time, is not published",
    "purged_is_gone": "a purged video points at no file and its manifest lookup does not answer `live`",
    "review_decided_once": "every review item is decided at most once",
    "status_moves": "every status a video took is one the state machine allows from the one before, and its row "
    "agrees with its history",
    "audit_chain": "the audit chain verifies",
}
QUIESCENT: dict[str, str] = {
    "purge_jobs_end": "every purge job has ended: its files are removed",
    "purged_files_gone": "no file of a purged video remains on disk",
    "rows_have_files": "every file a published, held, waiting or blocked row points at exists",
    "no_orphan_files": "after a sweep, every file in the media store belongs to a row, a cameo or a waiting submission",
}
INVARIANTS: dict[str, str] = {**ALWAYS, **QUIESCENT}
"""Every invariant by name, with the sentence that defines it."""

# What each action of the audit log moved a video to, for entries older than the `to` field.
_ACTION_STATUS = {f"video.{s.value}": s for s in VideoStatus} | {
    "video.expired": VideoStatus.BLOCKED,
    "video.file_missing": VideoStatus.BLOCKED,
}


@dataclass(frozen=True)
class Violation:
    """One broken promise."""

    invariant: str
    """Its name, a key of `INVARIANTS`."""
    subject: str
    """The video, review item, purge job or file it concerns."""
    detail: str
    """What is wrong, in a sentence."""


@dataclass(frozen=True)
class InvariantReport:
    """What one check looked at and found."""

    checked: tuple[str, ...]
    """The invariants checked."""
    videos: int
    """Videos looked at."""
    violations: tuple[Violation, ...] = field(default=())
    """Every violation found; empty when all hold."""

    @property
    def ok(self) -> bool:
        """True when no invariant is broken."""
        return not self.violations


def check_invariants(store: Store, media: MediaStore, policies: PolicyBook, *, quiescent: bool) -> InvariantReport:
    """Check every `ALWAYS` invariant, and with `quiescent` (nothing in flight, a sweep just ran) the `QUIESCENT`
    ones too."""
    found: list[Violation] = []
    checkpoints = store.audit_checkpoints()  # before the snapshot: each names an entry committed by then
    with store.snapshot() as tx:
        videos = {v.id: v for v in tx.videos.in_status(*VideoStatus)}
        found += _consent_at_publish(tx, policies)
        found += _owner_answer_holds(tx)
        found += _purged_is_gone(tx)
        found += _from_history(tx, {vid: v.status for vid, v in videos.items()})
        chain = verify_chain(
            tx.audit.entries(),
            store.audit_key,
            head=tx.audit.head(),
            checkpoints=checkpoints,
            retired=store.retired_audit_keys,
        )
        if not chain.ok:
            found.append(Violation("audit_chain", f"seq {chain.first_broken_seq}", chain.problem))
        if quiescent:
            found += _quiescent(tx, media)
    checked = tuple(INVARIANTS if quiescent else ALWAYS)
    return InvariantReport(checked, len(videos), tuple(found))


def _consent_at_publish(tx: Transaction, policies: PolicyBook) -> list[Violation]:
    found = []
    for video in tx.videos.in_status(VideoStatus.PUBLISHED):
        owners = dict.fromkeys([*video.declared_cameos, *tx.videos.owners_in(video.id)])
        for owner in owners:
            if owner == video.creator:
                continue
            snapshot = tx.consent.snapshot(owner, video.creator, lock=False)
            verdict = consent_verdict(snapshot, policies.for_user(tx.accounts.get(owner)), video.prompt)
            if not verdict.allowed:
                found.append(
                    Violation("consent_at_publish", video.id, f"published without {owner}'s consent ({verdict.code})")
                )
        if video.remix_of is not None:
            parent = tx.videos.get(video.remix_of)
            if parent.status is not VideoStatus.PUBLISHED:
                found.append(
                    Violation(
                        "consent_at_publish", video.id, f"a published remix of {parent.id}, which is {parent.status}"
                    )
                )
    return found


def _owner_answer_holds(tx: Transaction) -> list[Violation]:
    found = []
    for video in tx.videos.in_status(VideoStatus.PUBLISHED):
        latest = {r.owner: r.state for r in tx.consent.use_requests(video_id=video.id)}
        for owner, state in sorted(latest.items()):
            if state in (UseRequestState.DECLINED, UseRequestState.EXPIRED, UseRequestState.PENDING):
                found.append(Violation("owner_answer_holds", video.id, f"published while {owner}'s answer is {state}"))
    return found


def _purged_is_gone(tx: Transaction) -> list[Violation]:
    found = []
    for video in tx.videos.in_status(VideoStatus.PURGED):
        paths = [p for p in (video.draft_path, video.published_path, video.quarantine_path) if p is not None]
        if paths:
            found.append(Violation("purged_is_gone", video.id, f"a purged row still points at {len(paths)} file(s)"))
        if tx.registry.status(video.id) is RegistryStatus.LIVE:
            found.append(Violation("purged_is_gone", video.id, "its manifest lookup still answers `live`"))
    return found


def _from_history(tx: Transaction, statuses: dict[str, VideoStatus]) -> list[Violation]:
    """Replay the audit log: each video's moves against the state machine, each review item's decisions."""
    found: list[Violation] = []
    life: dict[str, VideoStatus] = {}
    decided: Counter[str] = Counter()
    for entry in tx.audit.entries():
        action, details = entry.action, entry.details
        if action == "video.submitted":
            life[entry.subject] = VideoStatus.CHECKING
        elif action.startswith("video.") and "from" in details:
            target = details.get("to") or _ACTION_STATUS.get(action)
            if target is None:
                continue
            to, came_from = VideoStatus(target), VideoStatus(details["from"])
            now = life.get(entry.subject)
            if now is not None and now is not came_from:
                found.append(
                    Violation(
                        "status_moves",
                        entry.subject,
                        f"seq {entry.seq}: moved from {came_from} but its history says it was {now}",
                    )
                )
            if not may_move(came_from, to):
                found.append(Violation("status_moves", entry.subject, f"seq {entry.seq}: {came_from} → {to}"))
            life[entry.subject] = to
        elif action.startswith("review.") and "code" in details and "item" in details:
            decided[str(details["item"])] += 1
    for video_id, status in life.items():
        row = statuses.get(video_id)
        if row is not None and row is not status:
            found.append(Violation("status_moves", video_id, f"the row says {row}, its history {status}"))
    found += [
        Violation("review_decided_once", item, f"decided {count} times") for item, count in decided.items() if count > 1
    ]
    return found


def _quiescent(tx: Transaction, media: MediaStore) -> list[Violation]:
    found = [
        Violation("purge_jobs_end", job.id, f"{len(job.files)} file(s) still pending")
        for job in tx.purges.pending_jobs()
        if not job.finished
    ]
    for video in tx.videos.in_status(VideoStatus.PURGED):
        for area in ("published", "quarantine", "manifests"):
            folder = media.area(area) / video.id
            if folder.exists() and any(folder.iterdir()):
                found.append(Violation("purged_files_gone", video.id, f"files remain in {area}/{video.id}"))
    for video in tx.videos.in_status(
        VideoStatus.PUBLISHED, VideoStatus.HELD, VideoStatus.PENDING_OWNER, VideoStatus.BLOCKED
    ):
        path = video.published_path if video.status is VideoStatus.PUBLISHED else video.quarantine_path
        if path is not None and not path.is_file():
            found.append(Violation("rows_have_files", video.id, f"its {video.status} file is missing"))
    referenced = (
        tx.videos.file_paths()
        | tx.consent.cameo_file_paths()
        | tx.submissions.pending_files()
        | tx.templates.protected_file_paths()
        | {str(media.root / p) for p in tx.registry.manifest_paths()}
    )
    known = {str(Path(p).resolve()) for p in referenced}
    for area in AREAS:
        for path in media.area(area).rglob("*"):
            if path.is_file() and str(path.resolve()) not in known:
                found.append(Violation("no_orphan_files", str(path.relative_to(media.root)), "no row refers to it"))
    return found


__all__ = ["ALWAYS", "INVARIANTS", "QUIESCENT", "InvariantReport", "Violation", "check_invariants"]
