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
import re
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
from urllib.parse import urlsplit, urlunsplit

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


class CallbackRefused(SafetyError):
    """A callback URL that may not be called: not http(s), or pointing inside the network."""


# NAT64's well-known prefix carries an IPv4 address in its last 32 bits (RFC 6052); the local-use prefix (RFC 8215)
# is for the operator's own translators and never leads outside.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_NUMERIC_HOST = re.compile(r"[0-9][0-9a-fx.]*")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_refusal(address: Address) -> str | None:
    """Why a callback may not connect to `address`, or None. An IPv6 address that carries an IPv4 one (mapped,
    IPv4-compatible, 6to4, NAT64, Teredo) is judged by the IPv4 address it leads to, so `::ffff:10.0.0.5` or
    `64:ff9b::a9fe:a9fe` is the internal address it is."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL:
            return "a local-use NAT64 address (64:ff9b:1::/48)"
        if address.is_site_local:
            return "a site-local address (fec0::/10)"
        if address.teredo is not None:
            server, client = address.teredo
            return f"a Teredo address (2001::/32, carrying {client} by way of {server})"
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = address_refusal(embedded)
            return f"{inner}, carried in {address}" if inner else None
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0 and int(address) > 1:
        return ipaddress.IPv4Address(int(address))  # IPv4-compatible, ::a.b.c.d (deprecated, still routed by some)
    return None


def _literal(host: str) -> Address | None:
    """The address a host names without DNS: an IP literal, or an IPv4 number in a form the C resolver reads
    (`2130706433`, `0x7f.1`, `127.1`)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_HOST.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address DNS gives for `host` (`OSError` when it gives none)."""
    found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]).split("%")[0] for info in found]


@dataclass(frozen=True)
class CallbackTarget:
    """A callback URL with the one address that was checked for it: the connection goes there and nowhere else,
    whatever DNS answers later (a rebinding attack answers a public address to the check, an internal one to the
    connect). The Host header and the TLS server name (SNI and certificate check) stay the URL's host."""

    url: str
    """The URL as the client gave it."""
    host: str
    """Its host name (lower case)."""
    address: str
    """The checked address connected to."""

    @property
    def connect_url(self) -> str:
        """The URL with its host replaced by the checked address."""
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if ":" in self.address else self.address
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = (f"{userinfo}@" if userinfo else "") + literal + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))

    @property
    def host_header(self) -> str:
        """What the Host header says: the URL's host (and port when it names one)."""
        parts = urlsplit(self.url)
        host = parts.hostname or self.host
        shown = f"[{host}]" if ":" in host else host
        return shown + (f":{parts.port}" if parts.port else "")


def pin_callback(url: str, allowed_hosts: Sequence[str], resolve: Resolver = system_resolver) -> CallbackTarget:
    """Check a callback URL and fix the address it will be sent to: `CallbackRefused` when it may not be called.
    A name is looked up once; every address it has must be public (or the host allowed by the operator), and the
    first is the one connected to."""
    target = _checked(url, allowed_hosts, resolve)
    assert target is not None
    return target


def _checked(url: str, allowed_hosts: Sequence[str], resolve: Resolver | None) -> CallbackTarget | None:
    """`pin_callback`; without `resolve`, a host name is not looked up and None is returned for it."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise CallbackRefused("callback_url has an invalid port") from None
    host = (parts.hostname or "").casefold()
    if parts.scheme not in ("http", "https") or not host:
        raise CallbackRefused("callback_url must be an http or https URL with a host")
    allowed = host in allowed_hosts or host.rstrip(".") in allowed_hosts
    literal = _literal(host)
    if literal is not None:
        addresses: list[Address] = [literal]
    else:
        name = host.rstrip(".")
        if not allowed and (name == "localhost" or name.endswith((".localhost", ".internal", ".local"))):
            raise CallbackRefused(f"callback_url points inside the network ({host})")
        if resolve is None:
            return None
        try:
            addresses = [ipaddress.ip_address(found) for found in resolve(host, port)]
        except (OSError, ValueError) as exc:
            why = getattr(exc, "strerror", None) or exc
            raise CallbackRefused(f"callback host {host} cannot be resolved: {why}") from None
        if not addresses:
            raise CallbackRefused(f"callback host {host} cannot be resolved")
    if not allowed:
        for address in addresses:
            if why := address_refusal(address):
                raise CallbackRefused(
                    f"callback_url points inside the network ({host}: {why}); an operator may allow the host"
                )
    return CallbackTarget(url, host, str(addresses[0]))


def callback_refusal(
    url: str, allowed_hosts: Sequence[str], *, resolve: bool, resolver: Resolver = system_resolver
) -> str | None:
    """Why a callback URL may not be used, or None. Without `resolve` (when a submission is accepted), only what
    the URL itself says is checked, names not looked up; with it, as `pin_callback` checks it when sending."""
    try:
        _checked(url, allowed_hosts, resolver if resolve else None)
    except CallbackRefused as exc:
        return str(exc)
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
        self.resolve: Resolver = system_resolver
        """Looks callback hosts up (once per delivery: the address checked is the address connected to)."""
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
        error: str | None = None
        try:
            target = pin_callback(record.callback_url, self.limits.callback_hosts, self.resolve)
        except CallbackRefused as exc:
            error = str(exc)
        else:
            headers["host"] = target.host_header
            # The checked address is the one connected to; the name still goes in Host and in TLS (SNI and the
            # certificate check), so a receiver behind a shared address or a CDN gets the request it expects.
            try:
                with httpx.Client(timeout=self.limits.callback_timeout_s) as client:
                    request = client.build_request(
                        "POST",
                        target.connect_url,
                        content=body,
                        headers=headers,
                        extensions={"sni_hostname": target.host} if target.url.startswith("https") else {},
                    )
                    answer = client.send(request)
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
