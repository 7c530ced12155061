"""Callbacks as Standard Webhooks (https://www.standardwebhooks.com): events the app can trust and replay-check.

Every callback is one event: a `webhook-id` (the event's id, the same on every retry, so a receiver drops
duplicates), a `webhook-timestamp` (when this attempt was signed: a receiver refuses one older than a few minutes,
so a captured callback cannot be replayed later) and a `webhook-signature` (`v1,<base64 HMAC-SHA256>` of
`id.timestamp.body` under the client's webhook secret, made by the `standardwebhooks` package itself). The body is
`{"type", "timestamp", "data"}`; no event carries a server path. Event types: `submission.decided` (and again
when the outcome moves on, e.g. owners answered), `submission.failed`, `video.approval_requested` (the video waits
for owners who approve each use), `video.taken_down` and `video.purged` (with the receipt).

A receiver that does not answer 2xx is tried again with back-off (2 s, doubled, at most 5 minutes apart) until
`give_up_s` after the event; the give-up is a metric (`cameoguard_callbacks_total{outcome="given_up"}`) and one
log line. Events travel as task arguments on their own queue, so they never wait behind checks.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from standardwebhooks.webhooks import Webhook

from safety.engine import DELIVER_CALLBACK
from safety.errors import StorageError
from safety.gate.metrics import GateMetrics
from safety.storage import Store
from safety.usecases.callback_targets import CallbackRefused, Resolver, pin_callback, system_resolver

log = logging.getLogger("cameoguard.callbacks")

DECIDED = "submission.decided"
FAILED = "submission.failed"
APPROVAL_REQUESTED = "video.approval_requested"
TAKEN_DOWN = "video.taken_down"
PURGED = "video.purged"
EVENT_TYPES = (DECIDED, FAILED, APPROVAL_REQUESTED, TAKEN_DOWN, PURGED)
MAX_BACKOFF_S = 300.0
DATABASE_RETRY_S = 5.0
"""How soon an attempt that found the database away is made again."""
Send = Callable[..., None]


@dataclass(frozen=True)
class WebhookEvent:
    """One event for one client's callback URL."""

    type: str
    """One of `EVENT_TYPES`."""
    submission_id: str
    """The submission that brought the video (its client and callback URL receive the event)."""
    data: dict[str, Any]
    """What happened; never a server path."""
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    """When it happened."""
    id: str = field(default_factory=lambda: f"evt_{uuid.uuid4().hex[:24]}")
    """The `webhook-id`: the same on every attempt."""

    def message(self) -> dict[str, Any]:
        """As a task argument (JSON)."""
        return {"id": self.id, "type": self.type, "submission_id": self.submission_id, "at": self.at.isoformat(),
                "data": self.data}  # fmt: skip

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> WebhookEvent:
        return cls(
            str(message["type"]),
            str(message["submission_id"]),
            dict(message["data"]),
            datetime.fromisoformat(str(message["at"])),
            str(message["id"]),
        )

    def body(self) -> bytes:
        """The callback's body, exactly as signed."""
        stamp = self.at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return json.dumps({"type": self.type, "timestamp": stamp, "data": self.data}, sort_keys=True).encode()


def without_paths(outcome: dict[str, Any] | None) -> dict[str, Any] | None:
    """A decision or outcome as a client may see it: the server's file path left out."""
    if outcome is None:
        return None
    return {k: v for k, v in outcome.items() if k != "published_path"}


def signed_headers(secret: str | None, event: WebhookEvent, body: bytes, now: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt (unsigned when the client has no secret)."""
    headers = {"webhook-id": event.id, "webhook-timestamp": str(int(now.timestamp()))}
    if secret:
        headers["webhook-signature"] = Webhook(secret).sign(event.id, now, body)
    return headers


@dataclass(frozen=True)
class CallbackPolicy:
    """How callbacks are sent."""

    hosts: tuple[str, ...] = ()
    """Hosts inside the network a callback may reach (the operator's list)."""
    timeout_s: float = 5.0
    """How long a receiver gets to answer."""
    backoff_s: float = 2.0
    """Delay before the second try; doubled each time after, up to `MAX_BACKOFF_S`."""
    give_up_s: float = 3600.0
    """No try is made later than this after the event."""


@dataclass(frozen=True)
class Outcome:
    """One attempt: the receiver's status, or why there was none."""

    status: int | None = None
    error: str | None = None


class Webhooks:
    """Sends events to clients' callback URLs, signed, retried, every attempt recorded."""

    def __init__(
        self,
        store: Store,
        metrics: GateMetrics,
        policy: CallbackPolicy,
        secret: Callable[[str], str | None],
    ) -> None:
        self._store = store
        self._metrics = metrics
        self.policy = policy
        self._secret = secret
        self.resolve: Resolver = system_resolver
        """Looks callback hosts up (once per delivery: the address checked is the address connected to)."""
        self.send: Send = lambda *_args, **_kwargs: None
        """Sends a task to the engine; set by the wiring once the engine exists."""

    def emit(self, event: WebhookEvent) -> None:
        """Keep the event, then send its first attempt (the attempt finds whether its submission has a callback URL,
        so this needs only the engine). Never raises: an event the broker cannot take now stays kept, and
        `send_unsent` sends it once the broker is back (an outbox, as for submissions)."""
        message = event.message()
        try:
            with self._store.transaction() as tx:
                tx.submissions.add_event(event.id, event.submission_id, message)
            kept = True
        except Exception:  # noqa: BLE001 - the database is away: the broker may still take it
            ids = {"submission_id": event.submission_id, "event": event.type, "event_id": event.id}
            log.warning("event not kept: sent without its outbox row", extra=ids)
            kept = False
        self._hand_over(message, kept=kept)

    def send_unsent(self, *, older_than_s: float) -> list[str]:
        """Send again the events kept for longer than `older_than_s` and never handed to the broker; their ids."""
        before = self._store.clock.now() - timedelta(seconds=older_than_s)
        with self._store.transaction() as tx:
            messages = tx.submissions.unsent_events(before=before)
        sent = []
        for message in messages:
            if not self._hand_over(message, kept=True):
                break  # the broker is still away: the next sweep tries again
            sent.append(str(message["id"]))
        return sent

    def _hand_over(self, message: dict[str, Any], *, kept: bool) -> bool:
        """The first attempt to the engine; once it has it, the outbox row goes. False when the engine refused."""
        ids = {"submission_id": message["submission_id"], "event": message["type"], "event_id": message["id"]}
        try:
            self.send(DELIVER_CALLBACK, str(message["submission_id"]), 1, message)
        except Exception:  # noqa: BLE001 - an event must never break the work that caused it
            log.warning("event not sent: the broker is away; it is kept and sent again" if kept else
                        "event lost: neither the database nor the broker took it", extra=ids)  # fmt: skip
            if not kept:
                self._metrics.callbacks.labels(str(message["type"]), "lost").inc()
            return False
        if kept:
            try:
                with self._store.transaction() as tx:
                    tx.submissions.event_sent(str(message["id"]))
            except Exception:  # noqa: BLE001 - sent twice at worst, and receivers drop a repeated webhook-id
                log.warning("event sent but still kept; it may be sent again", extra=ids)
        return True

    def deliver(self, event: WebhookEvent, attempt: int) -> bool:
        """One attempt: POST the event, signed; True when the receiver took it (2xx). With the database away, the
        same attempt is made again later (until the event's give-up time): an event is not lost to an outage."""
        try:
            return self._deliver(event, attempt)
        except StorageError as exc:
            ids = {"submission_id": event.submission_id, "event": event.type, "event_id": event.id}
            if self._give_up_at(event) < datetime.now(UTC) + timedelta(seconds=DATABASE_RETRY_S):
                self._metrics.callbacks.labels(event.type, "given_up").inc()
                log.error("callback given up: the database stayed away (%s)", exc, extra=ids)
                return False
            log.warning("callback waits for the database", extra=ids)
            self.send(DELIVER_CALLBACK, event.submission_id, attempt, event.message(), delay_s=DATABASE_RETRY_S)
            return False

    def _give_up_at(self, event: WebhookEvent) -> datetime:
        return event.at + timedelta(seconds=self.policy.give_up_s)

    def _deliver(self, event: WebhookEvent, attempt: int) -> bool:
        with self._store.transaction() as tx:
            record = tx.submissions.get(event.submission_id)
        if record.callback_url is None:
            return True
        # Wall time, not the store's clock: receivers compare the signed timestamp with their own clocks.
        now = datetime.now(UTC)
        body = event.body()
        headers = {"content-type": "application/json", "user-agent": "cameoguard"}
        headers |= signed_headers(self._secret(record.client), event, body, now)
        outcome = self._post(record.callback_url, headers, body)
        with self._store.transaction() as tx:
            tx.submissions.record_delivery(event.submission_id, attempt, outcome.status, outcome.error)
        ids = {"submission_id": event.submission_id, "video_id": record.video_id, "event": event.type,
               "event_id": event.id, "attempt": attempt, "status_code": outcome.status}  # fmt: skip
        if outcome.error is None:
            self._metrics.callbacks.labels(event.type, "delivered").inc()
            self._metrics.callback_delay.observe(max(0.0, (now - event.at).total_seconds()))
            log.info("callback delivered", extra=ids)
            return True
        delay = min(MAX_BACKOFF_S, self.policy.backoff_s * 2 ** (attempt - 1))
        if now + timedelta(seconds=delay) > self._give_up_at(event):
            self._metrics.callbacks.labels(event.type, "given_up").inc()
            log.error("callback given up after %d attempts: %s", attempt, outcome.error, extra=ids)
            return False
        self._metrics.callbacks.labels(event.type, "failed").inc()
        log.warning("callback failed: %s", outcome.error, extra=ids)
        self.send(DELIVER_CALLBACK, event.submission_id, attempt + 1, event.message(), delay_s=delay)
        return False

    def _post(self, url: str, headers: dict[str, str], body: bytes) -> Outcome:
        import httpx

        try:
            target = pin_callback(url, self.policy.hosts, self.resolve)
        except CallbackRefused as exc:
            return Outcome(error=str(exc))
        headers = {**headers, "host": target.host_header}
        # The checked address is the one connected to; the name still goes in Host and in TLS (SNI and the
        # certificate check), so a receiver behind a shared address or a CDN gets the request it expects.
        try:
            with httpx.Client(timeout=self.policy.timeout_s) as client:
                request = client.build_request(
                    "POST",
                    target.connect_url,
                    content=body,
                    headers=headers,
                    extensions={"sni_hostname": target.host} if target.url.startswith("https") else {},
                )
                status = client.send(request).status_code
        except httpx.HTTPError as exc:
            return Outcome(error=f"{exc.__class__.__name__}: {exc}")
        return Outcome(status, None if 200 <= status < 300 else f"HTTP {status}")
