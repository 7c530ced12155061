"""Who may call the API and how much: bearer tokens and scopes, the acting user, request limits and body limits.

The hook is not open: callers send a per-client bearer token (only its sha256 is stored; `cameoguard hook token
NAME` creates one), each client has a request limit per minute, failed tokens are limited per address, and bodies
are size- and time-limited as they stream in (`BodyLimits`). `Access` holds the FastAPI dependencies the routes
declare: a client with a scope, any client, and the acting user an app names in `X-Acting-User`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPBearer
from starlette.types import ASGIApp, Message, Receive, Send
from starlette.types import Scope as AsgiScope

from safety.access import Viewer
from safety.handles import normalise_handle
from safety.records import ApiClient, Scope
from safety.wiring import CameoGuard


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=413, detail="request body too large")


class BodyTooSlow(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=408, detail="the request body did not arrive in time")


class BodyLimits:
    """ASGI middleware: counts the body bytes as they stream in (chunked bodies too, every endpoint) and gives up
    on a client that sends them too slowly. A Content-Length header is only a claim; the bytes are what count."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout_s: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        received = 0

        async def limited() -> Message:
            nonlocal received
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise BodyTooSlow()
            try:
                message = await asyncio.wait_for(receive(), remaining)
            except TimeoutError:
                raise BodyTooSlow() from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        await self.app(scope, limited, send)


class RateLimiter:
    """A per-client token bucket: `per_minute` requests, refilled continuously."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, stamp = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - stamp) * self.rate)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                return False
            self._buckets[client] = (tokens - 1.0, now)
            return True


# Declares the bearer scheme in the OpenAPI document; the token itself is read and checked in `authenticate`.
bearer = HTTPBearer(auto_error=False, description="A client token from `cameoguard hook token NAME`.")
bearer_scheme = Depends(bearer)


def viewer_of(client: ApiClient, acting: str | None) -> Viewer:
    """Who asks: an operator token sees every video; an app token's acting user is the user it names; a token
    without the `app` scope (a pipeline's) names nobody, whatever header it sends."""
    user = normalise_handle(acting) if acting and Scope.APP in client.scopes else None
    return Viewer(user, operator=Scope.OPERATOR in client.scopes)


def require_acting(client: ApiClient, acting: str | None, handle: str) -> str:
    """The acting user, who must be `handle` unless the client is an operator (422 when none is named, 403 when
    another user is)."""
    if not acting:
        raise HTTPException(status_code=422, detail="name the acting user in X-Acting-User")
    if acting != handle and Scope.OPERATOR not in client.scopes:
        raise HTTPException(status_code=403, detail=f"`{acting}` may not act on `{handle}`'s cameo")
    return acting


class Access:
    """The API's authentication, built once per app: `any_client`, `scoped(scope)` and the shorthands are FastAPI
    dependencies that answer the calling `ApiClient`."""

    def __init__(self, services: CameoGuard) -> None:
        settings = services.settings
        self._services = services
        self._limiter = RateLimiter(settings.hook_requests_per_minute)
        # Failed tokens are limited per client address, so guessing tokens is slow whoever is guessed.
        self._failures = RateLimiter(settings.hook_auth_failures_per_minute)
        self.max_body = int(settings.hook_max_body_mb * 1024 * 1024)
        self.any_client: Any = Depends(self.authenticate)
        self.generate = self.scoped(Scope.GENERATE)
        self.app = self.scoped(Scope.APP)
        self.operator = self.scoped(Scope.OPERATOR)

    def authenticate(self, request: Request, _bearer: Any = bearer_scheme) -> ApiClient:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            token = ""
        client = self._services.accounts.api_client(token) if token else None
        if client is None:
            address = request.client.host if request.client else "unknown"
            if not self._failures.allow(address):
                raise HTTPException(status_code=429, detail="too many failed authentications; wait a minute")
            raise HTTPException(status_code=401, detail="unknown or revoked token")
        # Limited per client, not per address: one pipeline behind a NAT must not starve another.
        if not self._limiter.allow(client.name):
            raise HTTPException(status_code=429, detail="too many requests for this client")
        # A declared length over the cap is refused before a byte is read; the middleware counts the real bytes.
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            raise HTTPException(status_code=413, detail="request body too large")
        return client

    def scoped(self, scope: Scope) -> Any:
        """A dependency: the caller's client, which must hold `scope` (403 otherwise)."""
        any_client = self.any_client

        def check_scope(client: ApiClient = any_client) -> ApiClient:
            if scope not in client.scopes:
                raise HTTPException(status_code=403, detail=f"this token lacks the `{scope.value}` scope")
            return client

        return Depends(check_scope)

    def client_name(self, token: str) -> str | None:
        """The client a token names, or None (no limits counted: for the idempotency middleware, which runs before
        the route authenticates)."""
        client = self._services.accounts.api_client(token)
        return client.name if client is not None else None


@dataclass(frozen=True)
class Api:
    """What every group of routes is registered with: the services and the access dependencies."""

    services: CameoGuard
    access: Access
