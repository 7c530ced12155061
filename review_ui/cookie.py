"""The session cookie, set by the server so that no script in the page can read it (`HttpOnly`).

A Streamlit page cannot set a response header: it runs over a WebSocket, after its HTTP response has gone. So the
console serves one small endpoint beside Streamlit (`server.py` mounts `routes()`). After a login the page gets a
one-time code (used once, for a minute, from the address that logged in) and the browser posts it to
`SESSION_PATH`; the answer sets the cookie `HttpOnly; SameSite=Strict` (and `Secure` over HTTPS). The session
token itself never enters the page, and a script injected later finds nothing in `document.cookie`. `DELETE` on
the same path clears the cookie (logout and expiry; the session has already ended on the server). Both need the
`HEADER` request header, which another site's page can send only after a CORS preflight this server never answers.

Codes live in this process's memory: the Streamlit script that issues them and the endpoint that redeems them run
in the same server process.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

SESSION_COOKIE = "cameoguard_session"
SESSION_PATH = "/_cameoguard/session"
HEADER = "X-Cameoguard-Session"
CODE_TTL_S = 60.0
_LOCAL = {"127.0.0.1", "::1"}


@dataclass(frozen=True)
class _Handoff:
    token: str
    max_age_s: int
    client: str | None
    expires: float


class Handoffs:
    """One-time codes standing for a session token until the browser exchanges one for the cookie."""

    def __init__(self, ttl_s: float = CODE_TTL_S) -> None:
        self._ttl_s = ttl_s
        self._lock = threading.Lock()  # issued on a script thread, redeemed on the server's event loop
        self._codes: dict[str, _Handoff] = {}

    def issue(self, token: str, max_age_s: int, client: str | None) -> str:
        """A code the browser may exchange, once and soon, from `client`, for a cookie holding `token`."""
        code = secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._lock:
            self._codes = {c: h for c, h in self._codes.items() if h.expires > now}
            self._codes[code] = _Handoff(token, max_age_s, _address(client), now + self._ttl_s)
        return code

    def redeem(self, code: str, client: str | None) -> _Handoff | None:
        """The hand-off for a live code from the client it was issued to, or None; either way the code is spent."""
        with self._lock:
            found = self._codes.pop(code, None)
        if found is None or found.expires <= time.monotonic() or found.client != _address(client):
            return None
        return found


HANDOFFS = Handoffs()


def set_cookie(value: str, max_age_s: int, *, secure: bool) -> str:
    """The `Set-Cookie` header value for the session cookie (`max_age_s` 0 removes it)."""
    return f"{SESSION_COOKIE}={value}; Path=/; Max-Age={max_age_s}; HttpOnly; SameSite=Strict" + (
        "; Secure" if secure else ""
    )


async def session_endpoint(request: Request) -> Response:
    """POST: exchange a code (in `HEADER`) for the cookie; DELETE: clear the cookie."""
    code = request.headers.get(HEADER)
    if not code:
        return Response("missing header", status_code=400)
    secure = request.url.scheme == "https"
    response = Response(status_code=204)
    if request.method == "DELETE":
        response.headers.append("set-cookie", set_cookie("", 0, secure=secure))
        return response
    found = HANDOFFS.redeem(code, request.client.host if request.client else None)
    if found is None:
        return Response("unknown or spent code", status_code=403)
    response.headers.append("set-cookie", set_cookie(found.token, found.max_age_s, secure=secure))
    response.headers["cache-control"] = "no-store"
    return response


def routes() -> list[BaseRoute]:
    """The endpoint, for `st.App(routes=…)`."""
    return [Route(SESSION_PATH, session_endpoint, methods=["POST", "DELETE"])]


def _address(client: str | None) -> str | None:
    # Streamlit reports a local client as no address at all; the endpoint sees 127.0.0.1 or ::1.
    return None if client is None or client in _LOCAL else client
