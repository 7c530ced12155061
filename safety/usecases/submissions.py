"""Asynchronous submissions: accepted at once, checked by a worker, the outcome called back, signed.

`submit` copies the files privately, commits a queued row (with the video id the platform will see) and only then
sends the work to the engine, so a lost message loses nothing: `requeue_unfinished` (run by the sweeper) sends
again whatever no worker took. `run` is what a worker does: claim the row with a conditional update (a duplicate
message finds it taken and does nothing), keep the claim alive while the gate runs, and record the outcome once.
A worker killed mid-check leaves its claim to lapse; the next one finds the video still `checking` and holds it
for review (the checks of a dead worker are never half-trusted). `deliver_callback` POSTs the outcome with an
HMAC signature of the body under the client's webhook secret, retried with backoff, every attempt logged.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import os
import shutil
import socket
import tempfile
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from safety.domain import Submission, VideoStatus
from safety.engine import DELIVER_CALLBACK, RUN_SUBMISSION
from safety.errors import SafetyError, SubmissionError
from safety.gate import Gate
from safety.mediastore import MediaStore
from safety.records import CallbackDelivery, SubmissionRecord, SubmissionState
from safety.storage import Store
from safety.usecases.videos import Videos

log = logging.getLogger("cameoguard.submissions")

SIGNATURE_HEADER = "X-Cameoguard-Signature"
Send = Callable[..., None]


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
    callback_attempts: int = 6
    """Tries per callback before giving up."""
    callback_backoff_s: float = 2.0
    """Delay before the second try; doubled each time after."""
    callback_timeout_s: float = 5.0
    """How long a receiver gets to answer."""
    callback_hosts: tuple[str, ...] = ()
    """Hosts a callback may go to although they are inside the network (loopback, private, link-local); any other
    such address is refused, so a client cannot aim the workers at the database or a metadata service."""


def callback_refusal(url: str, allowed_hosts: Sequence[str], *, resolve: bool) -> str | None:
    """Why a callback URL may not be used, or None. With `resolve`, a host name is looked up and every address
    it has must be public (or the host allowed): checked when the callback is sent, against DNS answers that
    changed since the submission."""
    parts = urlsplit(url)
    host = (parts.hostname or "").casefold()
    if parts.scheme not in ("http", "https") or not host:
        return "callback_url must be an http or https URL with a host"
    if host in allowed_hosts:
        return None
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if host == "localhost" or host.endswith((".localhost", ".internal", ".local")):
            return f"callback_url points inside the network ({host})"
        if not resolve:
            return None
        try:
            found = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except OSError as exc:
            return f"callback host {host} cannot be resolved: {exc.strerror or exc}"
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    for address in addresses:
        if not address.is_global:
            return f"callback_url points inside the network ({host}: {address}); an operator may allow the host"
    return None


def signature(secret: str, body: bytes) -> str:
    """The value of `X-Cameoguard-Signature` for `body`: `sha256=<hex HMAC>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


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
        *,
        limits: SubmissionLimits = SubmissionLimits(),
        webhook_secret: Callable[[str], str | None] = lambda _client: None,
    ) -> None:
        self._store = store
        self._media = media
        self._videos = videos
        self._gate = gate
        self.limits = limits
        self._secret = webhook_secret
        self.send: Send = lambda *_args, **_kwargs: None
        """Sends a task to the engine; set by the wiring once the engine exists."""

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
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        # After the commit: a worker must find the row. If this send is lost, the sweeper sends it again.
        self.send(RUN_SUBMISSION, record.id)
        log.info(
            "submission accepted", extra={"submission_id": record.id, "video_id": record.video_id, "client": client}
        )
        return record

    def get(self, submission_id: str) -> SubmissionRecord:
        with self._store.transaction() as tx:
            return tx.submissions.get(submission_id)

    def deliveries(self, submission_id: str) -> list[CallbackDelivery]:
        with self._store.transaction() as tx:
            return tx.submissions.deliveries(submission_id)

    def run(self, submission_id: str, *, worker: str | None = None) -> SubmissionRecord | None:
        """Claim and decide one submission; None when another worker holds it or it is already decided."""
        me = worker or worker_name()
        lease = timedelta(seconds=self.limits.lease_s)
        with self._store.transaction() as tx:
            claimed = tx.submissions.claim(submission_id, me, lease)
            current = tx.submissions.get(submission_id)
        if not claimed:
            if current.state is SubmissionState.RUNNING:
                # Another worker holds it (or held it and died): look again once its claim could have lapsed.
                self.send(RUN_SUBMISSION, submission_id, delay_s=self.limits.lease_s)
            return None
        beating = threading.Event()
        heart = threading.Thread(target=self._heartbeat, args=(submission_id, me, beating), daemon=True)
        heart.start()
        try:
            outcome = self._decide(current, me)
        except SubmissionError as exc:
            # Input that cannot be decided on (an unknown creator, an unreadable file): a final answer.
            with self._store.transaction() as tx:
                tx.submissions.fail(submission_id, me, str(exc))
        except Exception:
            # Anything else (the database went away): the claim lapses and the work is sent again later.
            log.exception(
                "run failed; it will be retried",
                extra={"submission_id": submission_id, "video_id": current.video_id, "worker": me},
            )
            return None
        else:
            with self._store.transaction() as tx:
                tx.submissions.finish(submission_id, me, outcome)
        finally:
            beating.set()
            heart.join(timeout=5)
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
        if done.callback_url:
            self.send(DELIVER_CALLBACK, submission_id, 1)
        return done

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
        if existing is None:
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
            )
            return result.to_json()
        if existing.status is VideoStatus.CHECKING:
            # A worker died while checking it: held for a person, never re-trusted or published unchecked.
            settled = self._gate.settle_stale(submission.video_id, actor=worker)
            if settled is not None:
                return settled.to_json()
        # Already decided (its worker died after deciding): the answer is the decision on record.
        return self._outcome_on_record(submission.video_id)

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

    def deliver_callback(self, submission_id: str, attempt: int) -> bool:
        """POST the outcome to the callback URL, signed; True when the receiver took it (2xx)."""
        import httpx

        record = self.get(submission_id)
        if record.callback_url is None:
            return True
        body = json.dumps(callback_body(record), sort_keys=True).encode()
        headers = {"content-type": "application/json", "user-agent": "cameoguard"}
        secret = self._secret(record.client)
        if secret:
            headers[SIGNATURE_HEADER] = signature(secret, body)
        status: int | None = None
        error = callback_refusal(record.callback_url, self.limits.callback_hosts, resolve=True)
        try:
            if error is None:
                answer = httpx.post(
                    record.callback_url, content=body, headers=headers, timeout=self.limits.callback_timeout_s
                )
                status = answer.status_code
                if not 200 <= status < 300:
                    error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = f"{exc.__class__.__name__}: {exc}"
        with self._store.transaction() as tx:
            tx.submissions.record_delivery(submission_id, attempt, status, error)
        log.info(
            "callback %s",
            "delivered" if error is None else "failed",
            extra={
                "submission_id": submission_id,
                "video_id": record.video_id,
                "attempt": attempt,
                "status_code": status,
            },
        )
        if error is None:
            return True
        if attempt < self.limits.callback_attempts:
            self.send(
                DELIVER_CALLBACK,
                submission_id,
                attempt + 1,
                delay_s=self.limits.callback_backoff_s * 2 ** (attempt - 1),
            )
        return False

    def video_changed(self, video_id: str) -> None:
        """A video decided earlier moved on (its owners approved or declined it): the submission that brought it
        records the outcome now on record and its callback is sent again."""
        with self._store.transaction() as tx:
            submission_id = tx.submissions.for_video(video_id)
        if submission_id is None:
            return
        with self._store.transaction() as tx:
            updated = tx.submissions.update_result(submission_id, self._outcome_on_record(video_id))
        if updated and self.get(submission_id).callback_url:
            self.send(DELIVER_CALLBACK, submission_id, 1)

    def requeue_unfinished(self) -> list[str]:
        """Send again what no worker took or what a dead worker held; the ids sent."""
        with self._store.transaction() as tx:
            ids = tx.submissions.unfinished(
                queued_before=self._store.clock.now() - timedelta(seconds=self.limits.requeue_after_s),
                lease=timedelta(seconds=self.limits.lease_s),
            )
        for submission_id in ids:
            self.send(RUN_SUBMISSION, submission_id)
        return ids


def callback_body(record: SubmissionRecord) -> dict[str, Any]:
    """What the callback carries: the submission's state and, when done, the decision JSON."""
    return {
        "submission_id": record.id,
        "video_id": record.video_id,
        "status": record.state.value,
        "decision": record.result,
        "error": record.error,
    }
