"""The `Idempotency-Key` header on every POST of API v1: a repeat of a request gets the first answer again.

ASGI middleware, inside the body limits. A POST under `/v1/` with the header, from a known client, claims the key
(`usecases.idempotency`) before the route runs; its answer is kept when it is final (any 2xx or 4xx but a timeout,
a rate limit or "in progress") and the key given back otherwise (a 5xx: a retry runs afresh). A repeat with the
same method, path and body (hashed as it streams in; a multipart body's random boundary does not count) gets the
kept answer with `Idempotent-Replayed: true`; another body with the same key is refused (422,
`idempotency-key-reused`); a repeat while the first is still running is answered 409 (`idempotency-in-progress`)
with `Retry-After`. Keys belong to the client the token names, so two clients never share one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Send
from starlette.types import Scope as AsgiScope

from safety.edges.http.problems import PROBLEM_JSON, problem_body
from safety.errors import SafetyError
from safety.storage import IdempotentAnswer
from safety.usecases.idempotency import MAX_KEY_LENGTH, Claim, IdempotentRequests

HEADER = "idempotency-key"
REPLAYED = "idempotent-replayed"
# Answers worth keeping are final ones; these say "try again", so a repeat must run afresh.
_NOT_FINAL = frozenset({408, 409, 429})
_MAX_KEPT = 1 << 20  # an answer larger than this (none of the API's JSON answers) is not kept


class BodyDigest:
    """SHA-256 of a request as it streams in: method, path and body, with a multipart boundary left out (a client's
    HTTP library picks a new one for every try)."""

    def __init__(self, method: str, path: str, content_type: str) -> None:
        self._hash = hashlib.sha256(f"{method} {path}\n".encode())
        boundary = content_type.partition("boundary=")[2].split(";")[0].strip().strip('"')
        self._boundary = boundary.encode() if content_type.startswith("multipart/") and boundary else b""
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        if not self._boundary:
            self._hash.update(chunk)
            return
        # The last bytes are held back until the next chunk: a boundary may be split between two chunks.
        data = (self._tail + chunk).replace(self._boundary, b"")
        cut = max(0, len(data) - len(self._boundary) + 1)
        self._hash.update(data[:cut])
        self._tail = data[cut:]

    def hexdigest(self) -> str:
        self._hash.update(self._tail)
        self._tail = b""
        return self._hash.hexdigest()


def _problem(status: int, kind: str, detail: str, headers: tuple[tuple[bytes, bytes], ...] = ()) -> list[Message]:
    payload = json.dumps(problem_body(status, kind, detail)).encode()
    start_headers = [
        *headers,
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(payload)).encode()),
    ]
    return [
        {"type": "http.response.start", "status": status, "headers": start_headers},
        {"type": "http.response.body", "body": payload},
    ]


async def _read_rest(receive: Receive, digest: BodyDigest) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return
        digest.feed(message.get("body", b""))
        if not message.get("more_body", False):
            return


class IdempotencyKeys:
    """ASGI middleware: see the module's docstring. `client_of` names the client a bearer token belongs to (None
    for an unknown token: the route then answers 401 as usual)."""

    def __init__(self, app: ASGIApp, *, requests: IdempotentRequests, client_of: Callable[[str], str | None]) -> None:
        self.app = app
        self.requests = requests
        self.client_of = client_of

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not str(scope["path"]).startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get(HEADER)
        scheme, _, token = headers.get("authorization", "").partition(" ")
        client = (
            await run_in_threadpool(self.client_of, token) if key and scheme.lower() == "bearer" and token else None
        )
        if key is None or client is None:
            await self.app(scope, receive, send)
            return
        if not key or len(key) > MAX_KEY_LENGTH:
            for message in _problem(
                422, "invalid-request", f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters"
            ):
                await send(message)
            return
        digest = BodyDigest(scope["method"], str(scope["path"]), headers.get("content-type", ""))
        try:
            claimed = await run_in_threadpool(self.requests.claim, client, key)
        except SafetyError as exc:
            for message in _problem(503, "storage", str(exc)):
                await send(message)
            return
        if claimed.claim is Claim.IN_PROGRESS:
            for message in _problem(
                409, "idempotency-in-progress", "a request with this Idempotency-Key is still running",
                ((b"retry-after", b"1"),),
            ):  # fmt: skip
                await send(message)
            return
        if claimed.claim is Claim.REPLAY and claimed.answer is not None:
            await self._replay(receive, send, digest, claimed.answer)
            return
        await self._run(scope, receive, send, client, key, digest)

    async def _replay(self, receive: Receive, send: Send, digest: BodyDigest, answer: IdempotentAnswer) -> None:
        await _read_rest(receive, digest)  # the repeat's body, read only to compare it with the first
        if digest.hexdigest() != answer.fingerprint:
            for message in _problem(
                422, "idempotency-key-reused",
                "this Idempotency-Key was used for a different request; use a new key for a new request",
            ):  # fmt: skip
                await send(message)
            return
        body = answer.body.encode()
        await send(
            {
                "type": "http.response.start",
                "status": answer.status_code,
                "headers": [
                    (b"content-type", answer.content_type.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (REPLAYED.encode(), b"true"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _run(
        self, scope: AsgiScope, receive: Receive, send: Send, client: str, key: str, digest: BodyDigest
    ) -> None:
        status = 500
        content_type = ""
        kept = bytearray()

        read_all = False

        async def hashing() -> Message:
            nonlocal read_all
            message = await receive()
            if message["type"] == "http.request":
                digest.feed(message.get("body", b""))
                read_all = not message.get("more_body", False)
            return message

        async def capturing(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = int(message["status"])
                content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
            elif message["type"] == "http.response.body" and len(kept) <= _MAX_KEPT:
                kept.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, hashing, capturing)
        except BaseException:
            await run_in_threadpool(self.requests.release, client, key)
            raise
        final = status < 500 and status not in _NOT_FINAL and len(kept) <= _MAX_KEPT
        if final and not read_all:
            # The route answered before reading the whole body (a refused scope): the rest still counts, or the
            # repeat, whose body is read whole, would not match.
            await _read_rest(receive, digest)
        if final:
            fingerprint = digest.hexdigest()
            text = bytes(kept).decode("utf-8", "replace")
            await run_in_threadpool(self.requests.keep, client, key, fingerprint, status, content_type, text)
        else:
            await run_in_threadpool(self.requests.release, client, key)
