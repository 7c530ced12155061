"""The API's one error mapping: every error a route raises, as an `application/problem+json` answer (RFC 9457).

`ERRORS` maps each `SafetyError` (and the two errors of the edge itself, `QueueFull` and `PathRefused`) to its HTTP
status and a stable problem `type`, listed in `PROBLEM_TYPES`; the framework's own HTTP errors get the type of
their status. `detail` says what went wrong and never names an internal path (`without_paths`). Validation errors
and the answers no handler sees are made problems by `problems.py`.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from safety.errors import (
    ConfigurationError,
    ConflictError,
    InvalidMediaError,
    SafetyError,
    StorageError,
    SubmissionError,
    UnknownSubjectError,
    UnknownUserError,
    UnknownVideoError,
)
from safety.safe_files import PathRefused
from safety.usecases.submissions import QueueFull

PROBLEM_BASE = "https://cameoguard.dev/problems/"
PROBLEM_TYPES: dict[str, str] = {
    "unknown-user": "the handle is not registered",
    "unknown-video": "there is no such video",
    "purged": "the video was purged; what it was is not served",
    "not-found": "there is no such resource",
    "invalid-media": "the file is missing, unreadable or not a video",
    "invalid-request": "the request cannot be decided on as given",
    "conflict": "the request contradicts stored state",
    "unauthorized": "no token, or an unknown or revoked one",
    "forbidden": "the token lacks the scope, or the acting user may not do this",
    "path-refused": "a named file lies outside the allowed folders",
    "too-large": "the request body is over the limit",
    "too-slow": "the request body did not arrive in time",
    "rate-limited": "too many requests; see Retry-After",
    "queue-full": "too many submissions are waiting; see Retry-After",
    "storage": "the database or the file store failed; retry later",
    "configuration": "the service is misconfigured",
    "internal": "an unexpected error",
    "method-not-allowed": "the route does not take this method",
    "range-not-satisfiable": "the requested byte range lies outside the file",
    "not-ready": "this process is not ready to take work yet (loading, or its database or broker is unreachable)",
    "idempotency-key-reused": "the Idempotency-Key was used before for a different request",
    "idempotency-in-progress": "the first request with this Idempotency-Key is still running; see Retry-After",
}
BY_STATUS = {
    400: "invalid-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    408: "too-slow",
    409: "conflict",
    413: "too-large",
    416: "range-not-satisfiable",
    422: "invalid-request",
    429: "rate-limited",
    503: "storage",
}
"""The problem type of an HTTP error that carries no more specific one."""

ERRORS: tuple[tuple[type[SafetyError], int, str], ...] = (
    # Most specific first: the first class an error is an instance of decides.
    (QueueFull, 429, "queue-full"),
    (PathRefused, 403, "path-refused"),
    (UnknownUserError, 422, "unknown-user"),
    # Something that is not there, or not there for this caller (the use cases answer alike), is a 404 whatever named
    # it: a path, or a request the caller was never asked.
    (UnknownVideoError, 404, "unknown-video"),
    (UnknownSubjectError, 404, "not-found"),
    (InvalidMediaError, 422, "invalid-media"),
    (SubmissionError, 422, "invalid-request"),
    (ConflictError, 409, "conflict"),
    (StorageError, 503, "storage"),
    (ConfigurationError, 500, "configuration"),
)
"""Every error of the use cases: its HTTP status and problem type."""

_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s/:;,'\"()]+/)+([^\s/:;,'\"()]+)")


def without_paths(detail: str) -> str:
    """The message with every absolute path cut to its last part: a client never learns the server's folders."""
    return _ABSOLUTE_PATH.sub(lambda match: match.group(1), detail)


def status_and_kind(exc: SafetyError) -> tuple[int, str]:
    """The HTTP status and problem type of an error the use cases raised."""
    for cls, status, kind in ERRORS:
        if isinstance(exc, cls):
            return status, kind
    return 500, "internal"


def problem_kind(exc: SafetyError) -> str:
    """The problem type of an error the use cases raised."""
    return status_and_kind(exc)[1]


def problem(status: int, kind: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """An `application/problem+json` response; `kind` is a key of `PROBLEM_TYPES`."""
    body = {
        "type": PROBLEM_BASE + kind,
        "title": PROBLEM_TYPES.get(kind, kind),
        "status": status,
        "detail": without_paths(detail),
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/problem+json")


class Problem(BaseModel):
    """An error (RFC 9457), as every endpoint answers one."""

    type: str = Field(examples=[PROBLEM_BASE + "unknown-video"], description="Stable; see PROBLEM_TYPES.")
    title: str = Field(examples=["there is no such video"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["no such video: vid_0123"])


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {"application/problem+json": {}}, "description": PROBLEM_TYPES[kind]}
    for status, kind in (
        (401, "unauthorized"),
        (403, "forbidden"),
        (404, "not-found"),
        (409, "conflict"),
        (422, "invalid-request"),
        (429, "rate-limited"),
        (503, "storage"),
    )
}
"""The errors any endpoint may answer, declared once for the OpenAPI document."""


def install_problem_handlers(app: FastAPI) -> None:
    """Every error the routes raise as problem+json: the use cases' errors by `ERRORS`, the framework's HTTP errors
    (auth, scope, limits) by their status."""

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = BY_STATUS.get(exc.status_code, "internal")
        return problem(exc.status_code, kind, str(exc.detail), dict(exc.headers or {}))

    @app.exception_handler(SafetyError)
    async def _safety_error(_request: Request, exc: SafetyError) -> JSONResponse:
        status, kind = status_and_kind(exc)
        headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, QueueFull) else None
        return problem(status, kind, str(exc), headers)
