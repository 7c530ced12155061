"""Asynchronous submissions: accepted at once, checked by a worker, run again when a run was cut short, the outcome
called back.

`submit` copies the files privately and commits a queued row (with the video id the platform will see): that
commit is the promise. The work is then sent to the engine; if the broker cannot take it, the row stays queued and
the sweeper sends it when the broker is back (an outbox), so the client gets its 202 either way. `run` is what a
worker does: claim the row with a conditional update (a duplicate message finds it taken and does nothing), keep
the claim alive while the gate runs, and record the outcome once. A run cut short (its worker killed, or the
database or broker gone mid-check) leaves its claim to lapse; the next worker runs the submission again from the
start, reusing the video row the first run made. After `max_attempts` runs the video is held for a person, with a
reason that says so (the checks never finished), or, when no run got as far as the video row, the submission
fails. Outcomes and later moves of the video go to the client as webhooks (`usecases.webhooks`).
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from safety.domain import Submission, VideoStatus
from safety.engine import RUN_SUBMISSION
from safety.errors import SafetyError, StorageError, SubmissionError
from safety.gate import Gate
from safety.mediastore import MediaStore
from safety.records import CallbackDelivery, NewSubmission, SubmissionRecord, SubmissionState
from safety.revocation import PurgeReceipt
from safety.storage import Store
from safety.usecases.callback_targets import (
    callback_refusal,
)
from safety.usecases.videos import Videos
from safety.usecases.webhooks import (
    APPROVAL_REQUESTED,
    DECIDED,
    FAILED,
    PURGED,
    TAKEN_DOWN,
    Send,
    WebhookEvent,
    Webhooks,
    without_paths,
)

log = logging.getLogger("cameoguard.submissions")

__all__ = ["QueueFull", "SubmissionLimits", "Submissions"]


class QueueFull(SafetyError):
    """Too much work is waiting; the caller should come back later (HTTP 429 with Retry-After)."""

    def __init__(self, depth: int, retry_after_s: int) -> None:
        super().__init__(f"{depth} submissions are waiting; try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class SubmissionLimits:
    """How the background work behaves."""

    lease_s: float = 30.0
    """A claim lapses this long after its worker last said it was alive."""
    max_depth: int = 200
    """Queued and running submissions past which new ones are refused (back-pressure)."""
    requeue_after_s: float = 60.0
    """A queued submission no worker took within this is sent again."""
    max_attempts: int = 3
    """Runs of one submission (the first and those after a run was cut short) before it is held for a person."""
    callback_hosts: tuple[str, ...] = ()
    """Hosts a callback may go to although they are inside the network (checked when a submission is accepted)."""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


class Submissions:
    """Accepting, running and calling back asynchronous submissions."""

    def __init__(
        self,
        store: Store,
        media: MediaStore,
        videos: Videos,
        gate: Gate,
        webhooks: Webhooks,
        *,
        limits: SubmissionLimits = SubmissionLimits(),
    ) -> None:
        self._store = store
        self._media = media
        self._videos = videos
        self._gate = gate
        self.limits = limits
        self.webhooks = webhooks
        # Every task this use case sends, callbacks included, goes through `send`, so replacing it (the wiring, a
        # test) redirects them all.
        webhooks.send = self._send
        self.send: Send = lambda *_args, **_kwargs: None
        """Sends a task to the engine; set by the wiring once the engine exists."""

    def _send(self, *args: Any, **kwargs: Any) -> None:
        self.send(*args, **kwargs)

    def _send_quietly(self, *args: Any, **kwargs: Any) -> None:
        """Send a retry; if the broker cannot take it either, the sweep sends the work again later."""
        try:
            self.send(*args, **kwargs)
        except Exception:  # noqa: BLE001 - the row is the truth; the sweep repeats the send
            log.warning("retry not sent; the sweep will send it", extra={"submission_id": args[1]})

    def submit(self, client: str, submission: Submission, *, callback_url: str | None = None) -> SubmissionRecord:
        """Accept a submission: its files copied privately, a queued row committed, then the work sent."""
        if callback_url is not None and (
            refused := callback_refusal(callback_url, self.limits.callback_hosts, resolve=False)
        ):
            raise SubmissionError(refused)
        with self._store.transaction() as tx:
            depth = tx.submissions.depth()
        if depth >= self.limits.max_depth:
            raise QueueFull(depth, retry_after_s=max(1, round(self.limits.lease_s)))
        folder = Path(tempfile.mkdtemp(prefix="sub-", dir=self._media.area("submitted")))
        try:
            video = folder / f"video{submission.video_path.suffix.lower() or '.mp4'}"
            shutil.copyfile(submission.video_path, video)
            image = None
            if submission.input_image_path is not None:
                image = folder / f"image{submission.input_image_path.suffix.lower()}"
                shutil.copyfile(submission.input_image_path, image)
            with self._store.transaction() as tx:
                record = tx.submissions.create(
                    NewSubmission(
                        client=client,
                        video_id=f"vid_{uuid.uuid4().hex[:20]}",
                        creator=submission.creator,
                        prompt=submission.prompt,
                        cameos=submission.cameos,
                        remix_of=submission.remix_of,
                        video_path=video,
                        input_image_path=image,
                        callback_url=callback_url,
                    )
                )
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        ids = {"submission_id": record.id, "video_id": record.video_id, "client": client}
        # After the commit: a worker must find the row. A send the broker did not take is the sweeper's to repeat.
        try:
            self.send(RUN_SUBMISSION, record.id)
        except Exception as exc:  # noqa: BLE001 - the row is committed; the outbox sweep sends it later
            log.warning(
                "submission accepted; not sent yet (%s): the sweeper sends it", exc.__class__.__name__, extra=ids
            )
        else:
            log.info("submission accepted", extra=ids)
        return record

    def get(self, submission_id: str) -> SubmissionRecord:
        with self._store.transaction() as tx:
            return tx.submissions.get(submission_id)

    def deliveries(self, submission_id: str) -> list[CallbackDelivery]:
        with self._store.transaction() as tx:
            return tx.submissions.deliveries(submission_id)

    def run(self, submission_id: str, *, worker: str | None = None) -> SubmissionRecord | None:
        """Claim and decide one submission; None when another worker holds it, it is already decided, or this run
        was cut short (it is run again later)."""
        me = worker or worker_name()
        try:
            with self._store.transaction() as tx:
                claimed = tx.submissions.claim(submission_id, me, timedelta(seconds=self.limits.lease_s))
                current = tx.submissions.get(submission_id)
        except StorageError:
            # The database is away: this message comes back once a lease has passed (the sweep repeats it too).
            log.warning("run postponed: the database is away", extra={"submission_id": submission_id, "worker": me})
            self._send_quietly(RUN_SUBMISSION, submission_id, delay_s=self.limits.lease_s)
            return None
        if not claimed:
            if current.state is SubmissionState.RUNNING:
                # Another worker holds it (or held it and died): look again once its claim could have lapsed.
                self.send(RUN_SUBMISSION, submission_id, delay_s=self.limits.lease_s)
            return None
        if current.attempts == 1:
            waited = (self._store.clock.now() - current.created_at).total_seconds()
            self._gate.metrics.queue_wait.observe(max(0.0, waited))
        beating = threading.Event()
        heart = threading.Thread(target=self._heartbeat, args=(submission_id, me, beating), daemon=True)
        heart.start()
        try:
            finished = self._run_claimed(current, me)
        finally:
            beating.set()
            heart.join(timeout=5)
        if not finished:
            return None
        return self._finished(submission_id, me)

    def _run_claimed(self, current: SubmissionRecord, me: str) -> bool:
        """Decide a claimed submission and record the outcome; False when the run was cut short."""
        submission_id = current.id
        ids = {"submission_id": submission_id, "video_id": current.video_id, "worker": me}
        try:
            outcome = self._decide(current, me)
        except SubmissionError as exc:
            # Input that cannot be decided on (an unknown creator, an unreadable file): a final answer.
            with self._store.transaction() as tx:
                # False: the claim lapsed and another worker holds it now; the outcome is theirs to record.
                return tx.submissions.fail(submission_id, me, str(exc))
        except Exception:
            # Anything else (the database or the broker went away): the claim lapses and the work runs again.
            log.exception("run %d failed; it will be run again", current.attempts, extra=ids)
            self._send_quietly(RUN_SUBMISSION, submission_id, delay_s=self.limits.lease_s + 1)
            return False
        with self._store.transaction() as tx:
            return tx.submissions.finish(submission_id, me, outcome)

    def _finished(self, submission_id: str, me: str) -> SubmissionRecord:
        done = self.get(submission_id)
        log.info(
            "submission %s",
            done.state.value,
            extra={
                "submission_id": submission_id,
                "video_id": done.video_id,
                "worker": me,
                "client": done.client,
                "decision": (done.result or {}).get("decision"),
            },
        )
        shutil.rmtree(done.video_path.parent, ignore_errors=True)
        self._announce(done)
        return done

    def _announce(self, record: SubmissionRecord) -> None:
        """The webhooks of a submission's outcome."""
        if record.state is SubmissionState.FAILED:
            data: dict[str, Any] = {
                "submission_id": record.id,
                "video_id": record.video_id,
                "status": "failed",
                "error": record.error,
            }
            self.webhooks.emit(WebhookEvent(FAILED, record.id, data))
            return
        decision = without_paths(record.result) or {}
        data = {"submission_id": record.id, "video_id": record.video_id, "status": "done", "decision": decision}
        self.webhooks.emit(WebhookEvent(DECIDED, record.id, data))
        if decision.get("status") == VideoStatus.PENDING_OWNER.value:
            waiting = {"video_id": record.video_id, "submission_id": record.id,
                       "awaiting_owners": decision.get("awaiting_owners", [])}  # fmt: skip
            self.webhooks.emit(WebhookEvent(APPROVAL_REQUESTED, record.id, waiting))

    def _heartbeat(self, submission_id: str, worker: str, stop: threading.Event) -> None:
        while not stop.wait(self.limits.lease_s / 3):
            try:
                with self._store.transaction() as tx:
                    if not tx.submissions.heartbeat(submission_id, worker):
                        return
            except Exception:  # noqa: BLE001 - a missed beat only shortens the claim
                log.warning("heartbeat failed", extra={"submission_id": submission_id, "worker": worker})

    def _decide(self, submission: SubmissionRecord, worker: str) -> dict[str, Any]:
        with self._store.transaction() as tx:
            existing = tx.videos.find(submission.video_id)
        rerun = existing is not None and existing.status is VideoStatus.CHECKING
        if submission.attempts > self.limits.max_attempts:
            if existing is None:
                raise SubmissionError(f"not decided after {self.limits.max_attempts} attempts: every run was cut short")
            if rerun:
                # Held for a person, never published unchecked: the file itself may be what stops every run.
                why = f"the checks did not finish in {self.limits.max_attempts} attempts"
                settled = self._gate.settle_stale(submission.video_id, actor=worker, why=why)
                if settled is not None:
                    return settled.to_json()
            return self._outcome_on_record(submission.video_id)
        if existing is not None and not rerun:
            # Already decided (its worker died after deciding): the answer is the decision on record.
            return self._outcome_on_record(submission.video_id)
        if rerun:
            self._remove_scratch_of(submission.video_id)
        result = self._videos.prepublish(
            Submission(
                creator=submission.creator,
                prompt=submission.prompt,
                video_path=submission.video_path,
                cameos=submission.cameos,
                remix_of=submission.remix_of,
                input_image_path=submission.input_image_path,
            ),
            video_id=submission.video_id,
            rerun=rerun,
        )
        return result.to_json()

    def _remove_scratch_of(self, video_id: str) -> None:
        """What a run cut short left of its publish (a half-written re-encode): removed before running again."""
        folder = self._media.area("published") / video_id
        for scratch in folder.glob(".publishing-*") if folder.is_dir() else ():
            shutil.rmtree(scratch, ignore_errors=True)

    def _outcome_on_record(self, video_id: str) -> dict[str, Any]:
        """The video's status and latest decision as stored now."""
        view = self._videos.show(video_id)
        latest = view.latest
        return {
            "video_id": video_id,
            "status": view.video.status.value,
            "decision": latest.action if latest else None,
            "decision_id": latest.id if latest else None,
            "published_path": str(view.video.published_path) if view.video.published_path else None,
        }

    def deliver_callback(self, submission_id: str, attempt: int, event: dict[str, Any] | None = None) -> bool:
        """One attempt at a callback; True when the receiver took it (2xx). Without `event` (a task sent before
        events existed), the submission's outcome now."""
        if event is None:
            record = self.get(submission_id)
            kind = FAILED if record.state is SubmissionState.FAILED else DECIDED
            data = {"submission_id": record.id, "video_id": record.video_id, "status": record.state.value,
                    "decision": without_paths(record.result), "error": record.error}  # fmt: skip
            return self.webhooks.deliver(WebhookEvent(kind, submission_id, data), attempt)
        return self.webhooks.deliver(WebhookEvent.from_message(event), attempt)

    def video_changed(self, video_id: str) -> None:
        """A video decided earlier moved on (its owners approved or declined it): the submission that brought it
        records the outcome now on record, and the client hears of it (`submission.decided` again)."""
        with self._store.transaction() as tx:
            submission_id = tx.submissions.for_video(video_id)
        if submission_id is None:
            return
        with self._store.transaction() as tx:
            updated = tx.submissions.update_result(submission_id, self._outcome_on_record(video_id))
        if updated:
            self._announce(self.get(submission_id))

    def video_taken_down(self, video_id: str, reasons: list[str]) -> None:
        """A published video was taken down: `video.taken_down` to the client that submitted it."""
        with self._store.transaction() as tx:
            submission_id = tx.submissions.for_video(video_id)
            status = tx.videos.get(video_id).status.value
        if submission_id is not None:
            data = {"video_id": video_id, "submission_id": submission_id, "status": status, "reasons": reasons}
            self.webhooks.emit(WebhookEvent(TAKEN_DOWN, submission_id, data))

    def videos_purged(self, receipt: PurgeReceipt) -> None:
        """Videos were purged: `video.purged`, with the receipt, to the client that submitted each."""
        for video_id in receipt.purged:
            with self._store.transaction() as tx:
                submission_id = tx.submissions.for_video(video_id)
            if submission_id is None:
                continue
            data = {"video_id": video_id, "submission_id": submission_id, "status": "purged",
                    "receipt": {"receipt_id": receipt.receipt_id, "owner": receipt.owner, "reason": receipt.reason,
                                "purged": list(receipt.purged), "at": receipt.at.isoformat()}}  # fmt: skip
            self.webhooks.emit(WebhookEvent(PURGED, submission_id, data))

    def requeue_unfinished(self) -> list[str]:
        """Send again what no worker took (the outbox: accepted while the broker was away, or its message lost)
        and what a dead worker held, and the events the broker did not take; the submission ids sent."""
        with self._store.transaction() as tx:
            ids = tx.submissions.unfinished(
                queued_before=self._store.clock.now() - timedelta(seconds=self.limits.requeue_after_s),
                lease=timedelta(seconds=self.limits.lease_s),
            )
        sent = []
        for submission_id in ids:
            try:
                self.send(RUN_SUBMISSION, submission_id)
            except Exception as exc:  # noqa: BLE001 - the broker is still away: the next sweep tries again
                log.warning("requeue stopped: %s", exc.__class__.__name__, extra={"submission_id": submission_id})
                break
            sent.append(submission_id)
        # Events are an outbox too: those the broker did not take when they happened go now.
        self.webhooks.send_unsent(older_than_s=self.limits.requeue_after_s)
        return sent
