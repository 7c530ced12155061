"""Sweeps: the background work that makes revocation and storage promises hold even after crashes.

One sweep (a) finishes purge jobs a crash interrupted, (b) re-checks every owner's videos against current consent
and purges what is no longer allowed, (c) applies retention (held items past their time, stray drafts), and
(d) reconciles files and rows: files no row points at are deleted, published rows without their file are
withdrawn. Only one sweeper works at a time: a PostgreSQL advisory lock, or a lock row with a lease on SQLite.
The scheduled job is a thin wrapper around `sweep_once`.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from safety.domain import VideoStatus
from safety.errors import StatusChanged
from safety.mediastore import AREAS
from safety.records import RegistryStatus, StatusEffects, SubmissionState
from safety.revocation import PurgeReceipt
from safety.usecases.idempotency import IdempotentRequests
from safety.usecases.revocation import finish, finish_pending, reconcile_in
from safety.wiring import CameoGuard, build

SWEEPER = "sweeper"

# Ten minutes, well beyond a sweep's usual length so a live sweeper keeps its lease, yet short enough that a dead
# sweeper's lease lapses soon and the next sweep is not held up for long.
_LEASE_S = 600.0
# Scratch folders the gate, the hook, enrollment and model installs create and remove when they finish.
_SCRATCH_DIRS = (".publishing-", "upload-", "verify-", "pending-", ".installing-")


@dataclass
class SweepReport:
    """What one sweep did."""

    ran: bool = True
    """False when another sweeper held the lock."""
    purges_finished: list[str] = field(default_factory=list)
    """Purge jobs whose files this sweep removed."""
    consent_purges: list[PurgeReceipt] = field(default_factory=list)
    """Receipts of purges the consent re-check made."""
    held_expired: list[str] = field(default_factory=list)
    """Held videos past their retention, now blocked."""
    orphan_files_removed: list[str] = field(default_factory=list)
    """Files no row pointed at."""
    rows_without_files: list[str] = field(default_factory=list)
    """Published videos whose file was missing, now withdrawn."""
    stale_settled: list[str] = field(default_factory=list)
    """Videos left `checking` by a process that died, now held (or blocked) as `check.error`."""
    submissions_requeued: list[str] = field(default_factory=list)
    """Submissions no worker took, or whose worker died, sent to the engine again."""
    owner_requests_expired: list[str] = field(default_factory=list)
    """Videos blocked because an owner who approves each use did not answer in time."""
    scans_resumed: list[str] = field(default_factory=list)
    """Retroactive scans whose runner died, sent again (they resume at their cursor)."""
    idempotency_keys_expired: int = 0
    """Kept answers to `Idempotency-Key` requests past their day."""
    seconds: float = 0.0
    """Wall time."""

    @property
    def purged(self) -> list[str]:
        """Every video the consent re-check purged."""
        return sorted({v for r in self.consent_purges for v in r.purged})


@contextmanager
def sweeper_lock(services: CameoGuard) -> Iterator[bool]:
    """Yield True while this process is the only sweeper."""
    # Host, process and a random part: unique even when two sweepers in one process (tests, the demo's drill) ask at
    # once, and readable in the lease row when one must find who holds it.
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    with services.store.exclusive(SWEEPER, holder, timedelta(seconds=_LEASE_S)) as got:
        yield got


def _recheck_consent(services: CameoGuard) -> list[PurgeReceipt]:
    # One transaction per owner: a sweep over millions of videos must not hold one giant transaction, and an
    # owner's consent change in the meantime is simply seen by the next sweep.
    with services.store.transaction() as tx:
        owners = tx.videos.owners_with_videos()
    receipts: list[PurgeReceipt] = []
    for owner in owners:
        with services.store.transaction() as tx:
            jobs = reconcile_in(
                tx,
                services.policies,
                owner,
                reason="sweep_consent",
                actor=SWEEPER,
                media_root=services.media.root,
                restrictions=services.restrictions,
            )
        # Files after each owner's commit, as every purge does: a crash in between leaves pending jobs the next sweep
        # finishes.
        receipts += [finish(services.store, services.media, job) for job in jobs]
    return receipts


def _expire_held(services: CameoGuard, report: SweepReport) -> None:
    retention = timedelta(hours=services.settings.held_retention_hours)
    with services.store.transaction() as tx:
        # Listed in one transaction, then each moved in its own under a row lock: a reviewer may decide one in between,
        # and the status check below lets their decision stand.
        expired = tx.videos.held_before(services.clock.now() - retention)
    for video_id in expired:
        with services.store.transaction() as tx:
            video = tx.videos.get(video_id, lock=True)
            if video.status is not VideoStatus.HELD:
                continue
            tx.videos.set_status(
                video_id,
                VideoStatus.BLOCKED,
                expected=VideoStatus.HELD,
                actor=SWEEPER,
                effects=StatusEffects(clear_quarantine=True, action="video.expired"),
            )
            tx.review.close_items_of(video_id)
        # The quarantined copy goes after the commit: a crash before it leaves an unreferenced file for the file
        # reconciliation, never a blocked row still pointing at a deleted file.
        services.media.discard(video.quarantine_path)
        report.held_expired.append(video_id)


def _settle_stale_checking(services: CameoGuard, report: SweepReport) -> None:
    cutoff = services.clock.now() - timedelta(seconds=services.settings.stale_checking_s)
    with services.store.transaction() as tx:
        stale = tx.videos.checking_before(cutoff)
    for video_id in stale:
        if _run_again_by_its_submission(services, video_id):
            continue
        # None when the video left `checking` since it was listed: its gate was slow, not dead, and finished on its own.
        if services.gate.settle_stale(video_id, actor=SWEEPER) is not None:
            report.stale_settled.append(video_id)


def _run_again_by_its_submission(services: CameoGuard, video_id: str) -> bool:
    """The video came with a submission that is not finished: its runs are the submission's to repeat (and to hold
    once they are spent), not the sweeper's to settle."""
    with services.store.transaction() as tx:
        submission_id = tx.submissions.for_video(video_id)
        if submission_id is None:
            return False
        return tx.submissions.get(submission_id).state in (SubmissionState.QUEUED, SubmissionState.RUNNING)


def _reconcile_files(services: CameoGuard, report: SweepReport) -> None:
    """Files no row points at are removed (once older than the grace period); published rows whose file is gone
    are withdrawn."""
    referenced, published = _referenced_files(services)
    now = time.time()
    for area in AREAS:
        _sweep_area(services.media.area(area), area, referenced, now, services.settings.orphan_grace_s, report)
    _withdraw_missing_files(services, published, report)


def _referenced_files(services: CameoGuard) -> tuple[set[str], list[tuple[str, str]]]:
    """Every file a row points at (resolved), and the published videos with their files."""
    with services.store.transaction() as tx:
        # Undecided submissions' copies too: a queued submission may wait longer than the grace period.
        paths = (
            tx.videos.file_paths()
            | tx.consent.cameo_file_paths()
            | tx.submissions.pending_files()
            | tx.templates.protected_file_paths()
            # Kept manifest stores; one whose video did not publish after all is an orphan like any other.
            | {str(services.media.root / p) for p in tx.registry.manifest_paths()}
        )
        referenced = {str(Path(p).resolve()) for p in paths}
        published = list(tx.videos.published_paths())
    return referenced, published


def _sweep_area(root: Path, area: str, referenced: set[str], now: float, grace_s: float, report: SweepReport) -> None:
    """Remove what a killed process left in one area of the media store.

    Anything written within the grace period is left alone: a gate, an upload or an enrollment may be about to
    commit the row that points at it. Older, unreferenced things are what a killed process left: drafts, uploads,
    `.publishing-*` and `.marking-*` scratch, `.staged-*` and `.incoming-*` files."""
    # Ages are read before anything is removed: removing a file refreshes its folder's time.
    ages: dict[Path, float] = {}
    for path in root.rglob("*"):
        try:
            ages[path] = now - path.lstat().st_mtime
        except FileNotFoundError:
            continue
    removed_dirs = _remove_scratch_folders(root, area, ages, grace_s, report)
    emptied = {folder.parent for folder in removed_dirs}
    for path, age in ages.items():
        if (path.is_dir() and not path.is_symlink()) or any(path.is_relative_to(r) for r in removed_dirs):
            continue
        if age < grace_s or str(path.resolve()) in referenced:
            continue
        path.unlink(missing_ok=True)
        emptied.add(path.parent)
        report.orphan_files_removed.append(str(path))
    # Deepest first, so a parent emptied by removing its children is removed in the same pass.
    for folder in sorted((p for p in ages if p.name.startswith("vid_")), key=lambda p: len(p.parts), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()) and (folder in emptied or ages[folder] >= grace_s):
            folder.rmdir()


def _remove_scratch_folders(
    root: Path, area: str, ages: dict[Path, float], grace_s: float, report: SweepReport
) -> list[Path]:
    """Remove the scratch folders whose every entry is older than the grace period; the folders removed."""
    removed_dirs: list[Path] = []
    for folder in sorted(p for p in ages if p.is_dir() and not p.is_symlink()):
        scratch = folder.name.startswith(_SCRATCH_DIRS) or (folder.parent == root and area == "tmp")
        if not scratch or any(folder.is_relative_to(r) for r in removed_dirs):
            continue
        # A scratch folder is judged by its youngest entry: a long marking still writing into an old folder keeps it
        # alive.
        newest = min(age for p, age in ages.items() if p == folder or p.is_relative_to(folder))
        if newest >= grace_s:
            shutil.rmtree(folder, ignore_errors=True)
            removed_dirs.append(folder)
            report.orphan_files_removed.append(str(folder))
    return removed_dirs


def _withdraw_missing_files(services: CameoGuard, published: list[tuple[str, str]], report: SweepReport) -> None:
    """The other direction: rows that name a published file that is no longer there (a disk restored from an
    older backup, a file removed by hand)."""
    for video_id, published_path in published:
        if Path(published_path).is_file():
            continue
        try:
            with services.store.transaction() as tx:
                # A published row whose file is gone cannot be served: withdraw it and say so.
                tx.videos.set_status(
                    video_id,
                    VideoStatus.BLOCKED,
                    expected=VideoStatus.PUBLISHED,
                    actor=SWEEPER,
                    effects=StatusEffects(action="video.file_missing"),
                )
                tx.registry.set_status(video_id, RegistryStatus.WITHDRAWN)
        except StatusChanged:
            continue  # purged or taken down since the paths were read: its file went with it
        report.rows_without_files.append(video_id)


def sweep_once(services: CameoGuard) -> SweepReport:
    """One full sweep, if no other sweeper is running."""
    started = time.perf_counter()
    with sweeper_lock(services) as got:
        if not got:
            return SweepReport(ran=False)
        report = SweepReport()
        report.purges_finished = [r.receipt_id for r in finish_pending(services.store, services.media)]
        report.consent_purges = _recheck_consent(services)
        _settle_stale_checking(services, report)
        _expire_held(services, report)
        report.owner_requests_expired = services.use_requests.expire_overdue()
        report.scans_resumed = services.retro_scans.resume_stale()
        _reconcile_files(services, report)
        report.submissions_requeued = services.submissions.requeue_unfinished()
        report.idempotency_keys_expired = IdempotentRequests(services.store).expire()
    report.seconds = time.perf_counter() - started
    return report


def scheduled_sweep(home: str, database_url: str | None) -> None:
    """The scheduler's job: with a broker, send the sweep to a worker (a long sweep, its purge file removals
    included, runs there); without one, build services from settings and sweep here."""
    from safety.engine import SWEEP
    from safety.settings import Settings

    with build(Settings(home=Path(home), database_url=database_url)) as services:
        if services.settings.broker_url:
            services.engine.send(SWEEP)
        else:
            sweep_once(services)


def run_scheduler(
    services: CameoGuard, interval_s: float, *, run_for_s: float | None = None, max_runs: int | None = None
) -> None:
    """Run sweeps every `interval_s` with APScheduler 3, jobs persisted in the same database, until interrupted,
    `run_for_s` has passed or `max_runs` sweeps have finished."""
    import threading

    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    settings = services.settings
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=settings.resolved_database_url, tablename="scheduler_jobs")}
    )
    finished = threading.Semaphore(0)

    def count_run(event: JobExecutionEvent) -> None:
        finished.release()

    scheduler.add_listener(count_run, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    # A late sweep is still wanted: with APScheduler's default grace of one second, a busy machine (or a slow
    # start) skips the run as "missed" and leaves revoked videos up for a whole interval.
    scheduler.add_job(
        scheduled_sweep,
        "interval",
        seconds=interval_s,
        id="sweep",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        next_run_time=services.clock.now(),
        kwargs={"home": str(settings.home.resolve()), "database_url": settings.database_url},
    )
    scheduler.start()
    try:
        deadline = None if run_for_s is None else time.monotonic() + run_for_s
        runs = 0
        while (deadline is None or time.monotonic() < deadline) and (max_runs is None or runs < max_runs):
            if finished.acquire(timeout=0.2):
                runs += 1
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown(wait=True)
